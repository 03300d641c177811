"""Curated crisis patterns: first-person or witnessed, happening-now statements of self-harm,
poisoning and medical emergencies.

A rule's match counts as a crisis happening now (the crisis card) only when its sentence is
about a real person now: not negated ("I'm not suicidal"), not historical ("when I was 19",
"last year"), not hypothetical or generic ("if someone is having a seizure"), and not an
impersonal question ("What is the treatment for a stroke?"). A match in a historical,
hypothetical or impersonal sentence counts as ``not_now``: the support tier. Negated and
reported mentions count in neither. Rules that need context name it: ``anchor`` (the sentence
names the person concerned) and ``requires`` (an acute sign anywhere in the message, e.g. chest
pain *with* breathlessness). The support cues (serious-topic questions, distress words) are
matched the same way, in any tense.

The rules and cues themselves, with their sources, are in ``self_harm``, ``poisoning``,
``emergency`` and ``support_cues``; what a rule is, in ``rule``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from lumen.chat.triage.emergency import EMERGENCY_RULES
from lumen.chat.triage.poisoning import POISONING_RULES
from lumen.chat.triage.rule import FIRST_PERSON, PERSON, CrisisCategory, Rule, rx
from lumen.chat.triage.self_harm import SELF_HARM_RULES
from lumen.chat.triage.support_cues import SUPPORT_CUES

RULES: tuple[Rule, ...] = (*SELF_HARM_RULES, *POISONING_RULES, *EMERGENCY_RULES)

_PRECEDENCE: tuple[CrisisCategory, ...] = ("self_harm", "poisoning", "emergency")


# Typed messages drop apostrophes ("dont", "im"); restore them so one spelling per rule suffices.
_CONTRACTIONS = {
    "dont": "don't", "cant": "can't", "wont": "won't", "isnt": "isn't", "doesnt": "doesn't",
    "didnt": "didn't", "wasnt": "wasn't", "arent": "aren't", "couldnt": "couldn't",
    "wouldnt": "wouldn't", "im": "i'm", "ive": "i've", "hes": "he's", "shes": "she's",
    "theyre": "they're", "u": "you", "ur": "your", "bc": "because", "myslef": "myself",
}  # fmt: skip
_WORD = re.compile(r"[a-z']+")
_SENTENCE_END = re.compile(r"[.!?;\n]+|\bbut\b")

_NEGATION = rx(r"\b(?:not|never|no|nor|without)\b|n't\b")
# A question someone else asked is no statement ("my therapist asked if I'm suicidal").
_REPORTED = rx(
    r"\bask(?:s|ed|ing)?\s+(?:me\s+)?(?:if|whether|about)\b|\bscreen(?:ing|ed)?\s+(?:me\s+)?for\b|"
    r"\b(?:leaflet|label|insert|warning|article|website|study|box) (?:mentions?|says?|said|warns?|"
    r"lists?)\b"
)
# "almost drank the bleach": a near miss is no ingestion (but an aborted suicide attempt is
# still self-harm, so this applies to poisoning rules only).
_NEAR_MISS = rx(r"\b(?:almost|nearly)\s+(?:\w+\s+)?$")
# "not sure if I overdosed", "can't stop thinking about dying": the negation is elsewhere.
_NOT_A_NEGATION = rx(
    r"(?:n't|\bnot|\bnever)\s+(?:sure|certain|know|remember|stop|help|wait|tell|take|handle|"
    r"cope|go on|see|breathe?|catch)\b"
)
_CLAUSE_BREAK = rx(r"[,:]|\b(?:and|or|so|because|just)\b")
_HISTORY = rx(
    r"\b(?:years?|months?|decades?)\s+(?:ago|back)\b|\blast (?:year|summer|winter|spring|fall|"
    r"autumn|month)\b|\bwhen (?:i|he|she|they) (?:was|were)\b|\bas a (?:teen|teenager|kid|child|"
    r"student)\b|\bin (?:high school|college|my (?:teens|twenties|20s))\b|\bused to\b|"
    r"\bin (?:19|20)\d\d\b|\bin the past\b|\bhistory of\b|\bhad in (?:january|february|march|"
    r"april|may|june|july|august|september|october|november|december)\b"
)
_RECENT = rx(r"\b(?:again|tonight|today|right now|last night|this (?:morning|evening)|currently)\b")
_HYPOTHETICAL = rx(
    r"\b(?:if|when|whenever|in case)\s+(?:someone|somebody|a person|a child|a kid|a baby|"
    r"a patient|you|your|people|one)\b|\b(?:someone|somebody|a person|people|patients?|"
    r"children|kids)\s+(?:who|that)\b|\bhow (?:do|can|should|would) (?:you|one)\b|"
    r"\bwhat (?:does|do|is)\s+['\"]"
)
_QUESTION_START = rx(
    r"^\W*(?:what|why|how|when|which|who|where|can|could|does|do|is|are|should|will|would)\b"
)


def normalise(message: str) -> str:
    """Lower-case, straighten apostrophes and restore dropped ones ("dont" -> "don't")."""
    text = message.lower().replace("\u2019", "'").replace("\u2018", "'")
    return _WORD.sub(lambda m: _CONTRACTIONS.get(m.group(0), m.group(0)), text)


def _negated(sentence: str, start: int, category: CrisisCategory) -> bool:
    # Scope: the last five words before the match, within its clause.
    clause = _CLAUSE_BREAK.split(sentence[:start])[-1]
    window = " ".join(clause.split()[-5:])
    if category == "poisoning" and _NEAR_MISS.search(window + " "):
        return True
    return bool(_NEGATION.search(_NOT_A_NEGATION.sub(" ", window)) or _REPORTED.search(clause))


def _anchored(sentence: str, anchor: Literal["first", "person"] | None) -> bool:
    if anchor is None:
        return True
    return bool((FIRST_PERSON if anchor == "first" else PERSON).search(sentence))


def _past_or_generic(sentence: str) -> bool:
    return bool(
        _HYPOTHETICAL.search(sentence)
        or (_HISTORY.search(sentence) and not _RECENT.search(sentence))
    )


def past_or_generic(text: str) -> bool:
    """True when every sentence of ``text`` is historical ("last year", "when I was 19") or a
    hypothetical or generic scenario ("if someone ..."): nothing in it happens now."""
    sentences = [s for s in _SENTENCE_END.split(normalise(text)) if s.strip()]
    return bool(sentences) and all(_past_or_generic(s) for s in sentences)


@dataclass(frozen=True)
class PatternMatches:
    """What the curated rules found in one message, by tier.

    ``now``: the most specific category whose rule fired on a sentence about a real person now
    (the crisis card). ``not_now``: the same rules' wording in a sentence that is historical,
    hypothetical or generic, or an impersonal question ("what should I do if someone is having
    a seizure?", "I tried to kill myself when I was 19"): no card, but the support note.
    Negated and reported mentions count in neither.
    """

    now: CrisisCategory | None
    not_now: CrisisCategory | None


def scan_patterns(message: str) -> PatternMatches:
    """Run the curated rules over each sentence of ``message``; pure function, no I/O.

    Each tier keeps the most specific category among the rules that fire (self-harm, then
    poisoning, then emergency).
    """
    text = normalise(message)
    now: set[CrisisCategory] = set()
    not_now: set[CrisisCategory] = set()
    for sentence in _SENTENCE_END.split(text):
        if not sentence.strip():
            continue
        not_about_now = _past_or_generic(sentence)
        impersonal_question = bool(_QUESTION_START.search(sentence) and not PERSON.search(sentence))
        for rule in RULES:
            if _fires(rule, sentence, text):
                generic = impersonal_question and not rule.personal
                (not_now if not_about_now or generic else now).add(rule.category)
    return PatternMatches(now=_most_specific(now), not_now=_most_specific(not_now))


def match_patterns(message: str) -> CrisisCategory | None:
    """The category of a crisis the message states is happening now, or None.

    Returns ``scan_patterns(message).now``: the most specific category among the rules that
    fire on a present, personal sentence (self-harm, then poisoning, then emergency).
    """
    return scan_patterns(message).now


def match_support_cues(message: str) -> CrisisCategory | None:
    """The category of a support cue in ``message`` (``support_cues.SUPPORT_CUES``), or None.

    A cue is a question about a serious topic ("how many sleeping pills would be an overdose?")
    or distress without a stated crisis ("I feel hopeless"), in any tense; negated and reported
    mentions do not count. It earns the support note, never the card. Pure function.
    """
    text = normalise(message)
    found: set[CrisisCategory] = set()
    for sentence in _SENTENCE_END.split(text):
        if sentence.strip():
            found.update(cue.category for cue in SUPPORT_CUES if _fires(cue, sentence, text))
    return _most_specific(found)


def _fires(rule: Rule, sentence: str, text: str) -> bool:
    for match in rule.pattern.finditer(sentence):
        if rule.excludes and rule.excludes.search(sentence):
            return False
        if not _anchored(sentence, rule.anchor):
            return False
        if rule.requires and not rule.requires.search(text):
            return False
        if rule.negatable and _negated(sentence, match.start(), rule.category):
            continue
        return True
    return False


def _most_specific(found: set[CrisisCategory]) -> CrisisCategory | None:
    # The most specific answer wins: an overdose taken to die is self-harm; an unconscious
    # person beside an empty pill bottle is poisoning (its answer also says call 911).
    return next((c for c in _PRECEDENCE if c in found), None)
