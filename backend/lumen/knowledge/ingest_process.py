"""Bulk ingestion in a child process at the lowest CPU priority (the embedded default).

In the embedded default, ingestion and serving share one process and two cores. Run in the
serving process, a load starved questions twice over: each model batch held the shared
embedder for about a second, and the loader's Python (XML parsing, chunking, BM25, the ORM
writes) held the GIL, so every await of a request queued behind it (issue 12 measured p95 9.5 s
during the first load). Here a child process does all of that work with its own model and its
own database connection, at ``nice`` 19 (setpriority(2): the scheduler gives it the cores the
server leaves idle and takes them back when a question needs them). Only the points come back
over a pipe to this process, which alone holds the Edge shard: each upsert or delete is
acknowledged before the child goes on, so ``IndexStore``'s write order (``indexing`` row,
points, ``indexed`` row) that keeps a crash from leaving a half document is unchanged.

The child writes each batch in slices of whole documents with a pause between them, so a
request waiting for SQLite's write lock gets it within one slice (SQLite's busy handler retries
at most 25 ms apart in its first 100 ms; ``WRITE_PAUSE_S`` is longer).

The child is started with ``spawn`` (no copy of the server's threads, sockets or torch state)
on first use. A child that dies, or an index write that fails, ends the child; the call raises
``IngestionProcessFailed`` (a ``ConnectionError``: the job runner retries the batch) and the
next call starts a new one.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from lumen.knowledge.index.base import IndexPoint, PointWriter
from lumen.knowledge.ingestion import IngestReport
from lumen.knowledge.schemas import SourceDocument
from lumen.settings import Settings

logger = logging.getLogger(__name__)

# The lowest priority setpriority(2) allows: CFS weight 15 against the server's 1024.
BACKGROUND_NICENESS = 19
# The child's writes: slices of at most this many chunks (whole documents), each its own
# transactions, with this pause after each (see the module docstring; bench section 10).
WRITE_SLICE_CHUNKS = 32
WRITE_PAUSE_S = 0.03

LoaderName = str  # "medquad" | "spl" | "dailymed" | "openfda"


class IngestionProcessFailed(ConnectionError):
    """The child died or a write it asked for failed; the batch may be run again."""


class IngestionProcess:
    """Runs windows of a source through a child's ingestion pipeline; the child's points go
    to ``index``.

    ``settings`` configure the child's database connection and model; ``niceness`` is added to
    the child's priority. Calls are serialised (one child).
    """

    def __init__(
        self, settings: Settings, index: PointWriter, niceness: int = BACKGROUND_NICENESS
    ) -> None:
        self._settings = settings
        self._index = index
        self._niceness = niceness
        self._lock = threading.Lock()
        self._child: tuple[BaseProcess, Connection] | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id, while one runs."""
        return self._child[0].pid if self._child else None

    def ingest(
        self,
        loader: LoaderName,
        source: str,
        downloads: Path,
        window: tuple[int, int],
        on_progress: Callable[[int, IngestReport], None] | None = None,
    ) -> IngestReport:
        """Ingest items ``[start, stop)`` (``window``) of ``source`` read by ``loader``
        (``medquad``, ``spl``, ``dailymed`` or ``openfda``; a URL is fetched into
        ``downloads``); ``on_progress(items read, report so far)`` after each batch. Returns
        the child's report. Raises what the loader raised opening the source
        (``SourceUnavailable``), or ``IngestionProcessFailed``."""
        return self._call(("window", loader, source, str(downloads), window), on_progress)

    def ingest_documents(self, documents: list[SourceDocument]) -> IngestReport:
        """Chunk, embed and store ``documents`` already parsed here (an admin's upload) in the
        child. Returns its report; raises ``IngestionProcessFailed``."""
        return self._call(("documents", documents), None)

    def _call(
        self, command: tuple[Any, ...], on_progress: Callable[[int, IngestReport], None] | None
    ) -> IngestReport:
        with self._lock:
            _process, conn = self._ensure()
            try:
                conn.send(command)
                return self._serve(conn, on_progress)
            except (EOFError, OSError, BrokenPipeError) as exc:
                self._stop()
                raise IngestionProcessFailed(f"the ingestion process died: {exc}") from exc
            except IngestionProcessFailed:
                self._stop()
                raise

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop the child (idempotent), at once: a call in progress fails with
        ``IngestionProcessFailed`` and its batch runs again when the job resumes (a server
        shutting down must not wait for a batch)."""
        child = self._child
        if child is not None and child[0].is_alive():
            child[0].terminate()
        if self._lock.acquire(timeout=timeout_s):
            try:
                self._stop()
            finally:
                self._lock.release()

    def _serve(
        self, conn: Connection, on_progress: Callable[[int, IngestReport], None] | None
    ) -> IngestReport:
        while True:
            message: tuple[Any, ...] = conn.recv()
            match message:
                case ("upsert", points):
                    self._write(conn, lambda: self._index.upsert(points))
                case ("delete", document_id, from_chunk_index):
                    self._write(
                        conn, lambda: self._index.delete_document(document_id, from_chunk_index)
                    )
                case ("progress", seen, report):
                    if on_progress:
                        on_progress(seen, report)
                case ("done", report):
                    return report  # type: ignore[no-any-return]
                case ("raised", exc):
                    raise exc
                case _:
                    raise IngestionProcessFailed(f"unexpected message {message[0]!r}")

    def _write(self, conn: Connection, write: Callable[[], None]) -> None:
        try:
            write()
        except Exception as exc:
            # The child waits for this acknowledgement mid-batch: it cannot go on. A fault in
            # this process's index is the runner's to retry.
            raise IngestionProcessFailed(f"{type(exc).__name__}: {exc}") from exc
        conn.send(("ok",))

    def _ensure(self) -> tuple[BaseProcess, Connection]:
        if self._child is not None and self._child[0].is_alive():
            return self._child
        self._stop()
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(
            target=_child_main,
            args=(child, self._settings, self._niceness),
            name="lumen-ingest",
            daemon=True,
        )
        process.start()
        child.close()
        self._child = (process, parent)
        return self._child

    def _stop(self) -> None:
        if self._child is None:
            return
        process, conn = self._child
        self._child = None
        with contextlib.suppress(OSError, BrokenPipeError):
            conn.send(None)
        conn.close()
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)


class _PipePoints:
    """The child's ``PointWriter``: each write goes to the parent, which answers once the
    index holds it."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def upsert(self, points: Sequence[IndexPoint]) -> None:
        self._conn.send(("upsert", list(points)))
        self._acknowledged()

    def delete_document(self, document_id: str, from_chunk_index: int = 0) -> None:
        self._conn.send(("delete", document_id, from_chunk_index))
        self._acknowledged()

    def _acknowledged(self) -> None:
        if self._conn.recv() != ("ok",):
            raise RuntimeError("the parent did not store the points")


