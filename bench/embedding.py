"""Issue 11: the torch and onnx-int8 embedding backends side by side, in one process, on the
same texts.

``python -m bench.embedding WORK_DIR SEED_DIR`` prints one JSON object. It replaces WORK_DIR's
``models``, ``torch`` and ``onnx-int8`` folders, and measures:

- the ONNX model's build from the packaged weights (``lumen.knowledge.onnx_model``);
- ingestion: MedQuAD's ``COLLECTIONS`` (chunked by Lumen) into one fresh index per backend
  through the real pipeline (migrations, ``build_knowledge``, ``Ingestor.ingest``), one
  ingestion batch (``CHUNKS_PER_BATCH`` chunks) at a time, the backends taking each batch in
  turn so that load from other processes falls on both alike. Reported per backend: the
  pipeline's chunks/s and ``Embedder.encode_documents``' alone (batch size
  ``Settings.embedding_batch_size``; a chunk's embedding includes its quotable sentences'),
  in wall time and per CPU-second of this process;
- query latency: ``encode_query`` with an empty cache, one dev question at a time, the
  backends taking each question in turn; and the cosine of the two backends' vectors;
- retrieval quality on each backend's index: recall@5 and MRR@10 of the gold pair, as
  ``bench.retrieval`` counts them, dense only and hybrid as Lumen runs it, on a seeded sample
  of the dev questions whose gold pairs are all in the subset;
- each backend's peak RSS, in a fresh process that loads it and embeds 512 chunks.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.retrieval import quality
from lumen.knowledge.chunking import chunk_document
from lumen.knowledge.embeddings import BACKENDS, Backend, Embedder
from lumen.knowledge.ingestion import CHUNKS_PER_BATCH
from lumen.knowledge.loaders.medquad import open_medquad
from lumen.knowledge.onnx_model import ensure_model
from lumen.knowledge.retrieval import RetrievalMode
from lumen.knowledge.schemas import SourceDocument
from lumen.migrate import upgrade_to_head
from lumen.runtime import Runtime, build_knowledge
from lumen.settings import Settings

SEED = 20261123
COLLECTIONS = ("NIDDK", "NINDS", "CDC")
QUALITY_QUESTIONS = 1000
LATENCY_QUESTIONS = 300
WARMUP_QUESTIONS = 20
RSS_CHUNKS = 512
# (name in the results, retrieval mode, question understanding on): the modes that embed.
MODES: tuple[tuple[str, RetrievalMode, bool], ...] = (
    ("dense", "dense", False),
    ("hybrid", "hybrid", True),
)


class TimedEmbedder(Embedder):
    """An ``Embedder`` that adds up the wall and CPU seconds ``encode_documents`` takes (the
    CPU time of the whole process, all threads)."""

    seconds = 0.0
    cpu_seconds = 0.0

    def encode_documents(
        self, texts: Sequence[str], batch_size: int | None = None
    ) -> npt.NDArray[np.float32]:
        wall, cpu = time.perf_counter(), time.process_time()
        vectors = super().encode_documents(texts, batch_size)
        self.seconds += time.perf_counter() - wall
        self.cpu_seconds += time.process_time() - cpu
        return vectors


def load_subset(seed_dir: Path, downloads: Path) -> list[SourceDocument]:
    """MedQuAD's documents of ``COLLECTIONS`` (ids ``medquad:<collection>_<number>``)."""
    items = open_medquad(seed_dir / "medquad" / "MedQuAD-master.zip", downloads)
    return [
        item
        for item in items
        if isinstance(item, SourceDocument)
        and item.id.removeprefix("medquad:").split("_")[0] in COLLECTIONS
    ]


def questions_in(seed_dir: Path, documents: list[SourceDocument]) -> list[dict[str, Any]]:
    """The dev questions ``{qid, question, gold_ids}`` whose gold pairs are all in
    ``documents``, in file order."""
    keys = {section.key for document in documents for section in document.sections}
    path = seed_dir / "medquad" / "dev_questions.jsonl"
    rows = [json.loads(line) for line in path.open()]
    return [row for row in rows if set(row["gold_ids"]) <= keys]


def ingestion_batches(documents: list[SourceDocument]) -> Iterator[list[SourceDocument]]:
    """``documents`` cut where ``Ingestor.ingest`` flushes: each slice is one batch."""
    batch: list[SourceDocument] = []
    chunks = 0
    for document in documents:
        batch.append(document)
        chunks += len(chunk_document(document))
        if chunks >= CHUNKS_PER_BATCH:
            yield batch
            batch, chunks = [], 0
    if batch:
        yield batch


def ingest(
    runtimes: dict[Backend, Runtime],
    embedders: dict[Backend, TimedEmbedder],
    documents: list[SourceDocument],
) -> dict[str, Any]:
    """Ingest ``documents`` into every runtime, batch by batch in turn; chunks/s of the
    pipeline and of its embedder alone, per backend."""
    seconds = dict.fromkeys(runtimes, 0.0)
    chunks = dict.fromkeys(runtimes, 0)
    for batch in ingestion_batches(documents):
        for name, runtime in runtimes.items():
            report = runtime.ingestor.ingest(batch)
            seconds[name] += report.seconds
            chunks[name] += report.chunks_indexed
    out: dict[str, Any] = {}
    for name, runtime in runtimes.items():
        runtime.index.optimize()
        embedder = embedders[name]
        out[name] = {
            "chunks_indexed": chunks[name],
            "pipeline_chunks_per_s": chunks[name] / seconds[name],
            "encode_chunks_per_s": chunks[name] / embedder.seconds,
            "encode_chunks_per_cpu_s": chunks[name] / embedder.cpu_seconds,
        }
    return out


