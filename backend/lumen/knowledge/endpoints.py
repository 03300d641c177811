"""Knowledge routes: ranked passages and source documents (DESIGN.md, HTTP API v1)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from lumen.knowledge.deps import DocumentReader, KnowledgeDep, Searcher
from lumen.knowledge.schemas import COLLECTIONS, DocumentOut, SearchResults, SectionOut
from lumen.problems import InvalidInput, problem_responses

router = APIRouter(prefix="/api/v1", tags=["knowledge"])


@router.get("/search", responses=problem_responses(401, 403))
async def search(
    knowledge: KnowledgeDep,
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
    hits = await knowledge.search(q, k=k, collections=collections, set_id=set_id, mode=mode)
    return SearchResults(items=hits)


@router.get("/documents/{document_id}", responses=problem_responses(401, 403, 404))
async def get_document(
    document_id: str, knowledge: KnowledgeDep, caller: DocumentReader
) -> DocumentOut:
    """A source document (``medquad:<id>`` or ``spl:<set id>``) with its sections and full
    text; section and citation offsets index into ``text``. 404 if unknown, not completely
    indexed, or in a collection the caller's role does not read."""
    document, sections = await knowledge.document(document_id, readable=caller.collections)
    return DocumentOut(
        **document.model_dump(exclude={"text", "chunk_count", "status", "updated_at"}),
        sections=[
            SectionOut(
                id=s.id,
                title=s.title,
                code=s.code,
                qid=s.qid,
                start=s.start,
                end=s.end,
                page=s.page,
            )
            for s in sections
        ],
        text=document.text,
    )
