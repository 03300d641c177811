"""RFC 9457 problem details: domain exceptions and the one handler that renders them.

Every API error is ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail`` (RFC 9457 section 3.1). Domains raise ``Problem`` subclasses; nothing else builds
error responses.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """A domain error with its HTTP status and a human-readable title and detail."""

    status: int = 400
    title: str = "Bad request"
    type: str = "about:blank"

    def __init__(
        self, detail: str, *, headers: dict[str, str] | None = None, **extensions: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions

    def to_dict(self) -> dict[str, Any]:
        """The problem+json body (RFC 9457 section 3)."""
        return {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **self.extensions,
        }


class NotFound(Problem):
    """The resource does not exist or is not the caller's (no existence oracle)."""

    status = 404
    title = "Not found"


class InvalidInput(Problem):
    """The request is well-formed but its content is not acceptable."""

    status = 422
    title = "Invalid input"


class Unauthorized(Problem):
    """No valid session or API token (RFC 9110 section 15.5.2)."""

    status = 401
    title = "Sign-in required"


class Forbidden(Problem):
    """Authenticated, but not allowed to do this; ``code`` says what is missing."""

    status = 403
    title = "Forbidden"


class Conflict(Problem):
    """The request conflicts with the current state (RFC 9110 section 15.5.10)."""

    status = 409
    title = "Conflict"


class TooManyRequests(Problem):
    """Throttled: ``Retry-After`` (RFC 9110 section 10.2.3) and ``retry_after_s`` say when to
    try again (RFC 6585 section 4)."""

    status = 429
    title = "Too many attempts"

    def __init__(self, detail: str, retry_after_s: int) -> None:
        retry_after_s = max(1, retry_after_s)
        super().__init__(
            detail, headers={"Retry-After": str(retry_after_s)}, retry_after_s=retry_after_s
        )


def problem_response(status: int, title: str, detail: str, **extensions: Any) -> JSONResponse:
    """A problem+json response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def install_problem_handlers(app: FastAPI) -> None:
    """Render ``Problem``, HTTP and validation errors as problem+json."""

    async def on_problem(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return JSONResponse(
            exc.to_dict(), status_code=exc.status, media_type=PROBLEM_JSON, headers=exc.headers
        )

    async def on_http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
        return problem_response(exc.status_code, title, str(exc.detail))

    async def on_validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return problem_response(
            422, "Invalid input", "The request does not match the schema.", errors=errors
        )

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
