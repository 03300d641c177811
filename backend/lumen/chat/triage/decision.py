"""Safety triage: decide, before retrieval, how a message is answered, in two tiers.

- ``escalate``: a crisis is happening now to a real person. The crisis card (988, Poison
  Control, 911) replaces the medical answer. Only the curated patterns (``patterns``)
  decide this: explicit first-person or witnessed statements, negation-, tense- and
  person-aware, high precision; they name the category.
- ``support``: a weaker signal. The normal cited answer, plus a calm support note
  (``escalation.support_note``) for the category. The signals, cheapest first:
  1. the curated patterns' wording in a sentence that does not happen now: historical
     ("I tried to kill myself when I was 19"), hypothetical or generic ("what should I do if
     someone is having a seizure?"), or an impersonal question;
  2. support cues (``support_cues``): a question about a serious topic (suicide,
     overdose, poisoning, first aid for an emergency) or distress words ("hopeless");
  3. nearest example phrasings by embedding (all-MiniLM-L6-v2): the message's current
     sentences are compared with the crisis phrasings and with the ordinary phrasings shipped
     in ``examples.jsonl`` (``neighbours``); the signal fires when the nearest crisis phrasings
     are close (``MIN_SIMILARITY``) *and* closer than the nearest ordinary ones by
     ``MIN_MARGIN``. It catches indirect wording no pattern lists ("I keep imagining my own
     funeral") but also matches topics (a relative's vision loss resembles "he suddenly can't
     see"), which is why it never decides the card.
- ``none``: the answer alone.

Nothing here logs or stores message text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from lumen.chat.triage.neighbours import (
    MIN_MARGIN,
    MIN_SIMILARITY,
    ExampleLabel,
    NeighbourScores,
    TriageExample,
    load_examples,
    neighbour_scores,
    sentence_units,
)
from lumen.chat.triage.patterns import match_support_cues, scan_patterns
from lumen.chat.triage.rule import CrisisCategory
from lumen.knowledge.embeddings import Embedder

TriageAction = Literal["escalate", "support", "none"]
# pattern: a crisis stated now (the card); pattern_not_now: the same wording, past or generic;
# support_cue: a serious-topic question or distress words; embedding: nearest example phrasings.
Detector = Literal["pattern", "pattern_not_now", "support_cue", "embedding"]


@dataclass(frozen=True)
class TriageResult:
    """The decision for one message.

    ``action``: ``escalate`` (the crisis card instead of an answer), ``support`` (the answer
    plus the support note of ``category``) or ``none``. ``category`` and ``detector`` are set
    unless ``action`` is ``none``. ``score`` is 1.0 for a rule or cue match, else the crisis
    similarity of the embedding detector (mean cosine of the nearest crisis examples, in
    [-1, 1]; 0.0 for an empty message).
    """

    action: TriageAction
    category: CrisisCategory | None
    detector: Detector | None
    score: float


class Triage:
    """Two-tier safety triage; construct once at start-up, then call ``assess``.

    Start-up encodes the example phrasings once (about 530 short texts, under a second on an
    idle core). ``assess`` costs no embedding when a pattern fires, else the query embeddings
    of the message's units (``Embedder.encode_queries``: cached, so a message asked again
    costs none, and batched with other messages' waiting for the model) plus a
    ``(units, 384) @ (384, n)`` product.
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
        # As queries: cached, and batched with other messages' units waiting for the model.
        query = np.stack(self._embedder.encode_queries(units))  # (units, 384)
        similarities = query @ self._vectors.T  # (units, n)
        scored = [neighbour_scores(row, self._labels) for row in similarities]
        return max(scored, key=lambda s: (self._fires(s), s.margin))

    def _fires(self, scores: NeighbourScores) -> bool:
        return scores.crisis >= self.min_similarity and scores.margin >= self.min_margin

    def assess(self, message: str) -> TriageResult:
        """Triage one user message into ``escalate``, ``support`` or ``none``.

        Never raises on content; empty text is ``none``. Costs no embedding when a rule or cue
        decides (see the class docstring for the embedding's cost).
        """
        if not message.strip():
            return TriageResult(action="none", category=None, detector=None, score=0.0)
        patterns = scan_patterns(message)
        if patterns.now is not None:
            return TriageResult(
                action="escalate", category=patterns.now, detector="pattern", score=1.0
            )
        if patterns.not_now is not None:
            return TriageResult(
                action="support", category=patterns.not_now, detector="pattern_not_now", score=1.0
            )
        cue = match_support_cues(message)
        if cue is not None:
            return TriageResult(action="support", category=cue, detector="support_cue", score=1.0)
        scores = self.embedding_scores(message)
        if self._fires(scores):
            return TriageResult(
                action="support",
                category=scores.category,
                detector="embedding",
                score=round(scores.crisis, 4),
            )
        return TriageResult(
            action="none", category=None, detector=None, score=round(scores.crisis, 4)
        )
