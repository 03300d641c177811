"""The scheduled check of the audit chain, for monitoring (``lumen_audit_chain_verified``).

Every ``audit_verify_interval_s`` a daemon thread checks the whole chain against its head and
the newest signed checkpoint (``AuditLog.verify_against_latest``) and keeps the verdict with
its time; ``/metrics`` reports the last one, so an alert fires on a broken chain without an
administrator asking (``GET /api/v1/audit/verify`` is the full check, every checkpoint, on
demand). Each server replica runs its own check: it only reads.

Not incremental: remembering the last verified position and checking only the entries after
it would miss an old entry edited in place (its hash column left as it was), which only a full
pass notices. The pass is O(entries), hence the default interval of 5 minutes (settings).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from lumen.audit.service import AuditLog

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verification:
    """The outcome of one scheduled check: ``ok`` when the chain verified; ``at_s`` the Unix
    time it finished."""

    ok: bool
    at_s: float


class ChainWatch:
    """Checks the chain every ``interval_s`` seconds on a daemon thread, first at ``start``.

    ``last`` is the newest outcome, ``None`` before the first check finishes. A check that
    could not run (the database does not answer) leaves ``last`` as it was and logs a warning:
    an unreachable database is not evidence of tampering, and the verification time that
    stops moving says the check is not running. ``clock`` gives Unix time (tests).
    """

    def __init__(
        self, log: AuditLog, interval_s: float, clock: Callable[[], float] = time.time
    ) -> None:
        self._log = log
        self._interval_s = interval_s
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last: Verification | None = None

    def start(self) -> None:
        """Start the background thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="lumen-audit-verify", daemon=True
            )
            self._thread.start()

    def check(self) -> Verification:
        """Verify now (sync, reads every entry: off the event loop) and keep the outcome.
        Raises what the database raises; ``last`` is then unchanged."""
        report = self._log.verify_against_latest()
        if not report.ok:
            # Sequence numbers and the kind of break only: no entry's content.
            logger.error(
                "audit chain verification failed at entry %s: %s",
                report.first_broken_seq,
                report.problem,
            )
        self.last = Verification(ok=report.ok, at_s=self._clock())
        return self.last

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread; a check under way finishes first (up to ``timeout_s``)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.check()
            except Exception as exc:  # the database is down: the next round tries again
                logger.warning(
                    "audit chain verification could not run (%s); retrying in %s s",
                    type(exc).__name__,
                    self._interval_s,
                )
            self._stop.wait(self._interval_s)
