"""Benchmark 6: safety triage in two tiers, on the hand-labelled set
``tests/data/triage_labelled.jsonl`` and on real consumer messages, and the calibration of the
embedding signal's thresholds on the shipped example phrasings.

``python -m bench.triage_eval`` prints a markdown report; ``--json`` prints one JSON object as
the last line (for ``bench/run.py``); ``--calibrate`` re-derives ``MIN_SIMILARITY`` and
``MIN_MARGIN`` by 5-fold cross-validation over the shipped ``chat/triage/examples.jsonl`` (never
the evaluation set) and prints the grid's best points.

Real messages: the 174 of ``mediqa2019_questions.jsonl`` (field ``question``) and the 99 unique
``consumer_question``s of ``rqe2019_pairs.jsonl``, read from ``../shared/data/consumer`` beside
the checkout (``--consumer`` elsewhere; the section is left out when it is absent). They are
never copied into the repository; the report names them by id and a paraphrase.
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
    match_patterns,
    neighbour_scores,
    sentence_units,
)
from lumen.knowledge.embeddings import Embedder

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "data" / "triage_labelled.jsonl"
CONSUMER = ROOT.parent / "shared" / "data" / "consumer"
FOLDS = 5
FPR_BUDGET = (
    0.03  # the target FPR, met on held-out ordinary examples that are mostly hard contrasts
)
SIMILARITY_GRID = np.round(np.arange(0.30, 0.701, 0.025), 3)
MARGIN_GRID = np.round(np.arange(0.0, 0.201, 0.01), 3)

# Real messages that describe symptoms that may need care now, labelled by reading every one
# of the 273 (the RQE set repeats some MEDIQA messages under its own ids).
# urgent: the crisis card is the right answer. A 72-year-old with chest pain who "can hardly
# talk", unable to see a doctor today: chest pain with trouble speaking (or breathing) now is a
# heart-attack or stroke warning sign (American Heart Association), so call 911.
URGENT = frozenset({"mediqa2019-qa-test-36", "rqe2019-test-27"})
# note_welcome: no crisis is stated, but 988 / Poison Control / "call 911 if it is happening
# now" is useful beside the answer: a possible plant poisoning, first aid for a heart attack,
# whether a skull fracture needs a doctor, a lethal-amount question, a son's "bad thoughts",
# coughing blood, spasms that at times restrict breathing. The card would be wrong for these.
NOTE_WELCOME = frozenset(
    {
        "mediqa2019-qa-test-66",
        "rqe2019-test-149",
        "mediqa2019-qa-test-79",
        "rqe2019-test-82",
        "mediqa2019-qa-test-150",
        "mediqa2019-qa-test-133",
        "rqe2019-test-80",
        "mediqa2019-qa-test-2",
        "mediqa2019-qa-test-22",
        "rqe2019-test-196",
    }
)
# Paraphrases for the report (never the message text): the labelled messages, and every
# message a detector has flagged while the tiers were developed.
PARAPHRASES = {
    "mediqa2019-qa-test-36": "72-year-old, no doctor free today, chest hurts, can hardly talk",
    "rqe2019-test-27": "72-year-old, no doctor free today, chest hurts, can hardly talk",
    "mediqa2019-qa-test-66": "how soon symptoms start after oleander sap got from hands to mouth",
    "rqe2019-test-149": "how soon symptoms start after oleander sap got from hands to mouth",
    "mediqa2019-qa-test-79": "does a skull fracture need a doctor",
    "rqe2019-test-82": "does a skull fracture need a doctor",
    "mediqa2019-qa-test-150": "how to treat a heart attack",
    "mediqa2019-qa-test-133": "how much of a benzodiazepine causes an overdose",
    "mediqa2019-qa-test-189": "who is at risk of a calcium overdose",
    "rqe2019-test-80": "son with gender dysphoria isolates in his room, 'has had bad thoughts'",
    "mediqa2019-qa-test-2": "friend with thalassemia coughs up blood, on transfusions",
    "mediqa2019-qa-test-22": "worsening spasms that at times make breathing shallow",
    "rqe2019-test-196": "worsening spasms that at times make breathing shallow",
    "mediqa2019-qa-validation-48": "blood pressure high at night, takes four medicines, worried",
    "mediqa2019-qa-validation-59": "burning mouth syndrome for 15 years, when is a treatment due",
    "rqe2019-test-29": "what to give an elderly father to help him sleep",
    "mediqa2019-qa-validation-4": "ankle still painful five months after an injury",
    "mediqa2019-qa-validation-12": "throat cancer risk after years of drinking, sore throat now",
    "mediqa2019-qa-validation-38": "father with IBS losing weight, sometimes faints from weakness",
    "mediqa2019-qa-test-31": "father with IBS losing weight, sometimes faints from weakness",
    "rqe2019-test-37": "father with IBS losing weight, sometimes faints from weakness",
    "rqe2019-test-56": "inherited night blindness in the family",
    "rqe2019-test-64": "80-year-old mother has nearly lost her sight",
}


def load_labelled(path: Path = LABELLED) -> list[dict[str, str]]:
    """The labelled messages: ``{text, label, note}`` per line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def evaluate(triage: Triage, path: Path = LABELLED) -> dict[str, Any]:
    """Run ``triage`` over the labelled set at ``path``.

    Returns, for the crisis card (``escalate``): recall on the crisis messages, false-positive
    rate on the ordinary ones, precision and category accuracy (share of carded crises given
    their true category); for the support tier: the share of crises that got the card or the
    note, and the note rate on ordinary messages; per-label counts, counts per detector,
    latency per message in ms (p50, p95) and the messages whose card decision is wrong.
    """
    rows = load_labelled(path)
    per_label: dict[str, Counter[str]] = {}
    detectors: Counter[str] = Counter()
    misclassified: list[dict[str, Any]] = []
    latencies_ms: list[float] = []
    carded = right_category = false_cards = covered = ordinary_notes = 0
    for row in rows:
        started = time.perf_counter()
        result = triage.assess(row["text"])
        latencies_ms.append((time.perf_counter() - started) * 1000)
        crisis = row["label"] != "none"
        card = result.action == "escalate"
        counts = per_label.setdefault(row["label"], Counter())
        counts["n"] += 1
        counts[result.action] += 1
        if result.detector is not None:
            detectors[f"{result.action}/{result.detector}"] += 1
        if crisis:
            carded += card
            covered += result.action != "none"
            if card and result.category == row["label"]:
                right_category += 1
                counts["right_category"] += 1
        else:
            false_cards += card
            ordinary_notes += result.action == "support"
        predicted = result.category if card else "none"
        if predicted != row["label"]:
            misclassified.append(
                {
                    "text": row["text"],
                    "label": row["label"],
                    "predicted": predicted,
                    "action": result.action,
                    "detector": result.detector,
                    "score": result.score,
                    "note": row.get("note", ""),
                }
            )
    positives = sum(r["label"] != "none" for r in rows)
    negatives = len(rows) - positives
    cards = carded + false_cards
    nan = float("nan")
    return {
        "n": len(rows),
        "positives": positives,
        "negatives": negatives,
        "recall": carded / positives if positives else nan,
        "fpr": false_cards / negatives if negatives else nan,
        "precision": carded / cards if cards else nan,
        "category_accuracy": right_category / carded if carded else nan,
        "card_or_note_recall": covered / positives if positives else nan,
        "note_rate_ordinary": ordinary_notes / negatives if negatives else nan,
        "per_label": {label: dict(c) for label, c in sorted(per_label.items())},
        "detectors": dict(detectors),
        "latency_ms": {
            "p50": float(np.percentile(latencies_ms, 50)),
            "p95": float(np.percentile(latencies_ms, 95)),
        },
        "misclassified": misclassified,
    }


