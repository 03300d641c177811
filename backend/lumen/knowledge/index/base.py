"""The vector-index interface both implementations satisfy.

Each point holds a named dense vector ``dense`` (384-d, cosine) and a named sparse vector
``bm25`` (IDF modifier: IDF applied at query time), plus the chunk's payload. Point ids are
UUIDv5 of ``"<document_id>#<chunk index>"`` so re-ingesting is idempotent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

DENSE_VECTOR = "dense"
SPARSE_VECTOR = "bm25"
# Reciprocal Rank Fusion constant k=60: Cormack, Clarke & Buettcher, SIGIR 2009.
RRF_K = 60
POINT_NAMESPACE = uuid.UUID("6f1c1f0e-1d3b-5b8e-9a57-2f0c4a7d9e11")


def point_id(document_id: str, chunk_index: int) -> str:
    """Deterministic point id: UUIDv5 of ``"<document_id>#<chunk_index>"``."""
    return str(uuid.uuid5(POINT_NAMESPACE, f"{document_id}#{chunk_index}"))


@dataclass(frozen=True, slots=True)
class SparseVector:
    """A BM25 sparse vector: term ids (murmur3 of the stemmed token) and weights."""

    indices: list[int]
    values: list[float]


@dataclass(frozen=True, slots=True)
class ScoredPoint:
    """A point returned by a query: its score (RRF, cosine or BM25 by mode) and payload."""

    id: str
    score: float
    payload: dict[str, object]


@dataclass(frozen=True, slots=True)
class IndexPoint:
    """A point to upsert."""

    id: str
    dense: npt.NDArray[np.float32]
    sparse: SparseVector
    payload: dict[str, object]


class PointWriter(Protocol):
    """What ingestion writes through: a ``VectorIndex``, or the pipe to the process that holds
    the embedded index (``lumen.knowledge.ingest_process``)."""

    def upsert(self, points: Sequence[IndexPoint]) -> None:
        """Insert or replace points by id."""

    def delete_document(self, document_id: str, from_chunk_index: int = 0) -> None:
        """Delete the points of ``document_id`` whose payload ``chunk_index`` is at least
        ``from_chunk_index`` (0: the whole document). A new version upserts its chunks over the
        old ids first, then drops the old version's surplus chunks: no gap in search."""


class VectorIndex(PointWriter, Protocol):
    """Hybrid dense + sparse index. Implementations: ``EdgeIndex``, ``QdrantServerIndex``."""

    def query(
        self,
        dense: npt.NDArray[np.float32] | None,
        sparse: SparseVector | None,
        limit: int,
        collections: Sequence[str] | None = None,
        set_id: str | None = None,
        prefetch_limit: int = 50,
        document_ids: Sequence[str] | None = None,
    ) -> list[ScoredPoint]:
        """Ranked points. Both vectors: hybrid (two prefetches fused by RRF, k=60) in one
        query; one vector: that retrieval alone. ``collections``/``set_id``/``document_ids``
        filter payload (``document_ids``: only those documents' chunks)."""

    def count(self) -> int:
        """Number of points."""

    def optimize(self) -> None:
        """Build the index structures (HNSW); blocks. Call off the request path."""

    def close(self) -> None:
        """Flush and release the index."""
