"""Queries of the ``jobs`` table, as statements: the worker runs them on its thread's sessions,
the service on async ones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from lumen.jobs.models import Job

UNFINISHED = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled")
STATUSES = UNFINISHED + FINISHED


def recent(limit: int) -> SelectOfScalar[Job]:
    """The ``limit`` newest jobs of no user (ingestion), newest first."""
    return (
        select(Job)
        .where(col(Job.owner_id).is_(None))
        .order_by(col(Job.created_at).desc())
        .limit(limit)
    )


def unfinished() -> SelectOfScalar[Job]:
    """Jobs queued or running."""
    return select(Job).where(col(Job.status).in_(UNFINISHED))


def succeeded() -> SelectOfScalar[Job]:
    """Jobs that finished without a failure."""
    return select(Job).where(Job.status == "succeeded")


def census() -> Select[str, str, int, datetime]:
    """Jobs per ``(kind, status)``: their number and the oldest ``created_at`` of each group.
    One GROUP BY over ``jobs``, the same SQL on SQLite and PostgreSQL."""
    return select(Job.kind, Job.status, func.count(), func.min(Job.created_at)).group_by(
        col(Job.kind), col(Job.status)
    )
