"""Where the tests find ``promtool`` (Prometheus' rule checker and rule unit tester).

``make test`` unpacks Debian's ``prometheus`` package into ``.venv/prometheus`` (nothing is
installed system-wide and no daemon starts); a ``promtool`` on PATH is used otherwise.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "infra" / "prometheus"
VENV_PROMTOOL = ROOT / ".venv" / "prometheus" / "usr" / "bin" / "promtool"


def promtool() -> str:
    """The promtool binary; skips (fails under CI=true) when there is none."""
    if VENV_PROMTOOL.is_file():
        return str(VENV_PROMTOOL)
    found = shutil.which("promtool")
    if found is None:
        require_service(
            "promtool",
            f"neither {VENV_PROMTOOL} nor promtool on PATH (make test unpacks Debian's "
            "prometheus package into .venv/prometheus)",
        )
    assert found is not None
    return found


def run_promtool(*args: str, cwd: Path = PROMETHEUS_DIR) -> subprocess.CompletedProcess[str]:
    """``promtool ARGS`` in ``cwd``, output captured (never raises on a non-zero exit)."""
    return subprocess.run(
        [promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
