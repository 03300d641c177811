"""The ``lumen`` command as an operator uses it, in real subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.servers import lumen_serve

ROOT = Path(__file__).resolve().parents[1]


def _lumen(data_dir: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LUMEN_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "lumen.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def labels(tmp_path: Path, shared_data: Path) -> Path:
    folder = tmp_path / "labels"
    folder.mkdir()
    shutil.copy(shared_data / "drug_labels" / "spl" / "cough.xml", folder)
    return folder


def test_ingest_reports_a_broken_file_by_name_and_exits_nonzero(
    tmp_path: Path, labels: Path
) -> None:
    (labels / "broken.xml").write_text("<document>\n<title>x</title>\n<section>\n")
    result = _lumen(tmp_path / "var", "ingest", "spl", str(labels))
    assert result.returncode == 1
    assert "broken.xml:" in result.stderr
    assert "1 documents indexed" in result.stderr and "1 failed" in result.stderr

    search = _lumen(tmp_path / "var", "search", "cough suppressant dose", "--k", "3", "--json")
    assert search.returncode == 0, search.stderr
    hits = json.loads(search.stdout)
    assert 0 < len(hits) <= 3 and hits[0]["source"] == "spl"


def test_ingest_while_the_server_holds_the_index_runs_on_the_server(
    tmp_path: Path, labels: Path
) -> None:
    data_dir = tmp_path / "var"
    with lumen_serve(data_dir) as (url, _pid):
        result = _lumen(data_dir, "ingest", "spl", str(labels))
        assert result.returncode == 0, result.stderr
        assert "holds the index" in result.stderr and "job succeeded" in result.stderr
        hits = httpx.get(f"{url}/api/v1/search", params={"q": "cough", "k": 3}).json()["items"]
        assert hits and hits[0]["source"] == "spl"

        refused = httpx.post(f"{url}/api/v1/jobs", json={"kind": "ingest_spl", "source": "/"})
        assert refused.status_code == 403, "no job without the operator token"
