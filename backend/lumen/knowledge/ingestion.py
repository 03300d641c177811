"""The ingestion pipeline: parsed documents → chunks → dense + BM25 vectors, and each chunk's
quotable sentences' vectors (``lumen.knowledge.sentence_vectors``) → index + tables.

Order of writes per document, so that nothing half-ingested is reported as done:
1. the ``documents`` row is written with ``status="indexing"`` and the new version;
2. its chunks are upserted under deterministic ids (UUIDv5 of document id + chunk index), which
   overwrites the previous version's points in place, then points past the new chunk count are
   deleted;
3. the row flips to ``status="indexed"`` in the same transaction as its sections.
A crash anywhere leaves the row ``indexing``; the next run re-ingests it without duplicates.
An unchanged document (same version, already ``indexed`` by this ``INDEX_FORMAT``) is skipped
without embedding.

Every record also writes its focus names (``focus_terms``, for question understanding): a new
version's in the transaction that marks it ``indexed``, an unchanged document's and an
``UnheldFocus``'s in batches, each replacing that record's earlier names.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
import numpy.typing as npt
from sqlmodel import col, delete

from lumen.db import Database, utcnow
from lumen.knowledge.chunking import chunk_document
from lumen.knowledge.embeddings import Embedder
from lumen.knowledge.index.base import IndexPoint, PointWriter, SparseVector, point_id
from lumen.knowledge.models import Document, DocumentSection
from lumen.knowledge.schemas import Chunk, LoadError, SourceDocument, UnheldFocus
from lumen.knowledge.sentence_vectors import PAYLOAD_FIELD, pack, quotable_sentences
from lumen.knowledge.sparse import Bm25Encoder
from lumen.knowledge.understanding.repository import replace_terms, terms_of

logger = logging.getLogger(__name__)

# Chunks embedded per model call: large enough that sentence-transformers' length-sorted
# batching keeps the CPU busy, small enough that progress moves every few seconds.
CHUNKS_PER_BATCH = 256
# Records whose names are written in one transaction when nothing is embedded for them.
TERMS_PER_BATCH = 500
# What ``documents.index_format`` records: 2 once chunks carry their sentence vectors. A
# document written by an older format is not unchanged: the next load writes it again.
INDEX_FORMAT = 2


@dataclass
class IngestReport:
    """Counts of one ingestion run. ``failed`` lists unreadable files by name and line."""

    documents_indexed: int = 0
    documents_unchanged: int = 0
    chunks_indexed: int = 0
    failed: list[LoadError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no source file failed to load."""
        return not self.failed


ProgressCallback = Callable[[int, IngestReport], None]
# A batch ready to store: each document with its chunks, and the chunks' vectors in order.
Prepared = list[tuple[SourceDocument, list[Chunk]]]


class IngestStore(Protocol):
    """Where a prepared batch is written (``IndexStore``)."""

    def write_terms(self, records: list[SourceDocument | UnheldFocus]) -> None:
        """Replace the focus names of ``records`` (nothing to embed for them)."""
        ...

    def write_batch(
        self, batch: Prepared, dense: npt.NDArray[np.float32], sparse: list[SparseVector]
    ) -> None:
        """Store new versions of documents with their chunks' vectors."""
        ...


