"""Benchmark 10 (background work): questions during the first knowledge-base load, and
ingestion on the in-process runner beside 1 and 2 Celery worker processes.

``python -m bench.jobs SEED_DIR QUESTIONS_JSON [load|runners]`` prints one JSON object on stdout
(``{"load": ..., "runners": ...}``, the parts asked for; both by default).

- **During the first load** (embedded default, ``lumen serve`` over HTTP): a full MedQuAD load
  runs from an empty index; the time it takes to read its first ``PREFIX_FILES`` files is
  measured alone and again (fresh) while patients ask one question every ``ASK_INTERVAL_S``.
  Both with ingestion embedding in the low-priority child process (the default) and, for the
  record, in the serving process as before issue 12.
- **Scaling out**: the same MedQuAD slice loaded by the in-process runner, then by Celery with
  1 and 2 ``lumen worker`` processes (PostgreSQL and Redis of this machine). Each worker has an
  index folder of its own (qdrant-client's local mode opens in one process; no Qdrant server
  runs here), so the figures measure the workers' compute, not a shared server's writes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from tests.servers import ROOT, lumen_serve

from bench.http import BENCH_ENV, ask, signed_in

OPERATOR_HEADER = "X-Lumen-Operator-Token"
# MedQuAD's files in archive order: A.D.A.M. and MedlinePlus drug pages first (names only,
# their answers were removed), then CancerGov and GARD (answers to embed): the prefix takes
# both kinds of work.
PREFIX_FILES = 7200
FINISHED = ("succeeded", "failed", "cancelled")
ASK_INTERVAL_S = 1.2
PATIENTS = 3  # questions rotate over them (each stays under the chat rate limit)
SLICE_FOLDER = "MedQuAD-master/3_GHR_QA/"
SLICE_FILES = 500
SLICE_BATCH_FILES = 25


def _operator(data_dir: Path) -> dict[str, str]:
    token = json.loads((data_dir / "server.json").read_text())["operator_token"]
    return {OPERATOR_HEADER: token}


def _submit(url: str, operator: dict[str, str], kind: str, source: str) -> str:
    response = httpx.post(
        f"{url}/api/v1/jobs", json={"kind": kind, "source": source}, headers=operator
    )
    response.raise_for_status()
    return str(response.json()["id"])


def _job(url: str, operator: dict[str, str], job_id: str) -> dict[str, Any]:
    return dict(httpx.get(f"{url}/api/v1/jobs/{job_id}", headers=operator, timeout=30).json())


def _indexed_chunks(data_dir: Path) -> int:
    with sqlite3.connect(f"file:{data_dir / 'lumen.db'}?mode=ro", uri=True, timeout=30) as db:
        row = db.execute(
            "SELECT coalesce(sum(chunk_count), 0) FROM documents WHERE status = 'indexed'"
        ).fetchone()
    return int(row[0])


async def _load_prefix(
    url: str, operator: dict[str, str], job_id: str, questions: list[str] | None
) -> tuple[float, list[tuple[float, float, bool]]]:
    """Seconds from now until the job has read ``PREFIX_FILES`` files; meanwhile (with
    ``questions``) patients ask one question every ``ASK_INTERVAL_S`` (start to start)."""
    started = time.monotonic()
    loaded = asyncio.Event()
    elapsed: list[float] = []

    async def watch() -> None:
        async with httpx.AsyncClient(base_url=url, headers=operator, timeout=30) as client:
            while True:
                job = (await client.get(f"/api/v1/jobs/{job_id}")).json()
                if job["done"] >= PREFIX_FILES or job["status"] in FINISHED:
                    elapsed.append(time.monotonic() - started)
                    loaded.set()
                    return
                await asyncio.sleep(0.5)

    async def ask_until_loaded() -> list[tuple[float, float, bool]]:
        results: list[tuple[float, float, bool]] = []
        if questions is None:
            return results
        async with AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(signed_in(url, 60)) for _ in range(PATIENTS)]
            n = 0
            while not loaded.is_set():
                asked = time.monotonic()
                results.append(await ask(clients[n % PATIENTS], questions[n % len(questions)]))
                n += 1
                pause = max(0.0, ASK_INTERVAL_S - (time.monotonic() - asked))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(loaded.wait(), pause)
        return results

    _, results = await asyncio.gather(watch(), ask_until_loaded())
    return elapsed[0], results


def during_load(seed_dir: Path, questions: list[str], child: bool, asking: bool) -> dict:
    """Seconds a full MedQuAD load from an empty index takes to read its first
    ``PREFIX_FILES`` files, alone or while patients ask (first-token latencies)."""
    with tempfile.TemporaryDirectory(prefix="lumen-bench-load-") as tmp:
        data_dir = Path(tmp)
        env = {**BENCH_ENV, "LUMEN_INGEST_IN_CHILD_PROCESS": "true" if child else "false"}
        with lumen_serve(data_dir, env) as (url, _pid):
            operator = _operator(data_dir)
            zip_path = seed_dir / "medquad" / "MedQuAD-master.zip"
            job_id = _submit(url, operator, "ingest_medquad", str(zip_path))
            seconds, results = asyncio.run(
                _load_prefix(url, operator, job_id, questions if asking else None)
            )
            chunks = _indexed_chunks(data_dir)
    out: dict[str, Any] = {"files": PREFIX_FILES, "seconds": seconds, "chunks": chunks,
                           "chunks_per_s": chunks / seconds}  # fmt: skip
    if results:
        firsts = [r[0] for r in results]
        out |= {
            "questions": len(results),
            "errors": sum(not r[2] for r in results),
            "first_token_p50_ms": float(np.percentile(firsts, 50)),
            "first_token_p95_ms": float(np.percentile(firsts, 95)),
            "first_token_max_ms": float(max(firsts)),
        }
    return out


def medquad_slice(seed_dir: Path, target: Path) -> Path:
    """A zip of the first ``SLICE_FILES`` Genetics Home Reference files of MedQuAD."""
    with (
        zipfile.ZipFile(seed_dir / "medquad" / "MedQuAD-master.zip") as source,
        zipfile.ZipFile(target, "w") as out,
    ):
        names = sorted(
            n for n in source.namelist() if n.startswith(SLICE_FOLDER) and n.endswith(".xml")
        )
        for name in names[:SLICE_FILES]:
            out.writestr(name, source.read(name))
    return target


def _wait_finished(url: str, operator: dict[str, str], job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        job = _job(url, operator, job_id)
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.5)
    raise RuntimeError("the job did not finish within an hour")


def _job_seconds(job: dict[str, Any]) -> float:
    from datetime import datetime

    started = datetime.fromisoformat(job["started_at"])
    finished = datetime.fromisoformat(job["finished_at"])
    return (finished - started).total_seconds()


def _chunks_of(database_url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT sum(chunk_count) FROM documents")).scalar()
    engine.dispose()
    return int(count or 0)


def in_process_slice(slice_zip: Path) -> dict[str, Any]:
    """The slice through ``lumen serve``'s in-process runner (SQLite, Edge, child encoder)."""
    with tempfile.TemporaryDirectory(prefix="lumen-bench-slice-") as tmp:
        data_dir = Path(tmp)
        env = {**BENCH_ENV, "LUMEN_JOB_BATCH_SIZE": str(SLICE_BATCH_FILES)}
        with lumen_serve(data_dir, env) as (url, _pid):
            operator = _operator(data_dir)
            job = _wait_finished(
                url, operator, _submit(url, operator, "ingest_medquad", str(slice_zip))
            )
            chunks = _indexed_chunks(data_dir)
    seconds = _job_seconds(job)
    return {"status": job["status"], "seconds": seconds, "chunks": chunks,
            "chunks_per_s": chunks / seconds}  # fmt: skip


