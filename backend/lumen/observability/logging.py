"""Logging and error reporting without PHI.

Lumen never logs message text; as a second line of defence, Sentry events drop request bodies,
cookies and query strings, and breadcrumbs keep only their category. The access log keeps the
path but drops the query string: ``/search?q=…`` carries what someone asked and
``/admin/users?q=…`` part of an e-mail address.
"""

from __future__ import annotations

import logging
from typing import Any

from lumen.settings import Settings


def configure_logging(settings: Settings) -> None:
    """Plain structured-enough logs on stderr at ``LUMEN_LOG_LEVEL``."""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO; URLs of the LLM server are not PHI but are noise.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QueryStringFilter) for f in access.filters):
        access.addFilter(QueryStringFilter())


class QueryStringFilter(logging.Filter):
    """Cut the query string from uvicorn's access-log records, whose ``args`` are
    ``(client, method, path with query, http version, status)``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], args[2].split("?", 1)[0], args[3], args[4])
        return True


def scrub_event(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    """Sentry ``before_send``: remove anything that could carry what a patient typed."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "headers"):
            request.pop(key, None)
    for frame_holder in event.get("exception", {}).get("values", []):
        for frame in frame_holder.get("stacktrace", {}).get("frames", []):
            frame.pop("vars", None)
    return event


def configure_sentry(settings: Settings) -> None:
    """Initialise sentry-sdk when ``LUMEN_SENTRY_DSN`` is set, with PHI scrubbing."""
    if settings.sentry_dsn is None:
        return
    import sentry_sdk

    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.environment,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,  # type: ignore[arg-type]
        traces_sample_rate=0.0,
    )
