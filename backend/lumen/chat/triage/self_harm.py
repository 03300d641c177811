"""Curated self-harm rules: ideation, intent, plan, preparatory acts and behaviour, about the
writer or someone they are with.

Sources for the phrasings: Columbia Suicide Severity Rating Scale (ideation, intent, plan,
preparatory acts), PHQ-9 item 9 and Stanley & Brown safety planning. Kept compact (one rule,
one block) rather than formatter-expanded: the table is read as a table and grows by rows.
"""

from __future__ import annotations

from lumen.chat.triage.rule import FIRST_PERSON, CrisisCategory, Rule, rx

_SH: CrisisCategory = "self_harm"
_SELF = r"(?:my\s?self)"
_INTENT = (
    r"(?:want|wants|wanted|wanna|going|gonna|plan|plans|planning|decided|ready|trying|tried|"
    r"try|about|urges?|tempted|thinking (?:about|of)|think about|feel like|need)"
)

# fmt: off
SELF_HARM_RULES: tuple[Rule, ...] = (
    Rule(_SH, rx(rf"\bkill(?:ing)?\s+{_SELF}\b")),
    # Learner English drops the reflexive: "I am thinking to kill me".
    Rule(_SH, rx(rf"\b(?:{_INTENT}|thinking|think)\s+(?:to\s+)?kill(?:ing)?\s+me\b"),
         anchor="first"),
    Rule(_SH, rx(
        rf"\b{_INTENT}\s+(?:to\s+)?(?:\w+\s+){{0,2}}?(?:hurt|harm|cut|burn|hang|shoot|drown|"
        rf"stab|starve|poison|suffocate|unalive)(?:ing)?\s+{_SELF}\b"
    )),
    Rule(_SH, rx(
        r"\b(?:cutting|burning|hurting|harming|hitting|starving)\s+(?:my\s?self|my (?:arms?|"
        r"wrists?|legs?|thighs?|stomach))\b"
    ), excludes=rx(r"\bsun|\bcream\b|\brash\b")),
    Rule(_SH, rx(
        r"\b(?:scratch\w*|punch\w*|hit\w*|bang\w*|bit(?:e|ing)?|pick\w*|claw\w*|cut\w*|burn\w*)\s+"
        r"(?:\w+\s+){0,5}?(?:until|till|til)\s+(?:it|they|i|he|she)\s+(?:bleeds?|bruises?|bled)\b"
    ), anchor="person"),
    Rule(_SH, rx(
        rf"\b(?:cut|burn(?:ed|t)?|hurt|harmed|hit)\s+{_SELF}\s+(?:again|on purpose|"
        r"deliberately|intentionally|to (?:cope|feel)|until i (?:bleed|bruise)|because i deserve|"
        r"with (?:a |my )?(?:cigarettes?|lighter|razors?|blades?|knife))"
    )),
    Rule(_SH, rx(r"\bself[- ]?harm(?:ing|ed)?\b"), anchor="person"),
    Rule(_SH, rx(
        r"\bwrists?\b[^.?!]{0,20}\b(?:bleeding|cut|slit|sliced)\b|\b(?:cut|slit"
        r"|sliced)\s+(?:\w+\s+)?"
        r"wrists?\b|\bcut (?:deep|deeper|too deep)\b|\brelapsed\b[^.?!]{0,30}\b(?:cut|cutting|"
        r"burn\w*|self[- ]?harm\w*)\b"
    ), anchor="person"),
    Rule(_SH, rx(
        r"\b(?:would|will|is|are)\s+(?:\d+|a bottle|a handful|all)\s+(?:of\s+)?(?:my\s+|these\s+|"
        r"the\s+)?\w+\s+(?:\w+\s+)?(?:be\s+)?enough\b(?!\s+(?:for|to (?:treat|help|work|sleep)))"
    ), personal=True),
    Rule(_SH, rx(r"\bkms\b"), negatable=False, personal=True),
    Rule(_SH, rx(r"\bunaliv(?:e|ing|ed)\b")),
    Rule(_SH, rx(
        r"\b(?:want|wants|wanted|wanna|wish|wishing|ready)\s+(?:to\s+)?(?:just\s+)?(?:die|be "
        r"dead|not (?:be alive|exist|be here)|stop (?:existing|living|being alive)|disappear|sleep "
        r"forever|go to sleep forever)\b(?!\s+(?:at home|in peace|peacefully|with dignity|in "
        r"(?:my|his|her) sleep))"
    )),
    Rule(_SH, rx(
        rf"\b{_INTENT}\s+(?:to\s+)?(?:just\s+)?(?:end(?:ing)? (?:it all|it|my life|things|"
        r"everything|this|my suffering)|commit(?:ting)? suicide|tak(?:e|ing) my (?:own )?life|"
        r"do it tonight)\b"
    )),
    Rule(_SH, rx(
        r"\b(?:want|wish)\s+(?:it all|everything|it)\s+to\s+(?:be over|end)\b|\boverdose (?:on "
        r"purpose|intentionally)\b|\b(?:intentionally|purposely|deliberately) overdose\b|"
        r"\bcan't (?:do life|go on living|keep living)\b"
    )),
    Rule(_SH, rx(
        r"\b(?:end|ending|finish|finishing|take|taking)\s+my\s+(?:own\s+)?life\b(?!\s+back)"
    )),
    Rule(_SH, rx(r"\bwish (?:i|i'd) (?:was|were|had) (?:dead|never been born)\b")),
    Rule(_SH, rx(
        r"\b(?:tired|sick|weary|exhausted) of (?:living|being alive|life|existing)\b|\bno (?:way "
        r"out|other way|escape)\b[^.?!]{0,20}\b(?:dying|death|die|suicide|end it)\b"
    )),
    # Safety-planning wording (Stanley & Brown safety plan): the writer says they are not safe.
    Rule(_SH, rx(
        r"\b(?:can't|cannot|unable to|don't think i can|won't be able to)\s+keep\s+(?:myself|me)"
        r"\s+safe\b|\b(?:don't|do not|no longer)\s+feel\s+safe\s+(?:with|around|from)\s+myself\b|"
        r"\bnot safe (?:with|from|around) myself\b"
    ), negatable=False),
    Rule(_SH, rx(
        r"\b(?:how (?:much|many)|the most|max(?:imum)?)\b[^.?!]{0,60}\b(?:before|until)\s+"
        r"(?:it|they|that)?\s*(?:kills?|would kill|will kill|is fatal|is lethal|dies?)\b"
    ), personal=True, requires=FIRST_PERSON),
    Rule(_SH, rx(
        r"\b(?:don't|do not|no longer|no|not)\s+want\s+(?:to\s+)?(?:live|be alive|exist|go on"
        r"|be here "
        r"anymore|be around anymore|wake up(?!\s+(?:my|the|him|her|them|everyone|anyone|early)))"
    ), negatable=False),
    Rule(_SH, rx(
        r"\b(?:better|happier|relieved|easier)\b[^.?!]{0,30}\b(?:without me|if i (?:just |only )?"
        r"(?:was|were|am) (?:gone|dead|not here|not around)|if i (?:just |only )?(?:died|"
        r"disappeared|wasn't|weren't) ?(?:here|around)?)"
        r"|\bbetter off dead\b"
    ), negatable=False),
    Rule(_SH, rx(
        r"\b(?:no|any|the)\s+(?:reason|point)\s+(?:\w+\s+){0,3}?(?:to|in|of)\s+(?:keep\s+)?"
        r"(?:live|living|go on|going on|keep going|being alive|stay alive)\b|"
        r"\b(?:not|isn't|no longer)\s+worth\s+living\b"
    ), negatable=False, personal=True),
    Rule(_SH, rx(
        r"\b(?:no ?one|nobody)\s+(?:would |will |'d )?(?:\w+\s+)?(?:cares?|notice|miss me)\b"
        r"[^.?!]{0,20}\bif i (?:died|die|live or die|was gone|were gone|disappeared|was dead|"
        r"killed myself)"
    ), negatable=False),
    Rule(_SH, rx(r"\bsuicidal\b"), anchor="person"),
    Rule(_SH, rx(r"^\W*(?:feeling |feel |so |very |really |pretty )?suicidal\b|\b(?:feel|"
                  r"feeling|felt)\s+(?:\w+\s+)?suicidal\b")),
    Rule(_SH, rx(
        r"\b(?:thoughts?|thinking|think|thought)\s+(?:of|about)\s+(?:suicide|killing myself|"
        r"dying|death|ending (?:it|my life|things))\b"
    ), anchor="first"),
    Rule(_SH, rx(r"\b(?:attempted|tried)\s+suicide\b"), anchor="first"),
    Rule(_SH, rx(
        r"\b(?:painless|easiest|quickest|fastest|best|surest|least painful|peaceful)\s+"
        r"(?:way|ways|method|methods)\s+(?:to|of)\s+(?:die|dying|kill (?:myself|yourself|oneself)"
        r"|end (?:it|my life|your life)|commit suicide|suicide)\b"
    ), personal=True),
    Rule(_SH, rx(
        r"\bhow\s+(?:many|much)\b[^.?!]{0,60}?\b(?:to|would|will|could)\s+(?:\w+\s+){0,3}?"
        r"(?:die|kill (?:me|myself|a person|someone|you|them)|not wake up|never wake up|end (?:it"
        r"|my "
        r"life))\b"
    ), personal=True),
    Rule(_SH, rx(
        r"\b(?:sleep|fall asleep|go to sleep|close my eyes)\s+and\s+(?:never|not)\s+wake\s+up\b|"
        r"\b(?:hope|wish|pray)\s+(?:i\s+)?(?:don't|do not|never|won't)\s+wake\s+up\b"
    ), negatable=False, personal=True),
    Rule(_SH, rx(
        r"\b(?:this is|these are)\s+my\s+(?:last|final)\s+(?:message|words|post|goodbye)\b|"
        r"\bgoodbye (?:everyone|world|forever)\b"
        r"|\b(?:wrote|written|writ(?:e|ing)|left|record\w*|sen[dt]\w*|post\w*)\s+(?:a |my |the "
        r"|some )?(?:suicide note|(?:goodbye|farewell) (?:letters?|notes?|texts?|messages?|"
        r"videos?|posts?|emails?)|letters? to my (?:kids|children|family|wife|husband|parents))\b"
        r"|\bgave away (?:all )?my (?:things|stuff|belongings)\b"
        r"|\blast time (?:you'll|you will|anyone will) hear from me\b"
    ), personal=True),
    # Preparatory acts (C-SSRS): giving possessions away, with a hopeless or final note.
    Rule(_SH, rx(
        r"\b(?:giv(?:e|ing|en)|gave|hand(?:ing|ed)? out|hand(?:ing|ed)? over)\s+(?:away\s+)?"
        r"(?:all\s+)?(?:of\s+)?my\s+(?:\w+\s+){0,2}?(?:things|stuff|belongings|possessions|"
        r"clothes|books|savings|pets?|dog|cat|guitar|collection)\b"
    ), requires=rx(
        r"\bno (?:meaning|point|reason|hope|future)\b|\bwon't (?:be )?need(?:ing)?\b|\bgoodbye|"
        r"\bhopeless|\btired of|\bcan't go on|\bdone with|\bnot (?:be )?(?:here|around)"
    )),
    Rule(_SH, rx(
        r"\b(?:can't|cannot|don't) see myself (?:being )?(?:here|alive|around|living)\b|"
        r"\b(?:won't|will not|not going to) be (?:here|around|alive) (?:much longer|by|for|"
        r"next|after|to see)\b|\bdon't think (?:i'll|i will|i'm going to|i can) (?:make it|last|"
        r"survive) (?:through |past |to )?(?:this|the|tonight|tomorrow|another)\b|\bdon't think "
        r"(?:i'll|i will) be (?:here|around|alive) (?:much longer|for long|by|next)\b"
        r"(?!\s+(?:exam|test|class|semester|shift|meeting|deadline|workout|course))"
    ), anchor="first", negatable=False),
    Rule(_SH, rx(
        r"\b(?:stockpil\w*|sav(?:ing|ed)\s+up|hoard\w*)\s+(?:all\s+)?(?:my\s+)?(?:pills|meds|"
        r"medications?|tablets|sleeping pills)\b"
    )),
    Rule(_SH, rx(
        r"\b(?:use|using)\s+(?:it|them|the gun|a gun|the rope|the pills)\s+on\s+my\s?self\b"
    )),
    # Researching a method or a lethal amount (C-SSRS preparatory behaviour).
    Rule(_SH, rx(
        r"\b(?:googl\w*|search\w*|look\w* up|looked up|research\w*|read\w* about)\s+(?:online\s+)?"
        r"(?:for\s+)?(?:ways|how|methods?|the best way)\s+to\s+(?:die|kill (?:my|him|her|them)"
        r"sel(?:f|ves)|end (?:my|his|her|their) life|commit suicide|overdose)\b"
    ), anchor="person"),
    Rule(_SH, rx(
        r"\bhow (?:much|many)\s+(?:\w+\s+){0,6}?it (?:would|will|'d|could) take"
        r"\s*(?:$|[.,;]|\band\b)"
    ), anchor="first"),
    # Means at hand, with a crisis word anywhere in the message.
    Rule(_SH, rx(
        r"\b(?:have|got|holding|hold|sitting with|loaded|load(?:ing)?|took out|taking out|"
        r"got out)\s+(?:\w+\s+)?(?:a |the |my |his |her |\w+'s )?(?:full |whole |loaded )?"
        r"(?:bottle|pills|gun|pistol|rifle|revolver|rope|noose|knife|blade|razor)s?\b"
    ), anchor="first", requires=rx(
        r"\bnext to me\b|\bin (?:my|front of me)\b|\bready\b|\bright here\b|\bwith me\b|"
        r"\b(?:die|dying|dead|kill|suicid\w*|end it|overdose|goodbye|hopeless|tonight|"
        r"can't stop crying|done with|no point)\b|\bsitting in the (?:garage|car|bathroom)\b"
    ), excludes=rx(r"\b(?:range|hunting|clean(?:ing)?|permit|licen[cs]e|safety class)\b")),
    # Passive self-harm: stopping a life-sustaining treatment on purpose, to die.
    Rule(_SH, rx(
        r"\b(?:stopped|stopping|quit|refus\w*)\s+(?:taking\s+|using\s+|to take\s+)?(?:\w+\s+)?"
        r"(?:insulin|meds|medications?|medicines?|pills|dialysis|heart (?:medicine|pills)|"
        r"eating|food)\b[^.?!]{0,20}\b(?:on purpose|deliberately|intentionally|so (?:i|he|she|"
        r"they) (?:can|could|will|would) die|to die)\b"
    ), anchor="person", requires=rx(
        r"\b(?:die|died|dead|death|passed|be with|join|gone|heaven|no point|give up|tired of)\b"
    )),
    Rule(_SH, rx(
        r"\b(?:crash|wreck|drive|steer)\w*\s+(?:my\s+)?(?:car|truck|bike|motorcycle)\s+(?:\w+\s+)?"
        r"on purpose\b"
    ), anchor="first"),
    Rule(_SH, rx(
        r"\b(?:i'll|i will|i'm going to|i'm gonna|going to|gonna)\s+(?:finally|just|actually)\s+"
        r"(?:do it|go through with it|end it)\b"
    ), anchor="first", requires=rx(
        r"\b(?:tonight|nothing left|no one left|no reason|goodbye|can't (?:do|take) (?:this|it)|"
        r"done with|hopeless|the (?:pills|rope|gun))\b"
    )),
    Rule(_SH, rx(r"(?<!jump )\b(?:rope|noose|razor|blade)\b"), anchor="first",
         requires=rx(r"\b(?:going to|gonna|do it|use it|know what|hang|end it)\b")),
    Rule(_SH, rx(
        r"\b(?:going to|gonna|want to|wanna|plan(?:ning)? to|about to|will|i'll|thinking "
        r"(?:about|of))\s+(?:\w+\s+){0,2}?(?:jump(?:ing)?|throw(?:ing)? myself)\s+(?:off|from|in "
        r"front of)\s+(?:a |the |my )?(?:\w+\s+)?(?:bridge|roof|building|balcony|cliff|train|"
        r"tower|overpass|window|ledge|bus|truck|tracks)\b"
    )),
    Rule(_SH, rx(r"\b(?:going to|gonna|about to|i'll|planning to|want to)\s+jump\b(?!\s+(?:rope|"
                  r"start|in|on|into|higher|up))"),
         requires=rx(r"\b(?:roof|bridge|ledge|balcony|building|cliff|tonight|window|tracks)\b")),
    # At a height now, with distress (C-SSRS: at the location of a planned method).
    Rule(_SH, rx(
        r"\b(?:i'm|i am|i've been|been)\s+(?:\w+\s+)?(?:standing|sitting|up)\s+on\s+(?:the |a |"
        r"my )?(?:\w+\s+){0,3}?(?:roof|ledge|bridge|edge|railing|balcony rail\w*|overpass|cliff)\b"
    ), requires=rx(
        r"\b(?:can't stop (?:shaking|crying)|scared|jump\w*|goodbye|end it|done|tonight|nobody|"
        r"no one|die|looking down)\b"
    )),
    Rule(_SH, rx(
        r"\b(?:driv(?:e|ing)|crash(?:ing)?|steer(?:ing)?)\s+(?:my car\s+)?(?:into|off)\s+(?:a "
        r"|the )?(?:tree|wall|bridge|cliff|truck|pole|oncoming|river|road on purpose)\b|\b(?:step|"
        r"stepping|walk|walking|jump|jumping)\s+in front of\s+(?:a |the )?(?:train|bus|truck|"
        r"car|traffic)\b"
    ), anchor="first"),
    Rule(_SH, rx(
        r"\b(?:going to|gonna|want to|wanna|plan(?:ning)? to|will|about to|i'll)\s+(?:\w+\s+)"
        r"{0,2}?(?:take|swallow|down)\s+(?:all|every|the whole|a whole|the entire)\s+(?:\w+\s+)"
        r"{0,2}?(?:pills?|meds|medications?|bottle|tablets|pack)\b"
    )),
    Rule(_SH, rx(
        r"\b(?:wants?|going|gonna|threaten\w*|trying|tried|about|plans?|planning|will|talking "
        r"about|says? (?:he|she|they)(?:'ll| will| would| wants to| is going to))\s+(?:to\s+)?"
        r"(?:kill|hurt|harm|hang|shoot|cut)(?:ing)?\s+(?:him|her|them)sel(?:f|ves)\b|\b(?:end|"
        r"ending|take|taking)\s+(?:his|her|their)\s+(?:own\s+)?life\b"
    )),
)
# fmt: on
