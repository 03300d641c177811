"""RFC 9457 problem details: domain exceptions and the one handler that renders them.

Every API error is ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail`` (RFC 9457 section 3.1). Domains raise ``Problem`` subclasses; nothing else builds
error responses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
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


class ValidationErrorItem(BaseModel):
    """One schema violation of a 422 ``errors`` list: where (path into the request) and why."""

    loc: list[str | int]
    msg: str


class ProblemDetails(BaseModel):
    """The body of every error response: RFC 9457 section 3.1 members and Lumen's extension
    members (section 3.2), each present only where its description says."""

    model_config = ConfigDict(extra="allow")

    type: str = Field("about:blank", description="A URI reference for the problem type.")
    title: str = Field(description="A short summary of the problem type.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time, for a person to read.")
    code: str | None = Field(
        None,
        description="403: what is missing (csrf, role, scope, mfa_pending, "
        "mfa_enrollment_required, mfa_required_for_role).",
    )
    field: str | None = Field(None, description="422: the request field at fault.")
    retry_after_s: int | None = Field(
        None, description="429, 503: seconds until a retry may succeed (also in Retry-After)."
    )
    errors: list[ValidationErrorItem] | None = Field(
        None, description="422 from schema validation: every violation."
    )
    file: str | None = Field(
        None, description="413, 415 or 422 of an upload: the file at fault, by its name."
    )
    files: list[dict[str, Any]] | None = Field(
        None, description="An upload refused for several files: each file's problem."
    )


PROBLEM_TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    411: "Length required",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many attempts",
    502: "Answer interrupted",
    503: "Service unavailable",
}


PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}
UNSAFE_METHODS = frozenset({"post", "put", "patch", "delete"})


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problems an operation can answer: each status with an
    ``application/problem+json`` body of ``ProblemDetails``. Pass it as a route's or a
    router's ``responses=`` (FastAPI merges router and route entries)."""
    return {
        status: {
            "description": PROBLEM_TITLES.get(status, "Error"),
            "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
        }
        for status in statuses
    }


def _document_problems(app: FastAPI) -> None:
    """Complete the app's OpenAPI document with what every route shares: ``ProblemDetails``
    in the components, 422 as problem+json (FastAPI's default says ``application/json``
    ``HTTPValidationError``, which this app never sends), 403 on every state-changing
    ``/api`` operation (the app-wide CSRF check) and 503 on every ``/api`` operation (the
    database, the session store or the rate-limit store not answering: ``lumen.db``,
    ``lumen.auth.sessions``, ``lumen.auth.throttle`` fail closed with it)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        problem = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(problem.pop("$defs", {}))
        components["ProblemDetails"] = problem
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = problem_responses(422)[422]
                if path.startswith("/api/"):
                    if method in UNSAFE_METHODS:
                        responses.setdefault("403", problem_responses(403)[403])
                    responses.setdefault("503", problem_responses(503)[503])
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


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


class ServiceUnavailable(Problem):
    """A dependency Lumen cannot answer without is down (RFC 9110 section 15.6.4).
    ``Retry-After`` (section 10.2.3) and ``retry_after_s`` say when a retry may succeed:
    ``retry_after_s`` of the subclass, a few seconds (a database or Redis restart)."""

    status = 503
    title = "Service unavailable"
    retry_after_s = 5

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(
            detail,
            headers={"Retry-After": str(self.retry_after_s)},
            retry_after_s=self.retry_after_s,
            **extensions,
        )


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


def problem_json(problem: Problem) -> JSONResponse:
    """The problem+json response of a ``Problem``, with its headers."""
    return JSONResponse(
        problem.to_dict(),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


def install_translation(
    app: FastAPI,
    kinds: tuple[type[Exception], ...],
    translate: Callable[[Exception], Problem | None],
) -> None:
    """Render an exception of ``kinds`` that ``translate`` turns into a ``Problem`` as that
    problem (a library's error that means a dependency is down, say). One it does not
    translate is raised on: a 500 with its traceback in the log, as without this handler."""

    async def on_error(_request: Request, exc: Exception) -> JSONResponse:
        problem = translate(exc)
        if problem is None:
            raise exc
        return problem_json(problem)

    for kind in kinds:
        app.add_exception_handler(kind, on_error)


def install_problem_handlers(app: FastAPI) -> None:
    """Render ``Problem``, HTTP and validation errors as problem+json, and say so in the
    OpenAPI document."""
    _document_problems(app)

    async def on_problem(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_json(exc)

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
