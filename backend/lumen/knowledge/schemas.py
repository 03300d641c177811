"""Shapes the knowledge domain passes around: parsed documents, chunks, retrieval hits, and the
bodies of its routes."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

CONSUMER_HEALTH = "consumer_health"
DRUG_LABELS = "drug_labels"
# Regulatory documents and SOPs for pharma staff (DESIGN.md, "Collections by audience").
REGULATORY = "regulatory"
COLLECTIONS = (CONSUMER_HEALTH, DRUG_LABELS, REGULATORY)
# ``SourceDocument.source`` of a file an admin uploaded (``lumen.knowledge.uploads``).
UPLOAD = "upload"


@dataclass(frozen=True, slots=True)
class SourceSection:
    """A section of a parsed source document.

    ``start``/``end`` are character offsets of the section body (without its heading) in
    ``SourceDocument.text``; ``key`` is unique within the source (MedQuAD: the corpus id
    ``<source>_<doc id>_Sec<n>``; SPL: the section's ``id root``, unique within its label only;
    an upload: ``p<page>`` or ``s<n>``). ``page`` is the 1-based page of an uploaded PDF that
    the section is (a citation shows it).
    """

    key: str
    title: str
    start: int
    end: int
    code: str | None = None  # SPL LOINC section code
    qid: str | None = None  # MedQuAD XML qid
    question_type: str | None = None  # MedQuAD qtype
    page: int | None = None  # PDF page, from 1


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """A document as a loader parsed it, before chunking.

    ``id`` is ``medquad:<document id>`` or ``spl:<set id>``; ``version`` decides replacement
    (SPL ``versionNumber``; MedQuAD a content hash); ``text`` holds every section body.
    """

    id: str
    source: str  # "medquad" | "spl"
    source_name: str
    collection: str
    title: str
    url: str | None
    licence: str
    attribution: str
    version: str
    text: str
    sections: tuple[SourceSection, ...]
    effective_date: str | None = None
    set_id: str | None = None
    brand_name: str | None = None
    generic_name: str | None = None
    # Other names of the focus (MedQuAD ``<Synonyms>``); the focus's kind: condition | drug |
    # supplement (MedQuAD ``<Category>``, SPL: drug).
    aliases: tuple[str, ...] = ()
    focus_kind: str = "condition"


@dataclass(frozen=True, slots=True)
class UnheldFocus:
    """A focus the source names but whose text Lumen does not hold.

    MedQuAD lists MedlinePlus drug, herb and A.D.A.M. encyclopedia pages with their questions
    but without answers (removed for copyright): their names let an answer say that Lumen has
    no source on them, and ``url`` says where to read instead. ``origin`` is
    ``medquad:<source>_<document id>``.
    """

    origin: str
    name: str
    aliases: tuple[str, ...]
    kind: str  # condition | drug | supplement
    url: str | None


@dataclass(frozen=True, slots=True)
class LoadError:
    """A source file (or member of an archive) that could not be parsed."""

    name: str  # file path or archive member
    line: int | None
    message: str


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrievable passage: inside one section, with offsets into the document text.

    ``index`` numbers the chunks of a document from 0; the point id is derived from
    ``(document_id, index)``. ``embed_text`` is what the embedders see (heading + body).
    """

    document_id: str
    index: int
    section_key: str
    section_title: str
    text: str
    start: int
    end: int
    embed_text: str
    payload: dict[str, object] = field(default_factory=dict)


class RetrievalHit(BaseModel):
    """One ranked passage, as ``lumen search`` and ``GET /api/v1/search`` return it."""

    score: float
    document_id: str
    section_key: str
    title: str
    section: str
    source: str
    source_name: str
    collection: str
    url: str | None
    passage: str
    start: int
    end: int
    qid: str | None = None
    question_type: str | None = None  # MedQuAD qtype of the section
    code: str | None = None  # LOINC code of a label section
    page: int | None = None  # page of an uploaded PDF, from 1
    set_id: str | None = None
    licence: str | None = None
    attribution: str | None = None
    # True when the passage is from a document on the question's focus (question
    # understanding found the focus by name in the question).
    on_focus: bool = False
    # The chunk's sentence vectors stored at ingestion (``lumen.knowledge.sentence_vectors``),
    # for the extractive engine: never serialised, not in the API's schema.
    sentence_vectors: SkipJsonSchema[dict[str, object] | None] = Field(
        default=None, exclude=True, repr=False
    )


class SearchResults(BaseModel):
    """``GET /search``: hits best first."""

    items: list[RetrievalHit]


class SectionOut(BaseModel):
    """A section of a document; ``start``/``end`` are offsets into the document text;
    ``page`` is the page of an uploaded PDF (from 1), else ``None``."""

    id: str
    title: str
    code: str | None
    qid: str | None
    start: int
    end: int
    page: int | None = None


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
