"""Sentence and list-item splitting with character offsets, for quoting passages verbatim.

MedQuAD answers mix prose with lists that its XML flattened into one line: items start with
``- `` at the start of a line or after a run of spaces (``"…are:    - To filter …    - To make
…"``). Such items are split off first; each piece is then cut into sentences by syntok
(a rule-based segmenter that keeps token offsets and knows abbreviations such as "e.g.",
"Dr." and "U.S."). A heading run into the sentence after it ("Symptoms of Glaucoma Glaucoma
can …") becomes a unit of its own. Offsets always index the text given, so
``text[s.start:s.end] == s.text``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from syntok import segmenter  # type: ignore[import-untyped]

# Where a line breaks into pieces: a list marker (a dash or bullet at the start of the line or
# after two or more blanks, then blanks; a single-spaced " - " is prose: "any part of your
# neck - muscles, bones - can …"), or a run of three or more blanks, which is where MedQuAD's
# flattening joined paragraphs and attributions ("… every six months.    NIH: …").
_BREAK = re.compile(r"(?:^|(?<=[ \t]{2}))(?P<marker>[-•*])[ \t]+(?=\S)|[ \t]{3,}")
# "Genetic Testing Registry: …", "NIH: …": a link or attribution, not a statement.
_LABEL = re.compile(r"(?:[A-Z][\w'&.-]*[ \t]+)*[A-Z][\w'&.-]*[ \t]*:")
_CAPITALISED_WORD = re.compile(r"\b[A-Z]")
_LINE = re.compile(r"[^\n]+")
_WORD = re.compile(r"\w+")
_CLOSERS = "\"')]”’»"

# Source boilerplate that is no statement about the question: GARD's notes on its symptom
# tables, pointers to other sites and pages, and link lists' lead-ins.
_BOILERPLATE = re.compile(
    r"Human Phenotype Ontology|MedlinePlus Medical Dictionary|the table below|\bOrphanet\b|"
    r"\bclick\b|\bvisit\b|watch the video|glossary|https?://|www\.|\.(?:gov|org|com)\b|"
    r"resources address|"
    r"(?:see|read) (?:the|our|this) (?:page|section|fact sheet|article)|this (?:page|website|"
    r"fact sheet|section) (?:lists|provides|has)|(?:more|additional) information (?:is|can be) "
    r"found|contact (?:us|GARD)|Genetic and Rare Diseases Information Center|"
    # the statements every FDA Medication Guide ends its side-effects section with (21 CFR
    # 208.20): true, but no answer to what the side effects are
    r"not all (?:of )?the possible side effects|for medical advice about side effects|"
    r"report side effects to (?:the )?FDA|1-800-FDA-1088|ask your (?:doctor|pharmacist|"
    r"healthcare provider) for more information|side effect that bothers you",
    re.IGNORECASE,
)
# A heading the source ran into its first sentence ("Symptoms of Glaucoma Glaucoma can …",
# "How Glaucoma Develops There are …"): capitalised words (and the small words of titles), then
# the sentence, which opens with a word of the heading again or with a sentence opener.
_GLUED_HEADING = re.compile(
    r"^(?P<heading>(?:[A-Z][\w'’-]*|of|and|the|for|in|to|with|a|an|or|vs\.?)"
    r"(?:\s+(?:[A-Z][\w'’-]*|of|and|the|for|in|to|with|a|an|or)){1,9})\s+(?P<first>[A-Z][\w'’-]*)"
)

# Words that open sentences and never end a heading ("How Glaucoma Develops There are …").
_SENTENCE_OPENERS = frozenset(
    {"There", "The", "This", "These", "That", "Those", "It", "They", "Most", "Some", "Many", "A"}
    | {"If", "When", "About", "Each", "Every", "People", "Your", "You", "With", "In", "For"}
)

MIN_WORDS = 4
# Passages whose split is kept (a chunk is at most 900 characters: a few MB at most).
SPLIT_CACHE_SIZE = 4096
# Longer units are flattened tables or run-ons: poor answers, and each costs embedding time.
MAX_CHARS = 400
# Verdicts of ``is_answer_sentence`` kept: about the sentences of the passages split above.
VERDICT_CACHE_SIZE = 40_000


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence (or list item) of a passage: ``passage[start:end] == text``.

    ``list_item`` is true for text that follows a list marker; items often lack a full stop.
    """

    start: int
    end: int
    text: str
    list_item: bool


