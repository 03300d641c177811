"""BM25 sparse vectors with qdrant-edge's built-in encoder, shared by both index implementations.

Terms are English-stemmed tokens hashed with murmur3 (the same ids as fastembed's
``Qdrant/bm25``); documents carry BM25 term-frequency weights (k=1.2, b=0.75, avg_len=256:
Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond", 2009) and
queries weight each unique term 1.0. IDF is not in the vectors: the index applies it at query
time (the ``bm25`` sparse vector is configured with the IDF modifier), so it always reflects the
indexed corpus.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from qdrant_edge import Bm25, Bm25Config

from lumen.knowledge.index.base import SparseVector

# Sentences whose term ids ``document_terms`` keeps (a few hundred bytes each).
TERMS_CACHE_SIZE = 20_000


class Bm25Encoder:
    """Encodes text to BM25 sparse vectors; stateless, safe to share between threads."""

    def __init__(self, terms_cache_size: int = TERMS_CACHE_SIZE) -> None:
        self._model = Bm25(Bm25Config(language="english"))
        self.document_terms = lru_cache(maxsize=terms_cache_size)(self._document_terms)

    def _document_terms(self, text: str) -> frozenset[int]:
        """The term ids of ``text`` as a document (its sparse vector's indices); cached per
        text, so that the sentences of popular passages are tokenised and stemmed once."""
        return frozenset(self._model.embed_document(text).indices)

    def encode_documents(self, texts: Sequence[str]) -> list[SparseVector]:
        """One sparse vector per passage (term-frequency weights; empty if only stopwords)."""
        vectors = []
        for text in texts:
            vector = self._model.embed_document(text)
            vectors.append(SparseVector(indices=list(vector.indices), values=list(vector.values)))
        return vectors

    def encode_query(self, text: str) -> SparseVector:
        """The query's sparse vector: weight 1.0 per unique term."""
        vector = self._model.embed_query(text)
        return SparseVector(indices=list(vector.indices), values=list(vector.values))
