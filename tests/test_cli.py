"""The ``lumen`` command as an operator uses it, in real subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServedFolder
from tests.knowledge.fda_archives import (
    BROKEN_INNER_ZIP,
    OPENFDA_PART,
    dailymed_release,
    openfda_document,
    openfda_record,
    set_id_of,
)
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
        search = _lumen(data_dir, "search", "cough", "--k", "3", "--json")
        assert search.returncode == 0, search.stderr
        hits = json.loads(search.stdout)
        assert hits and hits[0]["source"] == "spl", "search goes through the server too"
        anonymous = httpx.get(f"{url}/api/v1/search", params={"q": "cough"})
        assert anonymous.status_code == 401, "search needs a session, a token or the operator"

        refused = httpx.post(f"{url}/api/v1/jobs", json={"kind": "ingest_spl", "source": "/"})
        assert refused.status_code == 403, "no job without the operator token"


def _report(result: subprocess.CompletedProcess[str]) -> str:
    """What the command told the operator, as one line (the console wraps long lines)."""
    return " ".join(result.stderr.split())


def _cough_label_hits(data_dir: Path, cough: Path) -> list[dict[str, object]]:
    """``lumen search`` hits for a question the cough syrup's label answers."""
    search = _lumen(data_dir, "search", "night time cold and cough syrup for children", "--json")
    assert search.returncode == 0, search.stderr
    hits: list[dict[str, object]] = json.loads(search.stdout)
    assert hits, "the label is searchable"
    assert {h["document_id"] for h in hits} == {f"spl:{set_id_of(cough)}"}
    return hits


def test_ingest_dailymed_loads_a_release_by_url_and_by_path_and_reports_its_broken_label(
    tmp_path: Path, labels: Path, served_folder: ServedFolder
) -> None:
    # The cough syrup's label in otc/, beside an inner zip that is not a zip in prescription/.
    release = dailymed_release(labels, served_folder.folder / "dm_spl_daily_update.zip")
    data_dir = tmp_path / "var"

    by_url = _lumen(data_dir, "ingest", "dailymed", f"{served_folder.url}/{release.name}")
    assert by_url.returncode == 1, "a label that failed fails the command, after the rest"
    assert f"failed {BROKEN_INNER_ZIP}: unreadable" in _report(by_url)
    assert "1 documents indexed" in _report(by_url) and "1 failed" in _report(by_url)
    hits = _cough_label_hits(data_dir, labels / "cough.xml")
    assert {h["source"] for h in hits} == {"spl"}

    served_folder.server.shutdown()  # the same release by its path needs no network
    by_path = _lumen(data_dir, "ingest", "dailymed", str(release))
    assert by_path.returncode == 1 and f"failed {BROKEN_INNER_ZIP}" in _report(by_path)
    assert "0 documents indexed" in _report(by_path), "the label from the URL is the same one"
    assert "1 unchanged, 1 failed" in _report(by_path)


def test_ingest_openfda_loads_the_labels_of_a_part_and_reports_a_record_without_set_id(
    tmp_path: Path, labels: Path
) -> None:
    cough = labels / "cough.xml"
    no_set_id = {"id": "b0c5d1e2-0000-4000-8000-000000000001", "version": "3"}
    part = tmp_path / OPENFDA_PART
    with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zipped:
        document = openfda_document([no_set_id, openfda_record(cough)])
        zipped.writestr(OPENFDA_PART.removesuffix(".zip"), json.dumps(document))
    data_dir = tmp_path / "var"

    result = _lumen(data_dir, "ingest", "openfda", str(part))
    assert result.returncode == 1, "a record that failed fails the command, after the rest"
    said = _report(result)
    assert f"failed {OPENFDA_PART}!/" in said and " record 1: " in said
    assert "lacks its set_id" in said
    assert "1 documents indexed" in said and "1 failed" in said
    _cough_label_hits(data_dir, cough)


