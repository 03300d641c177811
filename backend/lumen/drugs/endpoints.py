"""Drug-information routes (DESIGN.md: ``GET /drugs?q=``, ``GET /drugs/{set_id}``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from lumen.drugs.deps import DrugReader
from lumen.drugs.schemas import DrugLabelOut, DrugList, DrugSectionOut, DrugSummary
from lumen.knowledge.deps import KnowledgeDep
from lumen.knowledge.labels import LABEL_PAGE_MAX, LABEL_PAGE_SIZE
from lumen.knowledge.loaders.spl import section_name
from lumen.knowledge.models import Document
from lumen.problems import problem_responses

router = APIRouter(prefix="/api/v1/drugs", tags=["drugs"])


def _summary(document: Document) -> DrugSummary:
    return DrugSummary(
        set_id=document.set_id or document.id.removeprefix("spl:"),
        document_id=document.id,
        title=document.title,
        brand_name=document.brand_name,
        generic_name=document.generic_name,
        effective_date=document.effective_date,
        version=document.version,
    )


@router.get("", responses=problem_responses(401, 403, 422))
async def search_drugs(
    knowledge: KnowledgeDep,
    caller: DrugReader,
    q: Annotated[
        str,
        Query(
            max_length=200,
            # No control characters: no drug name has one, and a NUL ends an FTS5 string.
            pattern=r"^[^\x00-\x1f\x7f]*$",
            description="Brand or generic name",
        ),
    ] = "",
    limit: Annotated[
        int, Query(ge=1, le=LABEL_PAGE_MAX, description="Labels per page")
    ] = LABEL_PAGE_SIZE,
    cursor: Annotated[
        str | None, Query(max_length=2000, description="A previous page's next_cursor")
    ] = None,
) -> DrugList:
    """One page of FDA labels whose brand or generic name starts with ``q``, or contains it
    (``q`` of 3 characters or more), ranked as ``lumen.knowledge.labels`` says; every label
    for an empty ``q``. 422 for a ``q`` with a control character, or a cursor no page gave."""
    page = await knowledge.search_labels(q, limit=limit, cursor=cursor)
    return DrugList(
        items=[_summary(d) for d in page.labels],
        has_more=page.has_more,
        next_cursor=page.next_cursor,
    )


@router.get("/{set_id}", responses=problem_responses(401, 403, 404))
async def get_drug(set_id: str, knowledge: KnowledgeDep, caller: DrugReader) -> DrugLabelOut:
    """A label by SPL set id with its sections (LOINC code and standard name). 404 if unknown."""
    document, sections = await knowledge.label(set_id)
    return DrugLabelOut(
        **_summary(document).model_dump(),
        url=document.url,
        licence=document.licence,
        attribution=document.attribution,
        sections=[
            DrugSectionOut(
                id=s.id,
                title=s.title,
                code=s.code,
                name=section_name(s.code),
                text=document.text[s.start : s.end],
            )
            for s in sections
        ],
    )
