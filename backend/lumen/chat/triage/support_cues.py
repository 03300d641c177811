"""Support cues: wording that earns the calm support note beside an answer, never the card.

A question about a serious topic, or distress without a stated crisis. Sources: the 988
Lifeline's guidance that anyone in emotional distress may call (not only when suicidal);
Poison Control's scope (any exposure or overdose question, "call even if you are not sure");
first-aid questions on the 911 dispatch conditions of ``emergency``. Matched per sentence, not
negated, in any tense.
"""

from __future__ import annotations

from lumen.chat.triage.rule import CrisisCategory, Rule, rx

_SH: CrisisCategory = "self_harm"
_PO: CrisisCategory = "poisoning"
_EM: CrisisCategory = "emergency"

# fmt: off
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
