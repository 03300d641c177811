"""Question understanding: foci, question types and sub-questions of consumer messages."""

from lumen.knowledge.understanding.analysis import (
    AnalysedQuestion,
    QuestionAnalysis,
    QuestionAnalyzer,
)
from lumen.knowledge.understanding.vocabulary import Focus, FocusVocabulary, TermRecord

__all__ = [
    "AnalysedQuestion",
    "Focus",
    "FocusVocabulary",
    "QuestionAnalysis",
    "QuestionAnalyzer",
    "TermRecord",
]
