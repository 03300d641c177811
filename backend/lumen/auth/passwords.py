"""Password hashing (argon2id through passlib) and the password policy (NIST SP 800-63B).

Policy, per SP 800-63B-4 section 3.1.1.2: at least 12 characters (the issue's minimum, above
NIST's 8 for a single factor), at most 128 (NIST: allow at least 64), every Unicode character
allowed and NFKC-normalised, no composition rules, and a refusal of passwords that are common,
breached or easily guessed. "Common or breached" is judged by zxcvbn (Dropbox's estimator,
Python port ``zxcvbn``): its dictionaries carry the 30,000 most frequent passwords of Xato's
10-million-password leak corpus, English words and names, and it recognises repeats,
sequences, keyboard walks, dates and l33t substitutions of them, plus context words (the
e-mail address, "lumen"). A password zxcvbn can guess in under 10^10 attempts is refused: at
that count an offline attacker holding the argon2id hash needs days, not years.
"""

from __future__ import annotations

import unicodedata

from passlib.context import CryptContext
from zxcvbn import zxcvbn

from lumen.problems import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_GUESSES_LOG10 = 10.0
# zxcvbn's matching is super-linear in length; past this its verdict no longer changes.
ESTIMATOR_CHARS = 64

# argon2id with OWASP's Password Storage Cheat Sheet parameters (m = 19 MiB, t = 2, p = 1).
_context = CryptContext(
    schemes=["argon2"],
    argon2__type="ID",
    argon2__memory_cost=19 * 1024,
    argon2__rounds=2,
    argon2__parallelism=1,
)
# Verifying against this keeps the time of "no such account" equal to a wrong password.
_DUMMY_HASH = _context.hash("lumen-dummy-password-for-timing")


def normalise(password: str) -> str:
    """NFKC normalisation (SP 800-63B-4 section 3.1.1.2) so that the same typed password
    hashes the same on every keyboard."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    """The argon2id PHC string of a normalised password."""
    hashed: str = _context.hash(normalise(password))
    return hashed


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant-work check; a missing hash (no account, SSO-only account) is always false."""
    if password_hash is None:
        _context.verify(normalise(password), _DUMMY_HASH)
        return False
    return bool(_context.verify(normalise(password), password_hash))


def needs_rehash(password_hash: str | None) -> bool:
    """Whether a stored hash uses older parameters than today's (rehash at next sign-in)."""
    return password_hash is not None and bool(_context.needs_update(password_hash))


class WeakPassword(InvalidInput):
    """The password does not meet the policy; ``detail`` says why in plain words."""

    title = "Password not accepted"


def check_password_policy(password: str, email: str, field: str = "password") -> None:
    """Raise ``WeakPassword`` (422, with ``field``) unless ``password`` meets the policy."""
    password = normalise(password)
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            f"Use at least {MIN_LENGTH} characters; a few unrelated words make a good one.",
            field=field,
        )
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters.", field=field)
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 4 and local_part in password.lower():
        raise WeakPassword("Do not use your e-mail address in your password.", field=field)
    verdict = zxcvbn(password[:ESTIMATOR_CHARS], user_inputs=[email, local_part, "lumen"])
    if float(verdict["guesses_log10"]) < MIN_GUESSES_LOG10:
        warning = str(verdict["feedback"].get("warning") or "").rstrip(".")
        reason = f"{warning}. " if warning else ""
        raise WeakPassword(
            f"This password is too common or too easy to guess. {reason}"
            "Try a longer phrase of unrelated words.",
            field=field,
        )
