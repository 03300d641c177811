"""Soak (``make soak``): steady streaming load on a real ``lumen serve`` for many minutes, to
catch what a one-minute benchmark cannot: memory that grows, errors that appear only once the
database has grown, latency that creeps.

``python -m bench.soak --minutes 30 --streams 20 [--data-dir DIR] [--results PATH]``

- The server: ``lumen serve`` (uvicorn, one worker, the embedded default) on the benchmark
  index: ``--data-dir``, else ``LUMEN_DATA_DIR``, else ``bench/.cache/var``, which is built as
  ``make bench`` builds it (``bench.run.fresh_index``) when it holds no database yet.
- The patients: ``--streams`` of them sign up before the clock starts; each keeps one streaming
  question open at a time for the whole run, asking real questions (MedQuAD dev questions and
  MEDIQA 2019 consumer questions from ``LUMEN_SEED_DIR``, shuffled with a fixed seed) in
  conversations of its own, a new conversation every ``QUESTIONS_PER_CONVERSATION`` questions,
  and re-reads the conversation after each answer as the web app does (so the database grows
  as it would).
- Errors: any non-2xx response, an SSE ``error`` event, or a stream that ends without ``done``.
- Memory: the server's RSS (``VmRSS``) every ``RSS_EVERY_S``. Warm-up is the first
  ``min(5 min, a quarter of the run)``: model, caches and pools fill then. RSS after warm-up is
  the mean of the ``RSS_WINDOW`` samples from the end of warm-up on, RSS at the end the mean of
  the last ``RSS_WINDOW`` (the same window both sides, so that one busy sample does not decide).
- Pass: no error and RSS growth after warm-up at most ``MAX_RSS_GROWTH_PCT``.

The section replaces its predecessor in ``bench/results.md`` (``bench.run.with_section``); the
exit status is 1 when the soak fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from tests.servers import lumen_serve

from bench.http import BENCH_ENV, ask, index_size, memory_figures_mb, signed_in
from bench.run import DATA_DIR, RESULTS, SEED_DIR, fresh_index, with_section

HEADING = "## 12. Soak"
QUESTIONS_PER_CONVERSATION = 4
RSS_EVERY_S = 10.0
RSS_WINDOW = 3
WARMUP_MAX_S = 300.0
MAX_RSS_GROWTH_PCT = 5.0
MAX_QUESTION_CHARS = 4000  # the server's default limit: a longer one would be a 422
ERROR_EXAMPLES = 5
MEMORY_FIELDS = ("VmRSS", "RssAnon", "RssFile")  # of /proc/PID/status


def soak_questions(seed_dir: Path) -> list[str]:
    """MedQuAD dev questions and MEDIQA 2019 consumer questions, interleaved, shuffled (seed
    12)."""
    dev = [
        json.loads(line)["question"]
        for line in (seed_dir / "medquad" / "dev_questions.jsonl").open()
    ]
    consumer = [
        json.loads(line)["question"]
        for line in (seed_dir / "consumer" / "mediqa2019_questions.jsonl").open()
    ]
    questions = [q for q in dev + consumer if 0 < len(q.strip()) <= MAX_QUESTION_CHARS]
    random.Random(12).shuffle(questions)
    return questions


@dataclass
class Tally:
    """What the patients saw, and the server's RSS over time."""

    answers: int = 0
    errors: int = 0
    error_examples: list[str] = field(default_factory=list)
    # (seconds since the start, first-token ms) of each answer that ended with done
    first_tokens: list[tuple[float, float]] = field(default_factory=list)
    # (seconds, MiB) by ``MEMORY_FIELDS``: VmRSS, of it RssAnon (the heap: Python objects,
    # tensors, malloc arenas) and RssFile (resident mapped files: libraries, the index's
    # segments, SQLite's shared memory)
    memory: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: {name: [] for name in MEMORY_FIELDS}
    )

    @property
    def rss(self) -> list[tuple[float, float]]:
        return self.memory["VmRSS"]

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_examples) < ERROR_EXAMPLES:
            self.error_examples.append(what)


