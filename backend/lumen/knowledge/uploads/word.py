"""Word (DOCX) text with python-docx (MIT), headings by paragraph style.

A DOCX is a ZIP archive: before python-docx opens it, the archive's directory is checked
against the member count and the total unpacked size it declares. Python's ``zipfile`` never
returns more bytes for a member than its declared size, so the declared sizes bound what
parsing can unpack (a ZIP bomb is refused before anything is inflated). python-docx's XML
parser does not resolve entities (no XXE).
"""

from __future__ import annotations

import io
import re
import zipfile

import docx
from docx.document import Document as WordDocument
from docx.opc.exceptions import OpcError
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from lumen.knowledge.uploads.errors import TooLarge, Unreadable
from lumen.knowledge.uploads.parsed import ParsedFile, ParsedPart, clean_line, clean_text

# "Heading 1" … "Heading 9" and "Title" are Word's built-in heading styles (ECMA-376 Part 1,
# 17.7.4.17, latent style names); localised copies keep these style ids' names in English.
_HEADING_STYLE = re.compile(r"(?:heading \d|title)\Z", re.IGNORECASE)
_BROKEN = (
    OpcError,
    KeyError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    etree.LxmlError,
    zipfile.BadZipFile,
    EOFError,
)


def check_archive(data: bytes, max_members: int, max_unzipped_bytes: int) -> None:
    """Refuse a ZIP whose directory declares more than ``max_members`` members or more than
    ``max_unzipped_bytes`` bytes unpacked (``TooLarge``), or that is not a readable ZIP
    (``Unreadable``)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise Unreadable("The Word document is not a readable ZIP archive.") from exc
    if len(members) > max_members:
        raise TooLarge(
            f"The Word document's archive has {len(members):,} parts; "
            f"at most {max_members:,} are accepted."
        )
    unpacked = sum(member.file_size for member in members)
    if unpacked > max_unzipped_bytes:
        raise TooLarge(
            f"The Word document unpacks to {unpacked:,} bytes; "
            f"at most {max_unzipped_bytes:,} are accepted."
        )


def parse_docx(
    data: bytes, max_members: int, max_unzipped_bytes: int, max_chars: int
) -> ParsedFile:
    """The paragraphs and tables of a DOCX in order, a part per heading-styled paragraph (the
    text before the first heading is a part of its own), and its core-properties title.

    Raises ``TooLarge`` (``check_archive``, or past ``max_chars`` characters of text) and
    ``Unreadable`` for a broken document or one without text.
    """
    check_archive(data, max_members, max_unzipped_bytes)
    try:
        document = docx.Document(io.BytesIO(data))
        title = clean_line(document.core_properties.title)
        parts = _parts(document, max_chars)
    except (TooLarge, Unreadable):
        raise
    except _BROKEN as exc:
        raise Unreadable(f"The Word document could not be read ({type(exc).__name__}).") from exc
    if not parts:
        raise Unreadable("The Word document has no text to index.")
    return ParsedFile(title=title, parts=tuple(parts))


def _parts(document: WordDocument, max_chars: int) -> list[ParsedPart]:
    parts: list[ParsedPart] = []
    heading: str | None = None
    lines: list[str] = []
    chars = 0

    def close() -> None:
        text = clean_text("\n".join(lines))
        if text:
            parts.append(ParsedPart(heading=heading, text=text))

    for block in document.iter_inner_content():
        if isinstance(block, Paragraph) and _is_heading(block):
            close()
            heading, lines = clean_line(block.text), []
            continue
        text = block.text if isinstance(block, Paragraph) else _table_text(block)
        chars += len(text)
        if chars > max_chars:
            raise TooLarge(f"The Word document holds more than {max_chars:,} characters of text.")
        lines.append(text)
    close()
    return parts


def _is_heading(paragraph: Paragraph) -> bool:
    style = paragraph.style
    name = style.name if style is not None else None
    return bool(name and _HEADING_STYLE.match(name) and paragraph.text.strip())


def _table_text(table: Table) -> str:
    """A table as lines of cells separated by `` | `` (a merged cell once per row)."""
    rows = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()))
        rows.append(" | ".join(cells))
    return "\n".join(rows)
