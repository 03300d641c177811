"""Curated poisoning rules: ingestion, overdose, dosing errors and toxic exposure happening now.

Sources for the phrasings: the situations Poison Control (America's Poison Centers) asks
callers about. Kept compact (one rule, one block) rather than formatter-expanded: the table is
read as a table and grows by rows.
"""

from __future__ import annotations

from lumen.chat.triage.rule import CrisisCategory, Rule, rx

_PO: CrisisCategory = "poisoning"
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
POISONING_RULES: tuple[Rule, ...] = (
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
)
# fmt: on
