"""A MedQuAD ``corpus.jsonl`` row as Lumen's loader would parse it (tests and calibration)."""

from __future__ import annotations

from lumen.knowledge.loaders.medquad import normalise_answer
from lumen.knowledge.schemas import CONSUMER_HEALTH, SourceDocument, SourceSection

MEDQUAD_ATTRIBUTION = (
    "MedQuAD, Asma Ben Abacha and Dina Demner-Fushman, U.S. National Library of Medicine"
)


def corpus_row_document(row: dict[str, str]) -> SourceDocument:
    """One-section document of a corpus row's answer, normalised as the loader does."""
    answer = normalise_answer(row["answer"])
    section = SourceSection(key=row["id"], title=row["question"], start=0, end=len(answer))
    return SourceDocument(
        id=f"medquad:{row['document_id']}",
        source="medquad",
        source_name=row["source"],
        collection=CONSUMER_HEALTH,
        title=row["title"],
        url=row["url"],
        licence="CC BY 4.0",
        attribution=MEDQUAD_ATTRIBUTION,
        version="1",
        text=answer,
        sections=(section,),
    )
