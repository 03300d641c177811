"""Sub-questions: the parts of a consumer's message that ask something.

Real messages to a health service carry a subject line, greetings, names, background and often
several questions ("… how to get it diagnosed and how to manage, many thanks"). Retrieval
should chase the questions, not the background (Kilicoglu et al., "Semantic annotation of
consumer health questions", BMC Bioinformatics 2018: a request is a question sentence or an
imperative/declarative request for information). A sentence asks when it ends with a question
mark, opens with an interrogative or auxiliary verb, or states a request ("I would like to
know", "please tell me", "any information on"). Greetings, sign-offs and the ``[NAME]``-style
placeholders of de-identified text are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lumen.knowledge.sentences import split_sentences

MAX_SUBQUESTIONS = 3
# A request shorter than this many words says too little alone ("Why?"): it is joined to the
# sentence before it.
MIN_WORDS = 3

_PLACEHOLDER = re.compile(r"\[(?:NAME|CONTACT|LOCATION|DATE|AGE|ID|EMAIL|PHONE|URL)\]", re.I)
_GREETING = re.compile(
    r"^(?:hi+|hello|hey|dear\b[^,.!?]*|good (?:morning|afternoon|evening)|greetings|sir|madam|"
    r"thanks?(?: you)?(?: (?:so|very) much)?(?: in advance)?|many thanks|regards|best|"
    r"sincerely|cheers|god bless(?: you)?|please help(?: me)?|help)[\s,.!:;-]*",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^(?:thank|thanks|many thanks|regards|sincerely|god bless|looking forward|hope to hear|"
    r"appreciate|i appreciate|waiting for your)\b",
    re.IGNORECASE,
)
_INTERROGATIVE = re.compile(
    r"^(?:what|what's|whats|how|why|when|where|which|who|whom|whose|is|are|am|was|were|can|"
    r"could|do|does|did|should|shall|will|would|may|might|has|have|had|isn't|aren't|can't|"
    r"won't|doesn't|don't)\b",
    re.IGNORECASE,
)
_REQUEST = re.compile(
    r"\b(?:(?:would|'d) like to (?:know|learn|find out|ask)|want(?:ed)? to (?:know|learn|"
    r"ask|find out)|(?:wish|need|needs|needed) to know|wondering|wonder (?:if|whether|what|how)|"
    r"(?:please|kindly|pls|plz) (?:tell|let|send|advise|explain|help|give|provide|suggest|"
    r"inform|mail|share|guide)|(?:can|could) you (?:tell|send|help|give|explain|please|"
    r"suggest|recommend|provide|mail)|(?:looking|searching) for (?:information|info|help|"
    r"a cure|treatment|a doctor|answers)|(?:any|some|more) (?:information|info|help|advice|"
    r"suggestions?|answers?)(?: (?:about|on|regarding|for))?|i (?:need|want) (?:information|"
    r"info|help|advice|to find)|is there (?:any|a|anything)|are there (?:any|other)|"
    r"do you have|tell me (?:about|more|if|how|what|why))\b",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class SubQuestion:
    """One ask of a message: its text as written (trimmed), and where it is in the message."""

    text: str
    start: int
    end: int


def clean_message(message: str) -> str:
    """The message without de-identification placeholders, runs of blanks collapsed."""
    return _SPACES.sub(" ", _PLACEHOLDER.sub(" ", message)).strip()


def is_request(sentence: str) -> bool:
    """Whether a sentence asks for something (question mark, interrogative opening, or a stated
    request); see the module docstring."""
    text = _strip_greeting(sentence)
    if not text or _SIGN_OFF.match(text):
        return False
    return text.rstrip().endswith("?") or bool(_INTERROGATIVE.match(text) or _REQUEST.search(text))


def subquestions(message: str) -> list[SubQuestion]:
    """The sub-questions of ``message``, in order, at most ``MAX_SUBQUESTIONS``.

    Each is a sentence that asks (``is_request``), its greeting removed; one too short to
    stand alone is joined to the sentence before. With no asking sentence, the whole message
    (without greetings and sign-offs) is the one sub-question, so every non-empty message has
    at least one. Offsets index ``message``.
    """
    units = [s for s in split_sentences(message) if _PLACEHOLDER.sub("", s.text).strip()]
    asks: list[SubQuestion] = []
    previous: SubQuestion | None = None
    for unit in units:
        stripped = _strip_greeting(unit.text)
        if not stripped:
            continue
        start = unit.start + (len(unit.text) - len(stripped))
        current = SubQuestion(clean_message(stripped), start, unit.end)
        if is_request(unit.text):
            if len(current.text.split()) < MIN_WORDS and previous is not None:
                current = SubQuestion(
                    clean_message(message[previous.start : unit.end]), previous.start, unit.end
                )
            asks.append(current)
        previous = current
    if asks:
        return _merge_to_limit(asks)
    kept = [
        u for u in units if _strip_greeting(u.text) and not _SIGN_OFF.match(_strip_greeting(u.text))
    ]
    if not kept:
        text = clean_message(message)
        return [SubQuestion(text, 0, len(message))] if text else []
    first = _strip_greeting(kept[0].text)
    start = kept[0].start + max(kept[0].text.find(first[:20]), 0)
    end = kept[-1].end
    return [SubQuestion(clean_message(message[start:end]), start, end)]


def _strip_greeting(text: str) -> str:
    """``text`` without leading greetings ("Hi, dear sir, …") and placeholders."""
    text = _PLACEHOLDER.sub(" ", text).strip()
    while True:
        match = _GREETING.match(text)
        if match is None or match.end() == 0:
            return text
        # "Help" and "please help" open sentences that ask ("help me understand …") too: only
        # strip them when a separator follows.
        if match.group().strip().lower() in ("help", "please help", "please help me") and not (
            re.search(r"[,.!:;-]\s*$", match.group())
        ):
            return text
        text = text[match.end() :].strip()


def _merge_to_limit(asks: list[SubQuestion]) -> list[SubQuestion]:
    """The first ``MAX_SUBQUESTIONS - 1`` asks, and the rest joined into the last one."""
    if len(asks) <= MAX_SUBQUESTIONS:
        return asks
    head, tail = asks[: MAX_SUBQUESTIONS - 1], asks[MAX_SUBQUESTIONS - 1 :]
    joined = SubQuestion(" ".join(a.text for a in tail), tail[0].start, tail[-1].end)
    return [*head, joined]
