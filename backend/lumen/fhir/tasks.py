"""Background work of the FHIR domain: the full export, as a job of kind ``export_fhir`` on
the ``export`` queue.

The task is synchronous and self-contained (``export.run_export``): it reads through sync
sessions and builds everything from ``(db, keys, settings)``, so the in-process worker thread
and a Celery worker process run it alike. It is idempotent: a job run again rebuilds and
overwrites its file.
"""

from __future__ import annotations

from lumen.db import Database
from lumen.fhir.export import run_export
from lumen.jobs.models import Job
from lumen.jobs.worker import ProgressReporter, Task
from lumen.security.encryption import KeyRing
from lumen.settings import Settings

EXPORT_FHIR = "export_fhir"
EXPORT_UNIT = "conversations"


def export_tasks(db: Database, keys: KeyRing, settings: Settings) -> dict[str, Task]:
    """The FHIR domain's task functions by job kind: ``export_fhir`` builds every conversation
    of the job's owner into one validated Bundle and stores it sealed (``fhir_exports``, id =
    the job's id). Raises (the job fails) for a job without an owner or a Bundle that fails
    validation (``InvalidBundle``, whose message names element paths only)."""

    def export_fhir(job: Job, report: ProgressReporter) -> int:
        if job.owner_id is None:
            raise ValueError("an export_fhir job needs an owner")
        run_export(db, keys, settings, job.id, job.owner_id, report)
        return 0

    return {EXPORT_FHIR: export_fhir}
