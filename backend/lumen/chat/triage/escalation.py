"""What Lumen says when triage fires: the escalation answer (the crisis card, instead of a
medical answer) and the support note (beside a normal answer, on a weaker signal).

Calm and direct, the action first. Numbers: 988 Suicide & Crisis Lifeline (call or text 988,
chat at 988lifeline.org; SAMHSA); Poison Help line 1-800-222-1222 (America's Poison Centers,
US, 24/7); 911. Advice lines follow those services' public guidance: do not make a poisoned
person vomit unless told to, keep the container; do not drive yourself with heart-attack or
stroke signs (American Heart Association).
"""

from __future__ import annotations

from typing import Final

OUTSIDE_US: Final = "Outside the US, call your local emergency number."

_SELF_HARM: Final = f"""\
**You don't have to face this alone. Please reach out for support right now.**

- **Call or text 988** to reach the 988 Suicide & Crisis Lifeline (US): free, confidential, \
24 hours a day. You can also chat at [988lifeline.org](https://988lifeline.org).
- **If you are in immediate danger, or you have already hurt yourself or taken something, \
call 911 now.**
- If you are worried about someone else, you can call 988 for them too, and stay with them \
if it is safe.
- {OUTSIDE_US}

If you can, put distance between yourself and anything you could use to hurt yourself, and \
ask someone you trust to be with you. Lumen cannot give crisis care; the people at 988 can, \
right now.
"""

_POISONING: Final = f"""\
**This may be a poisoning or an overdose. Get expert help now; don't wait for symptoms.**

- **Call Poison Control at 1-800-222-1222** (US, free, 24 hours a day). Specialists will tell \
you exactly what to do.
- **Call 911 now if the person is unconscious or hard to wake, has trouble breathing, or is \
having a seizure.**
- Do not make the person vomit unless Poison Control tells you to.
- Keep the container or pill bottle at hand, so you can say what was taken, how much and when.
- {OUTSIDE_US}
"""

_EMERGENCY: Final = f"""\
**This may be a medical emergency. Call 911 now. Do not wait to see if it gets better.**

- Call 911 or your local emergency number right away; the dispatcher can guide you (CPR, \
stopping bleeding, what to do until help arrives).
- Do not drive yourself if you have chest pain, signs of a stroke or trouble breathing; an \
ambulance can start treatment on the way.
- If an epinephrine auto-injector has been prescribed for a severe allergic reaction, use it, \
and still call 911.
- {OUTSIDE_US}
"""

_ANSWERS: Final = {"self_harm": _SELF_HARM, "poisoning": _POISONING, "emergency": _EMERGENCY}


def escalation_answer(category: str) -> str:
    """The Markdown answer for a triage category (``self_harm``, ``poisoning``, ``emergency``).

    Raises ValueError for any other category.
    """
    try:
        return _ANSWERS[category]
    except KeyError:
        raise ValueError(f"no escalation answer for category {category!r}") from None


# The support note: calm, one resource per category first, always the way to act now. Fixed
# wording that never quotes the message. The 988 Lifeline takes any emotional distress, not
# only suicidal thoughts (988lifeline.org); Poison Control asks to be called "even if you are
# not sure" (America's Poison Centers).
_SUPPORT_NOTES: Final = {
    "self_harm": (
        "If you are going through a hard time, or thinking about suicide or self-harm, you can "
        "call or text 988 (Suicide & Crisis Lifeline, US, free, 24/7) or chat at "
        "988lifeline.org. If this is happening now and someone is in danger, call 911."
    ),
    "poisoning": (
        "If someone may have swallowed, breathed in or touched something harmful, or taken too "
        "much of a medicine, call Poison Control at 1-800-222-1222 (US, free, 24/7), even if "
        "you are not sure. If this is happening now and the person is hard to wake, has trouble "
        "breathing or is having a seizure, call 911."
    ),
    "emergency": (
        "If this is happening now, or symptoms are sudden or severe, call 911 or your local "
        "emergency number; do not wait for an answer here. For anything else, a clinician or "
        "an urgent-care clinic can help."
    ),
}


def support_note(category: str) -> str:
    """The plain-text support note for a triage category (``self_harm``, ``poisoning``,
    ``emergency``), shown beside a normal answer; it holds no message text.

    Raises ValueError for any other category.
    """
    try:
        return _SUPPORT_NOTES[category]
    except KeyError:
        raise ValueError(f"no support note for category {category!r}") from None
