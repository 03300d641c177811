"""Answers from an OpenAI-compatible chat-completions server (vLLM, llama.cpp, LM Studio…).

Uses the official ``openai`` client, streaming (``stream=True``). openai 3.x is built on
``httpx2`` (the maintained successor of httpx), so the connection pool is an
``httpx2.AsyncClient``; it is shared by every request of the process and closed by ``aclose``.
The client's own retries are off: a retry with back-off would hold the user on a server that
is down, where the caller should fall back to the extractive engine at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import Literal

import httpx2
from openai import AsyncOpenAI, AsyncStream, OpenAIError
from openai.types.chat import ChatCompletionChunk

from lumen.chat.engines.base import EngineFailed, EngineUnavailable
from lumen.chat.engines.prompt import build_messages
from lumen.knowledge.schemas import RetrievalHit

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 2.0
# Concurrent answers one process streams at most; more wait for a free connection.
MAX_CONNECTIONS = 32


class OpenAICompatEngine:
    """Streams an answer from ``model`` at ``base_url`` (the API root, e.g. ``http://host:8000/v1``).

    Timeouts (seconds): ``connect_timeout_s`` for the TCP/TLS connect;
    ``first_token_timeout_s`` from sending the request until the first non-empty text delta,
    and also the longest silence allowed between two chunks later on.
    """

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str,
        connect_timeout_s: float,
        first_token_timeout_s: float,
        max_tokens: int,
        temperature: float,
    ) -> None:
        self.model = model
        self._first_token_timeout_s = first_token_timeout_s
        self._max_tokens = max_tokens
        self._temperature = temperature
        timeout = httpx2.Timeout(first_token_timeout_s, connect=connect_timeout_s)
        self._http = httpx2.AsyncClient(
            timeout=timeout,
            limits=httpx2.Limits(
                max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS
            ),
        )
        self._client = AsyncOpenAI(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=0,
            http_client=self._http,
        )

    async def stream(
        self,
        question: str,
        sources: Sequence[RetrievalHit],
        queries: Sequence[str] | None = None,
    ) -> AsyncGenerator[str, None]:
        """Yield the answer's text deltas; ``sources[i]`` is cited as ``[i + 1]``.

        ``queries`` (the sub-questions retrieval ran) are not sent: the model reads the whole
        message, with the sources in retrieval's order, which already serves each
        sub-question in turn.

        Raises ``EngineUnavailable`` when no text arrived within ``first_token_timeout_s`` or the
        server could not be reached or answered with an error status (4xx included: nothing was
        shown yet, so another engine can still answer); ``EngineFailed`` when the stream broke
        after text was yielded. Yields nothing if the model produced an empty answer.
        Closing the generator (or cancelling its consumer) closes the HTTP response at once,
        which stops generation on servers that watch for disconnects (vLLM, llama.cpp).
        """
        completion: AsyncStream[ChatCompletionChunk] | None = None
        try:
            try:
                async with asyncio.timeout(self._first_token_timeout_s):
                    completion = await self._client.chat.completions.create(
                        model=self.model,
                        messages=build_messages(question, sources),
                        stream=True,
                        max_tokens=self._max_tokens,
                        temperature=self._temperature,
                    )
                    texts = _texts(completion)
                    first = await anext(texts, None)
            except TimeoutError as exc:
                logger.warning("LLM sent no text within %.1f s", self._first_token_timeout_s)
                raise EngineUnavailable(
                    f"no answer text within {self._first_token_timeout_s:g} s"
                ) from exc
            except (OpenAIError, ValueError) as exc:
                logger.warning("LLM request failed before any text: %s", _describe(exc))
                raise EngineUnavailable(f"LLM server unavailable: {_describe(exc)}") from exc
            if first is None:
                return
            yield first
            try:
                async for text in texts:
                    yield text
            except (OpenAIError, ValueError) as exc:
                # ValueError covers a malformed chunk (json.JSONDecodeError, pydantic errors).
                logger.warning("LLM stream broke after text was sent: %s", _describe(exc))
                raise EngineFailed(f"LLM stream broke: {_describe(exc)}") from exc
        finally:
            if completion is not None:
                await completion.close()

    async def probe(self) -> Literal["up", "down"]:
        """``"up"`` if ``GET {base_url}/models`` answers 2xx within ``PROBE_TIMEOUT_S``."""
        try:
            await self._client.with_options(timeout=PROBE_TIMEOUT_S).models.list()
        except OpenAIError as exc:
            logger.info("LLM probe failed: %s", _describe(exc))
            return "down"
        return "up"

    async def aclose(self) -> None:
        """Close the connection pool; the engine cannot be used afterwards."""
        await self._http.aclose()


async def _texts(completion: AsyncStream[ChatCompletionChunk]) -> AsyncIterator[str]:
    """The non-empty ``choices[0].delta.content`` strings of a chat-completion stream.

    Skips the role-only first chunk vLLM sends, the final ``finish_reason`` chunk and usage
    chunks without choices.
    """
    async for chunk in completion:
        if chunk.choices and (text := chunk.choices[0].delta.content):
            yield text


def _describe(exc: BaseException) -> str:
    """Exception class and message, for logs and problem details (never request content)."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
