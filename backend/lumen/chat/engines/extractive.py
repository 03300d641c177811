"""The extractive answer engine: the passages of the sources that best answer the question.

No language model writes anything: every sentence of an answer is quoted verbatim from a
retrieved passage and followed by the ``[n]`` of its source; when nothing retrieved is relevant
enough the answer is the fixed ``NO_ANSWER`` sentence, with no citation.

Composition, one sub-question at a time (question understanding splits a message into
sub-questions and gives each its retrieval query): the sentence that best answers the
sub-question (cosine of all-MiniLM-L6-v2 embeddings, less a small penalty per place down the
retrieval ranking) leads, quoted with its context as a coherent passage: the sentence before
it when it opens with a reference back ("This chemical…", "These…"), and the sentences that
follow it in the same paragraph, up to ``PASSAGE_SENTENCES``. Supporting sentences from other
sources follow by Maximal Marginal Relevance (Carbonell & Goldstein, "The use of MMR,
diversity-based reranking for reordering documents and producing summaries", SIGIR 1998), so
that near-repeats (MedQuAD's "Key Points" restate the text below them; GARD and GHR share
answers) do not crowd out new information. A passage from a document on the question's named
focus needs less cosine to be quoted (``ON_FOCUS_MIN_RELEVANCE``): retrieval already knows it
is about the right disease or drug.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from itertools import zip_longest

import anyio.to_thread
import numpy as np
import numpy.typing as npt

from lumen.chat.engines.base import phrase_deltas
from lumen.knowledge.embeddings import Embedder
from lumen.knowledge.schemas import RetrievalHit
from lumen.knowledge.sentence_vectors import Span, quotable_sentences, unpack
from lumen.knowledge.sentences import Sentence, is_answer_sentence, split_sentences
from lumen.knowledge.sparse import Bm25Encoder
from lumen.knowledge.understanding.subquestions import subquestions

NO_ANSWER = (
    "I couldn't find this in Lumen's sources. "
    "Try rephrasing the question, or ask a doctor, nurse or pharmacist."
)

# Refuse when the best candidate sentence's cosine to the question is below this; no sentence
# below it is quoted either. Calibrated by bench/calibrate_extractive.py (seed 7): for 600
# MedQuAD dev questions, each with its gold passage among 5 passages a dense search over 2,100
# chunks ranks highest, the best cosine has p3 0.527 and median 0.792, and 0.52 answers 97.2 %;
# of 70 out-of-scope questions (sport, geography, cooking, software…; median 0.247) it refuses
# 97.1 %: it answered "How do airplanes stay in the air?" (0.542) and "How do I train my cat to
# use a scratching post?" (0.536).
MIN_RELEVANCE = 0.52
# The floor for a passage of a document on the question's named focus (RetrievalHit.on_focus):
# the sentence need only answer the sub-question, retrieval matched the focus by name.
ON_FOCUS_MIN_RELEVANCE = 0.35
# The lead passage comes from the best-ranked source holding a sentence within this cosine of
# the best sentence anywhere (see ``_lead_index``).
LEAD_MARGIN = 0.10
# A lead passage: its best sentence and what follows in the same paragraph, at most this many
# sentences and characters (three sentences of MedQuAD prose are about 400 characters).
PASSAGE_SENTENCES = 3
PASSAGE_CHARS = 480
# Openings that refer back to the sentence before ("This chemical is believed …", "These
# include …", "It can …"): such a sentence is quoted with the one before it.
_REFERS_BACK = re.compile(
    r"^(?:this|these|that|those|it|its|they|their|such|he|she|however|but|also|in addition|"
    r"therefore|thus|as a result|because of this|for this reason|both|either|neither|"
    r"the (?:condition|disease|disorder|drug|medicine|medication|syndrome|infection))\b",
    re.IGNORECASE,
)
# MMR trade-off λ between relevance and novelty; 0.7 leans to relevance, as in most uses of
# MMR for query-focused summarisation.
MMR_LAMBDA = 0.7
# Two sentences this similar say the same thing: the later one is never quoted.
DUPLICATE_COSINE = 0.90
# Score lost per place down the retrieval ranking: the ranking saw the whole passage and its
# heading, so it knows which section a question is about better than one sentence can.
RANK_PENALTY = 0.05
# A quoted sentence's score may trail the best one's by at most this. Same calibration run,
# penalty 0.05: margin 0.10 quotes 1.84 sentences per answer, 62.8 % of them from the gold
# passage; 0.20 quotes 2.68, 54.8 %; no margin 4.02, 41.2 %. The gold share is a lower bound
# (a GARD and a GHR page on one disease both answer), and at 0.15 38.6 % of the answers were a
# single sentence (0.20: 27.8 %), hence 0.20. The penalty raised the gold share at every
# margin (0.20: 44.8 % without it) and the best quote's from 70.7 % to 71.7 %.
RELEVANCE_MARGIN = 0.20
# Bounds the one embedding batch, which is the engine's cost: 6 passages of ~900 characters
# hold about 40 sentences, and embedding all 40 cold took p50 169 ms, p95 204 ms on the 2-core
# dev machine — more than the whole first-token budget (150 ms). So a cheap lexical shortlist
# (BM25 terms shared with the question, then source rank) picks the sentences to embed. With 12,
# the calibration run (bench/calibrate_extractive.py, same 600 + 70 questions) is unchanged:
# 97.2 % answered, 97.1 % refused, 55.5 % of quotes from the gold passage; cold compose p50
# 68 ms, p95 101 ms (16: p50 83, p95 120); warm p50 5.3 ms.
MAX_CANDIDATES = 12
# Sentences considered for the lexical shortlist (in turn from each source).
CANDIDATE_POOL = 60
# Sentences are short and of mixed length; batches of 8 pad less than one batch of 40 (p50
# 163 ms against 247 ms for 40 MedQuAD sentences, measured on the same machine).
SENTENCE_BATCH = 8
# Popular passages are retrieved for many questions: their sentence vectors are kept
# (384 float32 each, so 20,000 sentences take about 31 MB).
SENTENCE_CACHE_SIZE = 20_000

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence of ``sources[source]``, eligible for quoting."""

    source: int
    sentence: Sentence


