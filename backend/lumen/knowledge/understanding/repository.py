"""The ``focus_terms`` table: writing each source record's names, reading the vocabulary."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlmodel import Session, col

from lumen.db import Database
from lumen.knowledge.models import FocusTerm
from lumen.knowledge.schemas import UPLOAD, SourceDocument, UnheldFocus
from lumen.knowledge.understanding.vocabulary import FocusVocabulary, TermRecord, normalise_term

# Salt and hydrate words of USP/INN drug names: "atorvastatin calcium" is asked about as
# "atorvastatin", "sildenafil citrate" as "sildenafil" (USP Nomenclature, salt policy).
_SALT_WORDS = frozenset(
    [
        "acetate",
        "besylate",
        "bromide",
        "calcium",
        "chloride",
        "citrate",
        "dihydrate",
        "disodium",
        "fumarate",
        "hcl",
        "hydrobromide",
        "hydrochloride",
        "hyclate",
        "magnesium",
        "maleate",
        "mesylate",
        "monohydrate",
        "phosphate",
        "potassium",
        "sodium",
        "succinate",
        "sulfate",
        "tartrate",
        "trihydrate",
    ]
)
_INGREDIENT_SEPARATORS = re.compile(r",\s*|\s+and\s+|\s*/\s*", re.IGNORECASE)


def terms_of(item: SourceDocument | UnheldFocus) -> list[FocusTerm]:
    """The ``focus_terms`` rows of one parsed record (unsaved; names deduplicated).

    A MedQuAD document gives its focus and synonyms; a label its brand name, its generic name,
    each active ingredient and each of those without salt words; an ``UnheldFocus`` its names
    with its public URL and no document. An uploaded file gives none: its title is a file
    name or whatever its author's software wrote ("Microsoft Word - Document1"), not the name
    of a condition or drug, and would steer questions towards it.
    """
    if isinstance(item, SourceDocument) and item.source == UPLOAD:
        return []
    if isinstance(item, UnheldFocus):
        origin, document_id, url, kind = item.origin, None, item.url, item.kind
        names = [item.name, *item.aliases]
    else:
        origin, document_id, url, kind = item.id, item.id, item.url, item.focus_kind
        names = [item.title, *item.aliases]
        if item.source == "spl":
            names = [n for n in (item.brand_name, item.generic_name) if n]
            for ingredient in _INGREDIENT_SEPARATORS.split(item.generic_name or ""):
                base = " ".join(w for w in ingredient.split() if w.casefold() not in _SALT_WORDS)
                names += [ingredient, base]
    rows: dict[str, FocusTerm] = {}
    for name in names:
        term = normalise_term(name)
        if term and term not in rows:
            label = isinstance(item, SourceDocument) and item.source == "spl"
            display = name.strip().title() if label else name.strip()
            rows[term] = FocusTerm(
                origin=origin,
                term=term[:300],
                name=display[:300],
                kind=kind,
                document_id=document_id,
                url=url,
            )
    return list(rows.values())


def replace_terms(session: Session, origins: Sequence[str], rows: Sequence[FocusTerm]) -> None:
    """Replace every term of ``origins`` by ``rows`` in ``session`` (the caller commits)."""
    if origins:
        session.execute(delete(FocusTerm).where(col(FocusTerm.origin).in_(origins)))
    session.add_all(rows)


def load_vocabulary(db: Database) -> FocusVocabulary:
    """The vocabulary of every term in the database (about 40,000 rows for MedQuAD and the
    labels; built in well under a second)."""
    with db.session() as session:
        rows = session.execute(
            select(
                col(FocusTerm.term),
                col(FocusTerm.name),
                col(FocusTerm.kind),
                col(FocusTerm.document_id),
                col(FocusTerm.url),
            )
        ).all()
    return FocusVocabulary(TermRecord(*row) for row in rows)
