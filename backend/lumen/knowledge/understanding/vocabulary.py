"""The focus vocabulary: every name the knowledge base knows a disease, drug or test by, and
finding those names in a consumer's message, typos included.

Names come from the sources themselves (``focus_terms``): MedQuAD's ``<Focus>`` and
``<Synonyms>``, a label's brand and generic names, and the foci MedQuAD names without holding
their text (MedlinePlus drugs, herbs, A.D.A.M.). Matching is exact on normalised word n-grams,
then approximate (Levenshtein ratio through RapidFuzz) for the rarer words of the message, so
"abetalipoproteimemia" still finds abetalipoproteinemia. How common an English word is
(``wordfreq``'s Zipf scale, Speer 2022: 7 ≈ "the", 3 ≈ once per 10 million words) decides both
which words are worth an approximate lookup and how much a match says: "gout" names a focus,
"pain" or "cold" barely does.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process
from wordfreq import zipf_frequency

# Longest name looked up, in words ("autosomal recessive polycystic kidney disease type 1").
MAX_TERM_WORDS = 7
# Words at or above this Zipf frequency are everyday English: never looked up approximately,
# and a name made only of such words is weak evidence of a focus.
COMMON_ZIPF = 4.5
# A word is rare enough to be worth an approximate lookup below this Zipf frequency, and from
# this many characters (short words have too many close neighbours: "gout" ~ "out").
FUZZY_MAX_ZIPF = 3.5
FUZZY_MIN_CHARS = 7
# Levenshtein ratio (0–100) a span needs to match a name approximately; 90 admits one edit in
# ten characters ("parkinsons disease" ~ "parkinson disease", 97).
FUZZY_MIN_RATIO = 90.0
# Spans whose closest name a vocabulary remembers. A rare word is looked up with its neighbours
# in four spans, each a scan of every name of near length (rapidfuzz); the same words recur
# from one message to the next ("metformin", "parkinsons disease"). A span, its answer and the
# cache's entry take about 200 bytes (tracemalloc, spans of 7-30 characters; the names are the
# vocabulary's), so 16,384 of them about 3.3 MB.
CLOSEST_CACHE_SIZE = 16_384
# The generic head of a name ("Klinefelter syndrome"): people write the rest alone
# ("males with Klinefelter's"), so a name whose other words are rare (Zipf < 3) is also known
# without it; and a span ending in one is worth an approximate lookup ("edward's syndrome").
HEAD_NOUNS = frozenset({"syndrome", "disease", "disorder", "deficiency"})
HEADLESS_MAX_ZIPF = 3.0
# Names that are only stop words, or shorter than this, are never matched.
MIN_TERM_CHARS = 3
# A focus scoring below this share of the best focus's score is not a focus of the message.
RELATIVE_FOCUS_SCORE = 0.5
MAX_FOCI = 3
# The first words of a message name its topic more often than later ones (and a consumer
# message often opens with a subject line: "about thalassemia treatment sir, my friend ..."):
# a name's weight by where it is first seen, in words.
OPENING_WORDS = 5
SUBJECT_WORDS = 12

_APOSTROPHE_S = re.compile(r"['’]s\b")
_APOSTROPHE = re.compile(r"['’]")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "that",
        "the",
        "their",
        "them",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "about",
        "all",
        "also",
        "any",
        "other",
        "type",
    ]
)


def normalise_term(text: str) -> str:
    """Case-folded, accents, possessive ``'s`` and apostrophes removed, words joined by single
    spaces: ``"Sjögren's Syndrome"`` → ``"sjogren syndrome"``, ``"I'm"`` → ``"im"``."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return _NON_WORD.sub(" ", _APOSTROPHE.sub("", _APOSTROPHE_S.sub("", text))).strip()


@dataclass(frozen=True, slots=True)
class FocusEntry:
    """What one name points to: a held document (``document_id``) or a public page Lumen does
    not hold (``document_id`` None, ``url`` where to read)."""

    name: str
    kind: str
    document_id: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class TermRecord:
    """One row of ``focus_terms`` as the vocabulary needs it."""

    term: str
    name: str
    kind: str
    document_id: str | None
    url: str | None


@dataclass
class Focus:
    """A focus found in a message: its name as the source writes it, the documents Lumen holds
    on it, the pages it does not hold, and the evidence (``score``, ``span`` of words)."""

    name: str
    kind: str
    document_ids: list[str] = field(default_factory=list)
    unheld_urls: list[str] = field(default_factory=list)
    score: float = 0.0
    first_word: int = 0
    matched: str = ""

    @property
    def held(self) -> bool:
        """True when Lumen holds at least one document on this focus."""
        return bool(self.document_ids)


