"""Why an upload is refused, as problem+json (RFC 9457): one exception per HTTP status.

Each names the file in ``file`` (the name as sent, never used as a path) so that a request of
several files says which one is at fault.
"""

from __future__ import annotations

from typing import Any

from lumen.problems import Problem


class UploadRejected(Problem):
    """An uploaded file that is not indexed; ``detail`` says why in words an admin can act on."""

    status = 422
    title = "Document not accepted"

    def __init__(self, detail: str, *, file: str | None = None, **extensions: Any) -> None:
        if file is not None:
            extensions["file"] = file
        super().__init__(detail, **extensions)

    def for_file(self, name: str) -> UploadRejected:
        """The same refusal naming ``name``."""
        return type(self)(self.detail, file=name)


class UnsupportedType(UploadRejected):
    """Not one of the accepted types by its content, or not what its name or declared type
    says (RFC 9110 section 15.5.16, Unsupported Media Type)."""

    status = 415
    title = "Unsupported document type"


class TooLarge(UploadRejected):
    """Over a size limit: bytes, pages, extracted text, or a ZIP's unpacked size or member
    count (RFC 9110 section 15.5.14, Content Too Large)."""

    status = 413
    title = "Document too large"


class Unreadable(UploadRejected):
    """Of an accepted type but not readable as one: encrypted or broken PDF, a DOCX without its
    document part, no text at all, or text with markup in it (422)."""

    status = 422
    title = "Document not readable"


class LengthRequired(Problem):
    """An upload without ``Content-Length``: its size must be known before it is read (RFC
    9110 section 15.5.12)."""

    status = 411
    title = "Length required"
