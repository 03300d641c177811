"""TOTP (RFC 6238) verification with drift and replay refusal; recovery codes."""

from __future__ import annotations

import pyotp

from lumen.auth.totp import (
    matching_step,
    new_recovery_codes,
    new_secret,
    provisioning_uri,
    recovery_code_hash,
)

NOW = 1_790_000_000.0


def test_a_current_code_matches_and_its_step_is_returned() -> None:
    secret = new_secret()
    totp = pyotp.TOTP(secret)
    step = matching_step(secret, totp.at(NOW), None, now=NOW)
    assert step == totp.timecode(NOW)


def test_one_step_of_clock_drift_is_accepted_but_not_two() -> None:
    secret = new_secret()
    totp = pyotp.TOTP(secret)
    assert matching_step(secret, totp.at(NOW - 30), None, now=NOW) is not None
    assert matching_step(secret, totp.at(NOW + 30), None, now=NOW) is not None
    assert matching_step(secret, totp.at(NOW - 90), None, now=NOW) is None


def test_a_used_code_is_refused_as_a_replay() -> None:
    secret = new_secret()
    code = pyotp.TOTP(secret).at(NOW)
    step = matching_step(secret, code, None, now=NOW)
    assert matching_step(secret, code, step, now=NOW) is None
    assert matching_step(secret, pyotp.TOTP(secret).at(NOW - 30), step, now=NOW) is None


def test_malformed_codes_are_refused() -> None:
    secret = new_secret()
    for code in ("", "12345", "abcdef", "1234567"):
        assert matching_step(secret, code, None, now=NOW) is None


def test_the_provisioning_uri_names_lumen_and_the_account() -> None:
    uri = provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "ana@example.org")
    assert uri.startswith("otpauth://totp/Lumen:ana%40example.org?")
    assert "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" in uri and "issuer=Lumen" in uri


def test_recovery_codes_are_ten_distinct_and_match_however_typed() -> None:
    codes = new_recovery_codes()
    assert len(codes) == len(set(codes)) == 10
    code = codes[0]
    assert recovery_code_hash(code) == recovery_code_hash(code.lower().replace("-", " "))
    assert recovery_code_hash(code) != recovery_code_hash(codes[1])
