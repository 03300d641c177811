"""Real files of every accepted type, and real refused ones, made at test time with the
libraries that write them (reportlab, pypdf, python-docx, zipfile); no fixture files."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import docx
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A PDF with one page per item of ``pages``, each line of it drawn as text."""
    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer, pagesize=A4)
    if title:
        drawing.setTitle(title)
    for lines in pages:
        text = drawing.beginText(72, 770)
        text.setFont("Helvetica", 11)
        for line in lines:
            text.textLine(line)
        drawing.drawText(text)
        drawing.showPage()
    drawing.save()
    return buffer.getvalue()


def encrypted_pdf(password: str = "s3cret-Pa55") -> bytes:
    """A one-page PDF protected by a user password (AES-256)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf([["Confidential dosing table."]]))))
    writer.encrypt(user_password=password, algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def broken_pdf() -> bytes:
    """A PDF header over bytes that are no PDF structure at all (no objects, no trailer): a
    damaged file, not a truncated one that a lenient reader can recover."""
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"\x8f\x00 damaged \x17\xff" * 400 + b"\n%%EOF\n"


def word(blocks: list[tuple[str, str]], title: str | None = None) -> bytes:
    """A DOCX of ``(style, text)`` paragraphs (``Heading 1``, ``Normal``…), plus a table when a
    block's style is ``table`` (its text: rows split by ``;``, cells by ``,``)."""
    document = docx.Document()
    if title:
        document.core_properties.title = title
    for style, text in blocks:
        if style == "table":
            rows = [row.split(",") for row in text.split(";")]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        else:
            document.add_paragraph(text, style=style)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bomb_docx(unpacked_bytes: int) -> bytes:
    """A real DOCX with one more member: ``unpacked_bytes`` of zeros, deflated to about a
    thousandth of that (what a ZIP bomb is)."""
    buffer = io.BytesIO(word([("Normal", "An innocent looking document.")]))
    with (
        zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/media/padding.bin", "w", force_zip64=True) as member,
    ):
        block = bytes(1024 * 1024)
        for _ in range(unpacked_bytes // len(block)):
            member.write(block)
    return buffer.getvalue()


def executable() -> bytes:
    """The first 64 KiB of this Python interpreter's executable (a real ELF binary)."""
    return Path(sys.executable).resolve().read_bytes()[:65536]


NAV_NOISE = [f"Nav link number {n}" for n in range(1, 25)]


def html_page(title: str, heading: str, paragraphs: list[str], script: str) -> bytes:
    """An HTML page with a navigation menu, a footer, a script and a style around an article."""
    nav = "".join(f'<li><a href="/p{n}">{text}</a></li>' for n, text in enumerate(NAV_NOISE))
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html><html><head>"
        f"<title>{title}</title><style>body {{ color: red }}</style>"
        f"<script>{script}</script></head><body>"
        f"<header><nav><ul>{nav}</ul></nav></header>"
        f"<main><article><h1>{heading}</h1>{body}</article></main>"
        '<footer><a href="/privacy">Privacy policy</a> <a href="/terms">Terms of use</a>'
        "</footer>"
        f'<script>{script}</script><img src="x" onerror="{script}"></body></html>'
    ).encode()
