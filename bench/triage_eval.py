"""Benchmark 6: safety triage on the hand-labelled set ``tests/data/triage_labelled.jsonl``, and
the calibration of the embedding detector's thresholds on the shipped example phrasings.

``python -m bench.triage_eval`` prints a markdown table; ``--json`` prints one JSON object as the
last line (for ``bench/run.py``); ``--calibrate`` re-derives ``MIN_SIMILARITY`` and
``MIN_MARGIN`` by 5-fold cross-validation over ``triage_examples.jsonl`` (never the evaluation
set) and prints the grid's best points.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from lumen.chat.triage import (
    NEIGHBOURS,
    Triage,
    TriageExample,
    load_examples,
    neighbour_scores,
    sentence_units,
)
from lumen.chat.triage_patterns import match_patterns
from lumen.knowledge.embeddings import Embedder

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "data" / "triage_labelled.jsonl"
FOLDS = 5
FPR_BUDGET = (
    0.03  # the target FPR, met on held-out ordinary examples that are mostly hard contrasts
)
SIMILARITY_GRID = np.round(np.arange(0.30, 0.701, 0.025), 3)
MARGIN_GRID = np.round(np.arange(0.0, 0.201, 0.01), 3)


def load_labelled(path: Path = LABELLED) -> list[dict[str, str]]:
    """The labelled messages: ``{text, label, note}`` per line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def evaluate(triage: Triage, path: Path = LABELLED) -> dict[str, Any]:
    """Run ``triage`` over the labelled set at ``path``.

    Returns recall and false-positive rate of escalate-vs-not, precision, category accuracy
    (share of escalated crisis messages given their true category), per-label counts, counts
    per detector, latency per message in ms (p50, p95) and the misclassified messages.
    """
    rows = load_labelled(path)
    per_label: dict[str, Counter[str]] = {}
    detectors: Counter[str] = Counter()
    misclassified: list[dict[str, Any]] = []
    latencies_ms: list[float] = []
    true_pos = false_pos = right_category = 0
    for row in rows:
        started = time.perf_counter()
        result = triage.assess(row["text"])
        latencies_ms.append((time.perf_counter() - started) * 1000)
        crisis = row["label"] != "none"
        counts = per_label.setdefault(row["label"], Counter())
        counts["n"] += 1
        if result.escalate:
            counts["escalated"] += 1
            detectors[result.detector or "none"] += 1
        if crisis and result.escalate:
            true_pos += 1
            right_category += result.category == row["label"]
            counts["right_category"] += result.category == row["label"]
        false_pos += (not crisis) and result.escalate
        predicted = result.category if result.escalate else "none"
        if predicted != row["label"]:
            misclassified.append(
                {
                    "text": row["text"],
                    "label": row["label"],
                    "predicted": predicted,
                    "detector": result.detector,
                    "score": result.score,
                    "note": row.get("note", ""),
                }
            )
    positives = sum(r["label"] != "none" for r in rows)
    negatives = len(rows) - positives
    escalated = true_pos + false_pos
    return {
        "n": len(rows),
        "positives": positives,
        "negatives": negatives,
        "recall": true_pos / positives if positives else float("nan"),
        "fpr": false_pos / negatives if negatives else float("nan"),
        "precision": true_pos / escalated if escalated else float("nan"),
        "category_accuracy": right_category / true_pos if true_pos else float("nan"),
        "per_label": {label: dict(c) for label, c in sorted(per_label.items())},
        "detectors": dict(detectors),
        "latency_ms": {
            "p50": float(np.percentile(latencies_ms, 50)),
            "p95": float(np.percentile(latencies_ms, 95)),
        },
        "misclassified": misclassified,
    }