class IndexStore:
    """Writes prepared batches to the database and the vector index (``points``), in the order
    the module docstring gives (``indexing`` row, points, then ``indexed`` with its sections).

    With ``slice_chunks``, a batch is written in slices of whole documents of at most that many
    chunks, each its own transactions, sleeping ``pause_s`` after each: other writers of the
    database (a server's requests) get its lock between slices.
    """

    def __init__(
        self,
        db: Database,
        points: PointWriter,
        slice_chunks: int | None = None,
        pause_s: float = 0.0,
    ) -> None:
        self._db = db
        self._index = points
        self._slice_chunks = slice_chunks
        self._pause_s = pause_s

    def write_terms(self, records: list[SourceDocument | UnheldFocus]) -> None:
        """Replace the focus names of ``records`` in one transaction."""
        with self._db.session() as session:
            replace_terms(
                session,
                [r.origin if isinstance(r, UnheldFocus) else r.id for r in records],
                [row for record in records for row in terms_of(record)],
            )
            session.commit()

    def write_batch(
        self, batch: Prepared, dense: npt.NDArray[np.float32], sparse: list[SparseVector]
    ) -> None:
        """Store ``batch``: ``dense`` is ``(chunks, 384)`` and ``sparse`` one vector per chunk,
        in the batch's chunk order."""
        if self._slice_chunks is None:
            self._write(batch, dense, sparse)
            return
        for part, part_dense, part_sparse in slices(batch, dense, sparse, self._slice_chunks):
            self._write(part, part_dense, part_sparse)
            time.sleep(self._pause_s)

    def _write(
        self, batch: Prepared, dense: npt.NDArray[np.float32], sparse: list[SparseVector]
    ) -> None:
        with self._db.session() as session:
            for doc, chunks in batch:
                session.merge(_document_row(doc, len(chunks), status="indexing"))
            session.commit()

        chunks = [chunk for _, doc_chunks in batch for chunk in doc_chunks]
        self._index.upsert(
            [
                IndexPoint(point_id(c.document_id, c.index), dense[i], sparse[i], c.payload)
                for i, c in enumerate(chunks)
            ]
        )
        for doc, doc_chunks in batch:
            self._index.delete_document(doc.id, from_chunk_index=len(doc_chunks))

        with self._db.session() as session:
            for doc, doc_chunks in batch:
                session.exec(
                    delete(DocumentSection).where(col(DocumentSection.document_id) == doc.id)
                )
                session.merge(_document_row(doc, len(doc_chunks), status="indexed"))
                session.add_all(_section_rows(doc))
            replace_terms(
                session,
                [doc.id for doc, _ in batch],
                [row for doc, _ in batch for row in terms_of(doc)],
            )
            session.commit()


class Ingestor:
    """Runs documents through chunking, both embedders and the index, in batches.

    ``index`` is where batches are stored unless ``ingest`` is given another ``IngestStore``
    (``None``: only with one).
    """

    def __init__(
        self,
        db: Database,
        embedder: Embedder,
        bm25: Bm25Encoder,
        index: PointWriter | None,
    ) -> None:
        self._db = db
        self._embedder = embedder
        self._bm25 = bm25
        self._store = IndexStore(db, index) if index is not None else None

    def ingest(
        self,
        items: Iterable[SourceDocument | LoadError | UnheldFocus],
        on_progress: ProgressCallback | None = None,
        store: IngestStore | None = None,
    ) -> IngestReport:
        """Ingest every document of ``items`` into ``store`` (default: this ingestor's
        database and index); ``on_progress(items_seen, report)`` after each batch. Load errors
        are collected in the report, never raised. Raises ``ValueError`` with no store."""
        target = store or self._store
        if target is None:
            raise ValueError("an ingestor without an index needs a store")
        started = time.perf_counter()
        report = IngestReport()
        pending: Prepared = []
        pending_chunks = 0
        named: list[SourceDocument | UnheldFocus] = []
        seen = 0
        for item in items:
            seen += 1
            if isinstance(item, LoadError):
                report.failed.append(item)
                logger.warning(
                    "could not load %s (line %s): %s", item.name, item.line, item.message
                )
                continue
            if isinstance(item, UnheldFocus) or self._is_current(item):
                if isinstance(item, SourceDocument):
                    report.documents_unchanged += 1
                named.append(item)
                if len(named) >= TERMS_PER_BATCH:
                    target.write_terms(named)
                    named = []
                continue
            chunks = chunk_document(item)
            pending.append((item, chunks))
            pending_chunks += len(chunks)
            if pending_chunks >= CHUNKS_PER_BATCH:
                self._flush(pending, report, target)
                pending, pending_chunks = [], 0
                if on_progress:
                    on_progress(seen, report)
        if pending:
            self._flush(pending, report, target)
        if named:
            target.write_terms(named)
        report.seconds = time.perf_counter() - started
        if on_progress:
            on_progress(seen, report)
        return report

    def _is_current(self, doc: SourceDocument) -> bool:
        with self._db.session() as session:
            row = session.get(Document, doc.id)
            return (
                row is not None
                and row.version == doc.version
                and row.status == "indexed"
                and row.index_format == INDEX_FORMAT
            )

    def _flush(self, batch: Prepared, report: IngestReport, store: IngestStore) -> None:
        """Embed a batch's chunks and their quotable sentences together (``encode_documents``
        sorts by length, so sentences pad against sentences), then store it."""
        chunks = [chunk for _, doc_chunks in batch for chunk in doc_chunks]
        texts = [chunk.embed_text for chunk in chunks]
        sentences = [quotable_sentences(chunk.text) for chunk in chunks]
        unique = list(dict.fromkeys(s.text for found in sentences for s in found))
        vectors = self._embedder.encode_documents(texts + unique)
        row = {text: len(texts) + i for i, text in enumerate(unique)}
        stored = iter(
            pack(found, vectors[[row[s.text] for s in found]]) if found else None
            for found in sentences
        )
        with_vectors: Prepared = [
            (doc, [_with_sentence_vectors(chunk, next(stored)) for chunk in doc_chunks])
            for doc, doc_chunks in batch
        ]
        store.write_batch(with_vectors, vectors[: len(texts)], self._bm25.encode_documents(texts))
        report.documents_indexed += len(batch)
        report.chunks_indexed += len(texts)


