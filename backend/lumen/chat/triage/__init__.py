"""Safety triage, in two tiers: the crisis card instead of an answer, or a support note beside
it (``decision``), and what Lumen says in each case (``escalation``)."""

from lumen.chat.triage.decision import Detector, Triage, TriageAction, TriageResult
from lumen.chat.triage.escalation import escalation_answer, support_note
from lumen.chat.triage.neighbours import (
    CATEGORIES,
    EXAMPLES_PATH,
    MIN_MARGIN,
    MIN_SIMILARITY,
    NEIGHBOURS,
    ExampleLabel,
    NeighbourScores,
    TriageExample,
    load_examples,
    neighbour_scores,
    sentence_units,
)
from lumen.chat.triage.patterns import (
    PatternMatches,
    match_patterns,
    match_support_cues,
    past_or_generic,
    scan_patterns,
)
from lumen.chat.triage.rule import CrisisCategory

__all__ = [
    "CATEGORIES",
    "EXAMPLES_PATH",
    "MIN_MARGIN",
    "MIN_SIMILARITY",
    "NEIGHBOURS",
    "CrisisCategory",
    "Detector",
    "ExampleLabel",
    "NeighbourScores",
    "PatternMatches",
    "Triage",
    "TriageAction",
    "TriageExample",
    "TriageResult",
    "escalation_answer",
    "load_examples",
    "match_patterns",
    "match_support_cues",
    "neighbour_scores",
    "past_or_generic",
    "scan_patterns",
    "sentence_units",
    "support_note",
]
