"""A circuit breaker for the LLM server (Nygard, *Release It!*, ch. "Circuit Breaker").

One failure to start an answer opens the breaker for ``cooldown_s``: while it is open, callers
are refused at once instead of each waiting for a connect or first-token timeout on a server
known to be down. After the cooldown the breaker is half-open and admits exactly one trial
call; its success closes the breaker, its failure opens it for another cooldown.

Written here rather than taken from a library because none fits cleanly: ``purgatory`` (the
maintained asyncio one) lets every concurrent caller through while half-open, counts a
cancelled request (a client that disconnected) as a server failure, and brings a unit-of-work
and message-bus layer for what is one in-process circuit; ``aiobreaker`` has had no release
since 2021; ``pybreaker`` supports coroutines only through Tornado; ``circuitbreaker`` is a
decorator without a single-trial half-open state. None reports the "unknown" state (no call
yet) that ``/readyz`` shows.

State lives in one asyncio event loop; the breaker is not thread-safe.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Literal

from lumen.chat.engines.base import EngineUnavailable

ServerState = Literal["up", "down", "unknown"]


class BreakerOpen(EngineUnavailable):
    """Refused without calling the server: it failed less than ``cooldown_s`` ago."""


class CircuitBreaker:
    """Guards the start of an answer; see the module docstring for the states.

    ``clock`` is a monotonic clock in seconds (injectable for tests); ``since`` uses wall time.
    """

    def __init__(self, cooldown_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._state: ServerState = "unknown"
        self._since: datetime | None = None
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> ServerState:
        """``"up"`` after a success, ``"down"`` after a failure, ``"unknown"`` before any call."""
        return self._state

    @property
    def since(self) -> datetime | None:
        """When ``state`` last changed (UTC), or ``None`` while it is ``"unknown"``."""
        return self._since

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """Run the guarded block, or raise ``BreakerOpen`` at once if calls are refused.

        ``EngineUnavailable`` from the block counts as a failure and is re-raised; leaving the
        block normally counts as a success. Any other exception (cancellation included) says
        nothing about the server: it is re-raised and, for a trial call, frees the trial.
        """
        trial = self._admit()
        try:
            yield
        except EngineUnavailable:
            self._opened_at = self._clock()
            self._set_state("down")
            raise
        else:
            self._opened_at = None
            self._set_state("up")
        finally:
            if trial:
                self._trial_running = False

    def _admit(self) -> bool:
        """Whether this call is the half-open trial; raises ``BreakerOpen`` if it is refused."""
        if self._opened_at is None:
            return False
        remaining_s = self._opened_at + self.cooldown_s - self._clock()
        if remaining_s > 0:
            raise BreakerOpen(f"LLM server failed recently; retrying in {remaining_s:.1f} s")
        if self._trial_running:
            raise BreakerOpen("LLM server is down; a trial request is running")
        self._trial_running = True
        return True

    def _set_state(self, state: ServerState) -> None:
        if state != self._state:
            self._state = state
            self._since = datetime.now(UTC)
