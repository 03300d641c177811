"""The ``ingest_dailymed`` and ``ingest_openfda`` jobs on the in-process runner, fanned out in
batches: a DailyMed release through the low-priority ingestion child (the embedded default) and
an openFDA part in the runner's own thread, built from the five real labels."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from lumen.jobs.models import Job, JobBatch
from lumen.jobs.worker import JobWorker
from lumen.knowledge.ingest_process import IngestionProcess
from lumen.knowledge.loaders.spl import open_spl
from lumen.knowledge.models import Document, DocumentSection
from lumen.knowledge.schemas import SourceDocument
from lumen.knowledge.tasks import INGEST_DAILYMED, INGEST_OPENFDA, ingestion_kinds
from lumen.migrate import upgrade_to_head
from lumen.runtime import Runtime, build_knowledge
from lumen.settings import Settings
from tests.knowledge.fda_archives import BROKEN_INNER_ZIP, dailymed_release, openfda_part

BATCH_SIZE = 2
BOXED_WARNING = "34066-1"
HUMIRA = "spl:608d4f0d-b19f-46d3-749a-7159aa5f933d"


@pytest.fixture
def runtime(tmp_path: Path, embedder) -> Iterator[Runtime]:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "var", torch_threads=1)
    upgrade_to_head(settings.sqlalchemy_url)
    built = build_knowledge(settings, embedder)
    yield built
    built.index.close()


def _worker(runtime: Runtime, process: IngestionProcess | None) -> JobWorker:
    downloads = runtime.settings.data_dir / "downloads"
    kinds = ingestion_kinds(runtime.ingestor, runtime.index, None, downloads, BATCH_SIZE, process)
    return JobWorker(runtime.db, kinds)


def _finished(runtime: Runtime, job_id: uuid.UUID, timeout_s: float = 300) -> Job:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with runtime.db.session() as session:
            job = session.get(Job, job_id)
            assert job is not None
            if job.status in ("succeeded", "failed", "cancelled"):
                return job
        time.sleep(0.1)
    raise AssertionError("job did not finish")


def _batches(runtime: Runtime, job_id: uuid.UUID) -> list[tuple[int, int]]:
    with runtime.db.session() as session:
        rows = session.exec(select(JobBatch).where(JobBatch.job_id == job_id)).all()
    return sorted((b.start, b.stop) for b in rows)


def _labels(runtime: Runtime) -> tuple[dict[str, str], set[tuple[str, str | None]]]:
    """Documents (id: status) and their sections' (document id, LOINC code)."""
    with runtime.db.session() as session:
        documents = {d.id: d.status for d in session.exec(select(Document)).all()}
        codes = {(s.document_id, s.code) for s in session.exec(select(DocumentSection)).all()}
    return documents, codes


def test_a_dailymed_release_job_loads_every_label_in_batches_and_reports_the_broken_one(
    runtime: Runtime, spl_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    release = dailymed_release(spl_dir, tmp_path / "dm_spl_daily_update.zip")
    process = IngestionProcess(runtime.settings, runtime.index)
    worker = _worker(runtime, process)
    try:
        assert {INGEST_DAILYMED, INGEST_OPENFDA} <= worker.kinds
        with caplog.at_level(logging.WARNING, logger="lumen.knowledge.tasks"):
            job = _finished(runtime, worker.submit(INGEST_DAILYMED, str(release)).id)
        points = runtime.index.count()
        again = _finished(runtime, worker.submit(INGEST_DAILYMED, str(release)).id)
    finally:
        worker.stop()
        process.close()
    assert (job.total, job.done, job.failed_items) == (6, 6, 1)
    assert job.status == "failed", "a label that failed to load fails the job, after the rest"
    assert _batches(runtime, job.id) == [(0, 2), (2, 4), (4, 6)]
    assert BROKEN_INNER_ZIP in caplog.text
    documents, codes = _labels(runtime)
    assert len(documents) == 5 and set(documents.values()) == {"indexed"}
    assert (HUMIRA, BOXED_WARNING) in codes
    assert points > 0 and runtime.index.count() == points, "the second job added nothing"
    assert (again.done, again.failed_items) == (6, 1) and len(_labels(runtime)[0]) == 5


def test_an_openfda_job_loads_the_labels_under_their_spl_ids_and_reports_the_bad_record(
    runtime: Runtime, spl_dir: Path, tmp_path: Path
) -> None:
    part = openfda_part(spl_dir, tmp_path, extra=[{"id": "no-set-id", "version": "1"}])
    worker = _worker(runtime, None)
    try:
        job = _finished(runtime, worker.submit(INGEST_OPENFDA, str(part)).id)
    finally:
        worker.stop()
    assert (job.total, job.done, job.failed_items) == (6, 6, 1)
    assert _batches(runtime, job.id) == [(0, 2), (2, 4), (4, 6)]
    documents, codes = _labels(runtime)
    spl_ids = {d.id for d in open_spl(spl_dir) if isinstance(d, SourceDocument)}
    assert set(documents) == spl_ids and set(documents.values()) == {"indexed"}
    assert (HUMIRA, BOXED_WARNING) in codes
