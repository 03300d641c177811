"""Benchmark 11 (label scale): drug search and the label view over a generated label set.

``python -m bench.labels [LABELS] [QUERIES] [--at-scale=N]`` (defaults 20,000, 300 and
150,000) prints one JSON line. For SQLite (the embedded default) and PostgreSQL
(127.0.0.1:5432, a database of its own, sessions in Redis at 127.0.0.1:6379 as in
production), it:

1. migrates a fresh database and bulk-inserts ``LABELS`` generated labels
   (``bench.label_corpus``) beside 2,000 consumer-health documents; PostgreSQL then gets
   ``VACUUM ANALYZE`` (what autovacuum does after a load), SQLite nothing (the embedded
   default never runs ``ANALYZE``, so its planner works without statistics here too);
2. starts a real ``lumen serve`` on it and signs up a patient (every role may read labels);
3. one client, requests one after another, after 20 warm-up requests: ``GET /api/v1/drugs?q=``
   for ``QUERIES`` queries (a brand prefix of 3 to 6 letters, a whole generic name, a
   substring from inside a generic name, an empty query, a query that matches nothing, in
   equal shares, shuffled) plus 20 successive pages of the blank query by cursor, and
   ``GET /api/v1/drugs/{set_id}`` for ``QUERIES`` random labels;
4. search alone once more, over ``N`` labels without text or sections (search never reads
   them; 150,000 is about the full openFDA set), to see how the design holds at that size
   (``--at-scale=0`` skips it).

Latencies are client-side wall time of each request (loopback HTTP included), ms.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import sqlalchemy as sa
from tests.accounts import register
from tests.servers import lumen_serve

from bench.auth import scratch_postgres
from bench.http import BENCH_ENV
from bench.label_corpus import GeneratedLabel, generate
from lumen.migrate import upgrade_to_head

INSERT_BATCH = 2000
CONSUMER_DOCUMENTS = 2000
WARM_UP = 20
BLANK_PAGES = 20
AT_SCALE = 150_000  # about the full openFDA label set
KINDS = ("brand prefix", "generic name", "substring", "empty", "no match")


def bulk_load(
    url: str, labels: int, names_only: bool = False
) -> tuple[list[GeneratedLabel], dict[str, float]]:
    """Insert ``labels`` generated labels and ``CONSUMER_DOCUMENTS`` other documents into the
    migrated database at ``url`` (sync SQLAlchemy URL); their names and the load's timings.
    ``names_only``: labels without sections or text (``label_corpus.generate``)."""
    import lumen.runtime  # noqa: F401  (every table's model)
    from lumen.knowledge.models import Document, DocumentSection

    documents_table: sa.Table = Document.__table__  # type: ignore[attr-defined]
    sections_table: sa.Table = DocumentSection.__table__  # type: ignore[attr-defined]
    engine = sa.create_engine(url)
    names: list[GeneratedLabel] = []
    started = time.perf_counter()
    documents: list[dict[str, object]] = []
    sections: list[dict[str, object]] = []
    now = datetime.now(UTC)
    with engine.begin() as connection:

        def flush() -> None:
            for table, values in ((documents_table, documents), (sections_table, sections)):
                if values:
                    # Only the columns the schema has: the baseline (before the search keys)
                    # has fewer.
                    known = [{k: v for k, v in row.items() if k in table.c} for row in values]
                    connection.execute(sa.insert(table), known)
                values.clear()

        for document, label_sections, label in generate(labels, names_only=names_only):
            documents.append(document)
            sections.extend(label_sections)
            names.append(label)
            if len(documents) == INSERT_BATCH:
                flush()
        for n in range(CONSUMER_DOCUMENTS):
            documents.append(
                {
                    "id": f"medquad:bench-{n}",
                    "source": "medquad",
                    "source_name": "MedlinePlus",
                    "collection": "consumer_health",
                    "title": f"Condition {n}",
                    "licence": "CC BY 4.0",
                    "attribution": "MedQuAD",
                    "version": "1",
                    "brand_key": "",
                    "generic_key": "",
                    "text": "What is it? " * 200,
                    "chunk_count": 4,
                    "status": "indexed",
                    "updated_at": now,
                }
            )
            if len(documents) == INSERT_BATCH:
                flush()
        if documents:
            flush()
    insert_s = time.perf_counter() - started
    started = time.perf_counter()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE documents")
            connection.exec_driver_sql("VACUUM ANALYZE document_sections")
    analyze_s = time.perf_counter() - started
    engine.dispose()
    return names, {"insert_s": insert_s, "analyze_s": analyze_s}


def queries(labels: list[GeneratedLabel], count: int, seed: int = 5) -> list[tuple[str, str]]:
    """``count`` ``(kind, q)`` pairs, an equal share of each of ``KINDS``, shuffled."""
    rng = random.Random(seed)
    chosen: list[tuple[str, str]] = []
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        label = rng.choice(labels)
        if kind == "brand prefix":
            q = label.brand_name[: rng.randint(3, 6)]
        elif kind == "generic name":
            q = label.generic_name
        elif kind == "substring":
            word = max(label.generic_name.split(), key=len)
            start = rng.randint(1, max(1, len(word) - 5))
            q = word[start : start + rng.randint(4, 6)]
        elif kind == "empty":
            q = ""
        else:
            q = f"qx{rng.randint(1000, 9999)}zv"
        chosen.append((kind, q))
    rng.shuffle(chosen)
    return chosen


def _timed(
    client: httpx.Client, path: str, params: dict[str, str] | None = None
) -> tuple[float, Any]:
    started = time.perf_counter()
    response = client.get(path, params=params)
    elapsed_ms = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed_ms, response.json()


def _percentiles(values: list[float]) -> dict[str, float]:
    return {
        "requests": len(values),
        "p50_ms": float(np.percentile(values, 50)),
        "p95_ms": float(np.percentile(values, 95)),
        "max_ms": float(max(values)),
    }


def measure(
    url: str, labels: list[GeneratedLabel], count: int, views: bool = True
) -> dict[str, Any]:
    """Search latencies, and label-view latencies when ``views``, against the server at
    ``url``."""
    account = register(url)
    client = account.client
    rng = random.Random(9)
    try:
        for _kind, q in queries(labels, WARM_UP, seed=1):
            _timed(client, "/api/v1/drugs", {"q": q})
        by_kind: dict[str, list[float]] = {kind: [] for kind in KINDS}
        results: dict[str, list[int]] = {kind: [] for kind in KINDS}
        for kind, q in queries(labels, count):
            elapsed_ms, body = _timed(client, "/api/v1/drugs", {"q": q})
            by_kind[kind].append(elapsed_ms)
            results[kind].append(len(body["items"]))
        pages: list[float] = []
        params = {"q": ""}
        for _ in range(BLANK_PAGES):
            elapsed_ms, body = _timed(client, "/api/v1/drugs", params)
            pages.append(elapsed_ms)
            # An API without paging (the baseline) is asked for its one page again.
            if body.get("next_cursor"):
                params = {"q": "", "cursor": body["next_cursor"]}
        viewed: list[float] = []
        sections: list[int] = []
        for label in rng.sample(labels, min(count, len(labels)) if views else 0):
            elapsed_ms, body = _timed(client, f"/api/v1/drugs/{label.set_id}")
            viewed.append(elapsed_ms)
            sections.append(len(body["sections"]))
    finally:
        client.close()
    searches = [ms for values in by_kind.values() for ms in values]
    shown = (
        {"label_view": {**_percentiles(viewed), "mean_sections": float(np.mean(sections))}}
        if views
        else {}
    )
    return {
        "search": _percentiles(searches),
        "search_by_kind": {
            kind: {**_percentiles(ms), "mean_items": float(np.mean(results[kind]))}
            for kind, ms in by_kind.items()
        },
        "blank_pages": _percentiles(pages),
        **shown,
    }


@contextmanager
def _database(kind: str, work: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The sync URL of a fresh database of ``kind`` and the server environment for it."""
    if kind == "sqlite":
        yield f"sqlite:///{work / 'lumen.db'}", {}
        return
    with scratch_postgres() as url:
        yield (
            url,
            {
                "LUMEN_DATABASE_URL": url,
                "LUMEN_REDIS_URL": "redis://127.0.0.1:6379/0",
                "LUMEN_REDIS_KEY_PREFIX": url.rsplit("/", 1)[1],
            },
        )


