"""PDF text by page with pypdf (BSD-3-Clause; maintained by the py-pdf organisation).

Each page with text is one part, so every chunk of a PDF lies on one page and its citation can
name it. Encrypted PDFs are refused even when they open without a password: their owner asked
for restrictions (copying text among them) that indexing would ignore.
"""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from lumen.knowledge.uploads.errors import TooLarge, Unreadable
from lumen.knowledge.uploads.parsed import ParsedFile, ParsedPart, clean_line, clean_text

# pypdf reports each repaired defect of a broken file as a warning: one line per file is ours.
logging.getLogger("pypdf").setLevel(logging.ERROR)
# What pypdf raises on a broken file, depending on where its code meets the damage.
_BROKEN = (
    PyPdfError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    RecursionError,
    OverflowError,
    ZeroDivisionError,
)


def parse_pdf(data: bytes, max_pages: int, max_chars: int) -> ParsedFile:
    """The pages of a PDF with text, as parts with ``page`` from 1, and its metadata title.

    Raises ``Unreadable`` for an encrypted PDF, one pypdf cannot read (broken structure,
    truncated file) or one without any text (scanned images: no OCR here); ``TooLarge`` past
    ``max_pages`` pages or ``max_chars`` characters of text.
    """
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Unreadable(
                "The PDF is encrypted (password-protected or with restrictions). "
                "Save an unprotected copy and upload that."
            )
        pages = len(reader.pages)
        if pages > max_pages:
            raise TooLarge(f"The PDF has {pages} pages; at most {max_pages} are accepted.")
        title = _title(reader)
        parts: list[ParsedPart] = []
        chars = 0
        for number, page in enumerate(reader.pages, start=1):
            text = clean_text(page.extract_text())
            chars += len(text)
            if chars > max_chars:
                raise TooLarge(
                    f"The PDF holds more than {max_chars:,} characters of text by page {number}."
                )
            if text:
                parts.append(ParsedPart(heading=None, text=text, page=number))
    except (TooLarge, Unreadable):
        raise
    except _BROKEN as exc:
        raise Unreadable(f"The PDF could not be read ({type(exc).__name__}).") from exc
    if not parts:
        raise Unreadable(
            "The PDF has no text to index (a scan of images?). Run text recognition on it first."
        )
    return ParsedFile(title=title, parts=tuple(parts))


def _title(reader: PdfReader) -> str | None:
    try:
        metadata = reader.metadata
        return clean_line(metadata.title) if metadata is not None else None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError):
        return None  # a broken information dictionary costs the title only
