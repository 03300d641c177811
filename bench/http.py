"""Benchmark 4 and 5 (serving): answers through the real HTTP endpoint of ``lumen serve``
(uvicorn, one worker) on the full index.

- extractive engine: time to first ``token`` event and total, ≥ 200 dev questions, sequential;
- OpenAI-compatible engine against a test LLM server that answers at once: the app's own time
  before the first LLM token (client-side first-token time; the server adds ~1 ms);
- 50 concurrent streaming clients for 60 s: answers/s, errors, first-token p50/p95 and the
  server's CPU per answer, on the embedded column (SQLite, in-process sessions) and on the
  production column (PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379, the knowledge
  tables copied from the embedded database; the vector index is the same Qdrant Edge shard,
  as no Qdrant server runs here). The clients sign up before the clock starts: the 60 s
  measure answering, not 50 argon2id hashes. The questions cycle, so most answers meet warm
  caches; with ``--new FILE``, 50 clients then ask for 30 s questions never asked before, each
  once (the embedded column), which is what a server of unique questions does;
- the serving process's peak RSS (VmHWM).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from httpx_sse import aconnect_sse
from tests.servers import lumen_serve


def peak_rss_mb(pid: int) -> float:
    """VmHWM of a live process, MiB."""
    return memory_mb(pid, "VmHWM")


def memory_mb(pid: int, field: str) -> float:
    """A memory figure of a live process from ``/proc/PID/status`` (``VmRSS``, ``VmHWM``), MiB."""
    return memory_figures_mb(pid, (field,))[field]


def memory_figures_mb(pid: int, fields: tuple[str, ...]) -> dict[str, float]:
    """Several memory figures of a live process from one read of ``/proc/PID/status``, MiB
    (NaN for a field the kernel does not report)."""
    found = dict.fromkeys(fields, float("nan"))
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in found:
            found[name] = int(value.split()[0]) / 1024
    return found


# The benchmark measures serving, not the limits (they have their own tests): many accounts
# register from one address and ask as fast as they can.
BENCH_ENV = {"LUMEN_REGISTER_RATE_LIMIT": "100000/hour", "LUMEN_CHAT_RATE_LIMIT": "100000/minute"}


@asynccontextmanager
async def signed_in(url: str, timeout: float) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a freshly registered patient, sending the session's CSRF token on writes;
    closed on exit."""
    async with httpx.AsyncClient(base_url=url, timeout=timeout) as client:
        await client.get("/api/v1/auth/csrf")
        email = f"bench-{uuid.uuid4().hex[:12]}@example.org"
        response = await client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": "violet-harbour-lantern-42"},
            headers={"X-CSRF-Token": client.cookies["lumen_csrf"]},
        )
        response.raise_for_status()
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        yield client


async def ask(
    client: httpx.AsyncClient, question: str, conversation: str | None = None
) -> tuple[float, float, bool]:
    """One streamed answer in ``conversation``, else in a new one: (first token ms, total ms,
    ok: the stream ended with ``done``). A response that is not an event stream (a non-2xx
    problem) raises ``httpx_sse.SSEError``, an ``httpx.HTTPError``."""
    if conversation is None:
        conversation = (await client.post("/api/v1/conversations", json={})).json()["id"]
    started = time.perf_counter()
    first: float | None = None
    ok = False
    async with aconnect_sse(
        client,
        "POST",
        f"/api/v1/conversations/{conversation}/messages",
        json={"content": question},
    ) as source:
        async for event in source.aiter_sse():
            if event.event == "token" and first is None:
                first = (time.perf_counter() - started) * 1000
            elif event.event == "error":
                break
            ok = ok or event.event == "done"
    total = (time.perf_counter() - started) * 1000
    return (first if first is not None else total, total, ok)


