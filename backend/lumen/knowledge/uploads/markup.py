"""Text of HTML, Markdown and plain-text uploads, always as plain text.

- HTML: the page's main text by trafilatura (Apache-2.0; Barbaresi, ACL 2021), which drops
  navigation, boilerplate, scripts and styles, rendered as Markdown so that headings survive,
  then read as Markdown below. The title is the page's ``<title>`` (lxml).
- Markdown: markdown-it-py (MIT; CommonMark with tables) tokens turned into text: headings
  start parts, list items keep their markers, code keeps its lines; raw HTML in the Markdown is
  dropped, and so is the text inside a ``<script>`` or ``<style>`` element.
- Plain text: UTF-8 (with or without a byte-order mark), else the encoding charset-normalizer
  (MIT) detects. Plain text with HTML tags in it is refused: it is a page under another name,
  and what it would show is not what its author saw.
"""

from __future__ import annotations

import re

import charset_normalizer
import lxml.html
from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.token import Token

from lumen.knowledge.uploads.errors import TooLarge, Unreadable
from lumen.knowledge.uploads.parsed import ParsedFile, ParsedPart, clean_line, clean_text

_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)(?=[\s/>])[^<>]*>|<!--")
_HIDDEN_ELEMENTS = frozenset({"script", "style", "template", "noscript"})
_UTF8_BOM = b"\xef\xbb\xbf"


def decode_text(data: bytes) -> str:
    """``data`` as text: UTF-8 when it decodes as such (a leading BOM dropped), else in the
    encoding charset-normalizer finds. Raises ``Unreadable`` when none fits."""
    try:
        return data.removeprefix(_UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise Unreadable("The text's character encoding could not be recognised.")
    return str(best)


def parse_text(data: bytes, max_chars: int) -> ParsedFile:
    """A plain-text file as one part. Raises ``Unreadable`` for undecodable or empty text and
    for text with HTML tags, ``TooLarge`` past ``max_chars`` characters."""
    text = clean_text(decode_text(data))
    tag = _TAG.search(text)
    if tag is not None:
        what = f"<{tag.group(1).lower()}>" if tag.group(1) else "an HTML comment"
        raise Unreadable(
            f"The text contains HTML markup ({what}). Upload the page as an .html file, or "
            "remove the markup."
        )
    parts = (ParsedPart(heading=None, text=text),) if text else ()
    return _bounded(ParsedFile(title=None, parts=parts), max_chars)


def parse_markdown(data: bytes, max_chars: int) -> ParsedFile:
    """A Markdown file as plain text, a part per heading; its first level-1 heading is its
    title. Raises ``Unreadable`` for undecodable or empty text, ``TooLarge`` past
    ``max_chars`` characters."""
    return _bounded(markdown_to_parts(decode_text(data)), max_chars)


def parse_html(data: bytes, max_chars: int) -> ParsedFile:
    """An HTML page's main text, a part per heading, and its ``<title>``. Raises
    ``Unreadable`` when no main text is found, ``TooLarge`` past ``max_chars`` characters."""
    # Imported here: trafilatura loads its date and language helpers on import (a second or
    # more), which every CLI command that builds the runtime would otherwise pay.
    import trafilatura

    try:
        extracted = trafilatura.extract(
            data,
            output_format="markdown",
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            include_formatting=True,
        )
    except (ValueError, TypeError, etree.LxmlError) as exc:
        raise Unreadable(f"The HTML page could not be read ({type(exc).__name__}).") from exc
    if not extracted:
        raise Unreadable("The HTML page has no main text to index.")
    parsed = markdown_to_parts(extracted)
    title = _html_title(data) or parsed.title
    return _bounded(ParsedFile(title=title, parts=parsed.parts), max_chars)


def markdown_to_parts(source: str) -> ParsedFile:
    """Markdown source as plain-text parts (see the module docstring)."""
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(source)
    parts: list[ParsedPart] = []
    title: str | None = None
    heading: str | None = None
    blocks: list[str] = []
    run: str | None = None  # "item" or "row" while consecutive lines of a list or table
    row: list[str] = []
    lists: list[list[int]] = []  # per open list: [next number] (ordered) or [] (bullets)
    prefix = ""
    hidden = _Hidden()

    def add(text: str, kind: str | None) -> None:
        nonlocal run
        if kind is not None and run == kind and blocks:
            blocks[-1] += "\n" + text
        else:
            blocks.append(text)
        run = kind

    def close() -> None:
        text = clean_text("\n\n".join(blocks))
        if text:
            parts.append(ParsedPart(heading=heading, text=text))

    index = 0
    while index < len(tokens):
        token = tokens[index]
        kind = token.type
        if kind == "heading_open":
            text = clean_line(_inline_text(tokens[index + 1].children or [], hidden))
            if title is None and token.tag == "h1" and not parts and not blocks:
                title = text
            close()
            heading, blocks, run = text, [], None
            index += 3  # heading_open, inline, heading_close
            continue
        if kind == "bullet_list_open":
            lists.append([])
        elif kind == "ordered_list_open":
            lists.append([int(token.attrGet("start") or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open" and lists:
            counter = lists[-1]
            marker = f"{counter[0]}." if counter else "-"
            if counter:
                counter[0] += 1
            prefix = "  " * (len(lists) - 1) + marker + " "
        elif kind in ("fence", "code_block"):
            add(token.content.rstrip("\n"), None)
        elif kind == "html_block":
            hidden.feed(token.content)
        elif kind in ("th_open", "td_open"):
            row.append(clean_line(_inline_text(tokens[index + 1].children or [], hidden)) or "")
            index += 1  # the cell's inline token is read
        elif kind == "tr_close":
            add(" | ".join(row), "row")
            row = []
        elif kind == "inline":
            text = _inline_text(token.children or [], hidden)
            if text.strip():
                add(prefix + text, "item" if prefix else None)
                prefix = ""
        index += 1
    close()
    return ParsedFile(title=title, parts=tuple(parts))


class _Hidden:
    """Tracks whether raw HTML has opened an element whose text is not text to read
    (``<script>``, ``<style>``) and not closed it yet."""

    def __init__(self) -> None:
        self.open: str | None = None

    def feed(self, html: str) -> None:
        for match in _TAG.finditer(html):
            name = (match.group(1) or "").lower()
            closing = match.group(0).startswith("</")
            if self.open is None and not closing and name in _HIDDEN_ELEMENTS:
                self.open = name
            elif self.open == name and closing:
                self.open = None


def _inline_text(children: list[Token], hidden: _Hidden) -> str:
    pieces: list[str] = []
    for child in children:
        if child.type == "html_inline":
            hidden.feed(child.content)
        elif hidden.open is not None:
            continue
        elif child.type in ("text", "code_inline"):
            pieces.append(child.content)
        elif child.type == "softbreak":
            pieces.append(" ")
        elif child.type == "hardbreak":
            pieces.append("\n")
        elif child.type == "image":
            pieces.append(_inline_text(child.children or [], hidden))
    return "".join(pieces)


def _html_title(data: bytes) -> str | None:
    try:
        root = lxml.html.document_fromstring(data)
    except (ValueError, etree.LxmlError):
        return None
    return clean_line(root.findtext(".//title"))


def _bounded(parsed: ParsedFile, max_chars: int) -> ParsedFile:
    if not parsed.parts:
        raise Unreadable("The file has no text to index.")
    if parsed.chars > max_chars:
        raise TooLarge(
            f"The file holds {parsed.chars:,} characters of text; at most {max_chars:,} are "
            "accepted."
        )
    return parsed
