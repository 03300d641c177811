"""Request dependencies declared once: the runtime's services and the caller's identity."""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated

from fastapi import Depends, Request, Response

from lumen.chat.service import ChatService
from lumen.knowledge.documents import DocumentService
from lumen.runtime import Runtime

# Until accounts arrive, the owner of conversations is an anonymous per-browser id kept in this
# cookie. Conversations store its SHA-256, so a leaked database does not hand out cookies.
OWNER_COOKIE = "lumen_owner"
OWNER_COOKIE_MAX_AGE_S = 400 * 24 * 3600  # the longest lifetime browsers honour (RFC 6265bis)


def get_runtime(request: Request) -> Runtime:
    """The process's ``Runtime`` (built by the app's lifespan)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_chat(runtime: RuntimeDep) -> ChatService:
    """The chat service."""
    assert runtime.chat is not None, "the server runtime builds the chat service"
    return runtime.chat


ChatDep = Annotated[ChatService, Depends(get_chat)]


def current_owner(request: Request, response: Response) -> str:
    """The caller's owner id: SHA-256 hex of the anonymous browser cookie, set when absent.

    The one place that says who owns a conversation; accounts will return the user id here.
    """
    token = request.cookies.get(OWNER_COOKIE)
    if not token or len(token) < 32:
        token = secrets.token_urlsafe(32)
        response.set_cookie(
            OWNER_COOKIE,
            token,
            max_age=OWNER_COOKIE_MAX_AGE_S,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return hashlib.sha256(token.encode()).hexdigest()


CurrentOwner = Annotated[str, Depends(current_owner)]


def get_documents(runtime: RuntimeDep) -> DocumentService:
    """Read access to indexed source documents."""
    return DocumentService(runtime.db)


DocumentsDep = Annotated[DocumentService, Depends(get_documents)]
