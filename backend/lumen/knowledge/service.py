"""The knowledge base as the rest of Lumen reads it: ranked passages, source documents, FDA
labels, and whether the database and the index answer.

The one place other domains (drugs, chat) go to for documents; they never query the tables.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import anyio
from sqlmodel import col, select

from lumen.db import Database
from lumen.knowledge.index.base import VectorIndex
from lumen.knowledge.labels import (
    LABEL_PAGE_SIZE,
    LabelCursor,
    LabelPage,
    LabelTier,
    tier_key,
    tiers_for,
)
from lumen.knowledge.models import Document, DocumentSection, name_key
from lumen.knowledge.repository import DocumentRepository
from lumen.knowledge.retrieval import RetrievalMode, Retriever
from lumen.knowledge.schemas import RetrievalHit
from lumen.observability.readiness import Readiness
from lumen.problems import NotFound


class KnowledgeService:
    """Search, document reads and readiness over one database and vector index."""

    def __init__(self, db: Database, retriever: Retriever, index: VectorIndex) -> None:
        self._db = db
        self._retriever = retriever
        self._index = index

    async def search(
        self,
        query: str,
        *,
        k: int,
        collections: Sequence[str],
        set_id: str | None = None,
        mode: RetrievalMode = "hybrid",
    ) -> list[RetrievalHit]:
        """The top ``k`` passages for ``query`` from ``collections``, best first (``Retriever.
        search``). Retrieval embeds the query, so it runs off the event loop."""
        return await anyio.to_thread.run_sync(
            lambda: self._retriever.search(
                query, k=k, collections=collections, set_id=set_id, mode=mode
            )
        )

    async def document(
        self, document_id: str, readable: Collection[str] | None = None
    ) -> tuple[Document, Sequence[DocumentSection]]:
        """A completely indexed document and its sections in order. Raises ``NotFound`` when
        there is none, or (no existence oracle) when its collection is not in ``readable``."""
        async with self._db.async_session() as session:
            documents = DocumentRepository(session)
            document = await documents.indexed(document_id)
            if document is None or (readable is not None and document.collection not in readable):
                raise NotFound(f"No document {document_id}.")
            return document, await documents.sections(document_id)

    async def label(self, set_id: str) -> tuple[Document, Sequence[DocumentSection]]:
        """The FDA label of an SPL set id and its sections, in label order. A set id has one
        row, ``spl:<set id>`` (its primary key), which ingestion replaces with each newer
        version and its sections; so this is one key lookup and one indexed read of the
        sections. Raises ``NotFound``."""
        return await self.document(f"spl:{set_id}")

    async def search_labels(
        self, query: str, *, limit: int = LABEL_PAGE_SIZE, cursor: str | None = None
    ) -> LabelPage:
        """One page of labels whose brand or generic name matches ``query``, ranked brand
        prefix, generic prefix, then substring (``lumen.knowledge.labels``); every label, by
        brand name, when ``query`` is blank. ``limit`` is 1 to ``LABEL_PAGE_MAX``; ``cursor`` is
        a previous page's ``next_cursor`` for the same query. Raises ``InvalidInput`` for a
        cursor no page gave."""
        needle = name_key(query)
        after = LabelCursor.decode(cursor) if cursor else None
        tiers = tiers_for(needle)
        if after is not None:
            tiers = [t for t in tiers if t >= after.tier]
        found: list[tuple[LabelTier, Document]] = []
        async with self._db.async_session() as session:
            documents = DocumentRepository(session)
            for tier in tiers:
                # One more than the page: whether another page follows, without counting.
                wanted = limit + 1 - len(found)
                rows = await documents.label_page(tier, needle, after, wanted)
                found += [(tier, row) for row in rows]
                if len(found) > limit:
                    break
        page, has_more = found[:limit], len(found) > limit
        next_cursor = None
        if has_more:
            tier, last = page[-1]
            next_cursor = LabelCursor(tier, tier_key(tier, last), last.id).encode()
        return LabelPage([row for _, row in page], has_more, next_cursor)

    async def readiness(self) -> Readiness:
        """``database`` (``up``), ``knowledge: {documents}`` (indexed documents) and ``index:
        {points}``; a part that fails is ``"down (<exception type>)"`` and makes Lumen
        unready."""
        ready = True
        report: dict[str, object] = {}
        try:
            async with self._db.async_session() as session:
                documents = await DocumentRepository(session).count_indexed()
            report["database"] = "up"
            report["knowledge"] = {"documents": documents}
        except Exception as exc:  # readiness reports failures, it does not raise them
            ready = False
            report["database"] = f"down ({type(exc).__name__})"
        try:
            report["index"] = {"points": await anyio.to_thread.run_sync(self._index.count)}
        except Exception as exc:
            ready = False
            report["index"] = f"down ({type(exc).__name__})"
        return Readiness(ready, report)


@dataclass(frozen=True, slots=True)
class SourceAttribution:
    """Where a document comes from and under which terms: what a citation of it must carry."""

    document_id: str
    title: str
    url: str | None
    source_name: str
    licence: str
    attribution: str
    version: str
    effective_date: str | None  # YYYYMMDD (SPL)


def source_attributions(
    db: Database, document_ids: Collection[str]
) -> dict[str, SourceAttribution]:
    """Title, URL, publisher, licence and version of each document in ``document_ids`` that the
    knowledge base holds, by id (unknown ids are left out), on a sync session: background jobs
    (the FHIR export's ``DocumentReference``s) run off the event loop."""
    if not document_ids:
        return {}
    with db.session() as session:
        rows = session.exec(select(Document).where(col(Document.id).in_(list(document_ids))))
        return {
            row.id: SourceAttribution(
                document_id=row.id,
                title=row.title,
                url=row.url,
                source_name=row.source_name,
                licence=row.licence,
                attribution=row.attribution,
                version=row.version,
                effective_date=row.effective_date,
            )
            for row in rows.all()
        }