@dataclass(frozen=True, slots=True)
class Quote:
    """A quoted sentence: ``sources[source].passage[start:end]``, cited as ``[source + 1]``."""

    source: int
    sentence: Sentence
    relevance: float  # cosine to the question

    @property
    def marker(self) -> str:
        """The citation marker, e.g. ``[2]``."""
        return f"[{self.source + 1}]"


@dataclass(frozen=True, slots=True)
class ExtractiveAnswer:
    """The composed answer: its text, the quotes it is made of, and the best cosine seen.

    ``top_relevance`` is ``None`` when the sources held no candidate sentence.
    """

    text: str
    quotes: tuple[Quote, ...]
    top_relevance: float | None

    @property
    def citations(self) -> list[int]:
        """The source numbers cited, ascending (``[]`` for ``NO_ANSWER``)."""
        return sorted({quote.source + 1 for quote in self.quotes})


def candidate_sentences(sources: Sequence[RetrievalHit], limit: int) -> list[Candidate]:
    """The quotable sentences of the sources, at most ``limit``, without exact repeats.

    Sentences are taken in turn from each source (first sentence of every source, then the
    second, …) so that a long first passage cannot use up the budget alone; of two identical
    sentences (ignoring case and spacing) the one from the better-ranked source is kept.
    """
    per_source = [
        [Candidate(i, s) for s in quotable_sentences(hit.passage)] for i, hit in enumerate(sources)
    ]
    seen: set[str] = set()
    candidates: list[Candidate] = []
    for layer in zip_longest(*per_source):
        for candidate in layer:
            if candidate is None:
                continue
            key = _SPACES.sub(" ", candidate.sentence.text).casefold()
            if key in seen:
                continue
            seen.add(key)
            candidates.append(candidate)
            if len(candidates) == limit:
                return candidates
    return candidates


