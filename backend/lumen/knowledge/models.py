"""Tables of the knowledge base: source documents and their sections.

The vector index holds chunks (text, vectors, payload); these tables hold the documents the
chunks point back into, so a citation can show the exact passage and ``GET /documents/{id}``
can return a whole document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, String, Text, event
from sqlmodel import Field, SQLModel

from lumen.db import utcnow

# The search keys compare byte-wise on PostgreSQL (collation "C"): a name prefix is then exactly
# a range of the index whatever the server's locale, and paging orders names the way SQLite's
# default BINARY collation does.
SEARCH_KEY = String(500).with_variant(String(500, collation="C"), "postgresql")


def name_key(name: str | None) -> str:
    """A brand or generic name as label search compares it: lower case, runs of whitespace as
    one space, no outer spaces; ``''`` for ``None``. E.g. ``'  Lipitor  XR'`` → ``'lipitor xr'``."""
    return " ".join((name or "").lower().split())


class Document(SQLModel, table=True):
    """One source document: a MedQuAD web page or one FDA label (SPL set id).

    ``status`` is ``indexed`` only once every chunk of this version is in the vector index:
    a crashed ingestion never leaves a document reported as done.

    ``brand_key`` and ``generic_key`` are the names as label search compares them
    (``name_key``), set from ``brand_name`` and ``generic_name`` on every ORM write (a bulk
    insert must set them itself). They are plain columns, not generated ones: SQLite reads a
    virtual generated column from the table row, so an index on one is never covering, and a
    substring scan would read every label's text pages. Their two indexes serve
    ``DocumentRepository.label_page``. Substring search also has trigram indexes, made by
    migration d2c8f4a61e93 only (the model cannot declare them): pg_trgm GIN indexes on
    PostgreSQL, an FTS5 table kept in step by triggers on SQLite.
    """

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_label_brand", "source", "status", "brand_key", "id", "generic_key"),
        Index("ix_documents_label_generic", "source", "status", "generic_key", "id", "brand_key"),
    )

    id: str = Field(primary_key=True, max_length=200)  # "medquad:<doc id>" / "spl:<set id>"
    source: str = Field(index=True, max_length=32)  # "medquad" | "spl"
    source_name: str = Field(max_length=200)  # "CancerGov", "GARD", "FDA SPL (DailyMed)"
    collection: str = Field(index=True, max_length=64)  # audience: consumer_health | drug_labels
    title: str = Field(max_length=500)
    url: str | None = Field(default=None, max_length=1000)
    licence: str = Field(max_length=200)
    attribution: str = Field(max_length=500)
    version: str = Field(max_length=64)  # SPL versionNumber; MedQuAD content hash
    effective_date: str | None = Field(default=None, max_length=16)  # YYYYMMDD (SPL)
    set_id: str | None = Field(default=None, index=True, max_length=64)
    brand_name: str | None = Field(default=None, index=True, max_length=300)
    generic_name: str | None = Field(default=None, index=True, max_length=500)
    brand_key: str = Field(default="", sa_column=Column(SEARCH_KEY, nullable=False))
    generic_key: str = Field(default="", sa_column=Column(SEARCH_KEY, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    chunk_count: int = 0
    status: str = Field(default="indexing", max_length=16)  # indexing | indexed
    # The ingestion that wrote the points (``INDEX_FORMAT``); an older one is ingested again.
    index_format: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    updated_at: datetime = Field(default_factory=utcnow)


@event.listens_for(Document, "before_insert")
@event.listens_for(Document, "before_update")
def _set_search_keys(_mapper: Any, _connection: Any, document: Document) -> None:
    document.brand_key = name_key(document.brand_name)
    document.generic_key = name_key(document.generic_name)


class DocumentSection(SQLModel, table=True):
    """A section of a document: a MedQuAD QA pair, an SPL ``<section>``, or a page or heading
    of an uploaded file.

    ``start``/``end`` are character offsets into ``Document.text``.
    """

    __tablename__ = "document_sections"

    id: str = Field(primary_key=True, max_length=300)
    document_id: str = Field(foreign_key="documents.id", index=True, ondelete="CASCADE")
    position: int
    title: str = Field(max_length=1000)
    code: str | None = Field(default=None, max_length=32)  # SPL LOINC section code
    qid: str | None = Field(default=None, max_length=64)  # MedQuAD XML qid
    question_type: str | None = Field(default=None, max_length=64)
    start: int
    end: int
    page: int | None = None  # page of an uploaded PDF, from 1


class FocusTerm(SQLModel, table=True):
    """A name of a question's possible focus, from the knowledge base's own vocabulary.

    MedQuAD's ``<Focus>`` and its ``<Synonyms>``, and a label's brand and generic names. Terms
    of documents that Lumen holds point to them (``document_id``); MedQuAD also names pages
    whose answers it does not carry (MedlinePlus drugs, herbs and supplements, A.D.A.M.), kept
    with ``document_id`` None and their public ``url``, so that an answer can say by name
    that Lumen has no source on them and where to read. ``origin`` is the loader's key of the
    record the terms came from (``medquad:<source>_<id>``, ``spl:<set id>``): a loader
    replaces an origin's terms as a whole.
    """

    __tablename__ = "focus_terms"

    id: int | None = Field(default=None, primary_key=True)
    origin: str = Field(index=True, max_length=200)
    term: str = Field(index=True, max_length=300)  # normalised: case-folded, single spaces
    name: str = Field(max_length=300)  # as the source writes it
    kind: str = Field(max_length=16)  # condition | drug | supplement
    document_id: str | None = Field(
        default=None, foreign_key="documents.id", index=True, ondelete="CASCADE"
    )
    url: str | None = Field(default=None, max_length=1000)
