"""``lumen serve`` in a subprocess on a free loopback port, for tests and benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A loopback TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def lumen_serve(
    data_dir: Path,
    extra_env: dict[str, str] | None = None,
    ready_timeout_s: float = 120,
    log: Path | None = None,
) -> Iterator[tuple[str, int]]:
    """Run ``lumen serve --no-seed`` over ``data_dir`` until ``/readyz`` answers 200; yield
    ``(base_url, pid)``; terminate it afterwards. ``log`` receives its output (else it is
    dropped). Raises ``RuntimeError`` if it never gets ready.
    """
    port = free_port()
    env = {**os.environ, "LUMEN_DATA_DIR": str(data_dir), "LUMEN_LOG_LEVEL": "WARNING"}
    env.update(extra_env or {})
    output = log.open("wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "lumen.cli", "serve", "--no-seed", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=output,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout_s
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("lumen serve did not become ready")
            time.sleep(0.3)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(30)
        if log:
            output.close()  # type: ignore[union-attr]
