"""Sessions, throttling and sign-in against both stores (in-process and real Redis)."""

from __future__ import annotations

import asyncio
import hashlib

import pyotp
import pytest

from lumen.auth.principal import ClientInfo
from lumen.auth.sessions import session_key
from lumen.problems import TooManyRequests, Unauthorized
from tests.accounts import PASSWORD

CLIENT = ClientInfo(ip="203.0.113.7", user_agent="pytest")


async def _registered(stack, email: str = "sam@example.org"):  # type: ignore[no-untyped-def]
    return await stack.auth.register(email, PASSWORD, CLIENT)


async def test_sign_in_issues_a_new_session_id_each_time(stack) -> None:  # type: ignore[no-untyped-def]
    first = await _registered(stack)
    second = await stack.auth.login("sam@example.org", PASSWORD, CLIENT)
    assert second.session_id != first.session_id
    assert await stack.sessions.resolve(second.session_id) is not None


async def test_the_store_holds_only_hashes_of_session_ids(stack) -> None:  # type: ignore[no-untyped-def]
    signed = await _registered(stack)
    keys = await stack.sessions.store.keys_of(signed.record.user_id)
    assert keys == [session_key(signed.session_id)]
    assert signed.session_id not in keys
    assert keys[0] == hashlib.sha256(signed.session_id.encode()).hexdigest()


async def test_an_idle_session_expires(stack) -> None:  # type: ignore[no-untyped-def]
    signed = await _registered(stack)
    stack.sessions.idle_timeout_s = 1
    await asyncio.sleep(1.2)
    assert await stack.sessions.resolve(signed.session_id) is None
    assert await stack.sessions.list(signed.record.user_id) == []


async def test_activity_keeps_a_session_alive_until_the_absolute_timeout(stack) -> None:  # type: ignore[no-untyped-def]
    stack.sessions.idle_timeout_s = 2
    stack.sessions.absolute_timeout_s = 3
    signed = await _registered(stack)
    for _ in range(2):
        await asyncio.sleep(1.0)
        assert await stack.sessions.resolve(signed.session_id) is not None, "activity renews"
    await asyncio.sleep(1.2)
    assert await stack.sessions.resolve(signed.session_id) is None, "absolute timeout"


async def test_requests_close_together_do_not_rewrite_the_session(stack) -> None:  # type: ignore[no-untyped-def]
    signed = await _registered(stack)
    key = session_key(signed.session_id)
    stored = await stack.sessions.store.load(key)
    for _ in range(3):
        assert await stack.sessions.resolve(signed.session_id) is not None
    assert await stack.sessions.store.load(key) == stored, "within 30 s of the last write"
    stack.sessions.idle_timeout_s = 3  # writes back after 0.1 s of activity
    await asyncio.sleep(0.2)
    seen = await stack.sessions.resolve(signed.session_id)
    assert seen is not None and seen.last_seen_at > stored.last_seen_at
    assert await stack.sessions.store.load(key) == seen


async def test_background_polling_does_not_keep_a_session_alive(stack) -> None:  # type: ignore[no-untyped-def]
    stack.sessions.idle_timeout_s = 2
    signed = await _registered(stack)
    await asyncio.sleep(1.2)
    assert await stack.sessions.resolve(signed.session_id, activity=False) is not None
    await asyncio.sleep(1.0)
    assert await stack.sessions.resolve(signed.session_id, activity=False) is None


async def test_rotation_ends_the_old_id(stack) -> None:  # type: ignore[no-untyped-def]
    signed = await _registered(stack)
    new_id, record = await stack.sessions.rotate(signed.session_id, signed.record)
    assert await stack.sessions.resolve(signed.session_id) is None
    assert await stack.sessions.resolve(new_id) is not None
    assert record.csrf_token != signed.record.csrf_token
    assert record.created_at == signed.record.created_at, "the absolute timeout keeps counting"


async def test_sign_out_everywhere_ends_every_session(stack) -> None:  # type: ignore[no-untyped-def]
    signed = await _registered(stack)
    other = await stack.auth.login("sam@example.org", PASSWORD, CLIENT)
    assert await stack.auth.logout_all(signed.record, CLIENT) == 2
    assert await stack.sessions.resolve(other.session_id) is None


