"""Knowledge routes: ranked passages and source documents (DESIGN.md, HTTP API v1)."""

from __future__ import annotations

from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from lumen.auth.principal import Principal
from lumen.auth.roles import Role
from lumen.deps import DocumentsDep, RuntimeDep, reader
from lumen.knowledge.schemas import COLLECTIONS, RetrievalHit
from lumen.problems import InvalidInput, NotFound

router = APIRouter(prefix="/api/v1", tags=["knowledge"])
# /search is for pharma, admins and diagnostics (DESIGN.md); documents for every reader.
Searcher = Annotated[Principal, Depends(reader("search", (Role.PHARMA, Role.ADMIN)))]
DocumentReader = Annotated[Principal, Depends(reader("drugs"))]


class SearchResults(BaseModel):
    """``GET /search``: hits best first."""

    items: list[RetrievalHit]


class SectionOut(BaseModel):
    """A section of a document; ``start``/``end`` are offsets into the document text."""

    id: str
    title: str
    code: str | None
    qid: str | None
    start: int
    end: int


class DocumentOut(BaseModel):
    """``GET /documents/{id}``: a source document with its sections and full text."""

    id: str
    source: str
    source_name: str
    collection: str
    title: str
    url: str | None
    licence: str
    attribution: str
    version: str
    effective_date: str | None
    set_id: str | None
    sections: list[SectionOut]
    text: str


@router.get("/search")
async def search(
    runtime: RuntimeDep,
    caller: Searcher,
    q: Annotated[str, Query(min_length=1, max_length=4000, description="The question")],
    k: Annotated[int, Query(ge=1, le=50)] = 10,
    collection: Annotated[str | None, Query(description="consumer_health or drug_labels")] = None,
    set_id: Annotated[str | None, Query(max_length=64)] = None,
    mode: Literal["hybrid", "dense", "sparse"] = "hybrid",
) -> SearchResults:
    """Ranked passages by hybrid retrieval (dense + BM25 prefetch fused by RRF, k=60), from
    the collections the caller's role may read. Pharma and admin sessions, or an API token
    with scope ``search``.

    Each hit: score, title, section, source, URL, passage and offsets, and for MedQuAD the XML
    ``qid``. 422 for an unknown collection or one the caller may not read.
    """
    if collection is not None and collection not in COLLECTIONS:
        raise InvalidInput(f"Unknown collection {collection!r}; use one of {list(COLLECTIONS)}.")
    if collection is not None and collection not in caller.collections:
        raise InvalidInput(f"The {caller.role} role does not read {collection!r}.")
    collections = [collection] if collection else list(caller.collections)
    hits = await anyio.to_thread.run_sync(
        lambda: runtime.retriever.search(q, k=k, collections=collections, set_id=set_id, mode=mode)
    )
    return SearchResults(items=hits)


@router.get("/documents/{document_id}")
async def get_document(
    document_id: str, documents: DocumentsDep, caller: DocumentReader
) -> DocumentOut:
    """A source document (``medquad:<id>`` or ``spl:<set id>``) with its sections and full
    text; section and citation offsets index into ``text``. 404 if unknown, not completely
    indexed, or in a collection the caller's role does not read."""
    document, sections = await documents.document(document_id)
    if document.collection not in caller.collections:
        raise NotFound(f"No document {document_id}.")
    return DocumentOut(
        **document.model_dump(exclude={"text", "chunk_count", "status", "updated_at"}),
        sections=[
            SectionOut(id=s.id, title=s.title, code=s.code, qid=s.qid, start=s.start, end=s.end)
            for s in sections
        ],
        text=document.text,
    )
