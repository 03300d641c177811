"""Curated emergency rules: medical emergencies happening now, the conditions 911 dispatch
protocols ask about.

Sources for the phrasings: the American Heart Association's stroke (BE FAST) and heart-attack
warning signs and 911 dispatch protocols. Kept compact (one rule, one block) rather than
formatter-expanded: the table is read as a table and grows by rows.
"""

from __future__ import annotations

from lumen.chat.triage.rule import CrisisCategory, Rule, rx

_EM: CrisisCategory = "emergency"

# fmt: off
EMERGENCY_RULES: tuple[Rule, ...] = (
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
# fmt: on
