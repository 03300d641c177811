"""Hybrid retrieval: embed the question (dense and BM25), query the index, shape the hits.

With a ``QuestionAnalyzer``, hybrid retrieval is steered by question understanding: each
sub-question runs its own hybrid query (its text, plus the focus's name when it only says
"it"), once restricted to the documents on the message's focus and once over everything. The
focus's passages come first, those whose section answers the sub-question's type (MedQuAD
``qtype``, label LOINC code or section heading) before the others; the open query fills the
rest; sub-questions take turns, so the first hits answer each of them. A message that names no
focus Lumen holds gets the open queries alone.

Synchronous and CPU-bound: the dense query embedding dominates (an Edge hybrid query over 2,000
chunks took 0.5 ms at p50), so request handlers call it through ``anyio.to_thread.run_sync``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from lumen.knowledge.embeddings import Embedder
from lumen.knowledge.index.base import ScoredPoint, SparseVector, VectorIndex
from lumen.knowledge.schemas import RetrievalHit
from lumen.knowledge.sentences import is_answer_sentence, split_sentences
from lumen.knowledge.sparse import Bm25Encoder
from lumen.knowledge.understanding.analysis import (
    AnalysedQuestion,
    QuestionAnalysis,
    QuestionAnalyzer,
)
from lumen.knowledge.understanding.question_types import TYPES, loinc_codes, medquad_qtypes

RetrievalMode = Literal["hybrid", "dense", "sparse"]
# Chunks fetched per wanted hit when keeping one chunk per section, and the floor of each
# prefetch (the index's default). On 300 MedQuAD dev questions over 2,000 chunks, one chunk per
# section raised hybrid recall@5 from 0.963 to 0.987 (MRR@10 0.835 to 0.839).
SECTION_OVERFETCH = 3
PREFETCH_LIMIT = 50
# Chunks fetched from the focus's documents per sub-question: a MedQuAD page has up to 16
# sections, and a focus spans a few pages (GARD, GHR, MedlinePlus…).
FOCUS_LIMIT = 40
# Documents a focus query may name (a common focus, such as diabetes, has dozens of pages).
MAX_FOCUS_DOCUMENTS = 24
# A focus matched only approximately through everyday words does not restrict retrieval.
MIN_FOCUS_SCORE = 0.25
_CUES = {t.name: t.cue for t in TYPES}


@dataclass(frozen=True, slots=True)
class TimedSearch:
    """Hits with where the time went: ``embed_ms`` is the dense query embedding (0 in sparse
    mode); ``retrieval_ms`` is BM25 encoding, the index query and building the hits."""

    hits: list[RetrievalHit]
    embed_ms: float
    retrieval_ms: float
    analysis: QuestionAnalysis | None = None


def hit_from_point(point: ScoredPoint) -> RetrievalHit:
    """A ``RetrievalHit`` from a scored point's chunk payload (``text`` becomes ``passage``;
    the chunker leaves out fields that are ``None``, such as a label's ``url``).

    Raises ``pydantic.ValidationError`` if the payload lacks a required field.
    """
    return RetrievalHit.model_validate(
        {"url": None, **point.payload, "passage": point.payload.get("text"), "score": point.score}
    )


def best_chunk_per_section(points: Sequence[ScoredPoint]) -> list[ScoredPoint]:
    """``points`` (ranked) without the chunks whose section an earlier chunk already holds."""
    seen: set[tuple[object, object]] = set()
    kept = []
    for point in points:
        section = (point.payload.get("document_id"), point.payload.get("section_key"))
        if section not in seen:
            seen.add(section)
            kept.append(point)
    return kept


class Retriever:
    """Ranks passages for a question from a ``VectorIndex``, steered by ``analyzer`` when
    given (see the module docstring)."""

    def __init__(
        self,
        embedder: Embedder,
        bm25: Bm25Encoder,
        index: VectorIndex,
        analyzer: QuestionAnalyzer | None = None,
    ) -> None:
        self.embedder = embedder
        self.bm25 = bm25
        self.index = index
        self.analyzer = analyzer

    def search(
        self,
        query: str,
        k: int,
        collections: Sequence[str] | None = None,
        set_id: str | None = None,
        mode: RetrievalMode = "hybrid",
        one_per_section: bool = True,
        understand: bool = True,
    ) -> list[RetrievalHit]:
        """The top ``k`` passages for ``query``, best first.

        ``hybrid`` fuses dense and BM25 rankings by RRF (k=60, Cormack et al. 2009), steered by
        question understanding unless ``understand`` is false or there is no analyzer;
        ``dense`` and ``sparse`` use one ranking on the text as given. ``collections``
        restricts to those collections (an empty sequence matches nothing), ``set_id`` to one
        drug label. ``one_per_section`` keeps only the best chunk of each section, so that
        ``k`` hits cover up to ``k`` sections.
        """
        return self.search_timed(
            query, k, collections, set_id, mode, one_per_section, understand
        ).hits

    def search_timed(
        self,
        query: str,
        k: int,
        collections: Sequence[str] | None = None,
        set_id: str | None = None,
        mode: RetrievalMode = "hybrid",
        one_per_section: bool = True,
        understand: bool = True,
    ) -> TimedSearch:
        """``search`` with its embedding and retrieval times in milliseconds, and the
        question's analysis when retrieval was steered by it."""
        if mode == "hybrid" and understand and self.analyzer is not None:
            return self._steered(query, k, collections, set_id)
        dense = None
        embed_ms = 0.0
        if mode != "sparse":
            started = time.perf_counter()
            dense = self.embedder.encode_query(query)
            embed_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        sparse = self.bm25.encode_query(query) if mode != "dense" else None
        limit = k * SECTION_OVERFETCH if one_per_section else k
        points = self._query(dense, sparse, limit, collections, set_id)
        if one_per_section:
            points = best_chunk_per_section(points)[:k]
        hits = [hit_from_point(point) for point in points]
        retrieval_ms = (time.perf_counter() - started) * 1000
        return TimedSearch(hits=hits, embed_ms=embed_ms, retrieval_ms=retrieval_ms)

    def _query(
        self,
        dense: npt.NDArray[np.float32] | None,
        sparse: SparseVector | None,
        limit: int,
        collections: Sequence[str] | None,
        set_id: str | None,
    ) -> list[ScoredPoint]:
        """The index's ``limit`` best points, each prefetch at least ``PREFETCH_LIMIT`` deep."""
        return self.index.query(
            dense,
            sparse,
            limit,
            collections=collections,
            set_id=set_id,
            prefetch_limit=max(PREFETCH_LIMIT, limit),
        )

    def _steered(
        self,
        message: str,
        k: int,
        collections: Sequence[str] | None,
        set_id: str | None,
    ) -> TimedSearch:
        assert self.analyzer is not None
        started = time.perf_counter()
        analysis = self.analyzer.analyze(message)
        questions = analysis.questions or (AnalysedQuestion(message, ("information",), message),)
        # Document → rank of its focus (best focus 0), for the documents of steering foci.
        focus_of: dict[str, int] = {}
        steering = [f for f in analysis.held_foci if f.score >= MIN_FOCUS_SCORE]
        for rank, focus in enumerate(steering):
            for document_id in focus.document_ids:
                focus_of.setdefault(document_id, rank)
        focus_ids = list(focus_of)[:MAX_FOCUS_DOCUMENTS]
        embed_started = time.perf_counter()
        vectors = self.embedder.encode_queries([q.query for q in questions])
        embed_ms = (time.perf_counter() - embed_started) * 1000
        rankings: list[list[ScoredPoint]] = []
        for question, dense in zip(questions, vectors, strict=True):
            sparse = self.bm25.encode_query(question.query)
            ranking: list[ScoredPoint] = []
            if focus_ids:
                focused = self.index.query(
                    dense,
                    sparse,
                    FOCUS_LIMIT,
                    collections=collections,
                    set_id=set_id,
                    prefetch_limit=PREFETCH_LIMIT,
                    document_ids=focus_ids,
                )
                ranking += _by_type(best_chunk_per_section(focused), question, focus_of)
            ranking += self._query(dense, sparse, k * SECTION_OVERFETCH, collections, set_id)
            rankings.append(best_chunk_per_section(ranking))
        points = best_chunk_per_section(_take_turns(rankings))[:k]
        focus_set = set(focus_of)
        hits = [
            hit_from_point(point).model_copy(
                update={"on_focus": point.payload.get("document_id") in focus_set}
            )
            for point in points
        ]
        retrieval_ms = (time.perf_counter() - started) * 1000 - embed_ms
        return TimedSearch(hits, embed_ms, retrieval_ms, analysis)