@dataclass(frozen=True, slots=True)
class _Match:
    start: int  # word index
    end: int  # exclusive
    term: str
    ratio: float  # 100 for an exact match


class FocusVocabulary:
    """Names → entries, built from ``focus_terms`` rows; immutable once built, so threads may
    share it (the runtime swaps in a new one after an ingestion)."""

    def __init__(self, records: Iterable[TermRecord]) -> None:
        entries: dict[str, list[FocusEntry]] = defaultdict(list)
        for record in records:
            term = normalise_term(record.term)
            words = term.split()
            if len("".join(words)) < MIN_TERM_CHARS or all(w in _STOP_WORDS for w in words):
                continue
            entry = FocusEntry(record.name, record.kind, record.document_id, record.url)
            if entry not in entries[term]:
                entries[term].append(entry)
        for term, found in list(entries.items()):
            words = term.split()
            headless = " ".join(words[:-1])
            if (
                len(words) > 1
                and words[-1] in HEAD_NOUNS
                and headless not in entries
                and len(headless) >= 5
                and max(zipf_frequency(w, "en") for w in words[:-1]) < HEADLESS_MAX_ZIPF
            ):
                entries[headless] = found
        self._entries = dict(entries)
        # Acronyms that are also everyday words ("SAD", "ECT" no, "CAT", "AIDS"): matched only
        # when the message writes them in capitals ("I feel sad" is no seasonal affective
        # disorder).
        self._acronyms = frozenset(
            term
            for term, found in self._entries.items()
            if " " not in term
            and zipf_frequency(term, "en") >= FUZZY_MAX_ZIPF
            and any(_is_acronym(e.name) for e in found)
        )
        # Terms by word count, then by length, each list alphabetical (``_closest``).
        by_words: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
        for term in sorted(self._entries):
            by_words[len(term.split())][len(term)].append(term)
        self._by_words = {n: dict(by_length) for n, by_length in by_words.items()}
        # Per vocabulary, so a rebuilt one after an ingestion starts afresh.
        self._closest = lru_cache(maxsize=CLOSEST_CACHE_SIZE)(self._closest_of_words)

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self, name: str) -> list[FocusEntry]:
        """The entries of one name (normalised first); ``[]`` if unknown."""
        return list(self._entries.get(normalise_term(name), []))

    def find(self, message: str) -> list[Focus]:
        """The foci of ``message``, best first, at most ``MAX_FOCI``.

        Longer and exact matches win over the names they overlap; each focus is scored by how
        specific its words are (Zipf frequency), how many words it has, how close the match
        was, whether it sits in the message's first ``SUBJECT_WORDS`` words, and how often it
        recurs. Foci scoring under ``RELATIVE_FOCUS_SCORE`` of the best are dropped. Never
        raises; ``[]`` when nothing matches.
        """
        words = normalise_term(message).split()
        matches = [
            m
            for m in _resolve_overlaps(self._exact(words) + self._approximate(words))
            if m.term not in self._acronyms
            or re.search(rf"\b{re.escape(m.term.upper())}\b", message)
        ]
        foci: dict[tuple[str, ...], Focus] = {}
        for match in matches:
            entries = self._entries[match.term]
            key = tuple(sorted({e.document_id or e.url or e.name for e in entries}))
            score = _match_score(match)
            focus = foci.get(key)
            if focus is None:
                foci[key] = _focus_of(entries, match, score)
            else:  # the same focus again: more evidence, earliest mention kept
                focus.score = max(focus.score, score) + 0.1 * min(score, 1.0)
        ranked = sorted(foci.values(), key=lambda f: (-f.score, f.first_word))
        if not ranked:
            return []
        best = ranked[0].score
        return [f for f in ranked if f.score >= RELATIVE_FOCUS_SCORE * best][:MAX_FOCI]

    def _exact(self, words: Sequence[str]) -> list[_Match]:
        found = []
        for n in range(min(MAX_TERM_WORDS, len(words)), 0, -1):
            for start in range(len(words) - n + 1):
                term = " ".join(words[start : start + n])
                if term in self._entries:
                    found.append(_Match(start, start + n, term, 100.0))
        return found

    def _approximate(self, words: Sequence[str]) -> list[_Match]:
        found = []
        for start, word in enumerate(words):
            if word in HEAD_NOUNS and start > 0 and len(words[start - 1]) >= 5:
                spans = [(start - 1, start + 1)]  # "edward syndrome" ~ "edwards syndrome"
            elif len(word) < FUZZY_MIN_CHARS or zipf_frequency(word, "en") >= FUZZY_MAX_ZIPF:
                continue
            else:  # the rare word alone, and with its neighbours ("parkinsons disease")
                spans = [(start + a, start + b) for a, b in ((0, 1), (0, 2), (-1, 1), (-1, 2))]
            for first, last in spans:
                if first < 0 or last > len(words):
                    continue
                span = " ".join(words[first:last])
                if span in self._entries:
                    continue
                best = self._closest(span, last - first)
                if best is not None:
                    found.append(_Match(first, last, *best))
        return found

    def _closest_of_words(self, span: str, words: int) -> tuple[str, float] | None:
        return _closest(span, self._by_words.get(words, {}))


