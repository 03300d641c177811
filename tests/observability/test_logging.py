"""The access log of a real ``lumen serve`` keeps paths and drops query strings."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.servers import lumen_serve


def test_the_access_log_drops_query_strings(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    secret = "Margaret-Okonkwo-1958"
    with lumen_serve(tmp_path / "var", {"LUMEN_LOG_LEVEL": "INFO"}, log=log) as (url, _pid):
        httpx.get(f"{url}/api/v1/search", params={"q": secret})
        httpx.get(f"{url}/api/v1/admin/users", params={"q": secret})
        time.sleep(0.5)
    text = log.read_text()
    assert '"GET /api/v1/search HTTP/1.1" 401' in text, text[-2000:]
    assert secret not in text
