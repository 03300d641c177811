"""Background ingestion tasks (run by the in-process worker, or by Celery in production) and the
first-run seeding plan."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from lumen.audit.actions import AuditAction
from lumen.jobs.kinds import INGEST, JobKind, JobRunner, ProgressReporter
from lumen.jobs.models import Job
from lumen.knowledge.index.base import VectorIndex
from lumen.knowledge.ingest_process import IngestionProcess
from lumen.knowledge.ingestion import Ingestor, IngestReport
from lumen.knowledge.loaders.archive import SourceRun, SourceUnreachable
from lumen.knowledge.loaders.dailymed import open_dailymed
from lumen.knowledge.loaders.medquad import open_medquad
from lumen.knowledge.loaders.openfda import open_openfda
from lumen.knowledge.loaders.spl import open_spl
from lumen.knowledge.understanding import QuestionAnalyzer
from lumen.settings import Settings

logger = logging.getLogger(__name__)

INGEST_MEDQUAD = "ingest_medquad"
INGEST_SPL = "ingest_spl"
INGEST_DAILYMED = "ingest_dailymed"
INGEST_OPENFDA = "ingest_openfda"
# Each ingestion kind's loader: the name the ingestion child process opens it by
# (``IngestionProcess.ingest``), and its opener (source, download folder).
LOADERS: dict[str, tuple[str, Callable[[str, Path], SourceRun]]] = {
    INGEST_MEDQUAD: ("medquad", open_medquad),
    INGEST_SPL: ("spl", open_spl),
    INGEST_DAILYMED: ("dailymed", open_dailymed),
    INGEST_OPENFDA: ("openfda", open_openfda),
}
# Past this many newly indexed chunks an ingestion builds the HNSW index (``optimize``): below
# it, Qdrant Edge's brute-force scan is already ~2 ms (docs/qdrant-edge.md). A job counts files,
# not chunks (its batches may run on other machines): a MedQuAD or SPL file gives 4 or more.
OPTIMIZE_AFTER_CHUNKS = 2000
OPTIMIZE_AFTER_DOCUMENTS = OPTIMIZE_AFTER_CHUNKS // 4
# How often a running ingestion job says how far it is in the server's output.
PROGRESS_LOG_INTERVAL_S = 15.0
# How often a running ingestion job rebuilds the focus vocabulary, so that questions on the
# newly indexed foci are understood before the job ends (a rebuild takes about a second).
VOCABULARY_REFRESH_INTERVAL_S = 60.0


def ingestion_kinds(
    ingestor: Ingestor,
    index: VectorIndex,
    analyzer: QuestionAnalyzer | None,
    downloads: Path,
    batch_size: int,
    process: IngestionProcess | None = None,
) -> dict[str, JobKind]:
    """The ingestion job kinds (queue ``ingest``: ``LOADERS``' kinds), bound to this process's
    ingestor and index.

    A source is counted in items, files or label records (``SourceRun.total``), and split into
    batches of ``batch_size`` items, each ingested from its window of the source.
    ``analyzer``'s focus vocabulary (``None`` on a Celery worker, which answers no questions)
    is rebuilt as foci are indexed; ``downloads`` is where a source given by URL is fetched
    to, once per machine (a download that meets a network fault raises ``ConnectionError``,
    which the runners retry as transient). With ``process``, each batch's parsing, chunking
    and embedding run in that low-priority child and only the writes here (the embedded
    default, so that questions stay fast).
    """
    last_refresh = time.monotonic()

    def source(job: Job) -> SourceRun:
        try:
            return open_source(job.kind, job.source, downloads)
        except SourceUnreachable as exc:
            # A network fault may clear: a ConnectionError is what the job runners retry with
            # back-off, up to job_max_attempts (lumen.jobs.execution.is_transient).
            raise ConnectionError(str(exc)) from exc

    def count(job: Job) -> int:
        return source(job).total

    def run(job: Job, start: int, stop: int, report: ProgressReporter) -> int:
        nonlocal last_refresh
        last_log = time.monotonic()

        def progress(processed: int, partial: IngestReport) -> None:
            nonlocal last_log, last_refresh
            report(processed, None)
            if analyzer and time.monotonic() - last_refresh >= VOCABULARY_REFRESH_INTERVAL_S:
                last_refresh = time.monotonic()
                analyzer.refresh()
            if time.monotonic() - last_log >= PROGRESS_LOG_INTERVAL_S:
                last_log = time.monotonic()
                logger.info(
                    "%s: files %d-%d, %d read, %d chunks indexed",
                    job.kind,
                    start,
                    stop,
                    processed,
                    partial.chunks_indexed,
                )

        if process is not None:
            loader = LOADERS[job.kind][0]
            result = process.ingest(loader, job.source, downloads, (start, stop), progress)
        else:
            window = source(job).window(start, stop)
            result = ingestor.ingest(
                window, on_progress=lambda _seen, partial: progress(window.processed, partial)
            )
        logger.info(
            "job %s files %d-%d: %d documents indexed, %d unchanged, %d chunks, %d failed, %.1f s",
            job.kind,
            start,
            stop,
            result.documents_indexed,
            result.documents_unchanged,
            result.chunks_indexed,
            len(result.failed),
            result.seconds,
        )
        for failure in result.failed[:20]:
            logger.warning("job %s: %s could not be loaded", job.kind, failure.name)
        return len(result.failed)

    def finish(job: Job) -> None:
        if analyzer:
            analyzer.refresh()
        if job.done >= OPTIMIZE_AFTER_DOCUMENTS:
            index.optimize()

    kind = JobKind(
        queue=INGEST,
        run=run,
        count=count,
        finish=finish,
        finish_action=AuditAction.INGESTION_FINISH,
        batch_size=batch_size,
    )
    return dict.fromkeys(LOADERS, kind)


def open_source(kind: str, source: str, downloads: Path) -> SourceRun:
    """The pass over ``source`` by the loader of ingestion ``kind`` (a URL is fetched into
    ``downloads``). Raises ``KeyError`` for a kind that is no ingestion, and what the loader
    raises (``SourceUnavailable``)."""
    return LOADERS[kind][1](source, downloads)


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


def schedule_seeding(worker: JobRunner, settings: Settings) -> list[Job]:
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