def stored_vectors(
    sources: Sequence[RetrievalHit], candidates: Sequence[Candidate]
) -> list[npt.NDArray[np.float32] | None]:
    """Each candidate's vector as ingestion stored it with its chunk (``None`` where the
    chunk holds none: ingested before vectors were stored, or split differently since)."""
    tables: dict[int, dict[Span, npt.NDArray[np.float32]]] = {}
    found: list[npt.NDArray[np.float32] | None] = []
    for candidate in candidates:
        if candidate.source not in tables:
            tables[candidate.source] = unpack(sources[candidate.source].sentence_vectors)
        span = (candidate.sentence.start, candidate.sentence.end)
        found.append(tables[candidate.source].get(span))
    return found


def mmr_select(
    relevance: npt.NDArray[np.float32],
    vectors: npt.NDArray[np.float32],
    k: int,
    mmr_lambda: float,
    duplicate_cosine: float,
    already: npt.NDArray[np.float32] | None = None,
) -> list[int]:
    """Pick up to ``k`` indices by Maximal Marginal Relevance (Carbonell & Goldstein 1998).

    ``relevance``: shape ``(n,)``, the score of each item (``-inf`` marks an ineligible one);
    ``vectors``: shape ``(n, d)``, unit vectors; ``already``: shape ``(m, d)``, vectors of
    items selected before (redundancy counts against them too). Each step takes
    ``argmax λ·relevance[i] − (1 − λ)·max_j∈selected cos(i, j)``; an item whose cosine to a
    selected one reaches ``duplicate_cosine`` is dropped instead. Returns indices in the
    order picked (most relevant first).
    """
    scores = relevance.astype(np.float64)
    eligible = np.isfinite(scores)
    redundancy = np.zeros_like(scores)
    if already is not None and len(already):
        redundancy = np.max(vectors @ already.T, axis=1).astype(np.float64)
    picked: list[int] = []
    while len(picked) < k and eligible.any():
        mmr = np.where(eligible, mmr_lambda * scores - (1 - mmr_lambda) * redundancy, -np.inf)
        best = int(np.argmax(mmr))
        eligible[best] = False
        if redundancy[best] >= duplicate_cosine:
            continue
        picked.append(best)
        redundancy = np.maximum(redundancy, vectors @ vectors[best])
    return picked


def lexical_shortlist(
    bm25: Bm25Encoder, question: str, candidates: Sequence[Candidate], keep: int
) -> list[Candidate]:
    """The ``keep`` candidates sharing the most BM25 terms (stemmed, stop words removed) with
    the question; ties go to the better-ranked source, then the earlier sentence. Returned in
    their original order."""
    if len(candidates) <= keep:
        return list(candidates)
    query_terms = set(bm25.encode_query(question).indices)
    overlaps = [len(query_terms & bm25.document_terms(c.sentence.text)) for c in candidates]
    order = sorted(range(len(candidates)), key=lambda i: (-overlaps[i], candidates[i].source, i))
    return [candidates[i] for i in sorted(order[:keep])]


class SentenceVectors:
    """Sentence embeddings: those stored with the chunks at ingestion, else computed here and
    kept in a bounded least-recently-used cache; thread-safe."""

    def __init__(self, embedder: Embedder, capacity: int) -> None:
        self._embedder = embedder
        self._capacity = capacity
        self._cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    def encode(
        self, texts: Sequence[str], stored: Sequence[npt.NDArray[np.float32] | None]
    ) -> npt.NDArray[np.float32]:
        """Vectors of ``texts``: shape ``(len(texts), 384)``, unit length. ``stored`` gives
        a text's vector from its chunk (``None`` where the chunk holds none); the texts neither
        stored nor in the cache are encoded in one call."""
        found = {t: v for t, v in zip(texts, stored, strict=True) if v is not None}
        with self._lock:
            for text in texts:
                if text not in found and text in self._cache:
                    found[text] = self._cache[text]
                    self._cache.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            encoded = self._embedder.encode_documents(missing, batch_size=SENTENCE_BATCH)
            found.update(zip(missing, encoded, strict=True))
            with self._lock:
                self._cache.update(zip(missing, encoded, strict=True))
                while len(self._cache) > self._capacity:
                    self._cache.popitem(last=False)
        return np.stack([found[t] for t in texts])


