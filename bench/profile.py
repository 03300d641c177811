"""Benchmark 8 (where a request's time goes): ``lumen serve`` sampled by py-spy while it answers
every question for one client, one at a time, then for 50 concurrent streaming clients for 30 s
(the questions cycle: caches are warm, as in ``bench.http``); samples are grouped by stage.

``python -m bench.profile DATA_DIR QUESTIONS_JSON`` prints one JSON object: for each run, the
share of the server's samples per stage (a sample is attributed to the first stage found from
the top of its stack, model work first), the samples taken, and the run's answers.

py-spy (a sampling profiler for CPython, reading the process from outside) samples every
thread it judges active, 100 times a second. A thread waiting inside native code (a queue's
lock, ``epoll``) can be judged active too, so shares are shares of samples, not exactly of CPU
time; ``perf record`` separates the two where it matters.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from tests.servers import lumen_serve

from bench.http import BENCH_ENV, concurrent, sequential

PY_SPY = Path(sys.executable).parent / "py-spy"
# (stage, markers): a stack belongs to the first stage one of whose markers it contains.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("extractive engine: sentence embedding", ("SentenceVectors.encode",)),
    ("triage: message embedding", ("Triage.embedding_scores",)),
    ("retrieval: query embedding", ("Embedder.encode_quer",)),
    ("extractive engine: selection", ("ExtractiveEngine.compose", "lexical_shortlist")),
    ("retrieval: dense + BM25 search, RRF", ("Retriever.search", "EdgeIndex.query")),
    ("triage: patterns", ("Triage.assess",)),
    ("argon2id (sign-up, sign-in)", ("hash_password", "verify_password")),
    ("audit sealer (background)", ("AuditSealer.",)),
    ("database (SQLAlchemy, drivers)", ("sqlalchemy/", "aiosqlite/", "psycopg/", "sqlite3")),
    ("sessions and rate limits", ("sessions.py", "throttle.py", "redis/", "limits/")),
    ("SSE, HTTP, validation", ("sse_starlette/", "uvicorn/", "starlette/", "fastapi/", "pydantic")),
    ("message encryption", ("encryption.py", "cryptography/")),
)  # fmt: skip


def stage_of(stack: str) -> str:
    """The stage of one sampled stack (frames ``func (file:line)`` joined by ``;``)."""
    for stage, markers in STAGES:
        if any(marker in stack for marker in markers):
            return stage
    return "other (event loop, asyncio, answer stream)"


def shares(raw: Path) -> dict[str, Any]:
    """Samples per stage of a py-spy ``--format raw`` file, as shares of the total."""
    counts: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if stack:
            counts[stage_of(stack)] += int(n)
    total = sum(counts.values())
    return {
        "samples": total,
        "stages": {stage: n / total for stage, n in counts.most_common()} if total else {},
    }


def profiled(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy recording ``pid`` into ``out`` until interrupted."""
    return subprocess.Popen(
        [str(PY_SPY), "record", "--pid", str(pid), "--rate", "100", "--format", "raw",
         "--output", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def main(data_dir: Path, questions: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as work, lumen_serve(data_dir, BENCH_ENV) as (url, pid):
        one, many = Path(work) / "one.txt", Path(work) / "many.txt"
        spy = profiled(pid, one)
        # Every question once: afterwards the fifty clients meet warm caches, as in bench.http.
        out["one_client"] = asyncio.run(sequential(url, questions))
        spy.send_signal(2)
        spy.wait(60)
        spy = profiled(pid, many)
        out["fifty_clients"] = asyncio.run(concurrent(url, pid, questions, 50, 30))
        spy.send_signal(2)
        spy.wait(60)
        out["one_client"] |= shares(one)
        out["fifty_clients"] |= shares(many)
    return out


if __name__ == "__main__":
    qs = json.loads(Path(sys.argv[2]).read_text())
    sys.stdout.write(json.dumps(main(Path(sys.argv[1]), qs)) + "\n")