async def test_failed_sign_ins_back_off_then_lock_the_account(stack) -> None:  # type: ignore[no-untyped-def]
    await _registered(stack)
    for _ in range(3):
        with pytest.raises(Unauthorized):
            await stack.auth.login("sam@example.org", "wrong-password-000", CLIENT)
    with pytest.raises(TooManyRequests) as throttled:
        await stack.auth.login("sam@example.org", PASSWORD, CLIENT)
    assert throttled.value.status == 429
    assert int(throttled.value.headers["Retry-After"]) >= 1
    # Push the account to its lockout: ten failures in the window.
    storage = stack.storage
    from lumen.auth.throttle import account_key

    for _ in range(7):
        await storage.clear(f"login:block:{account_key('sam@example.org')}")
        with pytest.raises(Unauthorized):
            await stack.auth.login("sam@example.org", "wrong-password-000", CLIENT)
    with pytest.raises(TooManyRequests) as locked:
        await stack.auth.login("sam@example.org", PASSWORD, CLIENT)
    assert int(locked.value.headers["Retry-After"]) > 800, "a 15-minute lockout"
    entries, _total = await stack.audit.entries(_filter("auth.lockout"), 10, 0)
    assert len(entries) == 1 and entries[0].outcome == "success"


async def test_a_correct_password_resets_the_failure_count(stack) -> None:  # type: ignore[no-untyped-def]
    await _registered(stack)
    for _ in range(2):
        with pytest.raises(Unauthorized):
            await stack.auth.login("sam@example.org", "wrong-password-000", CLIENT)
    await stack.auth.login("sam@example.org", PASSWORD, CLIENT)
    for _ in range(2):
        with pytest.raises(Unauthorized):
            await stack.auth.login("sam@example.org", "wrong-password-000", CLIENT)
    await stack.auth.login("sam@example.org", PASSWORD, CLIENT)


async def test_two_registrations_racing_for_one_address_yield_one_account(stack) -> None:  # type: ignore[no-untyped-def]
    from lumen.problems import Conflict

    results = await asyncio.gather(
        stack.auth.register("race@example.org", PASSWORD, CLIENT),
        stack.auth.register("race@example.org", PASSWORD, CLIENT),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    assert sum(not isinstance(r, Exception) for r in results) == 1


async def test_unknown_accounts_fail_like_wrong_passwords(stack) -> None:  # type: ignore[no-untyped-def]
    await _registered(stack)
    with pytest.raises(Unauthorized) as unknown:
        await stack.auth.login("nobody@example.org", PASSWORD, CLIENT)
    with pytest.raises(Unauthorized) as wrong:
        await stack.auth.login("sam@example.org", "wrong-password-000", CLIENT)
    assert unknown.value.detail == wrong.value.detail


async def test_registration_is_rate_limited_per_address(stack) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        await stack.auth.register(f"user{n}@example.org", PASSWORD, CLIENT)
    with pytest.raises(TooManyRequests):
        await stack.auth.register("user9@example.org", PASSWORD, CLIENT)
    other_address = ClientInfo(ip="198.51.100.1", user_agent="pytest")
    await stack.auth.register("user9@example.org", PASSWORD, other_address)


async def test_the_totp_challenge_refuses_a_replayed_code(stack) -> None:  # type: ignore[no-untyped-def]
    signed = await _registered(stack)
    secret, _uri = await stack.two_factor.setup_totp(signed.record)
    code = pyotp.TOTP(secret).now()
    _codes, enrolled = await stack.two_factor.verify_totp(
        signed.session_id, signed.record, code, CLIENT
    )
    pending = await stack.auth.login("sam@example.org", PASSWORD, CLIENT)
    assert pending.record.state == "mfa_required"
    with pytest.raises(Unauthorized):
        await stack.two_factor.challenge(pending.session_id, pending.record, CLIENT, code=code)
    assert enrolled.record.state == "signed_in"


async def test_a_recovery_code_works_once(stack) -> None:  # type: ignore[no-untyped-def]
    signed = await _registered(stack)
    secret, _uri = await stack.two_factor.setup_totp(signed.record)
    codes, _ = await stack.two_factor.verify_totp(
        signed.session_id, signed.record, pyotp.TOTP(secret).now(), CLIENT
    )
    pending = await stack.auth.login("sam@example.org", PASSWORD, CLIENT)
    done = await stack.two_factor.challenge(
        pending.session_id, pending.record, CLIENT, recovery_code=codes[0].lower()
    )
    assert done.record.state == "signed_in"
    assert await stack.sessions.resolve(pending.session_id) is None, "rotated on success"
    again = await stack.auth.login("sam@example.org", PASSWORD, CLIENT)
    with pytest.raises(Unauthorized):
        await stack.two_factor.challenge(
            again.session_id, again.record, CLIENT, recovery_code=codes[0]
        )


async def test_the_session_store_reports_whether_it_answers(stack) -> None:  # type: ignore[no-untyped-def]
    from lumen.auth.sessions import RedisSessionStore
    from tests.servers import free_port

    assert await stack.sessions.store.ping()
    dead = RedisSessionStore(f"redis://127.0.0.1:{free_port()}/0", "lumen-test-dead", 1.0)
    assert not await dead.ping()
    await dead.aclose()


def _filter(action: str):  # type: ignore[no-untyped-def]
    from lumen.audit.service import AuditFilter

    return AuditFilter(action=action)
