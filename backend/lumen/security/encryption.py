"""Message encryption at rest: AES-256-GCM (NIST SP 800-38D) with a key ring.

Each ciphertext is ``nonce (12 bytes) || ciphertext+tag`` and is stored beside the id of the
key that sealed it, so keys can rotate: new messages use the active (first) key, old ones stay
readable while their key is in the ring. The associated data binds a ciphertext to its row,
so a ciphertext copied into another row does not decrypt.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lumen.settings import Settings

NONCE_BYTES = 12  # 96-bit nonce, the size GCM is specified for (SP 800-38D section 5.2.1.1)
KEY_FILE = "message-keys"


class EncryptionNotConfigured(RuntimeError):
    """Production settings carry no encryption key."""


class UnknownKey(RuntimeError):
    """A ciphertext names a key id that is not in the ring."""


@dataclass(frozen=True, slots=True)
class Sealed:
    """A ciphertext and the id of the key that sealed it."""

    key_id: str
    ciphertext: bytes


class KeyRing:
    """AES-256-GCM keys by id; the first is the active one."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise EncryptionNotConfigured("no encryption key")
        for key_id, key in keys:
            if len(key) != 32:
                raise ValueError(f"key {key_id!r} is {len(key)} bytes; AES-256 needs 32")
        self.active_key_id = keys[0][0]
        self._keys = dict(keys)
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys}

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        """Keys from ``"kid:base64key,kid2:base64key"`` (the ``LUMEN_ENCRYPTION_KEYS`` format)."""
        keys = []
        for item in spec.split(","):
            key_id, _, encoded = item.strip().partition(":")
            if not key_id or not encoded:
                raise ValueError("encryption keys are 'kid:base64key' items separated by commas")
            keys.append((key_id, base64.b64decode(encoded)))
        return cls(keys)

    def seal(self, plaintext: str, associated_data: bytes) -> Sealed:
        """Encrypt UTF-8 text with the active key."""
        return self.seal_bytes(plaintext.encode("utf-8"), associated_data)

    def seal_bytes(self, plaintext: bytes, associated_data: bytes) -> Sealed:
        """Encrypt bytes (an uploaded file) with the active key."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.active_key_id].encrypt(nonce, plaintext, associated_data)
        return Sealed(self.active_key_id, nonce + sealed)

    def derive(self, purpose: bytes, length: int = 32) -> bytes:
        """A key for another purpose, derived from the active key with HKDF-SHA256 (RFC 5869)
        so that one configured secret serves every use without reuse across them."""
        return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose).derive(
            self._keys[self.active_key_id]
        )

    def open(self, sealed: Sealed, associated_data: bytes) -> str:
        """Decrypt; raises ``UnknownKey`` or ``cryptography.exceptions.InvalidTag``."""
        return self.open_bytes(sealed, associated_data).decode("utf-8")

    def open_bytes(self, sealed: Sealed, associated_data: bytes) -> bytes:
        """Decrypt to bytes; raises ``UnknownKey`` or ``cryptography.exceptions.InvalidTag``."""
        cipher = self._ciphers.get(sealed.key_id)
        if cipher is None:
            raise UnknownKey(sealed.key_id)
        nonce, body = sealed.ciphertext[:NONCE_BYTES], sealed.ciphertext[NONCE_BYTES:]
        return cipher.decrypt(nonce, body, associated_data)


def load_key_ring(settings: Settings) -> KeyRing:
    """The key ring from settings, or (development only) a key generated under ``data_dir``.

    Raises ``EncryptionNotConfigured`` in production without ``LUMEN_ENCRYPTION_KEYS``.
    """
    if settings.encryption_keys is not None:
        return KeyRing.parse(settings.encryption_keys.get_secret_value())
    if settings.environment == "production":
        raise EncryptionNotConfigured(
            "LUMEN_ENCRYPTION_KEYS is required in production (kid:base64 32-byte key)"
        )
    path = settings.data_dir / "keys" / KEY_FILE
    if not path.exists():
        _write_new_key(path)
    return KeyRing.parse(path.read_text().strip())


def _write_new_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"k1:{key}\n")
    os.replace(tmp, path)