def latency(embedders: dict[Backend, Embedder], questions: list[str]) -> dict[str, Any]:
    """p50/p95 ms of one uncached ``encode_query`` per backend, and the cosine of the two
    backends' vectors of each question (min, mean)."""
    for embedder in embedders.values():
        for text in questions[:WARMUP_QUESTIONS]:
            embedder.encode_query(text)
    timings: dict[Backend, list[float]] = {name: [] for name in embedders}
    cosines = []
    for text in questions:
        vectors = []
        for name, embedder in embedders.items():
            embedder.clear_query_cache()
            started = time.perf_counter()
            vectors.append(embedder.encode_query(text))
            timings[name].append((time.perf_counter() - started) * 1000)
        cosines.append(float(vectors[0] @ vectors[1]))
    return {
        "per_backend": {
            name: {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95))}
            for name, ms in timings.items()
        },
        "cosine_to_torch": {"min": min(cosines), "mean": float(np.mean(cosines))},
    }


def peak_rss_mb(backend: Backend, cache_dir: Path, texts: list[str]) -> float:
    """Peak RSS (MiB) of this process after loading ``backend`` and encoding ``texts``; run in
    a fresh process, so that it is that backend's alone. Read from ``VmHWM`` (Linux):
    ``ru_maxrss`` would also count the parent's pages at the fork before ``exec``."""
    settings = Settings()
    embedder = Embedder(
        settings.torch_threads, settings.embedding_batch_size, backend=backend, cache_dir=cache_dir
    )
    embedder.encode_documents(texts)
    status = Path("/proc/self/status").read_text()
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kib) / 1024


def open_runtime(data_dir: Path, embedder: Embedder) -> Runtime:
    """A knowledge runtime over a fresh ``data_dir``, migrated, with ``embedder``."""
    shutil.rmtree(data_dir, ignore_errors=True)
    settings = Settings(data_dir=data_dir)
    upgrade_to_head(settings.sqlalchemy_url)
    return build_knowledge(settings, embedder)


def cpu_description() -> str:
    """The CPU's model name and the int8 dot-product instructions it has (``/proc/cpuinfo``:
    AVX-512 VNNI, AVX-VNNI), which decide how much onnx-int8 gains."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "CPU unknown"
    model = next(
        (ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name")),
        "CPU",
    )
    flags = set(
        next(
            (ln.split(":", 1)[1].split() for ln in info.splitlines() if ln.startswith("flags")), []
        )
    )
    vnni = [
        name
        for flag, name in (("avx512_vnni", "AVX-512 VNNI"), ("avx_vnni", "AVX-VNNI"))
        if flag in flags
    ]
    return f"{model}, {' and '.join(vnni) if vnni else 'no VNNI'}"


def main(work_dir: Path, seed_dir: Path) -> dict[str, Any]:
    load_at_start = os.getloadavg()[0]
    settings = Settings(data_dir=work_dir)
    cache_dir = work_dir / "models"
    shutil.rmtree(cache_dir, ignore_errors=True)
    started = time.perf_counter()
    ensure_model(cache_dir)
    build_s = time.perf_counter() - started

    documents = load_subset(seed_dir, work_dir / "downloads")
    questions = questions_in(seed_dir, documents)
    rng = random.Random(SEED)
    scored = rng.sample(questions, QUALITY_QUESTIONS)
    timed = [row["question"] for row in rng.sample(questions, LATENCY_QUESTIONS)]

    embedders = {
        name: TimedEmbedder(
            settings.torch_threads, settings.embedding_batch_size, backend=name, cache_dir=cache_dir
        )
        for name in BACKENDS
    }
    runtimes = {name: open_runtime(work_dir / name, embedders[name]) for name in BACKENDS}
    try:
        ingestion = ingest(runtimes, embedders, documents)
        query = latency(dict(embedders), timed)
        scores = {name: quality(runtime, scored, MODES) for name, runtime in runtimes.items()}
    finally:
        for runtime in runtimes.values():
            runtime.index.close()
    sample = [c.embed_text for d in documents for c in chunk_document(d)][:RSS_CHUNKS]
    rss = {}
    for name in BACKENDS:
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            rss[name] = pool.submit(peak_rss_mb, name, cache_dir, sample).result()
    return {
        "measured": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "load_average_1min": {"start": load_at_start, "end": os.getloadavg()[0]},
        "subset": {
            "collections": COLLECTIONS,
            "documents": len(documents),
            "questions_with_gold_in_subset": len(questions),
        },
        "cpu": cpu_description(),
        "batch_size": settings.embedding_batch_size,
        "threads": settings.torch_threads,
        "seed": SEED,
        "quality_questions": QUALITY_QUESTIONS,
        "latency_questions": LATENCY_QUESTIONS,
        "onnx_build_s": build_s,
        "query_cosine_to_torch": query["cosine_to_torch"],
        "encode_ratio": ingestion["onnx-int8"]["encode_chunks_per_s"]
        / ingestion["torch"]["encode_chunks_per_s"],
        "pipeline_ratio": ingestion["onnx-int8"]["pipeline_chunks_per_s"]
        / ingestion["torch"]["pipeline_chunks_per_s"],
        "backends": {
            name: {
                **ingestion[name],
                "query_p50_ms": query["per_backend"][name]["p50_ms"],
                "query_p95_ms": query["per_backend"][name]["p95_ms"],
                "quality": scores[name],
                "peak_rss_mb": rss[name],
            }
            for name in BACKENDS
        },
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))) + "\n")
