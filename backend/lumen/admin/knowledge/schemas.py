"""Shapes of the admin knowledge routes: counts per source and per collection."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class KnowledgeCount(BaseModel):
    """Documents and chunks of one source (``medquad``, ``spl``, ``upload`` …) or one
    collection (``consumer_health``, ``drug_labels``, ``regulatory``). ``indexing``: documents
    whose current version is not yet wholly searchable; ``last_updated_at``: the newest
    document's."""

    name: str
    documents: int
    chunks: int
    indexing: int
    last_updated_at: datetime | None


class KnowledgeSummary(BaseModel):
    """The knowledge base at a glance: per source, per collection (each by name), and in all."""

    sources: list[KnowledgeCount]
    collections: list[KnowledgeCount]
    documents: int
    chunks: int