@contextmanager
def _workers(env: dict[str, str], count: int, root: Path) -> Iterator[None]:
    """``count`` ``lumen worker`` processes (solo pool), each with its own index folder,
    sharing the cores' threads between them; ready (model loaded) on entry."""
    procs, logs = [], []
    threads = str(max(1, 2 // count))
    for n in range(count):
        folder = root / f"worker-{n}"
        log = root / f"worker-{n}.log"
        logs.append(log)
        worker_env = {
            **os.environ, **env, "LUMEN_DATA_DIR": str(folder),
            "LUMEN_QDRANT_PATH": str(folder / "qdrant"), "LUMEN_TORCH_THREADS": threads,
        }  # fmt: skip
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "lumen.cli", "worker", "--pool", "solo"],
                cwd=ROOT,
                env=worker_env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        )
    try:
        deadline = time.monotonic() + 300
        while not all(" ready." in log.read_text(errors="replace") for log in logs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError("a worker did not get ready: " + logs[0].read_text()[-2000:])
            time.sleep(0.5)
        yield
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(120)


def celery_slice(slice_zip: Path, workers: int) -> dict[str, Any]:
    """The slice through the API with ``LUMEN_JOBS_RUNNER=celery`` and ``workers`` workers
    on a scratch PostgreSQL database and a Redis key prefix of its own."""
    from bench.auth import scratch_postgres
    from lumen.migrate import upgrade_to_head

    with scratch_postgres() as database, tempfile.TemporaryDirectory() as tmp:
        upgrade_to_head(database)
        root = Path(tmp)
        env = {
            "LUMEN_DATABASE_URL": database,
            "LUMEN_REDIS_URL": "redis://127.0.0.1:6379/0",
            "LUMEN_REDIS_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
            "LUMEN_JOBS_RUNNER": "celery",
            "LUMEN_JOB_BATCH_SIZE": str(SLICE_BATCH_FILES),
            "HF_HUB_OFFLINE": "1",
            "LUMEN_ENCRYPTION_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
        }
        with _workers(env, workers, root):
            api_dir = root / "api"
            api_env = {**BENCH_ENV, **env, "LUMEN_QDRANT_PATH": str(api_dir / "qdrant")}
            with lumen_serve(api_dir, api_env) as (url, _pid):
                operator = _operator(api_dir)
                job = _wait_finished(
                    url, operator, _submit(url, operator, "ingest_medquad", str(slice_zip))
                )
        chunks = _chunks_of(database)
    seconds = _job_seconds(job)
    return {"status": job["status"], "seconds": seconds, "chunks": chunks,
            "chunks_per_s": chunks / seconds}  # fmt: skip


def during_first_load(seed_dir: Path, questions: list[str]) -> dict[str, Any]:
    """Section 10: the load alone, with questions, and with questions before issue 12."""
    return {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "patients": PATIENTS,
        "ask_interval_s": ASK_INTERVAL_S,
        "load_alone": during_load(seed_dir, questions, child=True, asking=False),
        "load_asking": during_load(seed_dir, questions, child=True, asking=True),
        "load_asking_in_server": during_load(seed_dir, questions, child=False, asking=True),
    }


def on_each_runner(seed_dir: Path) -> dict[str, Any]:
    """Section 10b: one MedQuAD slice in-process, then on 1 and 2 Celery worker processes."""
    out: dict[str, Any] = {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "slice": {"files": SLICE_FILES, "folder": SLICE_FOLDER.split("/")[1],
                  "batch_files": SLICE_BATCH_FILES},
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        slice_zip = medquad_slice(seed_dir, Path(tmp) / "slice.zip")
        out["slice_in_process"] = in_process_slice(slice_zip)
        out["slice_celery_1"] = celery_slice(slice_zip, 1)
        out["slice_celery_2"] = celery_slice(slice_zip, 2)
    return out


if __name__ == "__main__":
    # python -m bench.jobs SEED_DIR QUESTIONS_JSON [load|runners]  (default: both)
    seed, questions_file = Path(sys.argv[1]), Path(sys.argv[2])
    part = sys.argv[3] if len(sys.argv) > 3 else "both"
    result: dict[str, Any] = {}
    if part in ("load", "both"):
        result["load"] = during_first_load(seed, json.loads(questions_file.read_text()))
    if part in ("runners", "both"):
        result["runners"] = on_each_runner(seed)
    print(json.dumps(result))
