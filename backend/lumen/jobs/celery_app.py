"""Jobs on Celery (production): the Celery application, the three tasks every worker runs, and
the ``CeleryRunner`` the API submits through.

Tasks (all by name, so the API process sends them without importing the workers' code):
- ``lumen.jobs.start(job_id, queue)``: claims the job, counts its source, writes its batches
  (``lumen.jobs.execution.start``) and sends one ``lumen.jobs.batch`` per batch: a bulk load
  fans out over every worker consuming the queue, on as many machines as there are.
- ``lumen.jobs.batch(job_id, seq, queue)``: runs one batch (``execution.run_batch``).
- ``lumen.jobs.recover()``: stale-job recovery, sent every ``job_recovery_interval_s`` by the
  one scheduler (``lumen scheduler``): sends again the batches nobody runs (claimed and silent,
  or queued for longer than a task's expiry) and the jobs whose start was lost.

Delivery (Celery's "Should I use retry or acks_late?" FAQ; kombu's Redis transport notes):
late acknowledgement and ``task_reject_on_worker_lost`` (a task is acknowledged after it ran,
so a killed worker's task is delivered again), prefetch 1 (a worker holds one task it has not
started, not a queue's worth), a visibility timeout longer than the longest batch, an expiry on
every sent task, retries with exponential back-off for transient faults, bounded by
``job_max_attempts``. Idempotence is the jobs tables' (``execution``): a task delivered twice
finds its batch finished or claimed and does nothing.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery import Celery

from lumen.audit.service import AuditEvent
from lumen.db import Database
from lumen.jobs import execution, repository
from lumen.jobs.execution import Limits, TransientFault
from lumen.jobs.kinds import INGEST, QUEUES, JobKind
from lumen.jobs.models import Job
from lumen.settings import Settings

logger = logging.getLogger(__name__)

START = "lumen.jobs.start"
BATCH = "lumen.jobs.batch"
RECOVER = "lumen.jobs.recover"
# Back-off of a retried task: RETRY_BASE_S * 2**retries, capped (seconds).
RETRY_BASE_S = 2.0
RETRY_CAP_S = 120.0


@dataclass(frozen=True, slots=True)
class WorkerContext:
    """What a worker process runs tasks with: its database, the job kinds bound to its index
    and embedder, and the delivery limits."""

    db: Database
    kinds: dict[str, JobKind]
    limits: Limits


# A send to an unreachable broker: one more try, 0.2 s later (kombu's ``retry_policy``);
# the job stays recorded as queued and stale-job recovery sends it later.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0.0, "interval_max": 0.2}


def create_celery(settings: Settings, publisher: bool = False) -> Celery:
    """The Celery application for ``settings``: broker and result backend at
    ``settings.broker_url`` (Redis), keys under ``redis_key_prefix``, queues ``ingest`` and
    ``export``. Raises ``ValueError`` without a broker URL.

    ``publisher``: the API's application, which only sends tasks. Its broker sockets give up
    after ``redis_timeout_s`` and a send is tried twice (``PUBLISH_RETRY``), so a hung or gone
    broker holds a request a few seconds (3.2 s hung, ``tests/faults/test_broker.py``), not for
    ever (kombu's Redis transport has no socket timeout by default). Workers keep the
    defaults: their blocking reads of the queue wait on purpose."""
    broker = settings.broker_url
    if not broker:
        raise ValueError("Celery needs a broker: set LUMEN_CELERY_BROKER_URL or LUMEN_REDIS_URL")
    transport = {
        "visibility_timeout": settings.celery_visibility_timeout_s,
        # Sweep for the unacknowledged tasks of dead workers a tenth as often as they expire.
        "unacked_restore_interval": max(1, int(settings.celery_visibility_timeout_s / 10)),
        "unacked_restore_throttle": 1,
        "global_keyprefix": f"{settings.redis_key_prefix}:celery:",
    }
    if publisher:
        transport["socket_timeout"] = settings.redis_timeout_s
        transport["socket_connect_timeout"] = settings.redis_timeout_s
    app = Celery("lumen", broker=broker, backend=broker)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=INGEST,
        broker_transport_options=transport,
        result_backend_transport_options={"global_keyprefix": transport["global_keyprefix"]},
        # Status lives in the jobs table; results only say a task ran.
        task_ignore_result=True,
        result_expires=3600,
        # A batch that runs past the visibility timeout would be delivered to a second worker.
        task_time_limit=max(60.0, settings.celery_visibility_timeout_s * 0.9),
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        enable_utc=True,
        beat_schedule={
            "stale-job-recovery": {
                "task": RECOVER,
                "schedule": settings.job_recovery_interval_s,
                "options": {"queue": INGEST, "expires": settings.job_recovery_interval_s},
            }
        },
    )
    return app


def register_tasks(app: Celery, settings: Settings, context: Callable[[], WorkerContext]) -> None:
    """Define the job tasks on ``app`` for a worker process; ``context()`` builds (once, on
    first use, in the process that runs tasks) the database, kinds and limits. The tasks are
    ``app``'s alone (``shared=False``): they close over its context, and Celery would
    otherwise register the first app's tasks on every app created later in the process."""
    expires_s = settings.celery_task_expires_s

    def send_batch(job_id: str, seq: int, queue: str) -> None:
        app.send_task(
            BATCH, args=[job_id, seq, queue], queue=queue, expires=expires_s, ignore_result=True
        )

    def backoff_s(retries: int) -> float:
        return float(min(RETRY_CAP_S, RETRY_BASE_S * 2**retries))

    @app.task(name=START, bind=True, max_retries=None, shared=False)
    def start_job(self: Any, job_id: str, queue: str) -> int:
        ctx = context()
        try:
            seqs = execution.start(ctx.db, uuid.UUID(job_id), ctx.kinds, ctx.limits)
        except TransientFault as exc:
            # execution.start counts the faults on the job and fails it at the max_attempts-th,
            # which bounds the retries across messages (stale-job recovery sends new ones).
            raise self.retry(exc=exc, countdown=backoff_s(self.request.retries)) from exc
        for seq in seqs:
            send_batch(job_id, seq, queue)
        return len(seqs)

    @app.task(name=BATCH, bind=True, max_retries=None, shared=False)
    def run_batch(self: Any, job_id: str, seq: int, queue: str) -> str:
        ctx = context()
        try:
            return execution.run_batch(ctx.db, uuid.UUID(job_id), seq, ctx.kinds, ctx.limits)
        except TransientFault as exc:
            # run_batch fails the batch itself once it has been claimed max_attempts times.
            raise self.retry(exc=exc, countdown=backoff_s(self.request.retries)) from exc

    @app.task(name=RECOVER, shared=False)
    def recover() -> int:
        ctx = context()
        # A batch queued for less than a task's expiry may still have its task in the queue
        # (behind a bulk load, say): sending another would only pile up duplicates.
        resent: list[tuple[uuid.UUID, int]] = []
        for job_id, seq in execution.stale_batches(ctx.db, ctx.limits, expires_s):
            queue = _queue_of(ctx, job_id)
            if queue:
                send_batch(str(job_id), seq, queue)
                resent.append((job_id, seq))
        execution.mark_queued(ctx.db, resent)
        sent = len(resent)
        for job_id in execution.unstarted_jobs(ctx.db, ctx.limits.stale_after_s):
            queue = _queue_of(ctx, job_id)
            if queue:
                app.send_task(
                    START,
                    args=[str(job_id), queue],
                    queue=queue,
                    expires=expires_s,
                    ignore_result=True,
                )
                sent += 1
        if sent:
            logger.info("stale-job recovery sent %d task(s) again", sent)
        return sent


def _queue_of(ctx: WorkerContext, job_id: uuid.UUID) -> str | None:
    with ctx.db.session() as session:
        job = session.get(Job, job_id)
    kind = ctx.kinds.get(job.kind) if job is not None else None
    return kind.queue if kind is not None else None


def lazy(build: Callable[[], WorkerContext]) -> Callable[[], WorkerContext]:
    """``build`` run once, on first call, thread-safely (a worker's pool runs tasks on
    threads, or in forked children that must build their own model and connections)."""
    lock = threading.Lock()
    built: list[WorkerContext] = []

    def get() -> WorkerContext:
        with lock:
            if not built:
                built.append(build())
            return built[0]

    return get


class CeleryRunner:
    """The API side of Celery: records jobs in ``jobs`` and sends their start task to the
    queue of their kind (``queues``: kind → queue). Workers do the rest."""

    def __init__(
        self, db: Database, queues: dict[str, str], app: Celery, settings: Settings
    ) -> None:
        self.db = db
        self._queues = queues
        self._app = app
        self._expires_s = settings.celery_task_expires_s

    @property
    def kinds(self) -> frozenset[str]:
        """The job kinds the workers run."""
        return frozenset(self._queues)

    def submit(
        self,
        kind: str,
        source: str,
        unit: str = "documents",
        actor: AuditEvent | None = None,
        owner_id: uuid.UUID | None = None,
    ) -> Job:
        """Record a queued job (``execution.submit_job``) and send its start task. Raises
        ``KeyError`` for an unknown kind. A broker that cannot be reached leaves the job
        queued (it is recorded; stale-job recovery sends it once the broker is back)."""
        queue = self._queues[kind]
        job = execution.submit_job(self.db, kind, source, unit, actor, owner_id)
        self._send_start(job.id, queue)
        return job

    def cancel(self, job_id: uuid.UUID, actor: AuditEvent) -> Job | None:
        """Ask a job to stop between batches: the workers read ``cancel_requested`` before each
        batch (``execution.request_cancel``)."""
        return execution.request_cancel(self.db, job_id, actor)

    def resume_unfinished(self) -> list[Job]:
        """Send the start task of every queued or running job again (a running job's start
        resends its unfinished batches; batches already claimed by a live worker are skipped)."""
        with self.db.session() as session:
            jobs = list(session.exec(repository.unfinished()).all())
        for job in jobs:
            if job.kind in self._queues:
                self._send_start(job.id, self._queues[job.kind])
        return jobs

    def succeeded_sources(self) -> set[tuple[str, str]]:
        """``(kind, source)`` of every job that has succeeded."""
        with self.db.session() as session:
            return {(job.kind, job.source) for job in session.exec(repository.succeeded()).all()}

    def stop(self, timeout_s: float = 5.0) -> None:
        """Close the broker connections (nothing runs in this process)."""
        self._app.close()

    def _send_start(self, job_id: uuid.UUID, queue: str) -> None:
        try:
            self._app.send_task(
                START,
                args=[str(job_id), queue],
                queue=queue,
                expires=self._expires_s,
                retry_policy=PUBLISH_RETRY,
                # No result is read (the jobs table is the status): without this, every send
                # first subscribes to the result backend, which has no timeout.
                ignore_result=True,
            )
        except Exception as exc:  # kombu's OperationalError and friends: the row stays queued
            logger.error("job %s: could not reach the broker: %s", job_id, type(exc).__name__)


__all__ = ["QUEUES", "CeleryRunner", "WorkerContext", "create_celery", "lazy", "register_tasks"]
