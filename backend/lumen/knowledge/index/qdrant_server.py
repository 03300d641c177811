"""The production vector index: a collection on a Qdrant server (or cluster) via qdrant-client.

Same points, vectors and queries as ``EdgeIndex``. Hybrid search uses ``RrfQuery`` with an
explicit k=60 because ``FusionQuery(fusion=Fusion.RRF)`` means Qdrant's default k (2); that
needs Qdrant server 1.16 or later. Tests run this class against qdrant-client's local mode
(``QdrantClient(location=":memory:")``), which is correct but slow: keep its data small.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from qdrant_client import QdrantClient, models

from lumen.knowledge.embeddings import DIMENSIONS
from lumen.knowledge.index.base import (
    DENSE_VECTOR,
    RRF_K,
    SPARSE_VECTOR,
    IndexPoint,
    ScoredPoint,
    SparseVector,
)
from lumen.knowledge.index.edge import KEYWORD_FIELDS, UPSERT_BATCH


def _filter(
    collections: Sequence[str] | None,
    set_id: str | None,
    document_ids: Sequence[str] | None = None,
) -> models.Filter | None:
    conditions: list[models.Condition] = []
    if collections is not None:
        conditions.append(
            models.FieldCondition(key="collection", match=models.MatchAny(any=list(collections)))
        )
    if set_id is not None:
        conditions.append(
            models.FieldCondition(key="set_id", match=models.MatchValue(value=set_id))
        )
    if document_ids is not None:
        conditions.append(
            models.FieldCondition(key="document_id", match=models.MatchAny(any=list(document_ids)))
        )
    return models.Filter(must=conditions) if conditions else None


def _sparse(vector: SparseVector) -> models.SparseVector:
    return models.SparseVector(indices=vector.indices, values=vector.values)


class QdrantServerIndex:
    """``VectorIndex`` on the Qdrant collection ``collection``, created on first use.

    The index owns ``client`` and closes it. Raises qdrant-client's errors
    (``ResponseHandlingException`` when the server is unreachable).
    """

    def __init__(self, client: QdrantClient, collection: str) -> None:
        self._client = client
        self.collection = collection
        if not client.collection_exists(collection):
            client.create_collection(
                collection,
                vectors_config={
                    DENSE_VECTOR: models.VectorParams(
                        size=DIMENSIONS, distance=models.Distance.COSINE
                    )
                },
                sparse_vectors_config={
                    SPARSE_VECTOR: models.SparseVectorParams(modifier=models.Modifier.IDF)
                },
            )
            for field in KEYWORD_FIELDS:
                client.create_payload_index(
                    collection, field, field_schema=models.PayloadSchemaType.KEYWORD
                )

    def upsert(self, points: Sequence[IndexPoint]) -> None:
        """Insert or replace points by id, in batches of ``UPSERT_BATCH``; waits for each."""
        for start in range(0, len(points), UPSERT_BATCH):
            batch = [
                models.PointStruct(
                    id=point.id,
                    vector={
                        DENSE_VECTOR: point.dense.tolist(),
                        SPARSE_VECTOR: _sparse(point.sparse),
                    },
                    payload=point.payload,
                )
                for point in points[start : start + UPSERT_BATCH]
            ]
            self._client.upsert(self.collection, points=batch, wait=True)

    def delete_document(self, document_id: str, from_chunk_index: int = 0) -> None:
        """Delete the points of ``document_id`` whose payload ``chunk_index`` is at least
        ``from_chunk_index`` (0: every point of the document); waits for it."""
        conditions: list[models.Condition] = [
            models.FieldCondition(key="document_id", match=models.MatchValue(value=document_id))
        ]
        if from_chunk_index > 0:
            conditions.append(
                models.FieldCondition(key="chunk_index", range=models.Range(gte=from_chunk_index))
            )
        self._client.delete(
            self.collection,
            points_selector=models.FilterSelector(filter=models.Filter(must=conditions)),
            wait=True,
        )

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
        RRF k=60) when both vectors are given, else cosine or BM25 alone. The filter applies to
        every stage. Raises ``ValueError`` if both vectors are ``None``."""
        payload_filter = _filter(collections, set_id, document_ids)
        stages: list[tuple[list[float] | models.SparseVector, str]] = []
        if dense is not None:
            stages.append((dense.tolist(), DENSE_VECTOR))
        if sparse is not None:
            stages.append((_sparse(sparse), SPARSE_VECTOR))
        if not stages:
            raise ValueError("query needs a dense or a sparse vector")
        if len(stages) == 1:
            vector, using = stages[0]
            response = self._client.query_points(
                self.collection,
                query=vector,
                using=using,
                query_filter=payload_filter,
                limit=limit,
                with_payload=True,
            )
        else:
            prefetches = [
                models.Prefetch(
                    query=vector, using=using, filter=payload_filter, limit=prefetch_limit
                )
                for vector, using in stages
            ]
            response = self._client.query_points(
                self.collection,
                prefetch=prefetches,
                query=models.RrfQuery(rrf=models.Rrf(k=RRF_K)),
                query_filter=payload_filter,
                limit=limit,
                with_payload=True,
            )
        points = [
            ScoredPoint(id=str(point.id), score=point.score, payload=dict(point.payload or {}))
            for point in response.points
        ]
        # RRF gives equal scores to points with swapped ranks, and Qdrant orders ties
        # arbitrarily: break them by id so the same question always lists the same order.
        return sorted(points, key=lambda point: (-point.score, point.id))

    def count(self) -> int:
        """Number of points (exact)."""
        return self._client.count(self.collection, exact=True).count

    def optimize(self) -> None:
        """Nothing to do: the server's optimizer builds HNSW in the background."""

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()
