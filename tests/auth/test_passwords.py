"""The password policy (NIST SP 800-63B) and argon2id hashing, edge cases included."""

from __future__ import annotations

import hashlib

import pytest

from lumen.auth.passwords import (
    WeakPassword,
    check_password_policy,
    hash_password,
    verify_password,
)

EMAIL = "jordan.miles@example.org"


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("", "at least 12"),
        ("elevenchars", "at least 12"),
        ("x" * 129, "at most 128"),
        ("Password1234!", "too common"),
        ("iloveyou1234", "too common"),
        ("qwertyuiop12", "too common"),
        ("123456789012", "too common"),
        ("aaaaaaaaaaaa", "too common"),
        ("passwordpassword", "too common"),
        ("jordan.miles-2026!", "e-mail address"),
        ("Lumenlumen12", "too common"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, fragment: str) -> None:
    with pytest.raises(WeakPassword) as refused:
        check_password_policy(password, EMAIL)
    assert fragment in refused.value.detail
    assert refused.value.status == 422 and refused.value.extensions["field"] == "password"


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # spaces allowed, no composition rules
        "violet-harbour-lantern-42",
        "k8#Lm2pQ9xZr",  # exactly 12 characters
        hashlib.sha512(b"lumen").hexdigest(),  # exactly 128
        "ľadová-káva-na-terase",  # non-ASCII
    ],
)
def test_long_or_random_passwords_are_accepted_without_composition_rules(password: str) -> None:
    check_password_policy(password, EMAIL)


def test_hashes_are_argon2id_and_salted() -> None:
    first, second = (
        hash_password("violet-harbour-lantern-42"),
        hash_password("violet-harbour-lantern-42"),
    )
    assert first.startswith("$argon2id$") and first != second
    assert verify_password("violet-harbour-lantern-42", first)
    assert not verify_password("violet-harbour-lantern-43", first)


def test_passwords_are_nfkc_normalised_before_hashing() -> None:
    # U+FB01 (the "fi" ligature) and "fi" are the same password after NFKC.
    stored = hash_password("\ufb01ne-harbour-lantern")
    assert verify_password("fine-harbour-lantern", stored)


def test_a_missing_hash_never_verifies() -> None:
    assert not verify_password("anything-at-all-here", None)
