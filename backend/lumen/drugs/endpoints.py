"""Drug-information routes (DESIGN.md: ``GET /drugs?q=``, ``GET /drugs/{set_id}``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from lumen.auth.principal import Principal
from lumen.deps import DocumentsDep, reader
from lumen.drugs.schemas import DrugLabelOut, DrugList, DrugSectionOut, DrugSummary
from lumen.knowledge.loaders.spl import section_name
from lumen.knowledge.models import Document

router = APIRouter(prefix="/api/v1/drugs", tags=["drugs"])
# Every signed-in role, and API tokens with scope ``drugs``.
DrugReader = Annotated[Principal, Depends(reader("drugs"))]


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


@router.get("")
async def search_drugs(
    documents: DocumentsDep,
    caller: DrugReader,
    q: Annotated[str, Query(max_length=200, description="Brand or generic name")] = "",
) -> DrugList:
    """FDA labels whose brand or generic name contains ``q`` (all labels for an empty ``q``)."""
    return DrugList(items=[_summary(d) for d in await documents.search_labels(q)])


@router.get("/{set_id}")
async def get_drug(set_id: str, documents: DocumentsDep, caller: DrugReader) -> DrugLabelOut:
    """A label by SPL set id with its sections (LOINC code and standard name). 404 if unknown."""
    document, sections = await documents.label(set_id)
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
