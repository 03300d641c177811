"""Services of a test's own, on free ports, that the test may stop, crash and start again: a
PostgreSQL cluster and a Redis server. The machine's shared PostgreSQL and Redis are never
touched. Without the binaries the tests skip (under CI=true: fail)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_service
from tests.servers import free_port


@dataclass
class OwnPostgres:
    """A PostgreSQL cluster in a folder of its own, run as the ``postgres`` user."""

    bindir: Path
    root: Path
    port: int

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of its ``postgres`` database (trust authentication)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, *args: str) -> None:
        """Run ``pg_ctl`` on the cluster, waiting for it to finish (``-w``)."""
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bindir / "pg_ctl"), "-D",
             str(self.root / "data"), "-w", "-t", "60", *args],
            check=True, capture_output=True, timeout=90,
        )  # fmt: skip

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self.ctl("-l", str(self.root / "server.log"), "-o", options, "start")

    def stop(self, mode: str) -> None:
        """``pg_ctl stop -m fast`` (clients disconnected, clean shutdown) or ``immediate``
        (every server process killed at once: a crash; recovery replays the WAL on start)."""
        self.ctl("-m", mode, "stop")


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    """A fresh PostgreSQL cluster on a free port, removed afterwards."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found or shutil.which("runuser") is None or os.geteuid() != 0:
        require_service("a PostgreSQL cluster of the test's own", "needs root, runuser, pg_ctl")
    bindir = Path(found[-1]).parent
    # Under /tmp, not pytest's tmp_path: the postgres user must be able to reach the folder.
    root = Path(tempfile.mkdtemp(prefix="lumen-faults-pg-"))
    shutil.chown(root, "postgres", "postgres")
    cluster = OwnPostgres(bindir, root, free_port())
    try:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(bindir / "initdb"), "-D",
             str(root / "data"), "--auth=trust", "-U", "postgres", "--no-sync"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class OwnRedis:
    """A ``redis-server`` with an append-only file in a folder of its own."""

    folder: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (on the same port and append-only file as before) and wait for PONG."""
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder)],
            stdout=(self.folder / "redis.log").open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            probe = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
            )
            if probe.stdout.strip() == "PONG":
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.1)

    def signal(self, signum: int) -> None:
        """Send ``signum`` (SIGSTOP: hung, its connections open; SIGCONT: back)."""
        assert self.proc is not None
        os.kill(self.proc.pid, signum)

    def kill(self) -> None:
        """SIGKILL: gone, connections refused; what it wrote to its append-only file stays."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    """A fresh Redis on a free port (append-only, fsync on every write), stopped afterwards."""
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        require_service("a redis-server of the test's own", "redis-server is not installed")
    folder = tmp_path / "redis"
    folder.mkdir()
    server = OwnRedis(folder, free_port())
    server.start()
    try:
        yield server
    finally:
        if server.proc is not None and server.proc.poll() is None:
            os.kill(server.proc.pid, signal.SIGCONT)
            server.kill()