def _closest(span: str, by_length: Mapping[int, list[str]]) -> tuple[str, float] | None:
    """The term of ``by_length`` (terms by their length in characters) closest to ``span`` by
    rapidfuzz's ``fuzz.ratio``, at least ``FUZZY_MIN_RATIO``; of equally close ones the
    alphabetically first. ``None`` if none is that close.

    Only lengths that can reach the ratio are compared: ``fuzz.ratio`` is
    ``100 * (1 - indel / (a + b))`` for lengths ``a`` and ``b``, and the Indel distance is at
    least ``|a - b|``, so the ratio is at most ``200 * min(a, b) / (a + b)``. At 90 that keeps
    lengths within about -18 % and +22 % of the span's. On the full index (18,411 names) this
    took focus matching from 1.24 to 0.52 ms per message, with the same foci for the 220 dev
    questions and 174 consumer messages (issue 11).
    """
    bound = FUZZY_MIN_RATIO / 100
    shortest = math.ceil(len(span) * bound / (2 - bound) - 1e-9)
    longest = math.floor(len(span) * (2 - bound) / bound + 1e-9)
    best: tuple[str, float] | None = None
    for length in range(shortest, longest + 1):
        choices = by_length.get(length)
        if not choices:
            continue
        found = process.extractOne(span, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_RATIO)
        if found is None:
            continue
        term, ratio = found[0], float(found[1])
        if best is None or ratio > best[1] or (ratio == best[1] and term < best[0]):
            best = (term, ratio)
    return best


def _is_acronym(name: str) -> bool:
    letters = re.sub(r"[^A-Za-z]", "", name)
    return 1 < len(letters) <= 6 and letters.isupper()


def _resolve_overlaps(matches: list[_Match]) -> list[_Match]:
    """Keep the longest (then closest) of overlapping matches; mentions in order."""
    chosen: list[_Match] = []
    taken: set[int] = set()
    for match in sorted(matches, key=lambda m: (-(m.end - m.start), -m.ratio, m.start)):
        span = set(range(match.start, match.end))
        if span & taken:
            continue
        taken |= span
        chosen.append(match)
    return sorted(chosen, key=lambda m: m.start)


def _specificity(term: str) -> float:
    """How much a name says about a message's topic, from how common its rarest word is:
    1.0 up to Zipf 3 (rarer than once in 10 million words), 0.3 from Zipf 4.2 ("anxiety",
    "smoking", "burns": real foci, and everyday words too). A name of several words is rarely
    used by accident ("breast cancer", "frozen shoulder"), so it keeps at least 0.6."""
    words = term.split()
    rarest = min(zipf_frequency(word, "en") for word in words)
    single = max(0.3, min(1.0, 1.0 - (rarest - 3.0) * 0.57))
    return max(0.6, single) if len(words) > 1 else single


def _match_score(match: _Match) -> float:
    length = 1.0 + 0.15 * (match.end - match.start - 1)
    if match.start < OPENING_WORDS:
        position = 1.0
    elif match.start < SUBJECT_WORDS:
        position = 0.9
    else:
        position = 0.8
    closeness = (match.ratio / 100.0) ** 2
    return _specificity(match.term) * length * position * closeness


def _focus_of(entries: list[FocusEntry], match: _Match, score: float) -> Focus:
    held = [e for e in entries if e.document_id is not None]
    named = (held or entries)[0]
    return Focus(
        name=named.name,
        kind=named.kind,
        document_ids=list(dict.fromkeys(e.document_id for e in held if e.document_id)),
        unheld_urls=list(dict.fromkeys(e.url for e in entries if e.document_id is None and e.url)),
        score=score,
        first_word=match.start,
        matched=match.term,
    )