async def sequential(url: str, questions: list[str]) -> dict[str, float]:
    async with signed_in(url, 60) as client:
        for question in questions[:10]:  # warm-up
            await ask(client, question)
        results = [await ask(client, q) for q in questions]
    firsts = [r[0] for r in results]
    totals = [r[1] for r in results]
    return {
        "questions": len(results),
        "errors": sum(not r[2] for r in results),
        "first_token_p50_ms": float(np.percentile(firsts, 50)),
        "first_token_p95_ms": float(np.percentile(firsts, 95)),
        "total_p50_ms": float(np.percentile(totals, 50)),
        "total_p95_ms": float(np.percentile(totals, 95)),
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process so far, seconds (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def concurrent(
    url: str, pid: int, questions: list[str], clients: int, seconds: float
) -> dict[str, Any]:
    firsts: list[float] = []
    errors = 0
    answers = 0

    async with AsyncExitStack() as stack:
        signed = await asyncio.gather(
            *(stack.enter_async_context(signed_in(url, 120)) for _ in range(clients))
        )
        deadline = time.monotonic() + seconds
        cpu_before = cpu_seconds(pid)
        own_cpu_before = time.process_time()

        async def worker(client: httpx.AsyncClient, offset: int) -> None:
            nonlocal errors, answers
            i = offset
            while time.monotonic() < deadline:
                try:
                    first, _total, ok = await ask(client, questions[i % len(questions)])
                except httpx.HTTPError:
                    ok, first = False, 0.0
                answers += 1
                errors += not ok
                if ok:
                    firsts.append(first)
                i += clients

        started = time.monotonic()
        await asyncio.gather(*(worker(c, n) for n, c in enumerate(signed)))
        elapsed = time.monotonic() - started
        cpu = cpu_seconds(pid) - cpu_before
        own_cpu = time.process_time() - own_cpu_before
    return {
        "clients": clients,
        "seconds": seconds,
        "answers": answers,
        "answers_per_s": answers / elapsed,
        "errors": errors,
        "first_token_p50_ms": float(np.percentile(firsts, 50)) if firsts else None,
        "first_token_p95_ms": float(np.percentile(firsts, 95)) if firsts else None,
        "server_cpu_ms_per_answer": 1000 * cpu / answers if answers else None,
        # The clients share the server's cores: what they cost is CPU the server did not get.
        "client_cpu_ms_per_answer": 1000 * own_cpu / answers if answers else None,
    }


KNOWLEDGE_TABLES = ("documents", "document_sections", "focus_terms")


@contextmanager
def production_column(data_dir: Path) -> Iterator[dict[str, str]]:
    """A fresh PostgreSQL database holding the knowledge tables of ``data_dir``'s SQLite
    database, and a Redis key prefix: the environment of the production column. The database
    is dropped afterwards."""
    import sqlalchemy as sa
    from sqlmodel import SQLModel

    import lumen.runtime  # noqa: F401  (every table's model)
    from bench.auth import scratch_postgres
    from lumen.migrate import upgrade_to_head

    with scratch_postgres() as url:
        upgrade_to_head(url)
        source = sa.create_engine(f"sqlite:///{data_dir / 'lumen.db'}")
        target = sa.create_engine(url)
        with source.connect() as read, target.begin() as write:
            for table_name in KNOWLEDGE_TABLES:
                table = SQLModel.metadata.tables[table_name]
                rows = [dict(r._mapping) for r in read.execute(sa.select(table))]
                for start in range(0, len(rows), 1000):
                    write.execute(table.insert(), rows[start : start + 1000])
        source.dispose()
        target.dispose()
        yield {
            "LUMEN_DATABASE_URL": url,
            "LUMEN_REDIS_URL": "redis://127.0.0.1:6379/0",
            "LUMEN_REDIS_KEY_PREFIX": url.rsplit("/", 1)[1],
        }


def index_size(data_dir: Path) -> dict[str, int]:
    """Documents and sections of the index's database (what the figures were measured on)."""
    import sqlite3

    with sqlite3.connect(data_dir / "lumen.db") as db:
        documents = db.execute("SELECT count(*) FROM documents").fetchone()[0]
        sections = db.execute("SELECT count(*) FROM document_sections").fetchone()[0]
    return {"documents": documents, "sections": sections}


def main(
    data_dir: Path,
    questions: list[str],
    llm_url: str | None,
    new_questions: list[str] | None = None,
    consumer: list[str] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"index": index_size(data_dir)}
    with lumen_serve(data_dir, BENCH_ENV) as (url, pid):
        out["extractive"] = asyncio.run(sequential(url, questions))
        out["concurrent"] = asyncio.run(concurrent(url, pid, questions, clients=50, seconds=60))
        if new_questions:
            out["concurrent_new"] = asyncio.run(
                concurrent(url, pid, new_questions, clients=50, seconds=30)
            )
        if consumer:
            out["concurrent_consumer"] = asyncio.run(
                concurrent(url, pid, consumer, clients=50, seconds=30)
            )
        out["serve_peak_rss_mb"] = peak_rss_mb(pid)
    with (
        production_column(data_dir) as env,
        lumen_serve(data_dir, {**BENCH_ENV, **env}) as (
            url,
            pid,
        ),
    ):
        out["extractive_production"] = asyncio.run(sequential(url, questions))
        out["concurrent_production"] = asyncio.run(
            concurrent(url, pid, questions, clients=50, seconds=60)
        )
    if llm_url:
        with lumen_serve(data_dir, {**BENCH_ENV, "LUMEN_LLM_BASE_URL": llm_url}) as (url, _pid):
            out["llm_immediate"] = asyncio.run(sequential(url, questions))
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.http")
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("questions", type=Path, help="JSON list of the questions that cycle")
    parser.add_argument("llm_url", nargs="?", help="a test LLM server that answers at once")
    parser.add_argument("--new", type=Path, help="JSON list of questions never asked before")
    parser.add_argument("--consumer", type=Path, help="JSON list of real consumer messages")
    args = parser.parse_args()
    fresh = json.loads(args.new.read_text()) if args.new else None
    real = json.loads(args.consumer.read_text()) if args.consumer else None
    out = main(args.data_dir, json.loads(args.questions.read_text()), args.llm_url, fresh, real)
    sys.stdout.write(json.dumps(out) + "\n")