def _child_main(conn: Connection, settings: Settings, niceness: int) -> None:
    """The child: load the model once, then run windows until told to stop (``None``)."""
    os.nice(niceness)
    from lumen.db import Database
    from lumen.knowledge.embeddings import Embedder
    from lumen.knowledge.ingestion import IndexStore, Ingestor
    from lumen.knowledge.loaders.dailymed import open_dailymed
    from lumen.knowledge.loaders.medquad import open_medquad
    from lumen.knowledge.loaders.openfda import open_openfda
    from lumen.knowledge.loaders.spl import open_spl
    from lumen.knowledge.sparse import Bm25Encoder

    db = Database(settings)
    embedder = Embedder(
        torch_threads=settings.torch_threads,
        batch_size=settings.embedding_batch_size,
        backend=settings.embedding_backend,
        cache_dir=settings.data_dir / "models",
    )
    ingestor = Ingestor(db, embedder, Bm25Encoder(), index=None)
    store = IndexStore(db, _PipePoints(conn), WRITE_SLICE_CHUNKS, WRITE_PAUSE_S)
    while (command := conn.recv()) is not None:
        try:
            if command[0] == "documents":
                conn.send(("done", ingestor.ingest(command[1], store=store)))
                continue
            _, loader, source, downloads, (start, stop) = command
            openers: dict[LoaderName, Callable[[str, Path], Any]] = {
                "medquad": open_medquad,
                "spl": open_spl,
                "dailymed": open_dailymed,
                "openfda": open_openfda,
            }
            run = openers[loader](source, Path(downloads)).window(start, stop)

            def progress(_seen: int, report: IngestReport, run: Any = run) -> None:
                conn.send(("progress", run.processed, report))

            conn.send(("done", ingestor.ingest(run, on_progress=progress, store=store)))
        except Exception as exc:  # the parent decides: poison input, or retry
            conn.send(("raised", _picklable(exc)))


def _picklable(exc: Exception) -> Exception:
    """``exc`` if it survives the pipe, else a ``RuntimeError`` naming it."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