def _lumen_input(data_dir: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LUMEN_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "lumen.cli", *args],
        cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_users_create_makes_the_first_admin_and_audit_verify_catches_tampering(
    tmp_path: Path,
) -> None:
    import sqlite3

    create = ["users", "create", "--email", "Root@Example.org", "--role", "admin"]
    weak = _lumen_input(tmp_path, "password1234\n", *create, "--password-stdin")
    assert weak.returncode == 1 and "too common" in weak.stderr
    made = _lumen_input(tmp_path, "violet-harbour-lantern-42\n", *create, "--password-stdin")
    assert made.returncode == 0, made.stderr
    assert "created admin root@example.org" in made.stderr
    again = _lumen_input(tmp_path, "violet-harbour-lantern-42\n", *create, "--password-stdin")
    assert again.returncode == 1 and "exists" in again.stderr

    intact = _lumen(tmp_path, "audit", "verify")
    assert intact.returncode == 0 and "intact: 1 entries" in intact.stderr
    with sqlite3.connect(tmp_path / "lumen.db") as raw:
        raw.execute("DROP TRIGGER audit_entries_no_update")
        raw.execute("UPDATE audit_entries SET actor_role = 'patient' WHERE seq = 1")
    broken = _lumen(tmp_path, "audit", "verify")
    assert broken.returncode == 1 and "broken at entry 1" in broken.stderr


def _malloc_probe(source: str, mode: str) -> subprocess.CompletedProcess[str]:
    """Run ``source`` in a new interpreter, after ``tune_malloc()`` when ``mode`` is
    ``"tuned"`` (as ``lumen serve`` does), else with glibc's defaults."""
    prelude = "from lumen.cli import tune_malloc\ntune_malloc()\n" if mode == "tuned" else ""
    return subprocess.run(
        [sys.executable, "-c", prelude + source], capture_output=True, text=True, check=True
    )


ARENA_PROBE = """
import ctypes, ctypes.util, threading
libc = ctypes.CDLL(ctypes.util.find_library("c"))
barrier = threading.Barrier(8)
def churn():
    barrier.wait()
    for _ in range(20000):
        blocks = [bytearray(512) for _ in range(20)]
        del blocks
threads = [threading.Thread(target=churn) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc.malloc_stats()  # glibc: one "Arena N:" block per arena, on stderr
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc arenas")
def test_serve_bounds_the_malloc_arenas_its_threads_spread_memory_over() -> None:
    def arenas(mode: str) -> int:
        return _malloc_probe(ARENA_PROBE, mode).stderr.count("Arena ")

    assert arenas("tuned") <= 2
    assert arenas("default") > 2, "the probe's threads do spread over arenas by default"


LARGE_BLOCK_PROBE = """
import ctypes, ctypes.util
class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.mallinfo2.restype = MallInfo2
once = bytearray(8 << 20)  # one large block freed, as a model's activations are
del once
before = libc.mallinfo2().hblks  # blocks mapped on their own, given back when freed
held = [bytearray((1 << 20) + 4096 * n) for n in range(16)]  # then blocks of new sizes
print(libc.mallinfo2().hblks - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc")
def test_serve_maps_large_blocks_on_their_own_so_freeing_them_returns_memory() -> None:
    def mapped(mode: str) -> int:
        return int(_malloc_probe(LARGE_BLOCK_PROBE, mode).stdout)

    assert mapped("tuned") == 16
    assert mapped("default") == 0, "glibc's dynamic threshold keeps them in the arena"


FREEZE_PROBE = """
import gc
from lumen.cli import freeze_startup_heap
startup = [{"n": [i]} for i in range(100_000)]  # built at start-up, alive for good
freeze_startup_heap()
later = [{"n": [i]} for i in range(10)]
print(gc.get_freeze_count(), len(gc.get_objects()), any(o is later for o in gc.get_objects()))
"""


def test_serve_keeps_the_heap_built_at_start_up_out_of_later_collections() -> None:
    # The collector walks only what is not frozen: the start-up heap no longer, what comes
    # later still (bench/results.md section 4b: the collector's share of the CPU, 7 -> 2 %).
    probe = subprocess.run(
        [sys.executable, "-c", FREEZE_PROBE], capture_output=True, text=True, check=True
    )
    frozen, tracked, later_tracked = probe.stdout.split()

    assert int(frozen) > 200_000, "the start-up lists and dicts are frozen"
    assert int(tracked) < 1_000, "a collection no longer walks them"
    assert later_tracked == "True", "what is made afterwards is still collected"
