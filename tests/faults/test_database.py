"""PostgreSQL stopped and started under load, under a real ``lumen serve``: every request during
the outage answers 503 problem+json with Retry-After within 2 s (none hangs, none is a 500),
``/readyz`` says the database is down and then ready, service resumes without restarting
Lumen, and a question asked around the outage is stored with its audit entry or not at all.

A clean shutdown (``pg_ctl stop -m fast``: clients disconnected) and a crash (``-m
immediate``: every server process killed, WAL replayed on start) in turn, on one server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.accounts import Account, register
from tests.faults.conftest import OwnPostgres
from tests.servers import ROOT, lumen_serve

CLIENTS = 3
OUTAGE_S = 4.0
FAST_S = 2.0  # the bound on an answer during the outage
HANG_S = 10.0  # any request slower than this counts as hung
QUESTION = "What is the usual starting dose of atorvastatin?"


@dataclass
class Outcome:
    """One request: what it was, when it ran (monotonic seconds) and what came back."""

    kind: str  # list | ask | ask_sse
    started: float
    ended: float
    status: int | None  # None: no answer (the client timed out)
    content_type: str = ""
    retry_after: str | None = None
    body: str = ""
    last_event: str | None = None  # SSE: the name of the last event

    @property
    def elapsed_s(self) -> float:
        return self.ended - self.started

    def is_unavailable(self) -> bool:
        """A 503 problem+json with Retry-After and the problem's status in the body."""
        if self.status != 503 or self.retry_after is None:
            return False
        if not self.content_type.startswith("application/problem+json"):
            return False
        return bool(json.loads(self.body).get("status") == 503)


