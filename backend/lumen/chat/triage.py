"""Safety triage: decide, before retrieval, whether a message is a crisis or an emergency that
gets the escalation answer (988, Poison Control, 911) instead of a medical answer.

Two detectors, either of which escalates:

1. Curated patterns (``triage_patterns``): explicit first-person or witnessed statements,
   negation-, tense- and person-aware. High precision; they name the category.
2. Nearest example phrasings by embedding (all-MiniLM-L6-v2): the message is compared with the
   crisis phrasings and with the ordinary-question phrasings shipped in
   ``triage_examples.jsonl``; it escalates when its nearest crisis phrasings are close
   (``MIN_SIMILARITY``) *and* closer than its nearest ordinary phrasings by ``MIN_MARGIN``. The
   contrast set (informational, negated, historical questions on the same topics) is what keeps
   "What is the treatment for a stroke?" from firing. This catches indirect wording no pattern
   lists ("I keep imagining my own funeral").

Nothing here logs or stores message text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from lumen.chat.triage_patterns import generic_scenario, match_patterns
from lumen.chat.triage_rules import CrisisCategory
from lumen.knowledge.embeddings import Embedder

ExampleLabel = Literal["self_harm", "poisoning", "emergency", "none"]
Detector = Literal["pattern", "embedding"]
CATEGORIES: tuple[CrisisCategory, ...] = ("self_harm", "poisoning", "emergency")
EXAMPLES_PATH = Path(__file__).with_name("triage_examples.jsonl")

# kNN margin rule, calibrated by `python -m bench.triage_eval --calibrate`: 5-fold
# cross-validation over triage_examples.jsonl only (never the evaluation set); each held-out
# example is scored against the other four folds. The embedding detector is judged alone (the
# patterns were written with these examples in view). Chosen: the grid point with the highest
# held-out crisis recall (0.66) whose false-positive rate on the held-out ordinary examples,
# mostly hard contrasts, stays within 3 % (2.5 %); ties go to the larger margin.
NEIGHBOURS = 3  # scores are the mean cosine of the 3 nearest examples of a kind
MIN_SIMILARITY = 0.35
MIN_MARGIN = 0.10

# Long messages can bury the crisis in one sentence; each sentence is scored too (one batched
# encode). Fragments shorter than this many characters carry too little to embed reliably.
_MIN_SENTENCE_CHARS = 12
_MAX_SENTENCES = 12
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?;])\s+|\n+")


@dataclass(frozen=True)
class TriageResult:
    """The decision for one message.

    ``score`` is 1.0 for a pattern match, else the crisis similarity of the embedding detector
    (mean cosine of the nearest crisis examples, in [-1, 1]).
    """

    escalate: bool
    category: CrisisCategory | None
    detector: Detector | None
    score: float


@dataclass(frozen=True)
class TriageExample:
    """One shipped example phrasing: a crisis message or an ordinary contrast question."""

    text: str
    label: ExampleLabel


@dataclass(frozen=True)
class NeighbourScores:
    """kNN scores of one query: nearest crisis examples against nearest ordinary examples."""

    crisis: float
    contrast: float
    category: CrisisCategory

    @property
    def margin(self) -> float:
        """How much closer the query is to crisis phrasings than to ordinary ones."""
        return self.crisis - self.contrast


def load_examples(path: Path = EXAMPLES_PATH) -> list[TriageExample]:
    """Read example phrasings (JSON lines with ``text`` and ``label``).

    Raises ValueError on an unknown label.
    """
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if row["label"] not in (*CATEGORIES, "none"):
            raise ValueError(f"unknown triage example label {row['label']!r} in {path}")
        examples.append(TriageExample(text=row["text"], label=row["label"]))
    return examples


def _top_mean(values: npt.NDArray[np.float32], k: int) -> float:
    if values.size == 0:
        return -1.0
    k = min(k, values.size)
    return float(np.partition(values, values.size - k)[-k:].mean())


def neighbour_scores(
    similarities: npt.NDArray[np.float32], labels: Sequence[ExampleLabel], k: int = NEIGHBOURS
) -> NeighbourScores:
    """kNN scores from one query's cosine similarities to every example (shape ``(n,)``).

    The crisis score pools the three crisis categories; the category is the one whose own
    nearest examples are closest.
    """
    label_array = np.asarray(labels)
    per_category = {c: _top_mean(similarities[label_array == c], k) for c in CATEGORIES}
    return NeighbourScores(
        crisis=_top_mean(similarities[label_array != "none"], k),
        contrast=_top_mean(similarities[label_array == "none"], k),
        category=max(per_category, key=lambda c: per_category[c]),
    )


def sentence_units(message: str) -> list[str]:
    """The texts the embedding detector scores: the message, plus its sentences if several.

    Generic scenarios ("What should I do if someone is having a seizure?") are left out: the
    embedding cannot tell them from the same event happening now, and the patterns skip them
    for the same reason. May be empty.
    """
    sentences = [s.strip() for s in _SENTENCE_SPLIT.split(message.strip())]
    sentences = [s for s in sentences if len(s) >= _MIN_SENTENCE_CHARS]
    units = [message.strip()]
    if len(sentences) > 1:
        units += sentences[:_MAX_SENTENCES]
    return [u for u in units if not generic_scenario(u)]


class Triage:
    """Crisis and emergency detector; construct once at start-up, then call ``assess``.

    Start-up encodes the example phrasings once (about 530 short texts, under a second on an
    idle core). ``assess`` costs no embedding when a pattern fires, else one query embedding (one
    batched encode when the message has several sentences) plus a ``(units, 384) @ (384, n)``
    product.
    """

    def __init__(
        self,
        embedder: Embedder,
        examples: Sequence[TriageExample] | None = None,
        min_similarity: float = MIN_SIMILARITY,
        min_margin: float = MIN_MARGIN,
    ) -> None:
        self._embedder = embedder
        chosen = load_examples() if examples is None else list(examples)
        self._labels: list[ExampleLabel] = [e.label for e in chosen]
        self._vectors = embedder.encode_documents([e.text for e in chosen])  # (n, 384)
        self.min_similarity = min_similarity
        self.min_margin = min_margin

    def embedding_scores(self, message: str) -> NeighbourScores:
        """The kNN scores of the message's most crisis-like unit (whole message or sentence)."""
        units = sentence_units(message)
        if not units:
            return NeighbourScores(crisis=0.0, contrast=0.0, category="emergency")
        if len(units) == 1:
            query = self._embedder.encode_query(units[0])[np.newaxis, :]
        else:
            query = self._embedder.encode_documents(units)
        similarities = query @ self._vectors.T  # (units, n)
        scored = [neighbour_scores(row, self._labels) for row in similarities]
        return max(scored, key=lambda s: (self._fires(s), s.margin))

    def _fires(self, scores: NeighbourScores) -> bool:
        return scores.crisis >= self.min_similarity and scores.margin >= self.min_margin

    def assess(self, message: str) -> TriageResult:
        """Triage one user message. Never raises on content; empty text does not escalate."""
        if not message.strip():
            return TriageResult(escalate=False, category=None, detector=None, score=0.0)
        category = match_patterns(message)
        if category is not None:
            return TriageResult(escalate=True, category=category, detector="pattern", score=1.0)
        scores = self.embedding_scores(message)
        if self._fires(scores):
            return TriageResult(
                escalate=True,
                category=scores.category,
                detector="embedding",
                score=round(scores.crisis, 4),
            )
        return TriageResult(
            escalate=False, category=None, detector=None, score=round(scores.crisis, 4)
        )
