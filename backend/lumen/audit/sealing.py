"""Sealing: entries get their place in the hash chain in batches, off the request path.

A request inserts its entry, unsealed, in its own transaction and holds no lock for the chain.
The sealer then chains every unsealed entry in insertion order, up to ``SEAL_BATCH`` per
transaction, under the chain head's lock (issue 11: the per-append head lock serialised every
audited request). Until it is sealed (``seal_interval_s``, 0.5 s by default) an entry is
protected by the database's append-only triggers alone; once sealed, by the chain. The sealer
also writes a signed checkpoint of the head every ``checkpoint_interval_s``.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from lumen.audit.chain import entry_hash
from lumen.audit.checkpoints import Checkpoint, Checkpoints
from lumen.audit.models import AuditChainHead, AuditEntry
from lumen.db import Database

logger = logging.getLogger(__name__)

SEAL_BATCH = 2000


def seal_pending(session: Session, limit: int = SEAL_BATCH) -> int:
    """Chain up to ``limit`` unsealed entries after the head, lowest ``id`` first, in
    ``session``'s transaction (the caller commits); the number sealed.

    Touching the head row first takes the write lock (SQLite) or the row lock (PostgreSQL), so
    concurrent sealers (one per server replica) queue rather than fork the chain. An entry that
    commits after a later-numbered one was sealed (PostgreSQL assigns ids before commit) is
    sealed in the next batch, after it: ``seq`` follows sealing order, which is what the chain
    proves. With nothing pending it reads one index entry and takes no lock: the sealer runs
    every half second, and an idle log must not contend for SQLite's write lock.
    """
    pending = session.execute(
        select(AuditEntry.id).where(col(AuditEntry.hash).is_(None)).limit(1)
    ).first()
    if pending is None:
        return 0
    session.execute(
        update(AuditChainHead).where(col(AuditChainHead.id) == 1).values(seq=AuditChainHead.seq)
    )
    head = session.execute(
        select(AuditChainHead.seq, AuditChainHead.hash).where(col(AuditChainHead.id) == 1)
    ).one()
    entries = (
        session.execute(
            select(AuditEntry)
            .where(col(AuditEntry.hash).is_(None))
            .order_by(col(AuditEntry.id))
            .limit(limit)
        )
        .scalars()
        .all()
    )
    seq, prev = head.seq, head.hash
    for entry in entries:
        seq += 1
        entry.seq, entry.prev_hash = seq, prev
        entry.hash = prev = entry_hash(entry)
    if entries:
        session.execute(
            update(AuditChainHead).where(col(AuditChainHead.id) == 1).values(seq=seq, hash=prev)
        )
    session.flush()
    return len(entries)


class AuditSealer:
    """A daemon thread that seals pending entries every ``seal_interval_s`` seconds and writes
    a signed checkpoint every ``checkpoint_interval_s`` seconds when the head has moved.

    ``seal`` and ``checkpoint`` run the same steps on demand (verification, the CLI, tests).
    """

    def __init__(
        self,
        db: Database,
        checkpoints: Checkpoints,
        seal_interval_s: float,
        checkpoint_interval_s: float,
    ) -> None:
        self._db = db
        self.checkpoints = checkpoints
        self._seal_interval_s = seal_interval_s
        self._checkpoint_interval_s = checkpoint_interval_s
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the background thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lumen-audit", daemon=True)
            self._thread.start()

    def seal(self) -> int:
        """Seal everything pending now, batch by batch; the number of entries sealed."""
        total = 0
        with self._lock:
            while True:
                with self._db.session() as session:
                    sealed = seal_pending(session)
                    session.commit()
                total += sealed
                if sealed < SEAL_BATCH:
                    return total

    def checkpoint(self) -> Checkpoint | None:
        """Seal, then sign and store the head; ``None`` when it has not moved since the last
        checkpoint."""
        self.seal()
        with self._db.session() as session:
            head = session.get(AuditChainHead, 1)
            assert head is not None, "the migration creates the chain head"
            return self.checkpoints.write(head.seq, head.hash)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread after one last seal and checkpoint (a clean shutdown leaves nothing
        pending)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        since_checkpoint = 0.0
        while True:
            stopping = self._stop.wait(self._seal_interval_s)
            since_checkpoint += self._seal_interval_s
            try:
                if stopping or since_checkpoint >= self._checkpoint_interval_s:
                    self.checkpoint()
                    since_checkpoint = 0.0
                else:
                    self.seal()
            except Exception:  # the database is down: the entries wait for the next round
                logger.exception("audit sealing failed; retrying in %s s", self._seal_interval_s)
            if stopping:
                return
