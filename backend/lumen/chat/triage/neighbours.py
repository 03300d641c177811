"""The embedding signal of safety triage: nearest example phrasings (all-MiniLM-L6-v2).

The message's current sentences are compared with the crisis phrasings and with the ordinary
phrasings shipped in ``examples.jsonl``; the signal fires when the nearest crisis phrasings are
close (``MIN_SIMILARITY``) *and* closer than the nearest ordinary ones by ``MIN_MARGIN``. It
earns the support note, never the card (``decision``).
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

from lumen.chat.triage.patterns import past_or_generic
from lumen.chat.triage.rule import CrisisCategory

ExampleLabel = Literal["self_harm", "poisoning", "emergency", "none"]
CATEGORIES: tuple[CrisisCategory, ...] = ("self_harm", "poisoning", "emergency")
EXAMPLES_PATH = Path(__file__).with_name("examples.jsonl")

# kNN margin rule, calibrated by `python -m bench.triage_eval --calibrate`: 5-fold
# cross-validation over examples.jsonl only (never the evaluation set); each held-out
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
    """The texts the embedding detector scores: the message's current part, plus its
    sentences if several.

    Sentences that do not happen now are left out: historical ones ("My grandmother fell last
    month") and generic scenarios ("What should I do if someone is having a seizure?"). The
    embedding cannot tell them from the same event happening now; the patterns route them to
    the support note through ``pattern_not_now`` instead. May be empty.
    """
    sentences = [s.strip() for s in _SENTENCE_SPLIT.split(message.strip()) if s.strip()]
    current = [s for s in sentences if not past_or_generic(s)]
    if not current:
        return []
    whole = message.strip() if len(current) == len(sentences) else " ".join(current)
    units = [whole]
    long_enough = [s for s in current if len(s) >= _MIN_SENTENCE_CHARS]
    if len(long_enough) > 1:
        units += long_enough[:_MAX_SENTENCES]
    return [u for u in units if not past_or_generic(u)]