async def _patient(
    client: httpx.AsyncClient,
    questions: list[str],
    offset: int,
    stride: int,
    started: float,
    deadline: float,
    tally: Tally,
) -> None:
    """Ask until the deadline, one question at a time; a new conversation every few."""
    conversation: str | None = None
    asked = 0
    while time.monotonic() < deadline:
        question = questions[(offset + asked * stride) % len(questions)]
        try:
            if conversation is None or asked % QUESTIONS_PER_CONVERSATION == 0:
                created = await client.post("/api/v1/conversations", json={})
                if created.status_code != 201:
                    tally.error(f"create conversation: HTTP {created.status_code}")
                    await asyncio.sleep(1)
                    continue
                conversation = str(created.json()["id"])
            first_ms, _total_ms, ok = await ask(client, question, conversation)
            tally.answers += 1
            if ok:
                tally.first_tokens.append((time.monotonic() - started, first_ms))
            else:
                tally.error("stream ended with an error event or without done")
            read = await client.get(f"/api/v1/conversations/{conversation}")
            if read.status_code != 200:
                tally.error(f"read conversation: HTTP {read.status_code}")
        except httpx.HTTPError as exc:
            tally.answers += 1
            tally.error(f"{type(exc).__name__}: {str(exc)[:120]}")
        asked += 1


async def _sample_rss(pid: int, started: float, deadline: float, tally: Tally) -> None:
    while True:
        now = time.monotonic() - started
        for name, mb in memory_figures_mb(pid, MEMORY_FIELDS).items():
            tally.memory[name].append((now, mb))
        if time.monotonic() >= deadline:
            return
        await asyncio.sleep(min(RSS_EVERY_S, max(0.0, deadline - time.monotonic())))


async def _soak(url: str, pid: int, questions: list[str], streams: int, seconds: float) -> Tally:
    tally = Tally()
    async with AsyncExitStack() as stack:
        clients = await asyncio.gather(
            *(stack.enter_async_context(signed_in(url, 120)) for _ in range(streams))
        )
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(
            _sample_rss(pid, started, deadline, tally),
            *(
                _patient(c, questions, n, streams, started, deadline, tally)
                for n, c in enumerate(clients)
            ),
        )
    return tally


def _database_mb(data_dir: Path) -> float:
    files = [data_dir / "lumen.db", data_dir / "lumen.db-wal"]
    return sum(f.stat().st_size for f in files if f.exists()) / 2**20


def run(data_dir: Path, seed_dir: Path, minutes: float, streams: int) -> dict[str, Any]:
    """Soak ``lumen serve`` on ``data_dir`` and return the figures (see the module docstring)."""
    seconds = minutes * 60
    warmup_s = min(WARMUP_MAX_S, seconds / 4)
    questions = soak_questions(seed_dir)
    index = index_size(data_dir)
    database_before = _database_mb(data_dir)
    with lumen_serve(data_dir, BENCH_ENV) as (url, pid):
        elapsed = time.monotonic()
        tally = asyncio.run(_soak(url, pid, questions, streams, seconds))
        elapsed = time.monotonic() - elapsed
    after_warmup = [mb for t, mb in tally.rss if t >= warmup_s][:RSS_WINDOW]
    at_end = [mb for _t, mb in tally.rss][-RSS_WINDOW:]
    rss_warm = float(np.mean(after_warmup)) if after_warmup else float("nan")
    rss_end = float(np.mean(at_end))
    growth = 100 * (rss_end - rss_warm) / rss_warm
    firsts = [ms for _t, ms in tally.first_tokens]
    fifth = seconds / 5
    early = [ms for t, ms in tally.first_tokens if t < fifth]
    late = [ms for t, ms in tally.first_tokens if t >= seconds - fifth]

    def p(values: list[float], q: int) -> float | None:
        return float(np.percentile(values, q)) if values else None

    def by_fifth(samples: list[tuple[float, float]]) -> list[float | None]:
        # Mean of each fifth of the run: a leak climbs steadily, a filling cache flattens.
        return [
            float(np.mean(v))
            if (v := [mb for t, mb in samples if k <= t / fifth < k + 1])
            else None
            for k in range(5)
        ]

    return {
        "index": index,
        "minutes": minutes,
        "streams": streams,
        "elapsed_s": elapsed,
        "warmup_s": warmup_s,
        "answers": tally.answers,
        "errors": tally.errors,
        "error_examples": tally.error_examples,
        "answers_per_s": tally.answers / seconds,
        "first_token_p50_ms": p(firsts, 50),
        "first_token_p95_ms": p(firsts, 95),
        "first_token_p95_first_fifth_ms": p(early, 95),
        "first_token_p95_last_fifth_ms": p(late, 95),
        "rss_after_warmup_mb": rss_warm,
        "rss_end_mb": rss_end,
        "rss_max_mb": max(mb for _t, mb in tally.rss),
        "rss_growth_pct": growth,
        "rss_samples": len(tally.rss),
        "rss_by_fifth_mb": by_fifth(tally.rss),
        "rss_anon_by_fifth_mb": by_fifth(tally.memory["RssAnon"]),
        "rss_file_by_fifth_mb": by_fifth(tally.memory["RssFile"]),
        "database_mb_before": database_before,
        "database_mb_after": _database_mb(data_dir),
        "passed": tally.errors == 0 and growth <= MAX_RSS_GROWTH_PCT,
    }


