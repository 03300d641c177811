"""Question understanding: from a consumer's message to what retrieval should look for.

``QuestionAnalyzer.analyze`` finds the message's foci (``vocabulary``), its sub-questions
(``subquestions``) and each one's question types (``question_types``), and writes for each
sub-question the query retrieval runs: the sub-question as asked, with the focus's name added
when the sub-question only says "it" ("how to manage" → "how to manage abetalipoproteinemia").
This is the focus + question-type decomposition of consumer health questions (Roberts &
Demner-Fushman, "Interactive use of online health resources", JAMIA 2016; Ben Abacha &
Demner-Fushman, BMC Bioinformatics 20:511, 2019), done with the knowledge base's own names.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from lumen.knowledge.understanding.question_types import INFORMATION, question_types
from lumen.knowledge.understanding.subquestions import clean_message, subquestions
from lumen.knowledge.understanding.vocabulary import Focus, FocusVocabulary, normalise_term


@dataclass(frozen=True, slots=True)
class AnalysedQuestion:
    """One sub-question: as asked, its types, and the query retrieval runs for it."""

    text: str
    types: tuple[str, ...]
    query: str


@dataclass(frozen=True, slots=True)
class QuestionAnalysis:
    """What a message asks: its foci (best first; held ones have documents), its
    sub-questions in order."""

    message: str
    foci: tuple[Focus, ...]
    questions: tuple[AnalysedQuestion, ...]

    @property
    def unheld(self) -> list[Focus]:
        """The foci Lumen holds no document on (a drug without a label), best first."""
        return [f for f in self.foci if not f.held]

    @property
    def held_foci(self) -> list[Focus]:
        """The foci Lumen holds documents on, best first."""
        return [f for f in self.foci if f.held]

    @property
    def focus_document_ids(self) -> list[str]:
        """Document ids of the held foci, best focus first, without repeats."""
        return list(dict.fromkeys(d for f in self.held_foci for d in f.document_ids))

    @property
    def types(self) -> list[str]:
        """Every question type asked, in order of first appearance."""
        return list(dict.fromkeys(t for q in self.questions for t in q.types))


class QuestionAnalyzer:
    """Analyses messages against the current focus vocabulary; thread-safe.

    ``load`` builds a vocabulary (from the ``focus_terms`` table), at the first analysis;
    ``refresh`` swaps in a new one after an ingestion changed the knowledge base.
    """

    def __init__(self, load: Callable[[], FocusVocabulary]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._vocabulary: FocusVocabulary | None = None

    @property
    def vocabulary(self) -> FocusVocabulary:
        """The vocabulary in use (built now if no analysis has needed it yet)."""
        with self._lock:
            if self._vocabulary is None:
                self._vocabulary = self._load()
            return self._vocabulary

    def refresh(self) -> None:
        """Rebuild the vocabulary from its source (blocking; about a second for MedQuAD)."""
        vocabulary = self._load()
        with self._lock:
            self._vocabulary = vocabulary

    def analyze(self, message: str) -> QuestionAnalysis:
        """Foci, sub-questions, types and queries of ``message``; never raises on content.

        An empty message has no sub-question. Sub-questions keep their order; a sub-question
        that names none of the foci is queried with the best held focus's name added, or, with
        no held focus, as the whole message. The label sections' types apply when one of the foci
        is a drug ("my mother takes Humira for her arthritis: what side effects…").
        """
        foci = self.vocabulary.find(message)
        held = [f for f in foci if f.held]
        primary = held[0] if held else None
        drug = any(f.kind == "drug" for f in held or foci)
        analysed = []
        for sub in subquestions(message):
            types = tuple(question_types(sub.text, drug_focus=drug))
            query = sub.text
            if not _names_a_focus(sub.text, foci):
                # "How can we help?" says nothing alone: the focus, or else the background
                # ("my grandmother fell last month"), says what it is about.
                query = f"{sub.text} ({primary.name})" if primary else clean_message(message)
            analysed.append(AnalysedQuestion(sub.text, types, query))
        if not analysed and clean_message(message):
            text = clean_message(message)
            analysed.append(AnalysedQuestion(text, (INFORMATION,), text))
        return QuestionAnalysis(
            message=message,
            foci=tuple(foci),
            questions=tuple(analysed),
        )


def _names_a_focus(text: str, foci: list[Focus]) -> bool:
    words = f" {normalise_term(text)} "
    return any(f" {focus.matched} " in words for focus in foci)
