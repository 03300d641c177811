"""One entry point from an uploaded file's bytes to its parsed text: limits, type by content,
then the parser of that type. The request checks a file with it before anything is stored,
and the job parses the stored file with it again (same bytes, same result)."""

from __future__ import annotations

from dataclasses import dataclass

from lumen.knowledge.uploads.errors import TooLarge, Unreadable
from lumen.knowledge.uploads.markup import parse_html, parse_markdown, parse_text
from lumen.knowledge.uploads.parsed import ParsedFile
from lumen.knowledge.uploads.pdf import parse_pdf
from lumen.knowledge.uploads.sniffing import Kind, decide
from lumen.knowledge.uploads.word import parse_docx
from lumen.settings import Settings


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """Per request: ``max_files``. Per file: ``max_bytes`` as sent, ``max_pdf_pages``,
    ``max_text_chars`` extracted, and for a DOCX the ZIP's ``max_zip_members`` and
    ``max_unzipped_bytes`` (declared)."""

    max_files: int
    max_bytes: int
    max_pdf_pages: int
    max_text_chars: int
    max_unzipped_bytes: int
    max_zip_members: int

    @classmethod
    def of(cls, settings: Settings) -> UploadLimits:
        """The limits in ``settings`` (``LUMEN_UPLOAD_*``)."""
        return cls(
            max_files=settings.upload_max_files,
            max_bytes=settings.upload_max_bytes,
            max_pdf_pages=settings.upload_max_pdf_pages,
            max_text_chars=settings.upload_max_text_chars,
            max_unzipped_bytes=settings.upload_max_unzipped_bytes,
            max_zip_members=settings.upload_max_zip_members,
        )


def read_upload(
    name: str, declared: str | None, data: bytes, limits: UploadLimits
) -> tuple[Kind, ParsedFile]:
    """The kind of an uploaded file (by content, checked against its name and declared media
    type) and its parsed text. Raises ``TooLarge`` over a limit, ``UnsupportedType`` for a
    type not accepted or not what it says, ``Unreadable`` for a file of an accepted type that
    does not parse or holds no text. CPU-bound: call it off the event loop."""
    if len(data) > limits.max_bytes:
        raise TooLarge(f"The file has more than {limits.max_bytes:,} bytes, the most accepted.")
    if not data.strip():
        raise Unreadable("The file is empty.")
    kind = decide(name, declared, data)
    chars = limits.max_text_chars
    parsed: ParsedFile
    if kind == "pdf":
        parsed = parse_pdf(data, limits.max_pdf_pages, chars)
    elif kind == "docx":
        parsed = parse_docx(data, limits.max_zip_members, limits.max_unzipped_bytes, chars)
    elif kind == "html":
        parsed = parse_html(data, chars)
    elif kind == "markdown":
        parsed = parse_markdown(data, chars)
    else:
        parsed = parse_text(data, chars)
    return kind, parsed
