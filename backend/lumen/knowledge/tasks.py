"""Background ingestion tasks (run by the in-process worker, or by Celery in production) and the
first-run seeding plan."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from lumen.jobs.models import Job
from lumen.jobs.worker import JobWorker, ProgressReporter, Task
from lumen.knowledge.index.base import VectorIndex
from lumen.knowledge.ingestion import Ingestor, IngestReport
from lumen.knowledge.loaders.medquad import open_medquad
from lumen.knowledge.loaders.spl import open_spl
from lumen.knowledge.understanding import QuestionAnalyzer
from lumen.settings import Settings

logger = logging.getLogger(__name__)

INGEST_MEDQUAD = "ingest_medquad"
INGEST_SPL = "ingest_spl"
# Past this many newly indexed chunks a job builds the HNSW index (``optimize``): below it,
# Qdrant Edge's brute-force scan is already ~2 ms (docs/qdrant-edge.md).
OPTIMIZE_AFTER_CHUNKS = 2000
# How often a running ingestion job says how far it is in the server's output.
PROGRESS_LOG_INTERVAL_S = 15.0
# How often a running ingestion job rebuilds the focus vocabulary, so that questions on the
# newly indexed foci are understood before the job ends (a rebuild takes about a second).
VOCABULARY_REFRESH_INTERVAL_S = 60.0


def ingestion_tasks(
    ingestor: Ingestor,
    index: VectorIndex,
    analyzer: QuestionAnalyzer | None,
    downloads: Path,
) -> dict[str, Task]:
    """The task functions by job kind, bound to this process's ingestor and index.

    ``analyzer``'s focus vocabulary is rebuilt as foci are indexed; ``downloads`` is where a
    source given by URL is fetched to.
    """

    def run(job: Job, report: ProgressReporter) -> int:
        loader = (
            open_medquad(job.source, downloads)
            if job.kind == INGEST_MEDQUAD
            else open_spl(job.source)
        )
        total = loader.total
        report(0, total)
        last_log = last_refresh = time.monotonic()

        def progress(_seen: int, partial: IngestReport) -> None:
            nonlocal last_log, last_refresh
            report(loader.processed, total)
            if analyzer and time.monotonic() - last_refresh >= VOCABULARY_REFRESH_INTERVAL_S:
                last_refresh = time.monotonic()
                analyzer.refresh()
            if time.monotonic() - last_log >= PROGRESS_LOG_INTERVAL_S:
                last_log = time.monotonic()
                logger.info(
                    "%s: %d of %d files read, %d chunks indexed",
                    job.kind,
                    loader.processed,
                    total,
                    partial.chunks_indexed,
                )

        result = ingestor.ingest(loader, on_progress=progress)
        if analyzer:
            analyzer.refresh()
        if result.chunks_indexed >= OPTIMIZE_AFTER_CHUNKS:
            index.optimize()
        logger.info(
            "job %s: %d documents indexed, %d unchanged, %d chunks, %d failed, %.1f s",
            job.kind,
            result.documents_indexed,
            result.documents_unchanged,
            result.chunks_indexed,
            len(result.failed),
            result.seconds,
        )
        return len(result.failed)

    return {INGEST_MEDQUAD: run, INGEST_SPL: run}


def seed_sources(settings: Settings) -> list[tuple[str, str]]:
    """The sources a fresh install loads, small first: ``[(job kind, source)]``.

    With ``LUMEN_SEED_DIR`` (laid out like ``shared/data``): its SPL labels and MedQuAD zip.
    Without it: MedQuAD from its public archive URL.
    """
    sources: list[tuple[str, str]] = []
    if settings.seed_dir is not None:
        spl_dir = Path(settings.seed_dir) / "drug_labels" / "spl"
        if spl_dir.is_dir():
            sources.append((INGEST_SPL, str(spl_dir.resolve())))
        medquad_zip = Path(settings.seed_dir) / "medquad" / "MedQuAD-master.zip"
        if medquad_zip.is_file():
            sources.append((INGEST_MEDQUAD, str(medquad_zip.resolve())))
            return sources
    sources.append((INGEST_MEDQUAD, settings.medquad_url))
    return sources


def schedule_seeding(worker: JobWorker, settings: Settings) -> list[Job]:
    """Queue each seed source that no job has loaded successfully yet.

    A job a previous process left unfinished is resumed instead (ingestion is idempotent).
    """
    resumed = worker.resume_unfinished()
    pending = {(job.kind, job.source) for job in resumed}
    done = worker.succeeded_sources()
    queued = list(resumed)
    for kind, source in seed_sources(settings):
        if (kind, source) not in done and (kind, source) not in pending:
            queued.append(worker.submit(kind, source))
    return queued
