"""What Lumen says, by name, about a focus it holds no source on.

When a question names a drug that Lumen has no FDA label for ("Can I take ibuprofen if I'm on
lisinopril?"), quoting the nearest passage about something else would mislead; the answer says
which labels are missing and where to read instead: the MedlinePlus page MedQuAD names for that
drug, DailyMed (the FDA's label archive), and a pharmacist. Nothing here holds message text:
the names come from the knowledge base's own vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lumen.knowledge.retrieval import TimedSearch
from lumen.knowledge.schemas import RetrievalHit
from lumen.knowledge.understanding import Focus

DAILYMED = "https://dailymed.nlm.nih.gov/dailymed/"
# The kinds of focus a missing source is named for.
_LABELLED_KINDS = ("drug", "supplement")


@dataclass(frozen=True, slots=True)
class AnswerPlan:
    """What an answer is built from once retrieval has run: ``hits``, the sources it may cite;
    ``queries``, the sub-questions for the engine (None without question understanding);
    ``note``, the paragraph naming missing labels that goes first ("" when none is missing);
    ``needs_engine``, False when that note is the whole answer."""

    hits: list[RetrievalHit]
    queries: list[str] | None
    note: str
    needs_engine: bool


def plan_answer(search: TimedSearch, scoped: bool) -> AnswerPlan:
    """The plan for an answer to ``search``'s question. A question only about drugs Lumen
    holds no label for gets the note alone, with no sources (nothing retrieved is about
    them); unless ``scoped`` to one label, whose sections may still answer it."""
    analysis = search.analysis
    if analysis is None:
        return AnswerPlan(search.hits, None, "", True)
    missing = missing_sources(analysis.foci)
    queries = [q.query for q in analysis.questions]
    if missing and not analysis.held_foci and not scoped:
        return AnswerPlan([], queries, gap_note(missing, answered=False), False)
    note = gap_note(missing, answered=True) if missing else ""
    return AnswerPlan(search.hits, queries, note, True)


def missing_sources(foci: Sequence[Focus]) -> list[Focus]:
    """The drugs and supplements among ``foci`` that Lumen holds nothing on (conditions are
    left out: a condition's page may be held under another name, and retrieval finds it)."""
    return [f for f in foci if not f.held and f.kind in _LABELLED_KINDS]


def gap_note(missing: Sequence[Focus], answered: bool) -> str:
    """The Markdown paragraph naming ``missing`` (non-empty) and where to read about them.

    ``answered``: an answer from Lumen's sources follows (on the question's other foci), so the
    note says so. Raises ``ValueError`` for an empty ``missing``.
    """
    if not missing:
        raise ValueError("gap_note needs at least one missing focus")
    names = [f.name for f in missing]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    what = "FDA label" if all(f.kind == "drug" for f in missing) else "FDA label or fact sheet"
    lines = [
        f"Lumen has no {what} for {listed}, so it cannot answer about {listed} from an "
        "authoritative source."
    ]
    pages = [f"[{f.name} on MedlinePlus]({f.unheld_urls[0]})" for f in missing if f.unheld_urls]
    where = f"Read {', '.join(pages)}, or" if pages else "Read"
    lines.append(
        f"{where} the current FDA labels on [DailyMed]({DAILYMED}), and ask a pharmacist or "
        "your doctor whether it is safe with your other medicines and conditions."
    )
    if answered:
        lines.append("What Lumen's sources say about the rest of your question:")
    return " ".join(lines)
