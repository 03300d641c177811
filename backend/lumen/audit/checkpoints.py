"""Signed checkpoints of the chain head, kept outside the database.

A checkpoint is the head's ``seq`` and ``hash`` at a time, signed with Ed25519 (RFC 8032) by a
key that lives in a file, never in the database. Someone who can rewrite the database can
recompute every hash after an entry they change and set the head to match (the chain alone
then verifies), but cannot sign a checkpoint: the chain must still pass through every signed
``(seq, hash)``. Certificate Transparency's signed tree heads (RFC 6962 §3.5) do the same.

Files are ``checkpoint-<seq>.json`` (12 digits) in the checkpoint folder, written atomically;
production puts that folder on storage the database's operators cannot write (an object store
with retention, another host's volume).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lumen.db import utcnow
from lumen.settings import Settings

FILE_PREFIX = "checkpoint-"


class SigningKeyMissing(RuntimeError):
    """Production without ``LUMEN_AUDIT_SIGNING_KEY_FILE``: checkpoints could not be signed."""


@dataclass(frozen=True)
class Checkpoint:
    """The chain head at ``at`` (UTC ISO 8601), signed: ``signature`` is base64 Ed25519 over
    the canonical JSON of the other fields; ``key_id`` the first 16 hex digits of the SHA-256
    of the raw public key."""

    seq: int
    hash: str
    at: str
    key_id: str
    signature: str = ""

    def signed_bytes(self) -> bytes:
        """What the signature covers: canonical JSON (sorted keys, no spaces) without it."""
        fields = {k: v for k, v in asdict(self).items() if k != "signature"}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 over the raw 32-byte public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The Ed25519 key of ``LUMEN_AUDIT_SIGNING_KEY_FILE`` (PKCS#8 PEM), or in development one
    generated under ``data_dir/keys`` on first use. Raises ``SigningKeyMissing`` in production
    without the setting, ``ValueError`` for a file that is not an Ed25519 key."""
    path = settings.audit_signing_key_file
    if path is None:
        if settings.environment == "production":
            raise SigningKeyMissing(
                "LUMEN_AUDIT_SIGNING_KEY_FILE is required in production "
                "(an Ed25519 private key in PEM: lumen audit keygen PATH)"
            )
        path = settings.data_dir / "keys" / "audit-signing-key.pem"
        if not path.exists():
            write_signing_key(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def write_signing_key(path: Path) -> None:
    """Generate an Ed25519 private key into ``path`` (PKCS#8 PEM, mode 0600, atomically).
    Raises ``FileExistsError`` rather than replace a key."""
    if path.exists():
        raise FileExistsError(f"{path} exists; a signing key is never overwritten")
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.replace(tmp, path)


class Checkpoints:
    """The checkpoint folder: write signed checkpoints, read and check them."""

    def __init__(self, folder: Path, key: Ed25519PrivateKey) -> None:
        self.folder = folder
        self._key = key
        self._public = key.public_key()
        self._key_id = key_id(self._public)

    def write(self, seq: int, head_hash: str) -> Checkpoint | None:
        """Sign and store the head ``(seq, head_hash)``; ``None`` (nothing written) when the
        latest checkpoint already has ``seq`` or the chain is empty."""
        latest = self.latest()
        if seq == 0 or (latest is not None and latest.seq >= seq):
            return None
        unsigned = Checkpoint(seq, head_hash, utcnow().isoformat(), self._key_id)
        signature = base64.b64encode(self._key.sign(unsigned.signed_bytes())).decode()
        checkpoint = Checkpoint(**{**asdict(unsigned), "signature": signature})
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{FILE_PREFIX}{seq:012d}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(checkpoint), indent=1) + "\n")
        os.replace(tmp, path)
        return checkpoint

    def all(self) -> list[Checkpoint]:
        """Every checkpoint whose signature verifies with this key, oldest first. Raises
        ``InvalidCheckpoint`` naming a file that is unreadable or whose signature fails (a
        forged or altered checkpoint is itself evidence of tampering)."""
        return [self._signed(path) for path in self._paths()]

    def latest_signed(self) -> Checkpoint | None:
        """The newest checkpoint, its signature checked (one file read, one Ed25519
        verification: what the scheduled chain check needs), or ``None`` when there is none.
        Raises ``InvalidCheckpoint`` when that newest file does not verify."""
        paths = self._paths()
        return self._signed(paths[-1]) if paths else None

    def latest(self) -> Checkpoint | None:
        """The newest checkpoint (by ``seq``), unverified: for deciding whether to write."""
        paths = self._paths()
        if not paths:
            return None
        return Checkpoint(**json.loads(paths[-1].read_text()))

    def _paths(self) -> list[Path]:
        """Checkpoint files oldest first: names carry the seq in 12 digits, so name order is
        seq order."""
        return sorted(self.folder.glob(f"{FILE_PREFIX}*.json"))

    def _signed(self, path: Path) -> Checkpoint:
        """The checkpoint in ``path``; raises ``InvalidCheckpoint`` if it does not parse or
        its signature fails."""
        try:
            checkpoint = Checkpoint(**json.loads(path.read_text()))
            signature = base64.b64decode(checkpoint.signature, validate=True)
            self._public.verify(signature, checkpoint.signed_bytes())
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise InvalidCheckpoint(f"{path.name}: the signature does not verify") from exc
        return checkpoint


class InvalidCheckpoint(ValueError):
    """A checkpoint file that does not parse or whose signature fails."""
