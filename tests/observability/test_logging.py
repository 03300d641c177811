"""The access log of a real ``lumen serve`` keeps paths and drops query strings."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.servers import ROOT, free_port


def test_the_access_log_drops_query_strings(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "LUMEN_DATA_DIR": str(tmp_path), "LUMEN_LOG_LEVEL": "INFO"}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lumen.cli", "serve", "--no-seed", "--port", str(port)],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        secret = "Margaret-Okonkwo-1958"
        httpx.get(f"{url}/api/v1/search", params={"q": secret})
        httpx.get(f"{url}/api/v1/admin/users", params={"q": secret})
        time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(30)
    text = log.read_text()
    assert '"GET /api/v1/search HTTP/1.1" 401' in text, text[-2000:]
    assert secret not in text
