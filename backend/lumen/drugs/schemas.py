"""Shapes of the drug-information API: FDA labels (SPL) and their sections."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DrugSummary(BaseModel):
    """A label in search results."""

    set_id: str
    document_id: str
    title: str
    brand_name: str | None
    generic_name: str | None
    effective_date: str | None = Field(description="YYYYMMDD, SPL effectiveTime")
    version: str = Field(description="SPL versionNumber")


class DrugList(BaseModel):
    """``GET /drugs?q=``: one page of matching labels, best first (brand name starting with
    ``q``, then generic name starting with it, then either containing it)."""

    items: list[DrugSummary]
    has_more: bool = Field(description="Another page follows: ask again with next_cursor")
    next_cursor: str | None = Field(
        description="Opaque; pass as cursor, with the same q, for the next page"
    )


class DrugSectionOut(BaseModel):
    """A label section; ``name`` is the standard LOINC section name, e.g. 'boxed warning'."""

    id: str
    title: str
    code: str | None
    name: str | None
    text: str


class DrugLabelOut(DrugSummary):
    """``GET /drugs/{set_id}``: a label with its sections in label order."""

    url: str | None
    licence: str
    attribution: str
    sections: list[DrugSectionOut]