def run(kind: str, labels: int, count: int, names_only: bool = False) -> dict[str, Any]:
    """Load, serve and measure one database (``sqlite`` or ``postgresql``); ``names_only``
    measures search alone over labels without text."""
    with tempfile.TemporaryDirectory(prefix=f"lumen-labels-{kind}-") as tmp:
        work = Path(tmp)
        with _database(kind, work) as (url, env):
            upgrade_to_head(url)
            names, load = bulk_load(url, labels, names_only)
            with lumen_serve(work, {**BENCH_ENV, **env}) as (base_url, _pid):
                measured = measure(base_url, names, count, views=not names_only)
        return {"load": load, **measured}


HEADING = "## 11. Label scale"
# The same run (20,000 labels, 300 queries) on the code before label search was reworked
# (commit ef8c3a1: one ILIKE '%q%' scan over brand, generic and title, at most 50 labels, no
# paging), measured 2026-12-03 08:23 UTC: p50 / p95 ms.
BEFORE = {
    "search": {"sqlite": (48.6, 67.5), "postgresql": (55.5, 63.8)},
    "label_view": {"sqlite": (1.9, 4.4), "postgresql": (3.1, 7.5)},
}


def _at_scale_rows(scale: dict[str, Any] | None) -> list[str]:
    """Rows of the names-only run at a full label set's size, if it was measured."""
    if not scale:
        return []
    lite, pg = scale["sqlite"], scale["postgresql"]

    def cell(figures: dict[str, Any]) -> str:
        return f"{figures['p50_ms']:.1f} / {figures['p95_ms']:.1f}"

    rows = [
        f"| at {scale['labels']:,} labels (names only): `GET /api/v1/drugs?q=`, all queries "
        f"| {cell(lite['search'])} | {cell(pg['search'])} |"
    ]
    rows += [
        f"| … {kind} | {cell(lite['search_by_kind'][kind])} | {cell(pg['search_by_kind'][kind])} |"
        for kind in KINDS
    ]
    return rows