def _with_sentence_vectors(chunk: Chunk, stored: dict[str, object] | None) -> Chunk:
    """``chunk`` with its sentence vectors in its payload (``None``: no quotable sentence)."""
    if stored is None:
        return chunk
    return replace(chunk, payload={**chunk.payload, PAYLOAD_FIELD: stored})


def slices(
    batch: Prepared, dense: npt.NDArray[np.float32], sparse: list[SparseVector], max_chunks: int
) -> Iterator[tuple[Prepared, npt.NDArray[np.float32], list[SparseVector]]]:
    """Split a prepared batch into consecutive parts of whole documents, each of at most
    ``max_chunks`` chunks (a longer document is a part of its own), with the rows of ``dense``
    (``(chunks, dim)``) and ``sparse`` that belong to it, in order."""
    part: Prepared = []
    start = stop = 0
    for doc, chunks in batch:
        if part and stop - start + len(chunks) > max_chunks:
            yield part, dense[start:stop], sparse[start:stop]
            part, start = [], stop
        part.append((doc, chunks))
        stop += len(chunks)
    if part:
        yield part, dense[start:stop], sparse[start:stop]


def _document_row(doc: SourceDocument, chunk_count: int, status: str) -> Document:
    return Document(
        id=doc.id,
        source=doc.source,
        source_name=doc.source_name,
        collection=doc.collection,
        title=doc.title,
        url=doc.url,
        licence=doc.licence,
        attribution=doc.attribution,
        version=doc.version,
        effective_date=doc.effective_date,
        set_id=doc.set_id,
        brand_name=doc.brand_name,
        generic_name=doc.generic_name,
        text=doc.text,
        chunk_count=chunk_count,
        status=status,
        index_format=INDEX_FORMAT,
        updated_at=utcnow(),
    )


def _section_rows(doc: SourceDocument) -> list[DocumentSection]:
    return [
        DocumentSection(
            id=f"{doc.id}#{section.key}",
            document_id=doc.id,
            position=position,
            title=section.title,
            code=section.code,
            qid=section.qid,
            question_type=section.question_type,
            start=section.start,
            end=section.end,
            page=section.page,
        )
        for position, section in enumerate(doc.sections)
    ]
