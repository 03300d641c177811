"""Benchmarks 1 and 3: retrieval quality (recall@5, MRR@10 of the gold QA pair) on a seeded
sample of MedQuAD dev questions for BM25 only, dense only, plain hybrid (RRF) and hybrid steered
by question understanding (Lumen's default), and hybrid latency beside query-embedding latency,
both over the full MedQuAD + SPL index.

``python -m bench.retrieval DATA_DIR SEED_DIR [N]`` prints one JSON object.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lumen.runtime import build_knowledge
from lumen.settings import Settings

SEED = 20261123
# (name in the results, retrieval mode, question understanding on)
MODES = (
    ("sparse", "sparse", False),
    ("dense", "dense", False),
    ("hybrid-plain", "hybrid", False),
    ("hybrid", "hybrid", True),
)


def sample_questions(seed_dir: Path, n: int) -> list[dict[str, Any]]:
    """A seeded sample of ``n`` dev questions ``{qid, question, gold_ids}``."""
    path = seed_dir / "medquad" / "dev_questions.jsonl"
    rows = [json.loads(line) for line in path.open()]
    return random.Random(SEED).sample(rows, n)


def quality(
    runtime: Any, questions: list[dict[str, Any]], modes: Sequence[tuple[str, str, bool]] = MODES
) -> dict[str, dict[str, float]]:
    """recall@5 and MRR@10 per mode of ``modes`` (name, retrieval mode, question
    understanding); a hit counts when its section key is a gold id."""
    out: dict[str, dict[str, float]] = {}
    for name, mode, understand in modes:
        recall5 = mrr10 = 0.0
        for row in questions:
            gold = set(row["gold_ids"])
            hits = runtime.retriever.search(row["question"], k=10, mode=mode, understand=understand)
            keys = [h.section_key for h in hits]
            recall5 += any(k in gold for k in keys[:5])
            rank = next((i for i, k in enumerate(keys, start=1) if k in gold), None)
            mrr10 += 1.0 / rank if rank else 0.0
        out[name] = {"recall@5": recall5 / len(questions), "mrr@10": mrr10 / len(questions)}
    return out


def latency(runtime: Any, questions: list[dict[str, Any]], warmup: int = 20) -> dict[str, float]:
    """p50/p95 ms of hybrid retrieval as Lumen runs it (question understanding, an embedding
    and two RRF queries per sub-question) and of embedding the question alone."""
    texts = [row["question"] for row in questions]
    for text in texts[:warmup]:
        runtime.retriever.search(text, k=10)
    embed_ms, search_ms = [], []
    for text in texts:
        # Both timings start from an empty query cache: hybrid includes its own embedding.
        runtime.embedder.clear_query_cache()
        t0 = time.perf_counter()
        runtime.embedder.encode_query(text)
        t1 = time.perf_counter()
        runtime.embedder.clear_query_cache()
        t2 = time.perf_counter()
        runtime.retriever.search(text, k=10)
        t3 = time.perf_counter()
        embed_ms.append((t1 - t0) * 1000)
        search_ms.append((t3 - t2) * 1000)
    return {
        "queries": len(texts),
        "embed_p50_ms": float(np.percentile(embed_ms, 50)),
        "embed_p95_ms": float(np.percentile(embed_ms, 95)),
        "hybrid_p50_ms": float(np.percentile(search_ms, 50)),
        "hybrid_p95_ms": float(np.percentile(search_ms, 95)),
    }


def main(data_dir: Path, seed_dir: Path, n: int) -> dict[str, Any]:
    runtime = build_knowledge(Settings(data_dir=data_dir))
    try:
        questions = sample_questions(seed_dir, n)
        return {
            "sample": n,
            "seed": SEED,
            "points": runtime.index.count(),
            "quality": quality(runtime, questions),
            "latency": latency(runtime, questions[:400]),
        }
    finally:
        runtime.index.close()


if __name__ == "__main__":
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    sys.stdout.write(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]), size)) + "\n")
