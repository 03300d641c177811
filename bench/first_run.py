"""A new user's first ``make run``, timed: ``python -m bench.first_run [CLONE_DIR]``.

Clones this checkout into ``CLONE_DIR`` (default: a new temporary folder), runs ``make run`` there
(``LUMEN_PORT``, default 8000) and polls ``/readyz`` every ``POLL_S`` seconds until no
knowledge-base job is unfinished. Prints one JSON object: seconds from the start until the app
serves, until the FDA labels are indexed, until the index is fully loaded (MedQuAD's job
finished), and the documents and points then indexed. The server is stopped at the end.

A clone on a machine that has run ``make`` before shares pip's and npm's caches, so its set-up
is faster than a new machine's; the load itself is the same. Run it on a new machine for the
figure a new user sees (bench/results.md says which it was).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from tests.servers import ROOT

POLL_S = 5.0
UNFINISHED = ("queued", "running")


def _ready(url: str) -> dict[str, Any] | None:
    try:
        response = httpx.get(f"{url}/readyz", timeout=3)
    except httpx.HTTPError:
        return None
    return dict(response.json()) if response.status_code == 200 else None


def first_run(clone: Path, seed_dir: Path, port: int) -> dict[str, Any]:
    """Time ``make run`` in a fresh clone at ``clone`` (see the module docstring)."""
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {**os.environ, "LUMEN_SEED_DIR": str(seed_dir), "LUMEN_PORT": str(port)}
    started = time.monotonic()
    log = (clone / "make-run.log").open("wb")
    make = subprocess.Popen(
        ["make", "run"], cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {"measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    seen_medquad = False
    try:
        while make.poll() is None:
            time.sleep(POLL_S)
            report = _ready(url)
            if report is None:
                continue
            elapsed = time.monotonic() - started
            out.setdefault("serving_s", elapsed)
            kinds = {job["kind"] for job in report["jobs"] if job["status"] in UNFINISHED}
            seen_medquad = seen_medquad or "ingest_medquad" in kinds
            if "ingest_spl" not in kinds and report["knowledge"]["documents"] >= 5:
                out.setdefault("labels_indexed_s", elapsed)
            if seen_medquad and not kinds:
                out |= {"fully_loaded_s": elapsed,
                        "documents": report["knowledge"]["documents"],
                        "points": report["index"]["points"]}  # fmt: skip
                return out
        raise RuntimeError(f"make run ended with {make.returncode}: see {clone}/make-run.log")
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGINT)
            make.wait(60)
        log.close()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "lumen"
    seed = Path(os.environ.get("LUMEN_SEED_DIR", ROOT.parent / "shared" / "data"))
    print(json.dumps(first_run(target, seed, int(os.environ.get("LUMEN_PORT", "8000")))))
