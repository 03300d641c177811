"""Sliding-window rate limits (chat per user, registration per address) on both storages."""

from __future__ import annotations

import pytest

from lumen.auth.throttle import RateLimit
from lumen.problems import TooManyRequests


async def test_a_user_past_the_chat_limit_gets_429_with_retry_after(stack) -> None:  # type: ignore[no-untyped-def]
    chat = RateLimit(stack.storage, "chat", stack.settings.chat_rate_limit)  # 2/minute
    await chat.hit("user-a")
    await chat.hit("user-a")
    with pytest.raises(TooManyRequests) as limited:
        await chat.hit("user-a")
    assert 1 <= int(limited.value.headers["Retry-After"]) <= 60
    assert "2 per 1 minute" in limited.value.detail
    await chat.hit("user-b")  # another user has a window of their own
