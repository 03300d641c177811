"""The hash chain: how an entry's hash is computed and how a chain is checked."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from lumen.audit.models import AuditEntry

GENESIS_HASH = "0" * 64  # the prev_hash of entry 1
HASHED_FIELDS = (
    "seq", "at", "actor_id", "actor_role", "action", "object_type", "object_id", "outcome",
    "reason", "ip", "user_agent", "prev_hash",
)  # fmt: skip


def canonical_time(at: datetime) -> str:
    """UTC ISO 8601 with microseconds: the same text whichever database returned ``at``."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds") + "Z"


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 hex of the entry's canonical JSON (sorted keys, no whitespace, UTF-8)."""
    fields = {name: getattr(entry, name) for name in HASHED_FIELDS}
    fields["at"] = canonical_time(entry.at)
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """The result of verifying the chain: ``first_broken_seq`` names the first bad entry."""

    ok: bool
    entries_checked: int
    first_broken_seq: int | None = None
    problem: str | None = None


def verify_chain(
    entries: Iterable[AuditEntry],
    head_seq: int,
    head_hash: str,
    signed: Mapping[int, str] | None = None,
) -> ChainReport:
    """Check sealed ``entries`` (ascending ``seq``) against each other, the chain head and the
    ``signed`` checkpoints (``seq`` → hash, signatures already checked).

    Detects an edited entry (its hash no longer matches its fields), an inserted or deleted
    entry (a gap in ``seq`` or a ``prev_hash`` that is not the previous entry's hash), a
    deletion at the tail (the last entry is not the head), and a rewrite of the tail and the
    head together (an entry's hash differs from a signed checkpoint, or the chain ends before
    one). A rewrite is dated to the checkpoints around it: ``first_broken_seq`` is the first
    entry after the last checkpoint that still matches.
    """
    signed = signed or {}
    last_signed = 0  # the last entry a checkpoint confirms
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    for entry in entries:
        if entry.seq != expected_seq:
            return ChainReport(False, checked, expected_seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != expected_prev:
            return ChainReport(
                False, checked, entry.seq, "prev_hash does not match the previous entry"
            )
        if entry_hash(entry) != entry.hash:
            return ChainReport(False, checked, entry.seq, "the entry was altered")
        if entry.seq in signed:
            if signed[entry.seq] != entry.hash:
                return ChainReport(
                    False,
                    checked,
                    last_signed + 1,
                    f"entries {last_signed + 1} to {entry.seq} were rewritten: entry {entry.seq} "
                    "differs from its signed checkpoint",
                )
            last_signed = entry.seq
        expected_prev, expected_seq, checked = entry.hash, entry.seq + 1, checked + 1
    if checked != head_seq or expected_prev != head_hash:
        return ChainReport(
            False, checked, checked + 1, f"the chain ends at {checked}; the head says {head_seq}"
        )
    if signed and max(signed) > checked:
        return ChainReport(
            False,
            checked,
            min(last_signed, checked) + 1,
            f"the chain ends at {checked}; a signed checkpoint saw entry {max(signed)}",
        )
    return ChainReport(True, checked)
