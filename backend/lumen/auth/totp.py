"""TOTP second factor (RFC 6238 through ``pyotp``) and single-use recovery codes.

Codes: 6 digits, 30 s steps, SHA-1 (RFC 6238's default, what every authenticator app reads from
an ``otpauth://`` URI). One step of clock drift is accepted either way (RFC 6238 section 5.2).
A code of a step at or before the last accepted one is a replay and is refused (section 5.2:
"the verifier MUST NOT accept the second attempt of the same OTP").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp

ISSUER = "Lumen"
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# 24 base32 characters = 120 bits, over SP 800-63B's 112-bit line for storing a look-up
# secret as a plain hash (section 5.1.2.2).
RECOVERY_CODE_CHARS = 24
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def new_secret() -> str:
    """A random base32 TOTP secret (160 bits, RFC 4226 section 4's recommended length)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, email: str) -> str:
    """The ``otpauth://totp/Lumen:<email>?secret=…&issuer=Lumen`` URI an app scans."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def matching_step(
    secret: str, code: str, last_step: int | None, now: float | None = None
) -> int | None:
    """The time step ``code`` belongs to, or ``None`` when it is wrong or replayed.

    The caller stores the returned step as the new ``last_step``.
    """
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time() if now is None else now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten fresh codes, formatted ``XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`` for reading aloud."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_BASE32) for _ in range(RECOVERY_CODE_CHARS))
        codes.append("-".join(raw[i : i + 4] for i in range(0, RECOVERY_CODE_CHARS, 4)))
    return codes


def recovery_code_hash(code: str) -> str:
    """SHA-256 hex of the code without separators or case."""
    normalised = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()