def render(m: dict[str, Any]) -> str:
    """Section 11 of ``bench/results.md`` from ``main``'s output."""
    lite, pg = m["sqlite"], m["postgresql"]

    def cell(figures: dict[str, Any]) -> str:
        return f"{figures['p50_ms']:.1f} / {figures['p95_ms']:.1f}"

    def row(name: str, pick: Any) -> str:
        return f"| {name} | {cell(pick(lite))} | {cell(pick(pg))} |"

    kinds = [
        row(
            f"… {kind} (mean {lite['search_by_kind'][kind]['mean_items']:.0f} labels per page)",
            lambda d, kind=kind: d["search_by_kind"][kind],
        )
        for kind in KINDS
    ]
    return "\n".join(
        [
            f"{HEADING} — `python -m bench.labels` (`python -m bench.run --labels` refreshes "
            f"it), measured {m['measured']}",
            "",
            f"{m['labels']:,} generated FDA labels (`bench/label_corpus.py`: names from USAN "
            "stems, Zipf-distributed generics shared by generic makers and repackagers, 12–18 "
            f"LOINC sections and ~4 KB of text each) beside {m['other_documents']:,} consumer "
            "documents, bulk-inserted into a fresh database; a real `lumen serve` (PostgreSQL "
            "with sessions in Redis); one signed-in patient, requests one after another, "
            f"client-side ms. Search: {m['queries']} queries, a fifth of each kind below; "
            f"the blank query's first {m['blank_pages']} pages, by cursor; label view: "
            f"{lite['label_view']['requests']} random labels "
            f"(mean {lite['label_view']['mean_sections']:.1f} sections).",
            "",
            "| request | SQLite p50 / p95 ms | PostgreSQL 15 p50 / p95 ms |",
            "| --- | --- | --- |",
            row("`GET /api/v1/drugs?q=`, all queries (target p95 ≤ 50)", lambda d: d["search"]),
            *kinds,
            row(f"blank query, pages 1–{m['blank_pages']} by cursor", lambda d: d["blank_pages"]),
            row("`GET /api/v1/drugs/{set_id}` (target p95 ≤ 50)", lambda d: d["label_view"]),
            *(
                f"| before (ef8c3a1, same run, 2026-12-03 08:23 UTC): {name} "
                f"| {BEFORE[key]['sqlite'][0]} / {BEFORE[key]['sqlite'][1]} "
                f"| {BEFORE[key]['postgresql'][0]} / {BEFORE[key]['postgresql'][1]} |"
                for key, name in (("search", "search, all queries"), ("label_view", "label view"))
            ),
            *_at_scale_rows(m.get("at_scale")),
            "",
            f"Bulk load: SQLite {lite['load']['insert_s']:.0f} s (no ANALYZE: the embedded "
            f"default never runs it); PostgreSQL {pg['load']['insert_s']:.0f} s + VACUUM "
            f"ANALYZE {pg['load']['analyze_s']:.1f} s (as autovacuum would after a load).",
            "",
        ]
    )


def main(labels: int, count: int, at_scale: int) -> dict[str, Any]:
    """Both databases at ``labels`` labels, then search alone over ``at_scale`` labels (names
    only; 0 skips it)."""
    out: dict[str, Any] = {
        "measured": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "labels": labels,
        "other_documents": CONSUMER_DOCUMENTS,
        "queries": count,
        "blank_pages": BLANK_PAGES,
        "sqlite": run("sqlite", labels, count),
        "postgresql": run("postgresql", labels, count),
    }
    if at_scale:
        out["at_scale"] = {
            "labels": at_scale,
            "sqlite": run("sqlite", at_scale, count, names_only=True),
            "postgresql": run("postgresql", at_scale, count, names_only=True),
        }
    return out


if __name__ == "__main__":
    flags = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--at-scale=")]
    args = [int(a) for a in sys.argv[1:] if not a.startswith("--")][:2]
    labels, count = args + [20000, 300][len(args) :]
    sys.stdout.write(json.dumps(main(labels, count, int(flags[0]) if flags else AT_SCALE)) + "\n")
