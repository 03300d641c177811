"""What a parser makes of an uploaded file: its title (if it names one) and its parts in
order, each plain text (no markup), a page of a PDF or a heading's section otherwise."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# C0 and C1 control characters but tab and newline: PostgreSQL's text refuses NUL, and none of
# them means anything to a reader.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")


@dataclass(frozen=True, slots=True)
class ParsedPart:
    """One part of a document: ``heading`` (``None`` for a PDF page or text before the first
    heading), ``text`` (plain, normalised), and ``page`` (a PDF's, from 1)."""

    heading: str | None
    text: str
    page: int | None = None


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """A parsed upload: ``title`` as the file names itself (PDF/DOCX metadata, HTML
    ``<title>``, a Markdown ``#`` heading), else ``None``; ``parts`` in document order, none
    empty."""

    title: str | None
    parts: tuple[ParsedPart, ...]

    @property
    def chars(self) -> int:
        """Characters of text in all parts."""
        return sum(len(part.text) for part in self.parts)


def clean_text(text: str) -> str:
    """``text`` in NFC with ``\\n`` line ends, without control characters, byte-order marks,
    trailing spaces or runs of blank lines, stripped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def clean_line(text: str | None, max_chars: int = 500) -> str | None:
    """A one-line label (a title, a heading): whitespace collapsed, at most ``max_chars``;
    ``None`` when nothing is left."""
    if text is None:
        return None
    line = " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", text)).split())
    return line[:max_chars] or None
