"""AES-256-GCM message encryption: round trip, row binding, rotation, production refusal."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from lumen.security.encryption import (
    EncryptionNotConfigured,
    KeyRing,
    UnknownKey,
    load_key_ring,
)
from lumen.settings import Settings


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_sealed_text_round_trips_and_is_not_plaintext() -> None:
    ring = KeyRing.parse(f"k1:{_key()}")
    sealed = ring.seal("I have chest pain since Monday", b"row-1")
    assert b"chest pain" not in sealed.ciphertext
    assert ring.open(sealed, b"row-1") == "I have chest pain since Monday"


def test_ciphertext_moved_to_another_row_does_not_decrypt() -> None:
    ring = KeyRing.parse(f"k1:{_key()}")
    sealed = ring.seal("secret", b"row-1")
    with pytest.raises(InvalidTag):
        ring.open(sealed, b"row-2")


def test_rotation_keeps_old_messages_readable_and_seals_with_the_new_key() -> None:
    old_key = _key()
    old = KeyRing.parse(f"k1:{old_key}").seal("old message", b"r")
    rotated = KeyRing.parse(f"k2:{_key()},k1:{old_key}")
    assert rotated.open(old, b"r") == "old message"
    assert rotated.seal("new", b"r").key_id == "k2"


def test_a_key_dropped_from_the_ring_is_reported_by_id() -> None:
    sealed = KeyRing.parse(f"k1:{_key()}").seal("x", b"r")
    with pytest.raises(UnknownKey):
        KeyRing.parse(f"k2:{_key()}").open(sealed, b"r")


def test_production_without_a_key_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(EncryptionNotConfigured):
        load_key_ring(Settings(environment="production", data_dir=tmp_path))


def test_embedded_default_generates_one_private_key_and_reuses_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    sealed = load_key_ring(settings).seal("hello", b"r")
    key_file = tmp_path / "keys" / "message-keys"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_key_ring(settings).open(sealed, b"r") == "hello"


def test_a_short_key_is_rejected() -> None:
    with pytest.raises(ValueError, match="AES-256 needs 32"):
        KeyRing.parse("k1:" + base64.b64encode(b"short").decode())
