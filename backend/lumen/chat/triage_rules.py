"""The curated crisis rules: regular expressions with the context each needs.

Read with ``triage_patterns``, which applies them sentence by sentence and decides when a match
counts (not negated, not historical, not hypothetical, not an impersonal question). Sources for
the phrasings: Columbia Suicide Severity Rating Scale (ideation, intent, plan, preparatory
acts), PHQ-9 item 9, Stanley & Brown safety planning, the American Heart Association's stroke
(BE FAST) and heart-attack warning signs, and the situations Poison Control (America's Poison
Centers) and 911 dispatch protocols ask callers about.

The table is kept compact (one rule, one block) rather than formatter-expanded: it is read as
a table and grows by rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

CrisisCategory = Literal["self_harm", "poisoning", "emergency"]


def rx(pattern: str) -> re.Pattern[str]:
    """Compile a case-insensitive rule pattern."""
    return re.compile(pattern, re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    """One curated pattern; see the module docstring for when it may fire."""

    category: CrisisCategory
    pattern: re.Pattern[str]
    anchor: Literal["first", "person"] | None = None
    requires: re.Pattern[str] | None = None
    excludes: re.Pattern[str] | None = None
    negatable: bool = True
    # Wording that is about the writer even as a question ("what's the point of living?").
    personal: bool = False


FIRST_PERSON = rx(r"\b(?:i|i'm|i've|i'd|i'll|me|my|myself|mine)\b")
PERSON = rx(
    r"\b(?:i|i'm|i've|i'd|i'll|me|my|myself|he|she|they|him|her|his|them|their|he's|she's|"
    r"they're|someone|somebody|baby|toddler|infant|kid|son|daughter|husband|wife|mom|dad|"
    r"mother|father|friend|roommate|partner|boyfriend|girlfriend|brother|sister|grandson|"
    r"granddaughter|grandma|grandpa|grandmother|grandfather)\b"
)

_SH: CrisisCategory = "self_harm"
_PO: CrisisCategory = "poisoning"
_EM: CrisisCategory = "emergency"
_SELF = r"(?:my\s?self)"
_INTENT = (
    r"(?:want|wants|wanted|wanna|going|gonna|plan|plans|planning|decided|ready|trying|tried|"
    r"try|about|urges?|tempted|thinking (?:about|of)|think about|feel like|need)"
)
_SUBSTANCE = (
    r"(?:bleach|ammonia|antifreeze|coolant|windshield (?:washer )?fluid|detergent|pods?|"
    r"(?:button|coin) (?:battery|batteries|cell)|batter(?:y|ies)|magnets?|magnetic balls|"
    r"rat (?:poison|bait)|rodenticide|mouse poison|pesticides?|insecticide|bug spray|"
    r"weed ?killer|herbicide|gasoline|petrol|kerosene|lamp oil|lighter fluid|paint thinner|"
    r"turpentine|(?:drain|oven|toilet|window|glass) cleaner|cleaning (?:products?|spray|fluid)|"
    r"mouthwash|hand sanitizer|nail polish remover|acetone|rubbing alcohol|methanol|chlorine|"
    r"pool (?:chemicals|shock)|essential oils?|(?:eucalyptus|tea tree|wintergreen|camphor"
    r"|clove) oil|"
    r"nicotine|vape (?:juice|liquid)|e-?liquid|cigarettes?|cigarette butts?|"
    r"poison|lye|bath salts|fentanyl|(?:iron|heart|blood pressure|sleeping) (?:pills|tablets|"
    r"gummies|vitamins|medicine)|(?:wild|poisonous|toxic|unknown) (?:plants?|berries|"
    r"mushrooms?)|mushrooms? (?:from|in|off|growing|picked)|berries (?:from|off)|oleander|"
    r"foxglove|hemlock|nightshade|edibles?|mushrooms?\b[^.?!]{0,20}\b(?:picked|foraged|found|"
    r"wild|woods|yard|garden|forest)|(?:something|stuff|liquid)? ?from under the sink)"
)
_PAST_INGEST = (
    r"(?:took|taken|swallowed|ate|eaten|drank|drunk|ingested|chewed|licked|bit|snorted|"
    r"injected|inhaled|got into|gotten into|used|exposed to|sprayed with)"
)
_COUNTED = (
    r"(?:took|taken|swallowed|ate|had|popped|take|drank)\s+(?:like\s+|about\s+|around\s+|"
    r"maybe\s+|over\s+|almost\s+|nearly\s+)?"
)
_NOT_A_UNIT = (
    r"(?!(?:mg|mcg|g|ml|milligrams?|micrograms?|hours?|hrs?|minutes?|mins?|days?|weeks?|"
    r"months?|years?|times?|steps?|units?|kg|lbs?|pounds?|miles?|km|percent|am|pm|o'clock)\b)"
    r"(?:of\s+)?(?:my\s+|his\s+|her\s+|the\s+|extra\s+)?[a-z]"
)
_UNWELL = rx(
    r"\b(?:weird|dizzy|can't stay awake|sleepy|drowsy|confus\w*|vomit\w*|throwing up|racing|"
    r"scared|shaking|sweat\w*|hallucinat\w*|is (?:this|it|that) (?:bad|dangerous|danger|too much"
    r"|ok)|what "
    r"(?:do|should) i do|help)\b"
)
_CHILD = (
    r"(?:baby|toddler|infant|kid|child|son|daughter|grandson|granddaughter|nephew|niece|"
    r"\d+\s*(?:yo|y/o|yrs?|years?|months?)(?:[- ]old)?)"
)

# fmt: off
RULES: tuple[Rule, ...] = (
    # --- self-harm: ideation, intent, plan, preparatory acts, behaviour ---
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
    # --- poisoning: ingestion, overdose, dosing errors, toxic exposure ---
    Rule(_PO, rx(
        rf"\b{_PAST_INGEST}\b[^.?!]{{0,40}}?\b(?:too (?:many|much)|a (?:whole|full) (?:bottle|"
        r"pack|packet|box|sheet)|the (?:whole|entire) (?:bottle|pack|packet|box)|(?:a\s+)?handful"
        r"|a (?:whole |big |huge )?(?:bunch|lot|load|ton) of (?:\w+\s+){0,2}?(?:pills|tablets|meds"
        r"|medicines?|"
        r"medications?|capsules|gummies|edibles|xanax)|double (?:the )?(?:dose|"
        r"amount)|an? (?:extra|second|double) dose|half (?:a|the) bottle|(?:entire"
        r"|whole) (?:\w+\s+)?"
        r"(?:week|month)'?s? (?:of |worth of )?(?:pills|meds|medications?|doses)|(?:pills|meds|"
        r"doses) (?:at once|in one go))"
    ), excludes=rx(r"\btoo much (?:sugar|salt|caffeine|coffee|sun|food|time|fat|protein)\b")),
    # A lot of alcohol is acute only with a "now" cue: "I have drunk a lot of alcohol" is a history.
    Rule(_PO, rx(
        rf"\b{_PAST_INGEST}\b[^.?!]{{0,20}}?\b(?:a (?:whole |big |huge )?(?:bunch|lot|load|ton) of|"
        r"too much|(?:a |the )?(?:whole|full|entire) bottle of)\s+(?:\w+\s+){0,2}?(?:vodka|alcohol|"
        r"whiskey|tequila|rum|gin|liquor|booze)\b"
    ), requires=rx(
        r"\b(?:just|tonight|today|an hour|now|last night|this (?:morning|evening)|passed out|"
        r"vomit\w*|throwing up|won't wake|can't wake|pills|unresponsive|not breathing)\b"
    )),
    Rule(_PO, rx(r"\bto get high\b|\bgot high on\b|\btripping on\b"), requires=rx(
        r"\b(?:hallucinat\w*|racing|pounding|seiz\w*|passed out|can't breathe|chest pain|vomit\w*|"
        r"unresponsive|won't wake|overheat\w*|confus\w*)\b")),
    Rule(_PO, rx(
        r"\b(?:\d+|some|a few|several|half|most)\s+(?:of them\s+)?(?:are|were|is)\s+(?:gone|"
        r"missing)\b|\bfound (?:him|her|them|my \w+) with (?:an? |the )?(?:open |empty )?(?:bottle|"
        r"pills|medicine|container|pack)"
    ), requires=rx(r"\b(?:pills?|gummies|tablets?|bottle|medicines?|vitamins?|capsules)\b")),
    Rule(_PO, rx(r"\btake\s+(?:too (?:many|much)|a (?:whole|full) bottle)"),
         requires=rx(r"\b(?:yesterday|ago|last night|this morning|earlier|today)\b")),
    Rule(_PO, rx(
        r"\b(?:swallowed|popped|downed) (?:a (?:whole )?(?:bunch|lot|load|ton|handful) of|(?:all"
        r"|most) (?:of )?"
        r"(?:my|the|his|her))\b"
    )),
    # A pill count: eight or more is an overdose to ask Poison Control about; three to seven
    # only with a symptom or worry.
    Rule(_PO, rx(rf"\b{_COUNTED}(?:[89]|[1-9]\d|[1-9]\d\d)\s+{_NOT_A_UNIT}")),
    Rule(_PO, rx(rf"\b{_COUNTED}[3-7]\s+{_NOT_A_UNIT}"), requires=_UNWELL),
    Rule(_PO, rx(
        r"\b(?:took|taken|swallowed|ate|used)\s+(?:some of\s+)?(?:my|his|her|our)\s+(?:\w+)'s\s+"
        r"(?!advice|car)\w+"
    ), requires=_UNWELL),
    Rule(_PO, rx(rf"\b{_PAST_INGEST}\b[^.?!]{{0,60}}?\b{_SUBSTANCE}\b")),
    Rule(_PO, rx(
        rf"\b{_CHILD}\b[^.?!]{{0,40}}?\b(?:swallowed|drank|drunk|chewed|licked|got into|gotten "
        r"into|ate (?:some|a bunch|a few|several|a handful|\d+|my|his|her|grandma's|grandpa's|a "
        r"piece of|a bite of|part of|a leaf))"
        r"\b[^.?!]{0,50}?\b(?:pills?|tablets?|medicines?|medications?|meds|vitamins|gummies|"
        r"pill organizer|medicine cabinet|cabinet|purse|something|liquid|plant|berries|"
        r"mushrooms?|leaves|creams?|ointments?|lotions?|nicotine|tubes?|pods?|soap|cleaners?|oils?|"
        r"batter(?:y|ies)|magnets?|polish|perfume|sanitizer)\b"
    ), excludes=rx(r"\b(?:almost|nearly)\s+(?:\w+\s+)?(?:swallowed|drank|ate|chewed|got into)\b")),
    # "swallowed one of my oxycodone": someone else's medicine, with a child or a symptom.
    Rule(_PO, rx(
        r"\b(?:swallowed|ate|chewed|took|got into)\s+(?:one|two|some|a few|half|several|\d+)\s+"
        r"(?:of\s+)?(?:my|his|her|our|their|the|grandma's|grandpa's|\w+'s)\s+(?:\w+\s+)?\w+"
    ), requires=rx(rf"\b{_CHILD}\b|" + _UNWELL.pattern + r"|\bacting (?:sleepy|weird|strange)")),
    # Toxic fumes breathed now: spraying or mixing a product, with a symptom.
    Rule(_PO, rx(
        rf"\b(?:spray\w*|us(?:ed|ing)|mix\w*|clean\w*|fumigat\w*|huff\w*|sniff\w*|"
        rf"breath\w*)\b[^.?!]{{0,40}}?\b(?:{_SUBSTANCE[3:-1]}|bug killer|roach killer|spray paint|"
        r"paint|glue|fumes)\b"
    ), anchor="person", requires=rx(
        r"\b(?:headaches?|dizz\w*|passing out|pass out|faint\w*|can't breathe|hard to breathe|"
        r"cough\w*|nause\w*|vomit\w*|throwing up|confus\w*|burn\w*|won't (?:sit|wake|respond))\b"
    ), excludes=rx(r"\b(?:safe|safely|how (?:do|to|should)|ventilat\w*)\b")),
    Rule(_PO, rx(
        r"\b(?:took|taken|gave|given|swallowed|drank|ate|injected|used)\b[^.?!]{0,60}?\b(?:by "
        r"mistake|by accident|accidentally|accidently|mistakenly|wrong (?:pill|pills|medicine"
        r"|medication|meds|"
        r"dose|pen|bottle|insulin)|twice(?! (?:a|daily|per|weekly))|\d+\s*(?:ml|mg|units)\s+"
        r"instead of|(?:someone|somebody) else's (?:pills|medications?|meds|prescription))"
        r"|\b(?:by mistake|by accident|accidentally|accidently|mistakenly)\s+(?:took|taken|gave"
        r"|given|"
        r"swallowed|drank|ate|injected|used)\b"
    ), excludes=rx(r"\b(?:late|early|missed|forgot|skipped)\b")),
    Rule(_PO, rx(r"\b(?:overdosed|od'?d|overdosing)\b|\b(?:took|taken|had)\s+an?\s+overdose\b"),
         anchor="person"),
    Rule(_PO, rx(r"\b(?:was|were|been|got|get|getting|being)\s+poisoned\b"), anchor="person"),
    Rule(_PO, rx(r"\bempty (?:pill |medicine |meds )?(?:bottle|packet|pack|blister|box)\b"),
         anchor="person"),
    Rule(_PO, rx(
        r"\b(?:generator|engine|car|grill|charcoal|heater|furnace|bbq)\b[^.?!]{0,40}\b(?:garage|"
        r"inside|indoors|in the house|basement|tent|closed room)\b"
    ), requires=rx(r"\b(?:headaches?|dizz\w*|sick|sleepy|drowsy|nause\w*|vomit\w*|confus\w*|"
                    r"faint\w*|passed out)\b")),
    Rule(_PO, rx(
        r"\b(?:have|has|got)\s+(?:carbon monoxide|co|alcohol|mushroom|chemical|pesticide|"
        r"methanol|iron|tylenol|acetaminophen)\s+poisoning\b|\b(?:carbon monoxide|co)\s+(?:alarm|"
        r"detector|monitor)\b[^.?!]{0,30}\b(?:went off|going off|goes off|beeping|sounding)\b"
    )),
    Rule(_PO, rx(
        r"\bmix(?:ed|ing)\s+(?:\w+\s+){0,2}?(?:bleach|ammonia|chemicals|cleaners|cleaning "
        r"products)\b|\b(?:breathed|inhaled)\s+(?:in\s+)?(?:\w+\s+){0,2}?(?:fumes|gas|chlorine|"
        r"chemicals|pesticide)\b"
    ), anchor="first"),
    Rule(_PO, rx(
        r"\b(?:took|taken|snorted|smoked|injected|shot up|dropped|popped)\s+(?:some\s+|a\s+|an\s+)?"
        r"(?:something|molly|mdma|ecstasy|acid|lsd|meth|cocaine|coke|heroin|k2|spice|shrooms|bars|"
        r"(?:\w+\s+)?pills? (?:\w+\s+){0,4}?(?:from|at|off) (?:a |the |some )?(?:party|club|"
        r"concert|festival|friend|guy|stranger|dealer|street))"
        r"\b"
    ), requires=rx(
        r"\b(?:acting (?:crazy|weird|strange)|sweat\w*|overheat\w*|shaking|seiz\w*|unresponsive|"
        r"won't wake|can't wake|not breathing|vomit\w*|racing|pounding|chest pain|panick\w*|"
        r"hallucinat\w*|passed out|blue|super hot|burning up)\b"
    )),
    # --- emergencies happening now ---
    Rule(_EM, rx(
        r"\b(?:can't|cannot|can not|unable to|struggling to|hard to|trouble|difficulty|hardly|"
        r"barely)\s+(?:\w+\s+)?(?:breathe?|breathing|catch (?:my|his|her|their) breath|get air)\b"
    ), excludes=rx(
        r"\bthrough (?:my|his|her|the) nose\b|\b(?:when|while|after) (?:i |he |she )?(?:exercise"
        r"|run|climb|walk|lie|lying|sleep)|\bat night\b|\bstuffy|\bcongest|\bfor (?:weeks|months|"
        r"years|days)\b|\b(?:sometimes|often|usually)\b"
    ), negatable=False),
    Rule(_EM, rx(r"\b(?:not|isn't|stopped|barely|hardly|no longer)\s+breathing\b"),
         negatable=False),
    Rule(_EM, rx(r"\b(?:is|are|am|i'm|he's|she's|started|keeps)\s+(?:\w+\s+)?(?:choking|gasping|"
                  r"suffocating)\b|\bchok(?:ing|ed) on\b")),
    Rule(_EM, rx(r"\b(?:turning|turned|going|gone)\s+(?:blue|bluish|grey|gray)\b|\b(?:lips|face|"
                  r"mouth)\s+(?:\w+\s+){0,3}?(?:blue|bluish|grey|gray)\b|\b(?:blue|bluish|grey|gray)"
                  r"\s+(?:around|on|in)\s+(?:the|his|her|their|my)\s+(?:mouth|lips|face)\b"),
         excludes=rx(r"\b(?:cold|raynaud)\b")),
    Rule(_EM, rx(
        r"\b(?:unresponsive|unconscious|not (?:responding|answering|reacting)|won't wake(?: up)?|"
        r"(?:won't|doesn't|does not|isn't|can't) (?:respond|react)|"
        r"can't wake (?:him|her|"
        r"them|my \w+)|not waking up|isn't waking up|barely (?:conscious|responsive|awake)|"
        r"passed out and|hard to wake|(?:is|went|gone|goes|just|and|now|so|all) limp|floppy|"
        r"collapsed(?! (?:lung|vein))|isn't moving|"
        r"(?:he|she|they)(?:'s| is|'re| are) not moving)\b"
    ), anchor="person", excludes=rx(
        r"\bfor (?:school|work)\b|\bin the morning\b|\bon time\b|\banswering (?:his|her|my|the|"
        r"their) (?:phone|calls|texts|messages)\b|\bto (?:treatment|medication|antibiotics)\b"
    )),
    Rule(_EM, rx(r"\bgasping\b|\bbreathing (?:really |very )?(?:weird|strange|funny|irregular)"),
         anchor="person", excludes=rx(r"\bafter (?:running|exercise|a run|working out)\b")),
    Rule(_EM, rx(
        r"\bche+s+t\b[^.?!]{0,25}?\b(?:pain|pains|pressure|tightness|tight|hurts?|hurting|heavy|"
        r"heaviness|squeez\w*|crushing|discomfort)\b|\b(?:pain|pressure|tightness|heaviness|"
        r"squeezing|crushing|hurts?|hurting|aches?|aching)\b[^.?!]{0,15}\bin (?:my|his|her|the) "
        r"chest\b|\b(?:elephant|weight|"
        r"something heavy)\s+(?:sitting |standing )?on (?:my|his|her) chest\b"
    ), requires=rx(
        r"\b(?:arm|jaw|neck|shoulder)\b|sweat\w*|clammy|short(?:ness)? of breath|breathless|"
        r"can't (?:breathe?|catch)|hard to breathe|nause\w*|vomit\w*|throwing up|dizz\w*|faint\w*|"
        r"pass(?:ing)? out|light-?headed|crushing|elephant|squeez\w*|radiat\w*|spreading|"
        r"(?:can't|cannot|can hardly|can barely|hard to|trouble) (?:talk\w*|speak\w*)|"
        r"right now|\bfor (?:the (?:last|past) )?(?:\d+|an?|one|two|few)\s*(?:min|mins|minutes|"
        r"hours?|hrs?)\b|since (?:an?|one|\d+) (?:hour|hours|minutes)|racing|pounding|\d{3} ?bpm"
    ), excludes=rx(
        r"\b(?:sometimes|often|usually|occasionally|every time|when i (?:exercise|run|cough)|"
        r"cough\w*|reflux|heartburn|gerd|side effect)\b"
    )),
    Rule(_EM, rx(
        r"\b(?:face|smile|mouth|eyelid)\b[^.?!]{0,20}?\b(?:droop\w*|lopsided|crooked|uneven|"
        r"paraly\w*)|\bslurr\w*\b|\b(?:numb|droop\w*|weak\w*|paraly\w*)\b[^.?!]{0,15}\bon "
        r"one side\b|\bone side of (?:(?:my|his|her|the) )?(?:face|body|mouth)\b|\bspeech\s+"
        r"(?:is |has |went |gone |sounds |became )?(?:weird|strange|funny|garbled|jumbled|off|"
        r"slurr\w*|gone)\b|\bface (?:is )?not moving\b"
    ), anchor="person"),
    Rule(_EM, rx(
        r"\b(?:sudden|suddenly|all of a sudden|out of nowhere)\b[^.?!]{0,50}?\b(?:numb\w*|weak\w*"
        r"|can't (?:speak|talk|move|see|walk|feel|lift|get (?:the )?words out|understand)|"
        r"confus\w*|blurr\w*|vision|paraly\w*|words out)|\b(?:numb\w*|weak\w*|can't (?:speak|talk|"
        r"move|see|walk|get (?:the )?words out))\b[^.?!]{0,50}?\b(?:sudden|suddenly|all of a "
        r"sudden|out of nowhere)\b"
    ), anchor="person"),
    Rule(_EM, rx(
        r"\b(?:is this|is it|could this be|think (?:i'm|i am|he's|she's|he is|she is|my \w+ is|"
        r"it's))\s+(?:\w+\s+)?(?:having\s+)?(?:a\s+)?(?:stroke|heart attack)\b|\b(?:i'm|i am|"
        r"he's|she's|he is|she is|is|are)\s+(?:\w+\s+)?having\s+(?:a|an)\s+(?:stroke|heart "
        r"attack|seizure|anaphylactic reaction|severe allergic reaction)\b"
    ), excludes=rx(r"\bheat stroke\b")),
    Rule(_EM, rx(
        r"\bbleed\w*\b[^.?!]{0,20}?\b(?:won't|will not|doesn't|does not|isn't|is not|not|can't|"
        r"cannot)\s+(?:stop|stopping|be stopped)\b|\b(?:can't|cannot|couldn't)\s+stop\s+(?:the\s+)?"
        r"bleed\w*|\bblood\b[^.?!]{0,20}?\b(?:spurting|gushing|pouring|everywhere|squirting|"
        r"pumping)\b|\b(?:bleeding|losing blood)\s+(?:a lot|heavily|badly|profusely|so much)|"
        r"\b(?:losing|lost\s+)?(?:a lot of|so much|lots of|tons of)\s+blood\b|\b(?:gushing"
        r"|spurting|"
        r"pouring|pumping|squirting)\s+(?:out\s+)?blood\b|\bsoak\w*\s+(?:through\s+)?"
        r"(?:\w+\s+){0,2}?(?:towels?|bandages?|gauze|shirt)\b|\bbleed\w*\s+through\s+(?:every|all|"
        r"several|multiple|\d+|two|three|four|the whole|a whole|one \w+ after another)\s+"
        r"(?:\w+\s+)?(?:towels?|bandages?|gauze|shirts?|clothes)\b"
    ), negatable=False),
    Rule(_EM, rx(
        r"\b(?:vomit\w*|throw\w* up|threw up|puk\w*|cough\w* up)\s+(?:up\s+)?(?:a lot of\s+|lots "
        r"of\s+|bright red\s+)?blood\b"
    )),
    Rule(_EM, rx(
        r"\b(?:throat|tongue|airway)\b[^.?!]{0,25}?\b(?:swell\w*|swollen|closing)\b"
    )),
    Rule(_EM, rx(
        r"\b(?:throat|tongue|lips?|face|mouth)\b[^.?!]{0,25}?\b(?:swell\w*|swollen|closing|"
        r"tight\w*|huge|puff\w*)\b"
    ), requires=rx(
        r"\b(?:st[iu]ng\w*|bee|wasp|hornet|hives|epi-?pen|wheez\w*|can't breathe|hard to breathe|"
        r"anaphyla\w*|allergic reaction)\b"
    )),
    Rule(_EM, rx(
        r"\b(?:throat|tongue|lips?|face|mouth|airway)\b[^.?!]{0,25}?\b(?:swell\w*|swollen|closing"
        r"|tight\w*)\b|\b(?:swell\w*|swollen)\b[^.?!]{0,15}\b(?:throat|tongue|lips?)\b"
    ), anchor="person", requires=rx(
        r"\b(?:st[iu]ng\w*|bee|wasp|ate|eating|food|peanuts?|nuts?|shrimp|shellfish|allerg\w*|"
        r"hives|epi-?pen|breath\w*|wheez\w*|fast|quickly|spreading)\b"
    )),
    Rule(_EM, rx(r"\b(?:used|gave|give|giving|jabbed)\s+(?:him |her |them |me )?(?:my |his |her "
                  r"|an |the )?epi-?pens?\b")),
    Rule(_EM, rx(r"\b(?:seiz\w*|convuls\w*)\b"), anchor="person", requires=rx(
        r"\b(?:won't stop|not stopping|isn't stopping|for (?:over |more than |about )?(?:\d+|"
        r"five|ten|several)\s*(?:min|mins|minutes)|right now|one after another|back to back|"
        r"(?:won't|isn't|not) wak\w*|first (?:ever )?seizure|(?:is|are|'s)\s+(?:having|seizing|"
        r"convulsing)|just had a seizure)"
    )),
    Rule(_EM, rx(r"\b(?:burn\w*|scald\w*|caught fire|on fire|boiling (?:water|oil)|hot (?:oil|"
                  r"grease))\b(?! (?:mouth|feet|tongue) syndrome)"), anchor="person",
         requires=rx(
             r"\bskin (?:is |looks )?(?:white|black|charred|leathery|peeling|gone)|charred|"
             r"leathery|third[- ]degree|3rd degree|severe|\bbig\b|large|huge|whole (?:arm|leg|"
             r"hand|chest|face|back|body)|all over|caught fire|on fire|electrical|chemical burn"
         ), excludes=rx(r"\bsunburn|\bheartburn|\bburning (?:sensation|when)")),
    Rule(_EM, rx(
        r"\b(?:hit|hurt|bumped|banged|struck|knocked)\s+(?:\w+\s+)?(?:in |on )?(?:the|his|her|my|"
        r"their)\s+head\b|\bhead injury\b|\bconcussion\b"
    ), requires=rx(
        r"\b(?:confus\w*|vomit\w*|throwing up|unconscious|passed out|knocked out|won't wake|"
        r"not making sense|seiz\w*|bleeding|double|blurr\w*|slurr\w*)"
    )),
    Rule(_EM, rx(r"\bheadache\b"), requires=rx(r"\b(?:worst|thunderclap)\b")),
    Rule(_EM, rx(r"\b(?:grabbed|grabbing|clutch\w*|holding)\s+(?:his|her|my)\s+chest\b"),
         requires=rx(r"\b(?:fell|collapsed|sweat\w*|gr[ae]y|pale|can't breathe|pass\w* out)\b")),
    Rule(_EM, rx(r"\b(?:car (?:crash|accident)|hit by a car|fell (?:off|from) (?:a|the) (?:roof|"
                  r"ladder|balcony))\b"), anchor="person",
         requires=rx(r"\b(?:bleeding|unconscious|not breathing|can't move|trapped|not moving|"
                     r"can't feel (?:his|her|my|their) (?:legs|arms|feet|hands|body))\b")),
    # A fall or crash with signs of a spinal injury (911 dispatch: paralysis after trauma).
    Rule(_EM, rx(r"\b(?:can't|cannot|unable to)\s+(?:feel|move)\s+(?:his|her|my|their)\s+(?:legs|"
                  r"arms|feet|hands|body|neck)\b"), anchor="person",
         requires=rx(r"\b(?:fell|fall(?:en)?|crash\w*|accident|hit by|dove|dived|thrown)\b")),
    Rule(_EM, rx(r"\bheavy bleeding\b|\bbleeding heavily\b"), anchor="person",
         requires=rx(r"\b(?:pregnan\w*|severe pain|dizz\w*|faint\w*|soak\w*|clots)\b")),
    Rule(_EM, rx(r"\b(?:about to|going to|gonna)\s+(?:pass out|faint|black out)\b"),
         anchor="first", excludes=rx(r"\b(?:when|whenever|sometimes|after|if)\b")),
    Rule(_EM, rx(r"\bdiabetic\b"), anchor="person", requires=rx(
        r"\b(?:confus\w*|not making sense|unresponsive|unconscious|passed out|seiz\w*|"
        r"won't wake)")),
    Rule(_EM, rx(r"\bheat ?stroke\b"), anchor="person", requires=rx(
        r"\b(?:confus\w*|passed out|stopped sweating|unconscious|seiz\w*|not making sense)")),
    Rule(_EM, rx(r"\bstiff neck\b|\bneck is stiff\b"), anchor="first",
         requires=rx(r"\bfever\b[^.?!]*\brash\b|\brash\b[^.?!]*\bfever\b")),
    Rule(_EM, rx(r"\bno (?:pulse|heartbeat)\b|\bheart (?:has )?stopped\b"), anchor="person",
         negatable=False),
    Rule(_EM, rx(
        r"\b(?:been|got|was|were|just)\s+(?:stabbed|shot)\b(?!\s+(?:of|up with))|\bgunshot wound\b"
        r"|\bbone\b[^.?!]{0,20}\b(?:sticking out|through the skin|poking out)|\bbent the wrong way"
        r"\b|\b(?:drowned|electrocuted)\b"
    )),
    Rule(_EM, rx(r"\binhaler\b[^.?!]{0,25}\b(?:isn't|is not|not|doesn't|does not|stopped)\s+"
                  r"(?:help\w*|work\w*)"), anchor="first"),
)

# --- support cues: wording that earns the calm support note beside an answer, never the card ---
# A question about a serious topic, or distress without a stated crisis. Sources: the 988
# Lifeline's guidance that anyone in emotional distress may call (not only when suicidal);
# Poison Control's scope (any exposure or overdose question, "call even if you are not sure");
# first-aid questions on the 911 dispatch conditions above. Matched per sentence, not negated.
SUPPORT_CUES: tuple[Rule, ...] = (
    Rule(_SH, rx(
        r"\bsuicid\w*|\bself[- ]?(?:harm|injur)\w*|\bkill(?:ing)? (?:yourself|oneself|themselves|"
        r"himself|herself)\b"
    )),
    Rule(_SH, rx(
        r"\bhopeless\w*|\bworthless\b|\bno hope\b|\bcan't (?:cope|go on|take (?:it|this|the pain) "
        r"any ?more|do this any ?more)\b|\bfeel(?:ing|s)? (?:so |very )?desperate\b|\bend of my "
        r"rope\b|\b(?:dark|bad) thoughts\b|\bgive up on (?:life|living|everything)\b"
    ), anchor="person"),
    Rule(_PO, rx(
        r"\boverdos(?:e|ed|es|ing)\b|\b(?:lethal|fatal|toxic|deadly) (?:dose|amount|level|"
        r"quantit(?:y|ies))s?\b|\bpoison(?:ed|ing|ous)?\b|\bingest(?:ed|ing)\b"
    ), excludes=rx(r"\b(?:food|blood) poisoning\b|\bpoison (?:ivy|oak|sumac)\b")),
    Rule(_EM, rx(
        r"\b(?:how (?:to|do you|do i|can i|should i|do we|can we) (?:treat|help|handle|respond to|"
        r"deal with|stop)|what (?:to|should i|do i|do you|should we) do (?:for|if|when|about|"
        r"during|with)|first aid|(?:necessary|need|have|should i|when) to go to (?:the )?(?:dr|"
        r"doctor|er|hospital|emergency))\b"
    ), requires=rx(
        r"\b(?:heart attack|cardiac arrest|(?<!heat )stroke|seizures?|convuls\w*|chok\w*|"
        r"anaphyla\w*|allergic reaction|unconscious|passed out|not breathing|stopped breathing|"
        r"severe bleeding|bleeding (?:heavily|badly)|head injury|skull fracture|concussion|"
        r"drown\w*|electric shock)\b"
    )),
)
# fmt: on
