"""Ingestion in a low-priority child process (the embedded default's jobs): the child at the
lowest CPU priority, the same documents, sections and points as ingesting in this process, a
poison source raised as the loader's error, and a child that dies replaced."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from lumen.db import Database
from lumen.knowledge.index.edge import EdgeIndex
from lumen.knowledge.ingest_process import (
    BACKGROUND_NICENESS,
    IngestionProcess,
    IngestionProcessFailed,
)
from lumen.knowledge.ingestion import IngestReport, slices
from lumen.knowledge.loaders.archive import SourceUnavailable
from lumen.migrate import upgrade_to_head
from lumen.settings import Settings


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[Settings, Database, EdgeIndex]]:
    settings = Settings(data_dir=tmp_path, torch_threads=1)
    upgrade_to_head(settings.sqlalchemy_url)
    db = Database(settings)
    index = EdgeIndex(settings.index_dir)
    yield settings, db, index
    index.close()


def test_the_child_loads_labels_into_this_process_index_at_the_lowest_priority(
    parts: tuple[Settings, Database, EdgeIndex], shared_data: Path
) -> None:
    settings, db, index = parts
    process = IngestionProcess(settings, index)
    seen: list[int] = []
    try:
        report = process.ingest(
            "spl", str(shared_data / "drug_labels" / "spl"), settings.data_dir, (0, 5),
            lambda read, _partial: seen.append(read),
        )  # fmt: skip
        child = process.pid
        assert child is not None and child != os.getpid()
        own = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, child) == min(19, own + BACKGROUND_NICENESS)
    finally:
        process.close()
    assert isinstance(report, IngestReport)
    assert (report.documents_indexed, report.failed) == (5, [])
    assert seen and seen[-1] == 5
    assert index.count() == report.chunks_indexed > 0, "points written by this process"
    with db.engine.connect() as connection:
        statuses = connection.exec_driver_sql("SELECT status FROM documents").all()
    assert [s for (s,) in statuses] == ["indexed"] * 5


def test_a_source_that_cannot_be_opened_raises_the_loaders_error(
    parts: tuple[Settings, Database, EdgeIndex], tmp_path: Path
) -> None:
    settings, db, index = parts
    poison = tmp_path / "labels.zip"
    poison.write_bytes(b"not a zip")
    process = IngestionProcess(settings, index)
    try:
        with pytest.raises(SourceUnavailable, match="not a readable zip archive"):
            process.ingest("spl", str(poison), settings.data_dir, (0, 1))
    finally:
        process.close()


def test_a_child_killed_mid_call_fails_the_call_and_the_next_call_gets_a_new_child(
    parts: tuple[Settings, Database, EdgeIndex], shared_data: Path
) -> None:
    settings, db, index = parts
    process = IngestionProcess(settings, index)
    labels = str(shared_data / "drug_labels" / "spl")

    def kill_child(_read: int, _partial: IngestReport) -> None:
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)

    try:
        with pytest.raises(IngestionProcessFailed):
            # Each label is a batch of its own: the child is killed after the first.
            process.ingest("spl", labels, settings.data_dir, (0, 5), kill_child)
        report = process.ingest("spl", labels, settings.data_dir, (0, 5))
    finally:
        process.close()
    assert report.documents_indexed + report.documents_unchanged == 5
    with db.engine.connect() as connection:
        statuses = connection.exec_driver_sql("SELECT status FROM documents").all()
    assert {s for (s,) in statuses} == {"indexed"}


def test_a_batch_is_stored_in_slices_of_whole_documents_with_their_own_vectors() -> None:
    sizes = {"a": 3, "b": 30, "c": 40, "d": 1, "e": 31, "f": 2}
    batch = [(doc, [f"{doc}{i}" for i in range(n)]) for doc, n in sizes.items()]
    names = [chunk for _, chunks in batch for chunk in chunks]
    dense = np.arange(len(names), dtype=np.float32)[:, None]
    parts = list(slices(batch, dense, names, 32))  # type: ignore[arg-type]
    expected = [["a"], ["b"], ["c"], ["d", "e"], ["f"]]
    assert [[doc for doc, _ in part] for part, _, _ in parts] == expected, (
        "whole documents, at most 32 chunks a part unless one document is longer"
    )
    for part, part_dense, part_sparse in parts:
        chunks = [chunk for _, doc_chunks in part for chunk in doc_chunks]
        assert part_sparse == chunks
        assert [names[int(row)] for row in part_dense[:, 0]] == chunks
