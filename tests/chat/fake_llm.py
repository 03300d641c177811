"""A scripted OpenAI-compatible LLM server on 127.0.0.1, for tests (the one fake the tests use).

It is a real HTTP/1.1 server on a real socket, written on ``asyncio`` streams so each byte on
the wire is under the test's control: streamed chat completions are ``text/event-stream``
bodies in chunked transfer encoding, one ``data: {chunk json}\\n\\n`` event per chunk, the
way OpenAI and vLLM send them: a role-only first chunk, one chunk per text piece
(``choices[0].delta.content``), a last chunk with ``finish_reason: "stop"``, then
``data: [DONE]``. ``GET /v1/models`` lists the one model.

The server runs its own event loop in a daemon thread, so the code under test (in the test's
loop) talks to it over TCP exactly as it would to vLLM.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal

MODEL = "fake-biomistral"

Mode = Literal["normal", "die", "silent", "error"]


@dataclass
class Script:
    """What the server does with the next chat-completion requests.

    ``normal``: stream ``tokens``, sleeping ``delay_s`` before each one (0: all at once).
    ``die``: stream the first ``die_after`` tokens, then close the connection mid-body.
    ``silent``: accept the request and never send a byte.
    ``error``: answer ``500`` with an OpenAI-style error body.
    ``first_delay_s`` is added before the first token only (a slow prompt phase).
    """

    mode: Mode = "normal"
    tokens: list[str] = field(default_factory=lambda: ["Fever ", "is ", "common ", "[1]", "."])
    delay_s: float = 0.0
    first_delay_s: float = 0.0
    die_after: int = 2


class FakeLLMServer:
    """Start with ``start()``; ``base_url`` is the API root the engine is given."""

    def __init__(self) -> None:
        self.script = Script()
        self.requests: list[dict[str, Any]] = []
        self.chunks_sent = 0
        self.client_gone = threading.Event()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> None:
        """Start the thread and listen on a free port."""
        self._thread.start()
        self._run(self._listen())

    def reset(self, script: Script | None = None) -> None:
        """Forget earlier requests and use ``script`` (default: the normal script)."""
        self.script = script or Script()
        self.requests.clear()
        self.chunks_sent = 0
        self.client_gone.clear()

    def go_down(self) -> None:
        """Stop listening and drop every open connection (the port then refuses connections)."""
        self._run(self._go_down())

    def come_back(self) -> None:
        """Listen again on the same port."""
        self._run(self._listen())

    def close(self) -> None:
        self._run(self._shut_down())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def _run(self, coro: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=5)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _go_down(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()

    async def _shut_down(self) -> None:
        await self._go_down()
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection: requests one after another (keep-alive), until the client leaves."""
        self._writers.add(writer)
        try:
            while (request := await _read_request(reader)) is not None:
                method, path, body = request
                if method == "GET" and path == "/v1/models":
                    models = {"object": "list", "data": [_model_card()]}
                    await _send_json(writer, 200, models)
                elif method == "POST" and path == "/v1/chat/completions":
                    self.requests.append(json.loads(body))
                    if not await self._complete(reader, writer):
                        return
                else:
                    await _send_json(writer, 404, {"error": {"message": "not found"}})
        except (ConnectionError, asyncio.IncompleteReadError):
            self.client_gone.set()
        finally:
            self._writers.discard(writer)
            writer.transport.abort()

    async def _complete(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer one chat-completion request; False when the connection must end."""
        script = self.script
        if script.mode == "error":
            error = {"message": "model crashed", "type": "server_error", "code": 500}
            await _send_json(writer, 500, {"error": error})
            return True
        if script.mode == "silent":
            # Hold the connection open without a byte until the client gives up.
            while not reader.at_eof():
                await asyncio.sleep(0.01)
            self.client_gone.set()
            return False
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
            b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        completion_id = f"chatcmpl-{time.monotonic_ns()}"
        await _send_event(writer, _chunk(completion_id, {"role": "assistant", "content": ""}))
        for i, token in enumerate(script.tokens):
            if script.mode == "die" and i == script.die_after:
                writer.close()  # FIN without the closing zero-length chunk
                return False
            await asyncio.sleep(script.delay_s + (script.first_delay_s if i == 0 else 0.0))
            if reader.at_eof():  # the client closed its side: stop generating, like vLLM
                self.client_gone.set()
                return False
            await _send_event(writer, _chunk(completion_id, {"content": token}))
            self.chunks_sent += 1
        await _send_event(writer, _chunk(completion_id, {}, finish_reason="stop"))
        await _send_event(writer, "[DONE]")
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, bytes] | None:
    """``(method, path, body)`` of the next request, or None when the client closed."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, path, _version = request_line.split(" ", 2)
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in header_lines if line)
    }
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return method, path, body


async def _send_json(writer: asyncio.StreamWriter, status: int, payload: object) -> None:
    body = json.dumps(payload).encode()
    reason = {200: "OK", 404: "Not Found", 500: "Internal Server Error"}[status]
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()


async def _send_event(writer: asyncio.StreamWriter, data: str) -> None:
    """One server-sent event, framed as one HTTP/1.1 chunk."""
    event = f"data: {data}\n\n".encode()
    writer.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
    await writer.drain()


def _chunk(completion_id: str, delta: dict[str, str], finish_reason: str | None = None) -> str:
    return json.dumps(
        {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": MODEL,
            "system_fingerprint": None,
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            ],
        },
        separators=(",", ":"),
    )


def _model_card() -> dict[str, object]:
    return {"id": MODEL, "object": "model", "created": 0, "owned_by": "lumen-tests"}
