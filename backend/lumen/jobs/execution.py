"""A job's life in the ``jobs`` and ``job_batches`` tables, the same for both runners.

``start`` claims a queued job, counts its source and writes its batches; ``run_batch`` claims
one batch, runs it and adds its counts to the job in the transaction that finishes it; the
batch that finishes last finishes the job (under the job row's lock, so exactly one does).
A batch delivered twice (a worker killed after its writes, before its acknowledgement) runs
again and is counted once: ingestion is idempotent (deterministic point ids, documents flip to
``indexed`` only after their points are written) and the job's counts are sums over batches.

Faults: a transient one (the database or the index unreachable, ``is_transient``) puts the
batch back to ``queued`` and is raised as ``TransientFault`` for the runner to retry with
back-off; anything else fails the batch with its reason and the job goes on with its other
batches. A batch claimed ``max_attempts`` times (its worker killed each time, or a fault that
never clears) fails with the last reason. The start step (counting the source: a download, say)
counts its transient faults on the job, which stays ``queued`` between them; the
``max_attempts``-th fails the job with its reason.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import and_, func, or_, tuple_, update
from sqlalchemy import exc as sa_exc
from sqlmodel import Session, col, select

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent, append
from lumen.db import Database, utcnow
from lumen.jobs.kinds import JobKind
from lumen.jobs.models import Job, JobBatch

logger = logging.getLogger(__name__)

FINISHED = ("succeeded", "failed", "cancelled")


class TransientFault(Exception):
    """A batch met a fault that may clear (database or index unreachable); retry it later."""


class UnknownKind(Exception):
    """A job names a kind this process does not run."""


@dataclass(frozen=True, slots=True)
class Limits:
    """How long a claimed batch may stay silent before another worker takes it over
    (``stale_after_s``; progress and claims refresh it) and how often a batch is claimed
    before it fails (``max_attempts``)."""

    stale_after_s: float = 120.0
    max_attempts: int = 5


def is_transient(exc: BaseException) -> bool:
    """True for faults that retrying may cure: database connection loss or a locked database
    (SQLAlchemy ``OperationalError``/``InterfaceError``/``DisconnectionError``), and network
    errors reaching an index or a download (``httpx.TransportError``, ``ConnectionError``,
    ``TimeoutError``)."""
    return isinstance(
        exc,
        sa_exc.OperationalError
        | sa_exc.InterfaceError
        | sa_exc.DisconnectionError
        | httpx.TransportError
        | ConnectionError
        | TimeoutError,
    )


def submit_job(
    db: Database,
    kind: str,
    source: str,
    unit: str = "documents",
    actor: AuditEvent | None = None,
    owner_id: uuid.UUID | None = None,
) -> Job:
    """Record a queued job, audited as ``actor``'s event (who asked, from where; default: the
    system submitting an ingestion) in the job's own transaction. Raises ``AuditUnavailable``
    (and records no job) when the audit entry cannot be written."""
    job = Job(kind=kind, source=source, unit=unit, owner_id=owner_id)
    with db.session() as session:
        session.add(job)
        event = actor or AuditEvent(AuditAction.INGESTION_SUBMIT, actor_role="system")
        audit_job(session, event, job)
        session.commit()
        session.refresh(job)
    return job


def request_cancel(db: Database, job_id: uuid.UUID, actor: AuditEvent) -> Job | None:
    """Ask job ``job_id`` to stop between batches, audited as ``actor``'s ``job.cancel``: its
    running batch finishes, the others end ``cancelled``, and so does the job. Returns the
    job (``None`` if unknown; a finished job is returned unchanged)."""
    with db.session() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or job.status in FINISHED:
            return job
        job.cancel_requested = True
        session.add(job)
        audit_job(session, actor, job)
        session.commit()
    return job


def start(db: Database, job_id: uuid.UUID, kinds: dict[str, JobKind], limits: Limits) -> list[int]:
    """Claim job ``job_id`` and write its batches; returns the sequence numbers of the batches
    still to run (all of them the first time; the unfinished ones when the job was started
    before and its runner died). An unknown or finished job returns ``[]``.

    Counting the source can fail (a missing file, an unreadable archive): the job then ends
    ``failed`` with the reason and ``[]`` is returned. A transient fault (a download's server
    unreachable, say) is counted in ``job.attempts`` with its reason in ``job.error``, the job
    stays ``queued`` and ``TransientFault`` is raised for the runner to retry; the
    ``limits.max_attempts``-th fails the job with its reason instead, and ``[]`` is returned.
    Only faults are counted, not deliveries: the start step reports no progress while it
    counts, so a second delivery cannot tell a slow count from a dead one, and duplicates of
    a slow start must not use up its attempts.
    """
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None or job.status in FINISHED:
            return []
        kind = kinds.get(job.kind)
        if kind is None:
            raise UnknownKind(job.kind)
        batches = session.exec(select(JobBatch).where(JobBatch.job_id == job_id)).all()
        if batches:
            return [b.seq for b in sorted(batches, key=lambda b: b.seq) if b.status not in FINISHED]
    if job.cancel_requested:
        _finish_job(db, job_id, kinds, cancelled=True)
        return []
    try:
        total = kind.count(job) if kind.count is not None else 1
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        if not is_transient(exc):
            _fail_job(db, job_id, kind, reason)
        elif _start_fault(db, job_id, kind, reason, limits):
            raise TransientFault(reason) from exc
        return []
    size = max(1, kind.batch_size)
    windows = [(start, min(start + size, total)) for start in range(0, total, size)] or [(0, 0)]
    with db.session() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or job.status in FINISHED:
            return []
        if session.exec(select(JobBatch.seq).where(JobBatch.job_id == job_id)).first() is None:
            session.add_all(
                JobBatch(job_id=job_id, seq=seq, start=a, stop=b)
                for seq, (a, b) in enumerate(windows)
            )
        job.status, job.total = "running", total if kind.count is not None else job.total
        job.error = None  # the last transient fault's reason, if any: it has cleared
        job.started_at = job.started_at or utcnow()
        job.heartbeat_at = utcnow()
        job.attempts += 1
        session.add(job)
        session.commit()
    return list(range(len(windows)))


def run_batch(
    db: Database, job_id: uuid.UUID, seq: int, kinds: dict[str, JobKind], limits: Limits
) -> str:
    """Claim batch ``seq`` of job ``job_id``, run it, and record its end (and the job's, if it
    was the last). Returns what happened: ``done``, ``skipped`` (finished already, or claimed
    by a live worker), ``cancelled`` or ``failed``.

    Raises ``TransientFault`` after putting the batch back to ``queued`` when a transient fault
    stopped it; the runner retries later.
    """
    claimed = _claim(db, job_id, seq, limits)
    if claimed is None:
        return "skipped"
    job, batch = claimed
    kind = kinds.get(job.kind)
    if kind is None:
        raise UnknownKind(job.kind)
    if job.cancel_requested:
        _end_batch(db, job_id, seq, "cancelled", kinds)
        return "cancelled"
    if batch.attempts > limits.max_attempts:
        _end_batch(db, job_id, seq, "failed", kinds, error=_gave_up(batch))
        return "failed"

    def report(done: int, total: int | None) -> None:
        # A job of one batch reports its own total (conversations to export, say).
        _progress(db, job_id, seq, done, total if kind.count is None else None)

    try:
        failed = kind.run(job, batch.start, batch.stop, report) if batch.stop > batch.start else 0
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"[:2000]
        if is_transient(exc) and batch.attempts < limits.max_attempts:
            _requeue(db, job_id, seq, reason)
            raise TransientFault(reason) from exc
        logger.error("job %s batch %d failed: %s", job_id, seq, type(exc).__name__)
        _end_batch(db, job_id, seq, "failed", kinds, error=reason)
        return "failed"
    done = batch.stop - batch.start if kind.count is not None else None
    _end_batch(db, job_id, seq, "succeeded", kinds, done=done, failed_items=failed)
    return "done"


def release_claims(db: Database, job_ids: list[uuid.UUID]) -> None:
    """Put the running batches of ``job_ids`` back to ``queued``: for a runner that knows no
    one else runs them (the in-process runner, restarted after its process died mid-batch)."""
    if not job_ids:
        return
    with db.session() as session:
        session.exec(
            update(JobBatch)
            .where(col(JobBatch.job_id).in_(job_ids), col(JobBatch.status) == "running")
            .values(status="queued", claimed_at=None, done=0, queued_at=utcnow())
        )
        session.commit()


def stale_batches(db: Database, limits: Limits, queued_for_s: float) -> list[tuple[uuid.UUID, int]]:
    """``(job id, seq)`` of the batches of running jobs that no worker is running: queued for
    longer than ``queued_for_s`` (the expiry of a sent task: its task is gone, dropped when it
    expired or lost with a broker that keeps nothing), or claimed and silent for longer than
    ``limits.stale_after_s``. What stale-job recovery sends again; it then stamps them
    (``mark_queued``), so a batch waiting its turn behind a bulk load gets one live task at a
    time, not one more every run."""
    now = utcnow()
    silent_since = now - timedelta(seconds=limits.stale_after_s)
    queued_since = now - timedelta(seconds=queued_for_s)
    with db.session() as session:
        rows = session.exec(
            select(JobBatch.job_id, JobBatch.seq)
            .join(Job, col(Job.id) == col(JobBatch.job_id))
            .where(Job.status == "running")
            .where(
                or_(
                    and_(
                        col(JobBatch.status) == "queued",
                        # NULL: queued before the column existed, long ago.
                        or_(
                            col(JobBatch.queued_at).is_(None),
                            col(JobBatch.queued_at) < queued_since,
                        ),
                    ),
                    and_(
                        col(JobBatch.status) == "running",
                        col(JobBatch.claimed_at) < silent_since,
                    ),
                )
            )
        ).all()
    return [(job_id, seq) for job_id, seq in rows]


def mark_queued(db: Database, batches: list[tuple[uuid.UUID, int]]) -> None:
    """Record that the queued ones of ``batches`` (``(job id, seq)``) were sent again now."""
    if not batches:
        return
    with db.session() as session:
        session.exec(
            update(JobBatch)
            .where(
                tuple_(col(JobBatch.job_id), col(JobBatch.seq)).in_(batches),
                col(JobBatch.status) == "queued",
            )
            .values(queued_at=utcnow())
        )
        session.commit()


def unstarted_jobs(db: Database, older_than_s: float) -> list[uuid.UUID]:
    """Jobs still ``queued`` after ``older_than_s`` seconds (their start task was lost)."""
    cutoff = utcnow() - timedelta(seconds=older_than_s)
    with db.session() as session:
        return list(
            session.exec(
                select(Job.id).where(Job.status == "queued").where(col(Job.created_at) < cutoff)
            ).all()
        )


def _start_fault(
    db: Database, job_id: uuid.UUID, kind: JobKind, reason: str, limits: Limits
) -> bool:
    """Count a transient fault of job ``job_id``'s start step, its reason kept on the queued
    job. Returns ``True`` when the start is to be tried again; ``False`` when the job has
    ended (failed here, at ``limits.max_attempts`` faults) or was started meanwhile."""
    with db.session() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or job.status != "queued":
            return False
        job.attempts += 1
        job.error = reason[:2000]
        attempts = job.attempts
        session.add(job)
        session.commit()
    if attempts < limits.max_attempts:
        return True
    logger.error("job %s: the start step gave up after %d attempts", job_id, attempts)
    _fail_job(db, job_id, kind, f"gave up after {attempts} attempts to read the source: {reason}")
    return False


def _claim(
    db: Database, job_id: uuid.UUID, seq: int, limits: Limits
) -> tuple[Job, JobBatch] | None:
    now = utcnow()
    with db.session() as session:
        batch = session.get(JobBatch, (job_id, seq), with_for_update=True)
        job = session.get(Job, job_id)
        if batch is None or job is None or batch.status in FINISHED or job.status in FINISHED:
            return None
        if batch.status == "running" and batch.claimed_at is not None:
            silent_s = (now - _aware(batch.claimed_at)).total_seconds()
            if silent_s < limits.stale_after_s:
                return None  # a live worker has it; a duplicate delivery goes away
        batch.status, batch.claimed_at, batch.done = "running", now, 0
        batch.attempts += 1
        session.add(batch)
        session.commit()
        return job, batch


def _progress(db: Database, job_id: uuid.UUID, seq: int, done: int, total: int | None) -> None:
    now = utcnow()
    with db.session() as session:
        session.exec(
            update(JobBatch)
            .where(col(JobBatch.job_id) == job_id, col(JobBatch.seq) == seq)
            .values(done=done, claimed_at=now)
        )
        _sum_into_job(session, job_id, now)
        if total is not None:
            session.exec(update(Job).where(col(Job.id) == job_id).values(total=total))
        session.commit()


def _requeue(db: Database, job_id: uuid.UUID, seq: int, reason: str) -> None:
    with db.session() as session:
        session.exec(
            update(JobBatch)
            .where(col(JobBatch.job_id) == job_id, col(JobBatch.seq) == seq)
            .values(status="queued", done=0, error=reason, claimed_at=None, queued_at=utcnow())
        )
        _sum_into_job(session, job_id, utcnow())
        session.commit()


def _sum_into_job(session: Session, job_id: uuid.UUID, now: datetime) -> None:
    sums = (
        select(func.coalesce(func.sum(JobBatch.done), 0))
        .where(col(JobBatch.job_id) == job_id)
        .scalar_subquery()
    )
    failed = (
        select(func.coalesce(func.sum(JobBatch.failed_items), 0))
        .where(col(JobBatch.job_id) == job_id)
        .scalar_subquery()
    )
    session.exec(
        update(Job)
        .where(col(Job.id) == job_id)
        .values(done=sums, failed_items=failed, heartbeat_at=now)
    )


def _end_batch(
    db: Database,
    job_id: uuid.UUID,
    seq: int,
    status: str,
    kinds: dict[str, JobKind],
    done: int | None = 0,
    failed_items: int = 0,
    error: str | None = None,
) -> None:
    """Record batch ``seq``'s end (``done`` items, or ``None`` to keep what it reported) and
    finish the job when no batch is left open."""
    with db.session() as session:
        # The job row's lock orders the batches that finish at once: one of them is last.
        job = session.get(Job, job_id, with_for_update=True)
        batch = session.get(JobBatch, (job_id, seq))
        if job is None or batch is None:
            return
        batch.status, batch.finished_at = status, utcnow()
        batch.done = done if status == "succeeded" and done is not None else batch.done
        batch.failed_items, batch.error = failed_items, error
        session.add(batch)
        session.flush()
        _sum_into_job(session, job_id, utcnow())
        open_batches = session.exec(
            select(func.count())
            .select_from(JobBatch)
            .where(JobBatch.job_id == job_id)
            .where(col(JobBatch.status).not_in(FINISHED))
        ).one()
        session.commit()
    if open_batches == 0:
        _finish_job(db, job_id, kinds)


def _finish_job(
    db: Database, job_id: uuid.UUID, kinds: dict[str, JobKind], cancelled: bool = False
) -> None:
    """Run the kind's ``finish`` and record the job's end state, audited in that transaction."""
    with db.session() as session:
        job = session.get(Job, job_id)
    if job is None or job.status in FINISHED:
        return
    kind = kinds.get(job.kind)
    if kind is not None and kind.finish is not None and not cancelled:
        try:
            kind.finish(job)
        except Exception as exc:  # the items are in; the end step's failure is the job's reason
            logger.error("job %s: finishing step failed: %s", job_id, type(exc).__name__)
            _fail_job(db, job_id, kind, f"finishing step: {type(exc).__name__}: {exc}")
            return
    with db.session() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or job.status in FINISHED:
            return
        batches = session.exec(select(JobBatch).where(JobBatch.job_id == job_id)).all()
        errors = [b.error for b in batches if b.status == "failed" and b.error]
        if cancelled or job.cancel_requested or any(b.status == "cancelled" for b in batches):
            job.status = "cancelled"
            job.error = "cancelled on request"
        elif errors or job.failed_items:
            job.status = "failed"
            job.error = (
                errors[0] if errors else f"{job.failed_items} item(s) could not be loaded"
            )[:2000]
        else:
            job.status, job.error = "succeeded", None
        job.finished_at = utcnow()
        session.add(job)
        _audit_end(session, job, kind)
        session.commit()


def _fail_job(db: Database, job_id: uuid.UUID, kind: JobKind, reason: str) -> None:
    with db.session() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or job.status in FINISHED:
            return
        job.status, job.error, job.finished_at = "failed", reason[:2000], utcnow()
        job.started_at = job.started_at or job.finished_at
        session.add(job)
        _audit_end(session, job, kind)
        session.commit()


def _audit_end(session: Session, job: Job, kind: JobKind | None) -> None:
    if kind is None or kind.finish_action is None:
        return
    outcome = "success" if job.status == "succeeded" else "failure"
    event = AuditEvent(kind.finish_action, outcome=outcome, actor_role="system")
    audit_job(session, event, job)


def audit_job(session: Session, event: AuditEvent, job: Job) -> None:
    """Append ``event`` about ``job`` in ``session``'s transaction (the caller commits): the
    object is the job, the reason its kind (never its source, which may be a path)."""
    append(session, replace(event, object_type="job", object_id=str(job.id), reason=job.kind[:48]))


def _gave_up(batch: JobBatch) -> str:
    last = f": {batch.error}" if batch.error else ""
    return f"gave up after {batch.attempts - 1} attempts{last}"[:2000]


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC (``lumen.db.utcnow``)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
