"""The local operator: the ``lumen`` CLI talking to a running ``lumen serve`` on loopback.

``lumen serve`` writes a random operator token to ``<data_dir>/server.json`` (mode 0600); a
request from the loopback interface carrying it acts as the operator (ingestion jobs, search
while the server holds the embedded index). Anyone able to read that file already owns the
server's data directory.
"""

from __future__ import annotations

import secrets
import uuid

from starlette.requests import Request

OPERATOR_HEADER = "X-Lumen-Operator-Token"
OPERATOR_ID = uuid.UUID(int=0)  # the actor id the audit log names for the operator
LOOPBACK = frozenset({"127.0.0.1", "::1"})


def is_operator(request: Request) -> bool:
    """Whether the request comes from loopback with this server's operator token."""
    client = request.client.host if request.client else ""
    sent = request.headers.get(OPERATOR_HEADER)
    expected: str = request.app.state.operator_token
    return (
        client in LOOPBACK
        and bool(sent)
        and secrets.compare_digest((sent or "").encode(), expected.encode())
    )
