"""The extractive answer engine: the sentences of the sources that best answer the question.

No language model writes anything: every sentence of an answer is quoted verbatim from a
retrieved passage and followed by the ``[n]`` of its source; when nothing retrieved is relevant
enough the answer is the fixed ``NO_ANSWER`` sentence, with no citation.

Selection: sentences are scored by the cosine between their all-MiniLM-L6-v2 embedding and the
question's, and picked greedily by Maximal Marginal Relevance (Carbonell & Goldstein, "The use
of MMR, diversity-based reranking for reordering documents and producing summaries", SIGIR
1998) so that near-repeats (MedQuAD's "Key Points" restate the text below them; GARD and GHR
share answers) do not crowd out new information.
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

from lumen.chat.engines.sentences import Sentence, is_answer_sentence, split_sentences
from lumen.knowledge.embeddings import Embedder
from lumen.knowledge.schemas import RetrievalHit
from lumen.knowledge.sparse import Bm25Encoder

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

_DELTA = re.compile(r"\S+\s*|\s+")
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
        [Candidate(i, s) for s in split_sentences(hit.passage) if is_answer_sentence(s)]
        for i, hit in enumerate(sources)
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


def mmr_select(
    relevance: npt.NDArray[np.float32],
    vectors: npt.NDArray[np.float32],
    k: int,
    mmr_lambda: float,
    duplicate_cosine: float,
) -> list[int]:
    """Pick up to ``k`` indices by Maximal Marginal Relevance (Carbonell & Goldstein 1998).

    ``relevance``: shape ``(n,)``, the score of each item (``-inf`` marks an ineligible one);
    ``vectors``: shape ``(n, d)``, unit vectors. Each step takes
    ``argmax λ·relevance[i] − (1 − λ)·max_j∈selected cos(i, j)``; an item whose cosine to a
    selected one reaches ``duplicate_cosine`` is dropped instead. Returns indices in the
    order picked (most relevant first).
    """
    scores = relevance.astype(np.float64)
    eligible = np.isfinite(scores)
    redundancy = np.zeros_like(scores)
    picked: list[int] = []
    while len(picked) < k and eligible.any():
        mmr = np.where(eligible, mmr_lambda * scores - (1 - mmr_lambda) * redundancy, -np.inf)
        best = int(np.argmax(mmr))
        eligible[best] = False
        if picked and redundancy[best] >= duplicate_cosine:
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
    overlaps = [
        len(query_terms.intersection(vector.indices))
        for vector in bm25.encode_documents([c.sentence.text for c in candidates])
    ]
    order = sorted(range(len(candidates)), key=lambda i: (-overlaps[i], candidates[i].source, i))
    return [candidates[i] for i in sorted(order[:keep])]


class SentenceVectors:
    """Sentence embeddings with a bounded least-recently-used cache; thread-safe."""

    def __init__(self, embedder: Embedder, capacity: int) -> None:
        self._embedder = embedder
        self._capacity = capacity
        self._cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors of ``texts``: shape ``(len(texts), 384)``, unit length; the texts not in
        the cache are encoded in one call."""
        with self._lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
            for text in found:
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
    """Answers with verbatim, cited sentences of the sources; see the module docstring.

    A sentence's score is its cosine to the question less ``rank_penalty`` per place of its
    source in the ranking. ``max_sentences`` bounds the answer's length; ``min_relevance`` is
    the cosine below which the best sentence is not an answer (then ``NO_ANSWER``) and no
    sentence is quoted; ``relevance_margin`` keeps sentences scoring much below the best one
    out; ``max_candidates`` bounds the embedding batch, which is the engine's cost (chosen by
    ``lexical_shortlist`` from up to ``CANDIDATE_POOL`` sentences).
    """

    name = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        max_sentences: int = 5,
        *,
        min_relevance: float = MIN_RELEVANCE,
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
        self.relevance_margin = relevance_margin
        self.rank_penalty = rank_penalty
        self.mmr_lambda = mmr_lambda
        self.duplicate_cosine = duplicate_cosine
        self.max_candidates = max_candidates

    async def stream(
        self, question: str, sources: Sequence[RetrievalHit]
    ) -> AsyncGenerator[str, None]:
        """Yield the answer word by word (each word with its trailing whitespace).

        The deltas concatenate to ``compose(question, sources).text``; the embedding work runs
        in a worker thread so the event loop stays free.
        """
        answer = await anyio.to_thread.run_sync(self.compose, question, list(sources))
        for delta in _DELTA.findall(answer.text):
            yield delta

    def compose(self, question: str, sources: Sequence[RetrievalHit]) -> ExtractiveAnswer:
        """Select, order and cite the sentences that answer ``question`` (blocking, CPU-bound).

        Runs one query encoding (cached by the embedder: retrieval has usually done it) and
        one batch encoding of those of at most ``max_candidates`` sentences not yet cached.
        """
        candidates = lexical_shortlist(
            self._bm25,
            question,
            candidate_sentences(sources, max(CANDIDATE_POOL, self.max_candidates)),
            self.max_candidates,
        )
        if not candidates:
            return ExtractiveAnswer(NO_ANSWER, (), None)
        query = self._embedder.encode_query(question)
        vectors = self._sentence_vectors.encode([c.sentence.text for c in candidates])
        cosine = vectors @ query
        top = float(cosine.max())
        if top < self.min_relevance:
            return ExtractiveAnswer(NO_ANSWER, (), top)
        ranks = np.array([c.source for c in candidates], dtype=np.float32)
        score = cosine - self.rank_penalty * ranks
        relevant = cosine >= self.min_relevance
        eligible = relevant & (score >= score[relevant].max() - self.relevance_margin)
        relevance = np.where(eligible, score, -np.inf).astype(np.float32)
        picked = mmr_select(
            relevance, vectors, self.max_sentences, self.mmr_lambda, self.duplicate_cosine
        )
        quotes = [
            Quote(candidates[i].source, candidates[i].sentence, float(cosine[i])) for i in picked
        ]
        ordered = _in_reading_order(quotes)
        return ExtractiveAnswer(_render(ordered), tuple(ordered), top)


def _in_reading_order(quotes: list[Quote]) -> list[Quote]:
    """Group quotes by source, the source of the most relevant quote first; within a source,
    keep the passage's order so that the sentences read as the source wrote them."""
    first_pick: dict[int, int] = {}
    for rank, quote in enumerate(quotes):
        first_pick.setdefault(quote.source, rank)
    return sorted(quotes, key=lambda q: (first_pick[q.source], q.sentence.start))


def _render(quotes: list[Quote]) -> str:
    """``"sentence [n] sentence [n]"`` per run of quotes from one source, runs separated by a
    blank line."""
    paragraphs: list[list[str]] = []
    previous: int | None = None
    for quote in quotes:
        if quote.source != previous:
            paragraphs.append([])
            previous = quote.source
        paragraphs[-1].append(f"{quote.sentence.text} {quote.marker}")
    return "\n\n".join(" ".join(paragraph) for paragraph in paragraphs)