def _lumen(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lumen.cli", *args],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]


def _request(client: httpx.Client, kind: str, conversation_id: str) -> Outcome:
    started = time.monotonic()
    path = f"/api/v1/conversations/{conversation_id}/messages"
    try:
        if kind == "list":
            response = client.get("/api/v1/conversations")
        elif kind == "ask":
            response = client.post(path, json={"content": QUESTION})
        else:
            headers = {"Accept": "text/event-stream"}
            with client.stream("POST", path, json={"content": QUESTION}, headers=headers) as r:
                body = r.read().decode()
                events = [ln[7:] for ln in body.splitlines() if ln.startswith("event: ")]
                return Outcome(
                    kind, started, time.monotonic(), r.status_code,
                    r.headers.get("content-type", ""), r.headers.get("retry-after"), body,
                    events[-1] if events else None,
                )  # fmt: skip
    except httpx.TransportError as exc:
        return Outcome(kind, started, time.monotonic(), None, body=type(exc).__name__)
    return Outcome(
        kind, started, time.monotonic(), response.status_code,
        response.headers.get("content-type", ""), response.headers.get("retry-after"),
        response.text,
    )  # fmt: skip


def _drive(account: Account, conversation_id: str, stop: threading.Event, out: list[Outcome]):  # type: ignore[no-untyped-def]
    kinds = ("list", "ask", "ask_sse")
    n = 0
    while not stop.is_set():
        out.append(_request(account.client, kinds[n % len(kinds)], conversation_id))
        n += 1
        time.sleep(0.05)


def _readyz(url: str) -> tuple[int, dict[str, object], float]:
    started = time.monotonic()
    response = httpx.get(f"{url}/readyz", timeout=HANG_S)
    return response.status_code, response.json(), time.monotonic() - started


@pytest.fixture
def served(tmp_path: Path, own_postgres: OwnPostgres, shared_data: Path):  # type: ignore[no-untyped-def]
    """``lumen serve`` on the cluster, migrated with ``lumen migrate``, over two real SPL
    labels ingested with ``lumen ingest spl``."""
    labels = tmp_path / "labels"
    labels.mkdir()
    for name in ("cough.xml", "lipitor-orig.xml"):
        shutil.copy(shared_data / "drug_labels" / "spl" / name, labels)
    data_dir = tmp_path / "var"
    env = {
        "LUMEN_DATA_DIR": str(data_dir),
        "LUMEN_DATABASE_URL": own_postgres.url,
        "LUMEN_CHAT_RATE_LIMIT": "10000/minute",
        "LUMEN_REGISTER_RATE_LIMIT": "10000/hour",
        "HF_HUB_OFFLINE": "1",
    }
    _lumen(env, "migrate")
    _lumen(env, "ingest", "spl", str(labels))
    with lumen_serve(data_dir, env, log=tmp_path / "serve.log") as (url, pid):
        yield url, pid, tmp_path / "serve.log"


def test_a_database_restart_under_load_answers_503_fast_and_service_resumes(
    served, own_postgres: OwnPostgres
) -> None:  # type: ignore[no-untyped-def]
    url, pid, log = served
    accounts = [register(url) for _ in range(CLIENTS)]
    conversations = []
    for account in accounts:
        account.client.timeout = httpx.Timeout(HANG_S * 1.5)
        created = account.client.post("/api/v1/conversations", json={})
        assert created.status_code == 201, created.text
        conversations.append(created.json()["id"])

    for stop_mode in ("fast", "immediate"):
        outcomes: list[list[Outcome]] = [[] for _ in accounts]
        stop = threading.Event()
        threads = [
            threading.Thread(target=_drive, args=(a, c, stop, out), daemon=True)
            for a, c, out in zip(accounts, conversations, outcomes, strict=True)
        ]
        for thread in threads:
            thread.start()
        time.sleep(2.0)

        own_postgres.stop(stop_mode)
        down_at = time.monotonic()
        time.sleep(OUTAGE_S / 2)
        ready_down = _readyz(url)
        time.sleep(OUTAGE_S / 2)
        up_at = time.monotonic()
        own_postgres.start()
        started_at = time.monotonic()
        ready_up = _readyz(url)
        time.sleep(4.0)
        stop.set()
        for thread in threads:
            thread.join(HANG_S * 2)

        everything = [o for out in outcomes for o in out]
        hung = [o for o in everything if o.status is None or o.elapsed_s > HANG_S]
        assert not hung, f"{stop_mode}: requests hung or lost: {hung[:3]}"
        refused = [o for o in everything if o.status not in (200, 201) and not o.is_unavailable()]
        assert not refused, f"{stop_mode}: neither success nor 503 problem+json: {refused[:3]}"
        # An answer stream that began before the outage may end with an error event, never cut.
        cut = [o for o in everything if o.kind == "ask_sse" and o.status == 200]
        assert all(o.last_event in ("done", "error") for o in cut), cut[:3]

        during = [o for o in everything if o.started >= down_at and o.ended <= up_at]
        assert len(during) >= CLIENTS * 3, f"{stop_mode}: too few requests during the outage"
        assert all(o.is_unavailable() for o in during), [o for o in during if o.status != 503]
        slowest = max(o.elapsed_s for o in during)
        assert slowest < FAST_S, f"{stop_mode}: a request took {slowest:.2f} s in the outage"
        print(f"{stop_mode}: {len(during)} requests in the outage, slowest {slowest:.3f} s")
        body = json.loads(during[0].body)
        assert body["title"] in ("Database unavailable", "Audit log unavailable"), body

        status, report, elapsed = ready_down
        assert status == 503 and str(report["database"]).startswith("down"), report
        assert elapsed < FAST_S
        assert ready_up[0] == 200, ready_up[1]

        for out in outcomes:
            for kind in ("list", "ask", "ask_sse"):
                after = [o for o in out if o.kind == kind and o.started >= started_at]
                assert after and after[-1].status in (200, 201), (stop_mode, kind, after[-1:])
                if kind == "ask_sse":
                    assert after[-1].last_event == "done", after[-1].body[-300:]

    # The 503 is part of the contract: the OpenAPI document lists it on what was exercised.
    paths = httpx.get(f"{url}/openapi.json").json()["paths"]
    for path, method in (
        ("/api/v1/conversations", "get"),
        ("/api/v1/conversations/{conversation_id}/messages", "post"),
    ):
        assert "503" in paths[path][method]["responses"], (path, method)

    os.kill(pid, 0)  # the same process served throughout
    failed = "Exception in ASGI application"  # uvicorn's line for a request that raised
    assert failed not in log.read_text(errors="replace"), "a request failed with a 500"
    _assert_each_question_stored_with_its_audit_entry(own_postgres, conversations)
    for account in accounts:
        account.client.close()


def _assert_each_question_stored_with_its_audit_entry(
    cluster: OwnPostgres, conversations: list[str]
) -> None:
    """Per conversation: as many stored questions as audited ``conversation.message``
    successes: no question without its entry, no entry without its question."""
    dsn = cluster.url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn) as conn:
        for conversation_id in conversations:
            questions = conn.execute(
                "SELECT count(*) FROM messages WHERE conversation_id = %s AND role = 'user'",
                (conversation_id,),
            ).fetchone()
            entries = conn.execute(
                "SELECT count(*) FROM audit_entries WHERE object_id = %s"
                " AND action = 'conversation.message' AND outcome = 'success'",
                (conversation_id,),
            ).fetchone()
            assert questions is not None and entries is not None
            assert questions[0] > 0 and questions[0] == entries[0], (questions, entries)