def answers_type(payload: dict[str, object], types: Sequence[str]) -> bool:
    """Whether a chunk's section answers one of ``types``: its MedQuAD ``qtype``, its label
    section's LOINC code, or its heading's words (a medication guide's "What are the possible
    side effects of …?" sits under the guide's own code)."""
    names = list(types)
    if payload.get("question_type") in medquad_qtypes(names):
        return True
    if payload.get("code") in loinc_codes(names):
        return True
    heading = str(payload.get("section") or "")
    if payload.get("source") == "medquad":  # MedQuAD headings are its templated questions
        return False
    return any((cue := _CUES.get(name)) is not None and cue.search(heading) for name in names)


def _by_type(
    points: list[ScoredPoint], question: AnalysedQuestion, focus_of: dict[str, int]
) -> list[ScoredPoint]:
    """Focus passages ordered: type-matching sections that hold a quotable sentence first,
    then type-matching ones without (Genetics Home Reference's treatment sections are lists of
    links, a label's adverse-reaction tables have no sentence), then the rest; within each, by
    the rank of the focus they belong to (``focus_of``: document id → rank, best 0), then by
    hybrid rank."""
    matches = [answers_type(p.payload, question.types) for p in points]
    order = sorted(
        range(len(points)),
        key=lambda i: (
            not (matches[i] and _quotable(points[i].payload)),
            not matches[i],
            focus_of.get(str(points[i].payload.get("document_id")), len(focus_of)),
            i,
        ),
    )
    return [points[i] for i in order]


def _quotable(payload: dict[str, object]) -> bool:
    """Whether a chunk holds at least one sentence that can stand in an answer."""
    return any(is_answer_sentence(s) for s in split_sentences(str(payload.get("text") or "")))


def _take_turns(rankings: list[list[ScoredPoint]]) -> list[ScoredPoint]:
    """Interleave rankings: the first of each, then the second of each, … (duplicates
    stay; the caller keeps one chunk per section)."""
    merged: list[ScoredPoint] = []
    for depth in range(max((len(r) for r in rankings), default=0)):
        merged += [ranking[depth] for ranking in rankings if depth < len(ranking)]
    return merged
