"""Readable plain text from an SPL section's narrative block (HL7 v3 ``StrucDoc.Text``:
paragraphs, lists, tables and inline markup; SPL Implementation Guide, "Text").

Blocks are separated by a blank line; a list puts each item on its own line after "- " (or its
number, or the marker the label gives as the item's caption); a table puts each row on a line,
its cells separated by " | ". Whitespace inside a block is collapsed: the XML's line breaks are
pretty-printing, only ``<br/>`` breaks a line.
"""

from __future__ import annotations

from lxml import etree

BLOCK_SEPARATOR = "\n\n"
CELL_SEPARATOR = " | "
_BREAK = object()  # a <br/> among inline pieces
_SKIPPED = {"renderMultiMedia", "footnoteRef"}  # images and footnote marks carry no text

InlinePiece = str | object


def narrative_text(text: etree._Element) -> str:
    """The plain text of a ``<text>`` element; empty when it holds no words."""
    return BLOCK_SEPARATOR.join(_blocks(text))


def normalise_inline(element: etree._Element | None) -> str:
    """All the text of ``element`` on one line, whitespace collapsed ("" for None)."""
    if element is None:
        return ""
    return " ".join(_join_inline(_inline(element, [])).split())


def _local(element: etree._Element) -> str | None:
    return etree.QName(element).localname if isinstance(element.tag, str) else None


def _blocks(element: etree._Element, skip_caption: bool = False) -> list[str]:
    """Block texts of ``element``, in document order; inline runs between blocks form blocks."""
    blocks: list[str] = []
    pending: list[InlinePiece] = [element.text or ""]

    def flush() -> None:
        text = _join_inline(pending)
        if text:
            blocks.append(text)
        pending.clear()

    for child in element:
        name = _local(child)
        if name == "paragraph":
            flush()
            blocks.extend(_blocks(child))
        elif name in ("list", "table"):
            flush()
            rendered = _list(child) if name == "list" else _table(child)
            if rendered:
                blocks.append(rendered)
        elif not (skip_caption and name == "caption"):
            _inline_element(child, pending)
        pending.append(child.tail or "")
    flush()
    return blocks


def _inline(element: etree._Element, pieces: list[InlinePiece]) -> list[InlinePiece]:
    """Append the text of ``element`` and its descendants to ``pieces`` (``_BREAK`` for br)."""
    pieces.append(element.text or "")
    for child in element:
        _inline_element(child, pieces)
        pieces.append(child.tail or "")
    return pieces


def _inline_element(element: etree._Element, pieces: list[InlinePiece]) -> None:
    name = _local(element)
    if name == "br":
        pieces.append(_BREAK)
    elif name == "footnote":
        # Printed at the foot of the table or page; inline, in parentheses, it stays readable.
        pieces.append(" (")
        _inline(element, pieces)
        pieces.append(") ")
    elif name is not None and name not in _SKIPPED:
        _inline(element, pieces)


def _join_inline(pieces: list[InlinePiece]) -> str:
    lines: list[list[str]] = [[]]
    for piece in pieces:
        if piece is _BREAK:
            lines.append([])
        elif isinstance(piece, str):
            lines[-1].append(piece)
    texts = (" ".join("".join(line).split()) for line in lines)
    return "\n".join(text for text in texts if text)


def _list(element: etree._Element) -> str:
    lines: list[str] = []
    caption = element.find("{*}caption")
    if caption is not None and normalise_inline(caption):
        lines.append(normalise_inline(caption))
    ordered = element.get("listType") == "ordered"
    for number, item in enumerate(element.iterfind("{*}item"), start=1):
        item_caption = item.find("{*}caption")
        marker = normalise_inline(item_caption) if item_caption is not None else ""
        marker = marker or (f"{number}." if ordered else "-")
        item_lines = "\n".join(_blocks(item, skip_caption=True)).split("\n")
        if item_lines == [""]:
            continue
        lines.append(f"{marker} {item_lines[0]}")
        lines.extend(f"  {line}" for line in item_lines[1:] if line)
    return "\n".join(lines)


def _table(element: etree._Element) -> str:
    lines: list[str] = []
    caption = element.find("{*}caption")
    if caption is not None and normalise_inline(caption):
        lines.append(normalise_inline(caption))
    # HTML 4 lets tfoot precede tbody in the source; readers expect it last.
    for group in ("thead", "tbody", "tfoot"):
        for row in element.iterfind(f"{{*}}{group}/{{*}}tr"):
            cells = [
                " ".join(" ".join(_blocks(cell)).split())
                for cell in row
                if _local(cell) in ("td", "th")
            ]
            if any(cells):
                lines.append(CELL_SEPARATOR.join(cells))
    return "\n".join(lines)
