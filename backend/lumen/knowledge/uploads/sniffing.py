"""What an uploaded file is, decided by its content, and whether its name and declared type
agree with that (a file that is not what it says it is is refused, never guessed around).

Content first match wins:
1. ``%PDF-`` at offset 0: PDF (ISO 32000-1 section 7.5.2, the file header; the WHATWG MIME
   Sniffing Standard's pattern for ``application/pdf``).
2. ``PK\\x03\\x04``: a ZIP; a Word document when it has the part ``word/document.xml``
   (ECMA-376 Part 1, WordprocessingML main document), any other ZIP is refused.
3. A byte-order mark (UTF-8, UTF-16): text (HTML after a UTF-8 one, by the pattern of 5).
4. A binary data byte in the first 1,445 bytes (WHATWG MIME Sniffing section 7.2, "binary data
   byte"; 1,445 is its resource header size): refused, named when the ``filetype`` library
   knows it by its magic bytes (executables, images, archives, Word 97-2003, media). Text goes
   first because some of those signatures are letters ("BM" is a bitmap's).
5. HTML by the WHATWG pattern (section 7.1, "identifying a resource with an unknown MIME type"):
   after leading whitespace, case-insensitively, ``<!DOCTYPE HTML``, ``<HTML``, ``<HEAD``,
   ``<SCRIPT``, ``<IFRAME``, ``<H1``, ``<DIV``, ``<FONT``, ``<TABLE``, ``<A``, ``<STYLE``,
   ``<TITLE``, ``<B``, ``<BODY``, ``<BR`` or ``<P`` followed by a space or ``>``, or ``<!--``;
   ``<?xml`` is XHTML when an ``<html`` element follows in the header, else refused.
6. Otherwise text (charset detection and decoding: ``markup.decode_text``).

Text that the name or declared type calls Markdown is Markdown (no content tells the two apart;
Markdown may also start with HTML, which its parser then drops).
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Literal

import filetype

from lumen.knowledge.uploads.errors import Unreadable, UnsupportedType

Kind = Literal["pdf", "docx", "html", "markdown", "text"]

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MEDIA_TYPES: dict[Kind, str] = {
    "pdf": "application/pdf",
    "docx": DOCX_MEDIA_TYPE,
    "html": "text/html",
    "markdown": "text/markdown",
    "text": "text/plain",
}
EXTENSIONS: dict[str, Kind] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
}
DECLARED: dict[str, Kind] = {
    "application/pdf": "pdf",
    DOCX_MEDIA_TYPE: "docx",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/plain": "text",
}
# What clients send when they do not know the type: no claim.
UNDECLARED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
WORD_MAIN_PART = "word/document.xml"
_LABELS: dict[Kind, str] = {
    "pdf": "a PDF",
    "docx": "a Word document (DOCX)",
    "html": "an HTML page",
    "markdown": "Markdown",
    "text": "plain text",
}
_RESOURCE_HEADER_BYTES = 1445
_BINARY_BYTES = frozenset([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xfe\xff", b"\xff\xfe")
_WHITESPACE = b"\t\n\x0c\r "
_HTML_TAGS = (
    b"<!DOCTYPE HTML",
    b"<HTML",
    b"<HEAD",
    b"<SCRIPT",
    b"<IFRAME",
    b"<H1",
    b"<DIV",
    b"<FONT",
    b"<TABLE",
    b"<A",
    b"<STYLE",
    b"<TITLE",
    b"<B",
    b"<BODY",
    b"<BR",
    b"<P",
)
_MARKUP = re.compile(rb"<(?:[a-zA-Z][a-zA-Z0-9-]*[\s/>]|/[a-zA-Z]|!--)")


def sniff(data: bytes) -> Kind:
    """The kind of ``data`` by its content alone: ``pdf``, ``docx``, ``html`` or ``text``
    (Markdown is text here). Raises ``UnsupportedType`` for anything else, naming what it is
    when known."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if data.startswith(_UTF8_BOM):
        return "html" if _is_html(data[len(_UTF8_BOM) :]) else "text"
    if data.startswith(_UTF16_BOMS):
        return "text"
    if not any(byte in _BINARY_BYTES for byte in data[:_RESOURCE_HEADER_BYTES]):
        return "html" if _is_html(data) else "text"
    known = filetype.guess(data[:8192])
    what = f"{known.mime} (.{known.extension})" if known is not None else "binary data"
    raise UnsupportedType(
        f"The file's content is {what}, which is not accepted. "
        "Upload a PDF, Word (.docx), HTML, Markdown or plain text file."
    )


def decide(name: str, declared: str | None, data: bytes) -> Kind:
    """The kind to parse ``data`` as: its content's (``sniff``), refined to Markdown for text
    named or declared so. Raises ``UnsupportedType`` for content of no accepted type, for a
    name with an extension that is not accepted, and when the extension or the declared media
    type (``Content-Type`` of the part; ``application/octet-stream`` claims nothing) names a
    different kind than the content is."""
    extension = _extension(name)
    by_name: Kind | None = None
    if extension:
        by_name = EXTENSIONS.get(extension)
        if by_name is None:
            raise UnsupportedType(
                f"Files ending in {extension} are not accepted. Upload a PDF, Word (.docx), "
                "HTML, Markdown or plain text file."
            )
    media_type = (declared or "").split(";", 1)[0].strip().lower()
    by_type: Kind | None = None
    if media_type not in UNDECLARED:
        by_type = DECLARED.get(media_type)
        if by_type is None:
            raise UnsupportedType(f"The file is declared as {media_type}, which is not accepted.")
    content = sniff(data)
    claims = [claim for claim in (by_name, by_type) if claim is not None]
    if content == "html" and "markdown" in claims:
        content = "text"  # Markdown may open with HTML; its parser drops the markup
    if content == "text" and "html" in claims and _MARKUP.search(data[:4096]):
        content = "html"  # a fragment the WHATWG pattern does not catch (<main>, <meta …>)
    if content == "text" and "markdown" in claims:
        content = "markdown"
    for claim in claims:
        if _family(claim) != _family(content):
            raise UnsupportedType(
                f"The file says it is {_LABELS[claim]} (by its "
                f"{'name' if claim == by_name else 'declared type'}) but its content is "
                f"{_LABELS[content]}."
            )
    return content


def _family(kind: Kind) -> str:
    return "text" if kind in ("text", "markdown") else kind


def _extension(name: str) -> str:
    base = re.split(r"[\\/]", name)[-1]
    stem, dot, extension = base.rpartition(".")
    return f".{extension.lower()}" if dot and stem else ""


def _zip_kind(data: bytes) -> Kind:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise Unreadable("The file starts like a ZIP archive (DOCX) but is broken.") from exc
    if WORD_MAIN_PART in names:
        return "docx"
    raise UnsupportedType(
        "The file is a ZIP archive but not a Word document (no word/document.xml): "
        "spreadsheets, presentations and archives are not accepted."
    )


def _is_html(data: bytes) -> bool:
    header = data[:_RESOURCE_HEADER_BYTES].lstrip(_WHITESPACE).upper()
    if header.startswith(b"<!--"):
        return True
    if header.startswith(b"<?XML"):
        return b"<HTML" in header
    for tag in _HTML_TAGS:
        if header.startswith(tag) and header[len(tag) : len(tag) + 1] in (b" ", b">"):
            return True
    return False