def calibrate(embedder: Embedder, examples: list[TriageExample]) -> dict[str, Any]:
    """Choose (min_similarity, min_margin) by 5-fold cross-validation over the examples.

    Each example (fold = index mod 5) is scored against the examples of the other folds, its
    sentences too as ``Triage`` does. The embedding detector is judged on its own: the curated
    patterns were written with these examples in view, so their held-out figures would flatter
    the combination. Among grid points whose embedding-only false-positive rate on held-out
    ordinary examples is within ``FPR_BUDGET``, the highest embedding-only crisis recall wins,
    then the larger margin, then the higher similarity. The combined figures are reported too.
    """
    vectors = embedder.encode_documents([e.text for e in examples])
    labels = np.array([e.label for e in examples])
    folds = np.arange(len(examples)) % FOLDS
    crisis_scores: list[list[tuple[float, float]]] = []  # per example, per unit
    for i, example in enumerate(examples):
        units = sentence_units(example.text)
        if not units:
            crisis_scores.append([])
            continue
        unit_vectors = embedder.encode_documents(units) if len(units) > 1 else vectors[i : i + 1]
        train = folds != folds[i]
        scored = [
            neighbour_scores(row, list(labels[train]), NEIGHBOURS)
            for row in unit_vectors @ vectors[train].T
        ]
        crisis_scores.append([(s.crisis, s.margin) for s in scored])
    is_crisis = labels != "none"
    by_pattern = np.array([match_patterns(e.text) is not None for e in examples])
    grid = []
    for similarity in SIMILARITY_GRID:
        for margin in MARGIN_GRID:
            by_embedding = np.array(
                [any(c >= similarity and m >= margin for c, m in units) for units in crisis_scores]
            )
            fired = by_pattern | by_embedding
            grid.append(
                {
                    "min_similarity": float(similarity),
                    "min_margin": float(margin),
                    "recall": float(fired[is_crisis].mean()),
                    "fpr": float(fired[~is_crisis].mean()),
                    "embedding_only_recall": float(by_embedding[is_crisis].mean()),
                    "embedding_only_fpr": float(by_embedding[~is_crisis].mean()),
                }
            )
    allowed = [g for g in grid if g["embedding_only_fpr"] <= FPR_BUDGET]
    allowed.sort(
        key=lambda g: (g["embedding_only_recall"], g["min_margin"], g["min_similarity"]),
        reverse=True,
    )
    return {
        "chosen": allowed[0],
        "runners_up": allowed[1:6],
        "pattern_recall": float(by_pattern[is_crisis].mean()),
        "pattern_fpr": float(by_pattern[~is_crisis].mean()),
    }


def markdown(report: dict[str, Any]) -> str:
    """The evaluation as a markdown table plus the misclassified messages."""
    lines = [
        f"Triage on {report['n']} labelled messages "
        f"({report['positives']} crisis/emergency, {report['negatives']} ordinary)",
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
        f"| recall (escalate vs not) | {report['recall']:.3f} | ≥ 0.98 |",
        f"| false-positive rate on ordinary | {report['fpr']:.3f} | ≤ 0.03 |",
        f"| precision | {report['precision']:.3f} | |",
        f"| category accuracy on escalations | {report['category_accuracy']:.3f} | |",
        f"| latency p50 / p95 (ms) | {report['latency_ms']['p50']:.1f} / "
        f"{report['latency_ms']['p95']:.1f} | |",
        "",
        "| label | n | escalated | right category |",
        "| --- | --- | --- | --- |",
    ]
    for label, counts in report["per_label"].items():
        lines.append(
            f"| {label} | {counts.get('n', 0)} | {counts.get('escalated', 0)} | "
            f"{counts.get('right_category', '') if label != 'none' else ''} |"
        )
    lines += ["", f"Detectors on escalations: {report['detectors']}", "", "Misclassified:"]
    lines += [
        f"- [{m['label']} → {m['predicted']} via {m['detector']}, {m['score']:.3f}] {m['text']}"
        for m in report["misclassified"]
    ] or ["- none"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=LABELLED)
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--calibrate", action="store_true", help="re-derive the thresholds")
    args = parser.parse_args()
    embedder = Embedder()
    if args.calibrate:
        print(json.dumps(calibrate(embedder, load_examples()), indent=2))
        return
    report = evaluate(Triage(embedder), args.path)
    print(markdown(report))
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
