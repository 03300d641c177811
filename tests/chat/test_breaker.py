"""The circuit breaker's states, on a clock the test moves by hand."""

from __future__ import annotations

import pytest

from lumen.chat.engines.base import EngineUnavailable
from lumen.chat.engines.breaker import BreakerOpen, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now_s = 100.0

    def __call__(self) -> float:
        return self.now_s


def _fail(breaker: CircuitBreaker) -> None:
    with pytest.raises(EngineUnavailable), breaker.attempt():
        raise EngineUnavailable("connection refused")


def test_the_state_is_unknown_until_the_first_call() -> None:
    breaker = CircuitBreaker(cooldown_s=30)
    assert (breaker.state, breaker.since) == ("unknown", None)
    with breaker.attempt():
        pass
    assert breaker.state == "up"
    assert breaker.since is not None


def test_one_failure_refuses_calls_until_the_cooldown_has_passed() -> None:
    clock = Clock()
    breaker = CircuitBreaker(cooldown_s=30, clock=clock)
    _fail(breaker)
    assert breaker.state == "down"
    clock.now_s += 29.9
    with pytest.raises(BreakerOpen, match="retrying in 0.1 s"), breaker.attempt():
        pytest.fail("the guarded block ran while the breaker was open")
    clock.now_s += 0.2
    with breaker.attempt():
        pass
    assert breaker.state == "up"


def test_a_failed_trial_opens_the_breaker_for_another_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(cooldown_s=30, clock=clock)
    _fail(breaker)
    clock.now_s += 31
    _fail(breaker)
    clock.now_s += 29
    with pytest.raises(BreakerOpen), breaker.attempt():
        pass


def test_only_one_trial_runs_while_half_open_and_an_aborted_trial_frees_the_slot() -> None:
    clock = Clock()
    breaker = CircuitBreaker(cooldown_s=30, clock=clock)
    _fail(breaker)
    clock.now_s += 31
    trial = breaker.attempt()
    trial.__enter__()
    with pytest.raises(BreakerOpen, match="trial request is running"), breaker.attempt():
        pass
    # The trial's client disconnected: no verdict on the server, the next caller may try.
    assert trial.__exit__(KeyboardInterrupt, KeyboardInterrupt(), None) is False
    assert breaker.state == "down"
    with breaker.attempt():
        pass
    assert breaker.state == "up"


def test_errors_other_than_unavailability_say_nothing_about_the_server() -> None:
    breaker = CircuitBreaker(cooldown_s=30)
    with pytest.raises(ValueError), breaker.attempt():
        raise ValueError("a bug in the caller")
    assert breaker.state == "unknown"
    with breaker.attempt():
        pass