class ExtractiveEngine:
    """Answers with verbatim, cited passages of the sources; see the module docstring.

    A sentence's score is its cosine to the sub-question less ``rank_penalty`` per place of its
    source in the ranking. ``max_sentences`` bounds the answer's length (lead passages count);
    ``min_relevance`` is the cosine below which a sentence of a source off the question's focus
    is not an answer (``on_focus_min_relevance`` for one on it; with no sentence above its
    floor the answer is ``NO_ANSWER``); ``relevance_margin`` keeps supporting sentences scoring
    much below the best one out; ``max_candidates`` bounds the embedding batch, which is the
    engine's cost (chosen by ``lexical_shortlist`` from up to ``CANDIDATE_POOL`` sentences).
    """

    name = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        max_sentences: int = 5,
        *,
        min_relevance: float = MIN_RELEVANCE,
        on_focus_min_relevance: float = ON_FOCUS_MIN_RELEVANCE,
        relevance_margin: float = RELEVANCE_MARGIN,
        rank_penalty: float = RANK_PENALTY,
        mmr_lambda: float = MMR_LAMBDA,
        duplicate_cosine: float = DUPLICATE_COSINE,
        max_candidates: int = MAX_CANDIDATES,
        sentence_cache_size: int = SENTENCE_CACHE_SIZE,
        bm25: Bm25Encoder | None = None,
    ) -> None:
        self._embedder = embedder
        self._bm25 = bm25 or Bm25Encoder()
        self._sentence_vectors = SentenceVectors(embedder, sentence_cache_size)
        self.max_sentences = max_sentences
        self.min_relevance = min_relevance
        self.on_focus_min_relevance = min(on_focus_min_relevance, min_relevance)
        self.relevance_margin = relevance_margin
        self.rank_penalty = rank_penalty
        self.mmr_lambda = mmr_lambda
        self.duplicate_cosine = duplicate_cosine
        self.max_candidates = max_candidates

    async def stream(
        self,
        question: str,
        sources: Sequence[RetrievalHit],
        queries: Sequence[str] | None = None,
    ) -> AsyncGenerator[str, None]:
        """Yield the answer in phrases of a few words (``phrase_deltas``).

        The deltas concatenate to ``compose(question, sources, queries).text``; the embedding
        work runs in a worker thread so the event loop stays free.
        """
        answer = await anyio.to_thread.run_sync(
            self.compose, question, list(sources), list(queries) if queries else None
        )
        for delta in phrase_deltas(answer.text):
            yield delta

    def compose(
        self,
        question: str,
        sources: Sequence[RetrievalHit],
        queries: Sequence[str] | None = None,
    ) -> ExtractiveAnswer:
        """Select, order and cite the passages that answer ``question`` (blocking, CPU-bound).

        ``queries`` are the sub-questions to answer in turn, as retrieval ran them (question
        understanding); without them the message is split into sub-questions here. Runs one
        query encoding per sub-question (cached by the embedder: retrieval has usually done
        it) and one batch encoding of those of at most ``max_candidates`` sentences not yet
        cached.
        """
        asks = list(queries or [q.text for q in subquestions(question)] or [question])
        pool = candidate_sentences(sources, max(CANDIDATE_POOL, self.max_candidates))
        per_ask = max(4, self.max_candidates // len(asks))
        chosen: dict[tuple[int, int], Candidate] = {}
        for ask in asks:
            for candidate in lexical_shortlist(self._bm25, ask, pool, per_ask):
                chosen[(candidate.source, candidate.sentence.start)] = candidate
        candidates = sorted(chosen.values(), key=lambda c: (c.source, c.sentence.start))
        if not candidates:
            return ExtractiveAnswer(NO_ANSWER, (), None)
        vectors = self._sentence_vectors.encode(
            [c.sentence.text for c in candidates], stored_vectors(sources, candidates)
        )
        floors = np.array(
            [
                self.on_focus_min_relevance if sources[c.source].on_focus else self.min_relevance
                for c in candidates
            ],
            dtype=np.float32,
        )
        ranks = np.array([c.source for c in candidates], dtype=np.float32)
        units = {i: split_sentences(hit.passage) for i, hit in enumerate(sources)}
        used: set[str] = set()  # the normalised text of every quoted sentence
        quoted_vectors: list[npt.NDArray[np.float32]] = []
        paragraphs: list[list[Quote]] = []
        top: float | None = None
        for query in self._embedder.encode_queries(asks):
            cosine = vectors @ query
            top = max(top if top is not None else -1.0, float(cosine.max()))
            score = cosine - self.rank_penalty * ranks
            budget = self.max_sentences - sum(len(p) for p in paragraphs)
            if budget <= 0:
                break
            paragraph = self._answer_one(
                candidates,
                vectors,
                cosine,
                score,
                floors,
                units,
                used,
                quoted_vectors,
                budget,
                len(asks) == 1,
            )
            if paragraph:
                paragraphs.append(paragraph)
        quotes = tuple(q for p in paragraphs for q in p)
        if not quotes:
            return ExtractiveAnswer(NO_ANSWER, (), top)
        return ExtractiveAnswer(_render(paragraphs), quotes, top)

    def _answer_one(
        self,
        candidates: list[Candidate],
        vectors: npt.NDArray[np.float32],
        cosine: npt.NDArray[np.float32],
        score: npt.NDArray[np.float32],
        floors: npt.NDArray[np.float32],
        units: dict[int, tuple[Sentence, ...]],
        used: set[str],
        quoted_vectors: list[npt.NDArray[np.float32]],
        budget: int,
        by_rank: bool,
    ) -> list[Quote]:
        """One sub-question's quotes: the lead passage around its best sentence, then
        supporting sentences by MMR; marks what it quotes in ``used``/``quoted_vectors``.
        ``by_rank``: the sources are ranked for this sub-question alone (a message that asks one
        thing), so the lead comes from the best-ranked one that holds a near-best sentence
        (``_lead_index``); with several sub-questions the ranking interleaves them, and the
        best score (cosine less the rank penalty) leads."""
        fresh = np.array(
            [
                _key(c.sentence) not in used
                and not _repeats(vectors[i], quoted_vectors, self.duplicate_cosine)
                for i, c in enumerate(candidates)
            ]
        )
        relevant = fresh & (cosine >= floors)
        if not relevant.any():
            return []
        best = (
            _lead_index(candidates, cosine, relevant)
            if by_rank
            else int(np.argmax(np.where(relevant, score, -np.inf)))
        )
        lead = candidates[best]
        cosine_of = {
            (c.source, c.sentence.start): float(cosine[i]) for i, c in enumerate(candidates)
        }
        passage = _passage(
            lead,
            units[lead.source],
            cosine_of,
            float(floors[best]),
            min(budget, PASSAGE_SENTENCES),
            used,
        )
        quotes = [
            Quote(lead.source, sentence, cosine_of.get((lead.source, sentence.start), 0.0))
            for sentence in passage
        ]
        for quote in quotes:
            used.add(_key(quote.sentence))
        for i, c in enumerate(candidates):
            if _key(c.sentence) in used:
                quoted_vectors.append(vectors[i])
        room = budget - len(quotes)
        if room > 0:
            eligible = (
                relevant
                & (score >= score[best] - self.relevance_margin)
                & np.array([_key(c.sentence) not in used for c in candidates])
                & np.array([c.source != lead.source for c in candidates])
            )
            picked = mmr_select(
                np.where(eligible, score, -np.inf).astype(np.float32),
                vectors,
                room,
                self.mmr_lambda,
                self.duplicate_cosine,
                already=np.stack(quoted_vectors) if quoted_vectors else None,
            )
            support = [
                Quote(candidates[i].source, candidates[i].sentence, float(cosine[i]))
                for i in picked
            ]
            for i in picked:
                used.add(_key(candidates[i].sentence))
                quoted_vectors.append(vectors[i])
            quotes += _in_reading_order(support)
        return quotes


def _lead_index(
    candidates: list[Candidate],
    cosine: npt.NDArray[np.float32],
    relevant: npt.NDArray[np.bool_],
) -> int:
    """The lead sentence: the best of the best-ranked source whose best sentence comes within
    ``LEAD_MARGIN`` of the best sentence anywhere. Retrieval ranked the sections by focus and
    question type, which one sentence's cosine cannot see ("there is no cure for PD" in the
    treatment section, over a sentence naming Parkinson's disease in full elsewhere)."""
    top = float(np.max(np.where(relevant, cosine, -np.inf)))
    eligible = relevant & (cosine >= top - LEAD_MARGIN)
    source = min(c.source for i, c in enumerate(candidates) if eligible[i])
    in_source = eligible & np.array([c.source == source for c in candidates])
    return int(np.argmax(np.where(in_source, cosine, -np.inf)))


def _key(sentence: Sentence) -> str:
    """A sentence's text, case-folded and single-spaced: two sources quoting the same sentence
    (overlapping chunks, GARD and GHR) have the same key."""
    return _SPACES.sub(" ", sentence.text).casefold()


def _repeats(
    vector: npt.NDArray[np.float32], quoted: list[npt.NDArray[np.float32]], threshold: float
) -> bool:
    return bool(quoted) and float(np.max(np.stack(quoted) @ vector)) >= threshold


def _passage(
    lead: Candidate,
    units: Sequence[Sentence],
    cosine_of: dict[tuple[int, int], float],
    floor: float,
    limit: int,
    used: set[str],
) -> list[Sentence]:
    """The lead sentence with its context, in source order: the sentence before it when it
    refers back, then the following answer sentences of the same paragraph while they fit
    (``limit`` sentences, ``PASSAGE_CHARS``) and, where their relevance is known, reach
    ``floor``. Units that are not answer sentences (headings, lead-ins, links) or that were
    quoted already end it."""
    position = next(i for i, u in enumerate(units) if u.start == lead.sentence.start)
    passage = [lead.sentence]
    if _REFERS_BACK.match(lead.sentence.text) and position > 0 and limit > 1:
        before = units[position - 1]
        if (
            is_answer_sentence(before)
            and before.list_item == lead.sentence.list_item
            and _key(before) not in used
        ):
            passage.insert(0, before)
    for unit in units[position + 1 :]:
        if len(passage) >= limit or not is_answer_sentence(unit) or _key(unit) in used:
            break
        if unit.end - passage[0].start > PASSAGE_CHARS:
            break
        known = cosine_of.get((lead.source, unit.start))
        if known is not None and known < floor:
            break
        passage.append(unit)
    return passage


def _in_reading_order(quotes: list[Quote]) -> list[Quote]:
    """Group quotes by source, the source of the most relevant quote first; within a source,
    keep the passage's order so that the sentences read as the source wrote them."""
    first_pick: dict[int, int] = {}
    for rank, quote in enumerate(quotes):
        first_pick.setdefault(quote.source, rank)
    return sorted(quotes, key=lambda q: (first_pick[q.source], q.sentence.start))


def _render(paragraphs: list[list[Quote]]) -> str:
    """``"sentence [n] sentence [n]"``: one paragraph per sub-question's lead passage, and a
    new paragraph wherever the source changes; paragraphs separated by a blank line."""
    blocks: list[list[str]] = []
    for paragraph in paragraphs:
        previous: int | None = None
        for quote in paragraph:
            if quote.source != previous:
                blocks.append([])
                previous = quote.source
            blocks[-1].append(f"{quote.sentence.text} {quote.marker}")
    return "\n\n".join(" ".join(block) for block in blocks)
