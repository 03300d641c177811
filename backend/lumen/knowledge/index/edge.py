"""The embedded vector index: one Qdrant Edge shard (``qdrant-edge-py``) in this process.

A shard directory can be open in one process only, once: the write-ahead log is locked, so a
second open fails (``IndexLocked``) whether it comes from another process or this one. The WAL
also makes every acknowledged write durable without ``close``. There is no background optimizer:
until ``optimize()`` builds the HNSW graph, dense search is an exact scan (about 2 ms at 25k
points on 2 cores).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import numpy as np
import numpy.typing as npt
import qdrant_edge as qe

from lumen.knowledge.embeddings import DIMENSIONS
from lumen.knowledge.index.base import (
    DENSE_VECTOR,
    RRF_K,
    SPARSE_VECTOR,
    IndexPoint,
    ScoredPoint,
    SparseVector,
)

# Payload fields that queries and deletes filter on.
KEYWORD_FIELDS = ("collection", "document_id", "set_id")
UPSERT_BATCH = 256
_CONFIG_FILE = "edge_config.json"


class IndexLocked(Exception):
    """The shard is already open, by another process (a server, a CLI command) or this one."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The vector index at {path} is in use by another Lumen process "
            "(a running server or command). Stop it, or point this one at a Qdrant server "
            "with LUMEN_QDRANT_URL."
        )
        self.path = path


# One search thread: the shard's query runs in the thread that asks (each request's retrieval
# is already off the event loop, and a server answers many at once). qdrant-edge's default
# pool, sized from the CPU count (8 threads on 2 cores here), split every query's segment reads
# across its threads and back, and those hand-offs cost more than the reads: 50 streaming
# clients on the e2e-sized index, server CPU per answer 29.0 -> 26.9 ms (bench/results.md 4b).
SEARCH_THREADS = 1


def _shard_config() -> qe.EdgeConfig:
    return qe.EdgeConfig(
        vectors={DENSE_VECTOR: qe.EdgeVectorParams(size=DIMENSIONS, distance=qe.Distance.Cosine)},
        sparse_vectors={SPARSE_VECTOR: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        max_search_threads=SEARCH_THREADS,
    )


def _filter(
    collections: Sequence[str] | None,
    set_id: str | None,
    document_ids: Sequence[str] | None = None,
) -> qe.Filter | None:
    conditions: list[qe.ConditionType] = []
    if collections is not None:
        conditions.append(qe.FieldCondition("collection", match=qe.MatchAny(list(collections))))
    if set_id is not None:
        conditions.append(qe.FieldCondition("set_id", match=qe.MatchValue(set_id)))
    if document_ids is not None:
        conditions.append(qe.FieldCondition("document_id", match=qe.MatchAny(list(document_ids))))
    return qe.Filter(must=conditions) if conditions else None


def _sparse(vector: SparseVector) -> qe.SparseVector:
    return qe.SparseVector(indices=vector.indices, values=vector.values)


class EdgeIndex:
    """``VectorIndex`` on a Qdrant Edge shard at ``path``, created on first open.

    Raises ``IndexLocked`` if the shard is already open, and qdrant-edge's ``Exception`` if the
    directory holds a shard with other vector parameters.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        config = _shard_config()
        try:
            if (path / _CONFIG_FILE).exists():
                # Passing the config makes qdrant-edge check it against the stored segments.
                self._shard = qe.EdgeShard.load(str(path), config)
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._shard = qe.EdgeShard.create(str(path), config)
        except Exception as exc:
            # qdrant-edge raises a bare Exception; the WAL lock shows as WouldBlock.
            if "WouldBlock" in str(exc):
                raise IndexLocked(path) from exc
            raise
        self._closed = False
        existing = set(self._shard.info().payload_schema)
        for field in KEYWORD_FIELDS:
            if field not in existing:
                self._shard.update(
                    qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword)
                )

    def upsert(self, points: Sequence[IndexPoint]) -> None:
        """Insert or replace points by id, in batches of ``UPSERT_BATCH``."""
        for start in range(0, len(points), UPSERT_BATCH):
            batch = [
                qe.Point(
                    point.id,
                    {DENSE_VECTOR: point.dense.tolist(), SPARSE_VECTOR: _sparse(point.sparse)},
                    point.payload,
                )
                for point in points[start : start + UPSERT_BATCH]
            ]
            self._shard.update(qe.UpdateOperation.upsert_points(batch))

    def delete_document(self, document_id: str, from_chunk_index: int = 0) -> None:
        """Delete the points of ``document_id`` whose payload ``chunk_index`` is at least
        ``from_chunk_index`` (0: every point of the document)."""
        conditions: list[qe.ConditionType] = [
            qe.FieldCondition("document_id", match=qe.MatchValue(document_id))
        ]
        if from_chunk_index > 0:
            conditions.append(
                qe.FieldCondition("chunk_index", range=qe.RangeFloat(gte=from_chunk_index))
            )
        self._shard.update(qe.UpdateOperation.delete_points_by_filter(qe.Filter(must=conditions)))

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
        """Ranked points: hybrid (dense and BM25 prefetches, ``prefetch_limit`` each, fused by
        RRF k=60) when both vectors are given, else cosine or BM25 alone. The filter
        (``collections``, ``set_id``, ``document_ids``) applies to every stage. Raises
        ``ValueError`` if both vectors are ``None``."""
        payload_filter = _filter(collections, set_id, document_ids)
        stages: list[qe.Query] = []
        if dense is not None:
            stages.append(qe.Query.Nearest(dense.tolist(), using=DENSE_VECTOR))
        if sparse is not None:
            stages.append(qe.Query.Nearest(_sparse(sparse), using=SPARSE_VECTOR))
        if not stages:
            raise ValueError("query needs a dense or a sparse vector")
        if len(stages) == 1:
            request = qe.QueryRequest(
                limit=limit, query=stages[0], filter=payload_filter, with_payload=True
            )
        else:
            prefetches = [
                qe.Prefetch(limit=prefetch_limit, query=stage, filter=payload_filter)
                for stage in stages
            ]
            request = qe.QueryRequest(
                limit=limit,
                prefetches=prefetches,
                # The 0.9.0 stub lists ``Fusion`` but not its nested ``Fusion.Rrf`` here.
                query=qe.Fusion.Rrf(k=RRF_K),  # type: ignore[arg-type]
                filter=payload_filter,
                with_payload=True,
            )
        points = [
            ScoredPoint(id=str(point.id), score=point.score, payload=dict(point.payload or {}))
            for point in self._shard.query(request)
        ]
        # RRF gives equal scores to points with swapped ranks, and Qdrant orders ties
        # arbitrarily: break them by id so the same question always lists the same order.
        return sorted(points, key=lambda point: (-point.score, point.id))

    def count(self) -> int:
        """Number of points (exact)."""
        return self._shard.count(qe.CountRequest(exact=True))

    def optimize(self) -> None:
        """Build the HNSW graph and merge segments; blocks (about 21 s for 25k points on 2
        cores, +140 MB while it runs)."""
        self._shard.optimize()

    def close(self) -> None:
        """Flush and release the shard (and its WAL lock); later calls do nothing."""
        if self._closed:
            return
        self._closed = True
        self._shard.flush()
        self._shard.close()

    def __enter__(self) -> EdgeIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