def render(s: dict[str, Any]) -> str:
    """The soak's section of ``bench/results.md``."""

    def ms(value: float | None) -> str:
        return "–" if value is None else f"{value:.0f} ms"

    def fifths(values: list[float | None]) -> str:
        return " → ".join("–" if mb is None else f"{mb:.0f}" for mb in values) + " MiB"

    verdict = "**PASS**" if s["passed"] else "**FAIL**"
    examples = "; ".join(s["error_examples"]) or "none"
    lines = [
        f"{HEADING} — `python -m bench.soak --minutes {s['minutes']:g} --streams {s['streams']}` "
        f"(`make soak` refreshes it), index of {s['index']['documents']} documents, "
        f"{s['index']['sections']} sections; measured "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"`lumen serve` (embedded default, extractive engine), {s['streams']} patients each "
        f"keeping one streamed question open, a new conversation every "
        f"{QUESTIONS_PER_CONVERSATION} questions, the conversation re-read after each answer. "
        f"Warm-up: the first {s['warmup_s']:.0f} s; RSS sampled every {RSS_EVERY_S:.0f} s, "
        f"each end the mean of {RSS_WINDOW} samples. Pass: 0 errors and RSS growth after "
        f"warm-up ≤ {MAX_RSS_GROWTH_PCT:g} %.",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| verdict | {verdict} |",
        f"| answers / errors | {s['answers']} / {s['errors']} (examples: {examples}) |",
        f"| answers/s | {s['answers_per_s']:.1f} |",
        f"| first token p50 / p95 | {ms(s['first_token_p50_ms'])} / "
        f"{ms(s['first_token_p95_ms'])} |",
        f"| first token p95, first fifth / last fifth of the run | "
        f"{ms(s['first_token_p95_first_fifth_ms'])} / {ms(s['first_token_p95_last_fifth_ms'])} |",
        f"| server RSS after warm-up / at the end (max) | {s['rss_after_warmup_mb']:.0f} MiB / "
        f"{s['rss_end_mb']:.0f} MiB ({s['rss_max_mb']:.0f} MiB) |",
        f"| RSS growth after warm-up | {s['rss_growth_pct']:+.1f} % |",
        f"| mean RSS in each fifth of the run | {fifths(s['rss_by_fifth_mb'])} |",
        f"| of which anonymous (heap) / file-backed | {fifths(s['rss_anon_by_fifth_mb'])} / "
        f"{fifths(s['rss_file_by_fifth_mb'])} |",
        f"| database (SQLite file and WAL) before / after | {s['database_mb_before']:.0f} MiB / "
        f"{s['database_mb_after']:.0f} MiB |",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(os.environ.get("LUMEN_DATA_DIR", DATA_DIR))
    data_dir = data_dir.resolve()
    if not (data_dir / "lumen.db").exists():
        if data_dir != DATA_DIR.resolve():
            parser.error(f"{data_dir} holds no Lumen database: load an index into it first")
        fresh_index()
    soaked = run(data_dir, SEED_DIR, args.minutes, args.streams)
    section = render(soaked)
    text = args.results.read_text() if args.results.exists() else ""
    args.results.write_text(with_section(text, HEADING, section))
    print(section)
    return 0 if soaked["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
