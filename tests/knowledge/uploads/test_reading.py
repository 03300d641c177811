"""An uploaded file's type is decided by its content and checked against its name; every
accepted type becomes plain text with its headings or pages; every limit holds (real files
made by the libraries that write them)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lumen.knowledge.uploads.documents import build_document, document_id
from lumen.knowledge.uploads.errors import TooLarge, Unreadable, UnsupportedType
from lumen.knowledge.uploads.reading import UploadLimits, read_upload
from lumen.knowledge.uploads.sniffing import sniff
from tests.knowledge.uploads import files

LIMITS = UploadLimits(
    max_files=10,
    max_bytes=20 * 1024 * 1024,
    max_pdf_pages=500,
    max_text_chars=2_000_000,
    max_unzipped_bytes=100 * 1024 * 1024,
    max_zip_members=2000,
)


def test_a_pdf_becomes_one_section_per_page_with_its_page_number() -> None:
    data = files.pdf(
        [["Cover page of the handbook."], [], ["Wash hands for twenty seconds."]],
        title="Hygiene handbook",
    )
    kind, parsed = read_upload("handbook.pdf", "application/pdf", data, LIMITS)
    document = build_document(
        doc_id="upload:regulatory:handbook.pdf",
        collection="regulatory",
        name="handbook.pdf",
        sha256="0" * 64,
        parsed=parsed,
    )
    assert kind == "pdf" and document.title == "Hygiene handbook"
    assert [(s.key, s.title, s.page) for s in document.sections] == [
        ("p1", "Page 1", 1),
        ("p3", "Page 3", 3),
    ], "the empty page 2 has no section"
    page3 = document.sections[1]
    assert document.text[page3.start : page3.end] == "Wash hands for twenty seconds."


def test_pdf_page_and_text_limits_are_enforced() -> None:
    three_pages = files.pdf([["one"], ["two"], ["three"]])
    with pytest.raises(TooLarge, match="3 pages"):
        read_upload("a.pdf", None, three_pages, replace(LIMITS, max_pdf_pages=2))
    with pytest.raises(TooLarge, match="characters"):
        read_upload("a.pdf", None, three_pages, replace(LIMITS, max_text_chars=6))


def test_encrypted_and_broken_pdfs_are_unreadable() -> None:
    with pytest.raises(Unreadable, match="encrypted"):
        read_upload("locked.pdf", "application/pdf", files.encrypted_pdf(), LIMITS)
    with pytest.raises(Unreadable):
        read_upload("cut.pdf", "application/pdf", files.broken_pdf(), LIMITS)


def test_a_word_document_keeps_its_headings_and_tables() -> None:
    data = files.word(
        [
            ("Normal", "Scope of this procedure."),
            ("Heading 1", "Storage"),
            ("Normal", "Keep vaccines between 2 and 8 degrees Celsius."),
            ("table", "Vaccine,Temperature;Influenza,2-8 C"),
            ("Heading 2", "Disposal"),
            ("Normal", "Return expired stock to the pharmacy."),
        ],
        title="Cold chain SOP",
    )
    kind, parsed = read_upload("cold-chain.docx", None, data, LIMITS)
    assert kind == "docx" and parsed.title == "Cold chain SOP"
    assert [(p.heading, p.text) for p in parsed.parts] == [
        (None, "Scope of this procedure."),
        (
            "Storage",
            "Keep vaccines between 2 and 8 degrees Celsius.\n"
            "Vaccine | Temperature\nInfluenza | 2-8 C",
        ),
        ("Disposal", "Return expired stock to the pharmacy."),
    ]


def test_a_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    bomb = files.zip_bomb_docx(unpacked_bytes=64 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024, "small packed"
    limits = replace(LIMITS, max_unzipped_bytes=32 * 1024 * 1024)
    with pytest.raises(TooLarge, match="unpacks to"):
        read_upload("bomb.docx", None, bomb, limits)
    with pytest.raises(TooLarge, match="parts"):
        read_upload("bomb.docx", None, bomb, replace(LIMITS, max_zip_members=10))


def test_an_html_page_gives_its_main_text_without_navigation_or_scripts() -> None:
    page = files.html_page(
        "Asthma action plan",
        "Your asthma action plan",
        [
            "An asthma action plan tells you which medicines to take every day and what to do "
            "when your symptoms get worse. Keep a copy at home and one at school or work.",
            "In the green zone you breathe easily and take your controller medicine as usual. "
            "In the yellow zone you cough or wheeze and add your quick-relief inhaler.",
            "In the red zone your quick-relief medicine does not help: call 911 or go to the "
            "emergency room right away, and bring this plan with you.",
        ],
        script="alert('owned')",
    )
    kind, parsed = read_upload("plan.html", "text/html", page, LIMITS)
    text = "\n".join(p.text for p in parsed.parts)
    assert kind == "html" and parsed.title == "Asthma action plan"
    assert "yellow zone" in text and "red zone" in text
    assert "Nav link" not in text and "Privacy policy" not in text
    assert "alert" not in text and "<" not in text and "color: red" not in text


def test_markdown_becomes_plain_text_and_its_raw_html_is_dropped() -> None:
    source = (
        b"# Inhaler technique\n\nShake the **inhaler** well.\n\n"
        b'<script>alert("x")</script>\n\n'
        b"## Steps\n\n1. Breathe out.\n2. Press and breathe in <b>slowly</b>.\n\n"
        b"| Step | Seconds |\n|---|---|\n| Hold | 10 |\n"
    )
    kind, parsed = read_upload("inhaler.md", None, source, LIMITS)
    assert kind == "markdown" and parsed.title == "Inhaler technique"
    assert [(p.heading, p.text) for p in parsed.parts] == [
        ("Inhaler technique", "Shake the inhaler well."),
        ("Steps", "1. Breathe out.\n2. Press and breathe in slowly.\n\nStep | Seconds\nHold | 10"),
    ]


def test_plain_text_is_decoded_whatever_its_encoding() -> None:
    french = (
        "Caféine et grossesse : évitez plus de 200 mg par jour. Le café, le thé et les "
        "boissons énergisantes en contiennent ; préférez l'eau et les tisanes sans théine."
    )
    _, parsed = read_upload("note.txt", "text/plain", french.encode("latin-1"), LIMITS)
    assert parsed.parts[0].text == french
    utf16 = "Paracetamol: no more than 4 g a day.".encode("utf-16")
    assert read_upload("note.txt", None, utf16, LIMITS)[1].parts[0].text.startswith("Paracetamol")


def test_plain_text_with_html_in_it_is_refused() -> None:
    with pytest.raises(Unreadable, match="<script>"):
        read_upload("note.txt", None, b"Dose: 5 mg.\n<script>alert(1)</script>\n", LIMITS)
    assert read_upload("bp.txt", None, b"Target: BP <140/90 and HbA1c <7%.", LIMITS)[0] == "text"


@pytest.mark.parametrize(
    ("name", "declared", "data", "says"),
    [
        ("report.pdf", "application/pdf", b"<!DOCTYPE html><html><body>Hi</body></html>", "HTML"),
        ("report.pdf", "application/pdf", files.executable(), "application/x-executable"),
        ("notes.txt", "text/plain", files.pdf([["A PDF in disguise."]]), "PDF"),
        ("notes.txt", "application/pdf", b"Just words in a text file.", "declared type"),
        ("sheet.xlsx", None, b"Just words.", ".xlsx"),
        ("archive.docx", None, b"PK\x03\x04" + b"\x00" * 100, "broken"),
    ],
)
def test_a_file_that_is_not_what_it_says_is_refused(
    name: str, declared: str | None, data: bytes, says: str
) -> None:
    with pytest.raises((UnsupportedType, Unreadable), match=says):
        read_upload(name, declared, data, LIMITS)


def test_content_decides_and_text_that_starts_with_letters_of_a_signature_is_text() -> None:
    assert sniff(b"BMI chart for adults") == "text", "'BM' opens a bitmap, but these are words"
    assert sniff(b"  \n<!doctype html><p>x</p>") == "html"
    assert sniff(b"<p>Paragraph</p>") == "html"
    assert (
        read_upload("readme.md", None, b'<p align="center">Logo</p>\n\n# Guide\n\nText.', LIMITS)[0]
        == "markdown"
    )


def test_a_file_name_is_only_an_id_and_the_same_name_is_the_same_document() -> None:
    assert document_id("regulatory", "SOP 12 (Final).PDF") == "upload:regulatory:sop-12-final.pdf"
    assert document_id("regulatory", "sop 12 (final).pdf") == document_id(
        "regulatory", "SOP 12 (Final).PDF"
    )
    assert document_id("regulatory", "../../etc/passwd") == "upload:regulatory:passwd"
    assert document_id("regulatory", "C:\\Users\\me\\guide.pdf") == "upload:regulatory:guide.pdf"
    assert document_id("consumer_health", "guide.pdf") != document_id("regulatory", "guide.pdf")