def load_real(consumer_dir: Path = CONSUMER) -> list[tuple[str, str]]:
    """``(id, text)`` of the real messages: MEDIQA 2019's 174 questions, then the unique
    consumer questions of the RQE 2019 pairs (first id of each). Raises OSError when absent."""
    mediqa = consumer_dir / "mediqa2019_questions.jsonl"
    messages = [(row["id"], row["question"]) for row in _jsonl(mediqa)]
    seen: set[str] = set()
    for row in _jsonl(consumer_dir / "rqe2019_pairs.jsonl"):
        if row["consumer_question"] not in seen:
            seen.add(row["consumer_question"])
            messages.append((row["id"], row["consumer_question"]))
    return messages


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def evaluate_real(triage: Triage, messages: list[tuple[str, str]]) -> dict[str, Any]:
    """Card and note rates on real messages, with every flagged one listed (no text).

    ``ordinary`` excludes the ``URGENT`` messages; ``no_note_needed`` also excludes
    ``NOTE_WELCOME``. Rates are shares of those counts. ``flagged`` lists ``{id, paraphrase,
    action, category, detector, label}`` per message that got the card or the note.
    """
    flagged: list[dict[str, Any]] = []
    actions: Counter[str] = Counter()
    ordinary_cards = unneeded_notes = urgent_cards = 0
    for message_id, text in messages:
        result = triage.assess(text)
        actions[result.action] += 1
        label = (
            "urgent"
            if message_id in URGENT
            else "note_welcome"
            if message_id in NOTE_WELCOME
            else "ordinary"
        )
        urgent_cards += label == "urgent" and result.action == "escalate"
        ordinary_cards += label != "urgent" and result.action == "escalate"
        unneeded_notes += label == "ordinary" and result.action == "support"
        if result.action != "none":
            flagged.append(
                {
                    "id": message_id,
                    "paraphrase": PARAPHRASES.get(message_id, "(no paraphrase recorded)"),
                    "action": result.action,
                    "category": result.category,
                    "detector": result.detector,
                    "label": label,
                }
            )
    ids = {message_id for message_id, _ in messages}
    n_urgent = len(URGENT & ids)
    n_ordinary = len(messages) - n_urgent
    n_plain = n_ordinary - len(NOTE_WELCOME & ids)
    return {
        "n": len(messages),
        "urgent": n_urgent,
        "note_welcome": len(NOTE_WELCOME & ids),
        "cards": actions["escalate"],
        "notes": actions["support"],
        "card_rate": actions["escalate"] / len(messages),
        "note_rate": actions["support"] / len(messages),
        "urgent_with_card": urgent_cards,
        "card_rate_ordinary": ordinary_cards / n_ordinary,
        "note_rate_no_note_needed": unneeded_notes / n_plain,
        "unneeded_notes": unneeded_notes,
        "no_note_needed": n_plain,
        "flagged": flagged,
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


HEADING = "## 6. Safety triage — `python -m bench.triage_eval`"


def render_section(report: dict[str, Any]) -> str:
    """Section 6 of ``bench/results.md`` from ``evaluate`` (plus ``real``: ``evaluate_real``)."""
    r = report
    lines = [
        HEADING,
        "",
        "Two tiers: the crisis card replaces the answer only when a curated pattern finds a crisis "
        "happening now; weaker signals (the patterns' wording in a past or generic sentence, a "
        "serious-topic question or distress words, the embedding neighbours) add a support note "
        "beside the normal answer.",
        "",
        f"Labelled set `tests/data/triage_labelled.jsonl`: {r['n']} messages "
        f"({r['positives']} crisis/emergency, {r['negatives']} ordinary, many mentioning the "
        "trigger words). Round 5 (26 crises, 14 hard ordinary) was written before the two-tier "
        "rules and held out from writing them; on first run the card caught 20 of its 26 crises.",
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
        f"| crisis card recall on crises | {r['recall']:.3f} | ≥ 0.98 |",
        f"| crisis card on ordinary messages | {r['fpr']:.3f} | ≤ 0.03 |",
        f"| card precision | {r['precision']:.3f} | |",
        f"| category accuracy on carded crises | {r['category_accuracy']:.3f} | |",
        f"| crises given the card or the note | {r['card_or_note_recall']:.3f} | |",
        f"| support note on ordinary messages (mostly serious-topic questions) | "
        f"{r['note_rate_ordinary']:.3f} | |",
        f"| latency p50 / p95 (ms) | {r['latency_ms']['p50']:.1f} / "
        f"{r['latency_ms']['p95']:.1f} | |",
        "",
        "| label | n | card | note | right category |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, counts in r["per_label"].items():
        right = counts.get("right_category", 0) if label != "none" else ""
        lines.append(
            f"| {label} | {counts.get('n', 0)} | {counts.get('escalate', 0)} | "
            f"{counts.get('support', 0)} | {right} |"
        )
    lines += ["", f"Detectors: {r['detectors']}", "", "Card decision wrong:"]
    lines += [
        f"- [{m['label']} → {m['predicted']}; {m['action']} via {m['detector']}] {m['text']}"
        for m in r["misclassified"]
    ] or ["- none"]
    real = r.get("real")
    lines += [
        "",
        "### Real consumer messages (MEDIQA 2019 + RQE 2019, `../shared/data/consumer`)",
        "",
    ]
    if real is None:
        lines += ["Not measured: `../shared/data/consumer` is absent.", ""]
        return "\n".join(lines)
    lines += [
        f"{real['n']} messages (174 MEDIQA questions, {real['n'] - 174} unique RQE consumer "
        f"questions). Labelled by reading each: {real['urgent']} urgent (card expected: chest pain "
        "with trouble talking, now), "
        f"{real['note_welcome']} where a note helps (possible poisoning, first aid, lethal "
        "amount, 'bad thoughts', coughing blood, breathing restricted at times), the rest "
        "ordinary.",
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
        f"| crisis card, all messages | {real['cards']} / {real['n']} "
        f"({real['card_rate']:.1%}) | |",
        f"| crisis card, ordinary messages | {real['card_rate_ordinary']:.1%} | ≤ 1 % |",
        f"| urgent messages given the card | {real['urgent_with_card']} / {real['urgent']} | |",
        f"| support note, all messages | {real['notes']} / {real['n']} ({real['note_rate']:.1%}) "
        "| rare |",
        f"| support note where none is needed | {real['unneeded_notes']} / "
        f"{real['no_note_needed']} ({real['note_rate_no_note_needed']:.1%}) | rare |",
        "",
        "| id | paraphrase | tier | category | detector | label |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {f['id']} | {f['paraphrase']} | {'card' if f['action'] == 'escalate' else 'note'} | "
        f"{f['category']} | {f['detector']} | {f['label']} |"
        for f in real["flagged"]
    ]
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=LABELLED)
    parser.add_argument("--consumer", type=Path, default=CONSUMER, help="real messages folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--calibrate", action="store_true", help="re-derive the thresholds")
    args = parser.parse_args()
    embedder = Embedder()
    if args.calibrate:
        print(json.dumps(calibrate(embedder, load_examples()), indent=2))
        return
    triage = Triage(embedder)
    report = evaluate(triage, args.path)
    if args.consumer.is_dir():
        report["real"] = evaluate_real(triage, load_real(args.consumer))
    print(render_section(report))
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