@lru_cache(maxsize=SPLIT_CACHE_SIZE)
def split_sentences(text: str) -> tuple[Sentence, ...]:
    """Split ``text`` into sentences and list items, in order, with offsets into ``text``.

    Lines are split first (MedQuAD puts headings and paragraphs on their own lines), then list
    items, then sentences within each piece. Whitespace around each unit is excluded; list
    markers are excluded from the items they introduce. Cached: retrieval (is a section
    quotable?) and the extractive engine split the same popular passages again and again.
    """
    sentences: list[Sentence] = []
    for line in _LINE.finditer(text):
        pieces = _pieces(line.group(), line.start())
        for start, end, list_item in pieces:
            sentences.extend(_segment(text, start, end, list_item))
    return tuple(sentences)


@lru_cache(maxsize=VERDICT_CACHE_SIZE)
def is_answer_sentence(sentence: Sentence) -> bool:
    """Whether a unit can stand in an answer on its own (kept per sentence: the passages
    of popular questions are judged again for every answer, and the patterns below were a
    twentieth of the server's Python work under load).

    Rejects fragments of fewer than ``MIN_WORDS`` words, units longer than ``MAX_CHARS``, source
    boilerplate (symptom-table notes, links and pointers to other pages),
    questions (MedQuAD's headings such as "What are the signs and symptoms of …?"), lead-ins
    that end with a colon, prose that neither starts like a sentence nor ends with terminal
    punctuation (headings such as "Key Points", or a passage cut mid-sentence), and list items
    without a full stop that read as titles or links ("Gene Review: Gene Review: Timothy
    Syndrome", "PRETEXT and POSTTEXT Group IV").
    """
    text = sentence.text
    words = _WORD.findall(text)
    if len(words) < MIN_WORDS or len(text) > MAX_CHARS or _BOILERPLATE.search(text):
        return False
    tail = text.rstrip(_CLOSERS)
    if tail.endswith(("?", ":")):
        return False
    if tail.endswith((".", "!")):
        return not text[0].islower() or sentence.list_item
    if not sentence.list_item:
        return False
    capitalised = len(_CAPITALISED_WORD.findall(text))
    return capitalised * 2 < len(words) and not _LABEL.match(text)


def _pieces(line: str, offset: int) -> list[tuple[int, int, bool]]:
    """Cut one line at its list markers and blank runs: ``(start, end, list_item)``, with
    offsets into the whole text."""
    pieces: list[tuple[int, int, bool]] = []
    start, list_item = 0, False
    for cut in _BREAK.finditer(line):
        pieces.append((offset + start, offset + cut.start(), list_item))
        start, list_item = cut.end(), cut.group("marker") is not None
    pieces.append((offset + start, offset + len(line), list_item))
    return pieces


def _segment(text: str, start: int, end: int, list_item: bool) -> list[Sentence]:
    """Run syntok over ``text[start:end]`` and map its token offsets back onto ``text``."""
    piece = text[start:end]
    if not piece.strip():
        return []
    found: list[Sentence] = []
    for paragraph in segmenter.analyze(piece):
        for sentence_tokens in paragraph:
            # syntok ends a text with an empty token that carries the trailing blanks.
            tokens = [token for token in sentence_tokens if token.value]
            if not tokens:
                continue
            first, last = tokens[0], tokens[-1]
            begin = start + first.offset
            finish = start + last.offset + len(last.value)
            found.extend(_unglue(text, begin, finish, list_item))
    return found


def _unglue(text: str, start: int, end: int, list_item: bool) -> list[Sentence]:
    """The unit ``text[start:end]``, split in two when it opens with a heading run into its
    first sentence (``_GLUED_HEADING``: the sentence's first word is one of the heading's, or a
    word that opens sentences, such as "There")."""
    unit = text[start:end]
    match = _GLUED_HEADING.match(unit)
    if match is not None and not list_item:
        heading_words = {w.casefold() for w in match.group("heading").split()}
        first = match.group("first")
        if first.casefold() in heading_words or (
            first in _SENTENCE_OPENERS and len(heading_words) >= 2
        ):
            cut = start + match.start("first")
            heading_end = start + len(match.group("heading"))
            return [
                Sentence(start, heading_end, text[start:heading_end], False),
                Sentence(cut, end, text[cut:end], False),
            ]
    return [Sentence(start, end, unit, list_item)]
