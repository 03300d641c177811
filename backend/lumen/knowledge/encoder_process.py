"""Passage embedding for bulk ingestion in a child process at the lowest CPU priority.

In the embedded default, ingestion and serving share one process and two cores. Embedding is
nearly all of ingestion's CPU; run in the serving process, each model batch held the embedder
for about a second, and a question arriving behind it waited (issue 12 measured p95 9.5 s
during the first load). Here the child runs its own copy of the model with ``nice`` 19
(setpriority(2): the scheduler gives it the cores the server leaves idle, and takes them back
when a question needs them), so the load runs at nearly full speed between questions and a
question never queues behind a batch.

The child is started with ``spawn`` (no copy of the server's threads, sockets or torch state)
on first use; one that dies is replaced once per call.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lumen.knowledge.embeddings import DIMENSIONS, Backend, Embedder

logger = logging.getLogger(__name__)

# The lowest priority setpriority(2) allows: CFS weight 15 against the server's 1024.
BACKGROUND_NICENESS = 19

_child_embedder: Embedder | None = None


class BackgroundEncoder:
    """``encode_documents`` as ``Embedder``'s, computed in a low-priority child process.

    ``torch_threads``, ``batch_size``, ``backend`` and ``cache_dir`` configure the child's
    ``Embedder``; ``niceness`` is added to the child's priority (Linux, macOS). Thread-safe:
    calls are serialised, as the child runs one model.
    """

    def __init__(
        self,
        torch_threads: int = 2,
        batch_size: int = 64,
        backend: Backend = "torch",
        cache_dir: Path | None = None,
        niceness: int = BACKGROUND_NICENESS,
    ) -> None:
        self._config = (torch_threads, batch_size, backend, cache_dir, niceness)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def encode_documents(
        self, texts: Sequence[str], batch_size: int | None = None
    ) -> npt.NDArray[np.float32]:
        """Encode passages in the child: shape ``(len(texts), 384)``, float32, unit length.
        Raises ``BrokenProcessPool`` if the child dies twice in one call."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            for attempt in (1, 2):
                try:
                    return self._ensure().submit(_encode, list(texts), batch_size).result()
                except BrokenProcessPool:
                    logger.warning("the embedding process died (attempt %d); restarting", attempt)
                    self._shutdown()
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Stop the child (idempotent)."""
        with self._lock:
            self._shutdown()

    def _ensure(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_child,
                initargs=self._config,
            )
        return self._pool

    def _shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _start_child(
    torch_threads: int, batch_size: int, backend: Backend, cache_dir: Path | None, niceness: int
) -> None:
    global _child_embedder
    os.nice(niceness)
    _child_embedder = Embedder(torch_threads, batch_size, backend, cache_dir)


def _encode(texts: list[str], batch_size: int | None) -> npt.NDArray[np.float32]:
    assert _child_embedder is not None, "initializer did not run"
    return _child_embedder.encode_documents(texts, batch_size)
