"""Section-aware chunking: exact offsets, sections never crossed, nothing lost."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from lumen.knowledge.chunking import chunk_document
from lumen.knowledge.loaders.spl import open_spl
from lumen.knowledge.schemas import Chunk, SourceDocument, SourceSection

LONG_ANSWER = " ".join(
    f"Sentence number {i} explains one more fact about the condition and its treatment."
    for i in range(1, 41)
)


def _document(*bodies: str, titles: tuple[str, ...] = ()) -> SourceDocument:
    sections, start = [], 0
    for n, body in enumerate(bodies, start=1):
        title = titles[n - 1] if titles else f"Question {n} ?"
        sections.append(SourceSection(f"doc_Sec{n}", title, start, start + len(body), qid=f"q-{n}"))
        start += len(body) + 2
    return SourceDocument(
        id="medquad:GARD_0000001",
        source="medquad",
        source_name="GARD",
        collection="consumer_health",
        title="Example syndrome",
        url="https://example.org/example",
        licence="CC BY 4.0",
        attribution="MedQuAD",
        version="1",
        text="\n\n".join(bodies),
        sections=tuple(sections),
    )


def _section_of(doc: SourceDocument, chunk: Chunk) -> SourceSection:
    return next(s for s in doc.sections if s.key == chunk.section_key)


def _assert_well_formed(doc: SourceDocument, chunks: list[Chunk], max_chars: int) -> None:
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        section = _section_of(doc, chunk)
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert section.start <= chunk.start < chunk.end <= section.end
        assert chunk.text == chunk.text.strip()
        assert len(chunk.text) <= max_chars
    for section in doc.sections:
        covered: set[int] = set()
        for chunk in chunks:
            if chunk.section_key == section.key:
                covered.update(range(chunk.start, chunk.end))
        missing = [
            i
            for i in range(section.start, section.end)
            if i not in covered and not doc.text[i].isspace()
        ]
        assert missing == []


def test_a_short_section_is_one_chunk_with_its_whole_body() -> None:
    doc = _document("A short answer. It has two sentences.", "Another short one.")
    chunks = chunk_document(doc)
    assert [c.text for c in chunks] == [
        "A short answer. It has two sentences.",
        "Another short one.",
    ]
    assert [c.section_key for c in chunks] == ["doc_Sec1", "doc_Sec2"]


def test_a_long_section_is_cut_on_sentence_boundaries_within_the_limit() -> None:
    doc = _document("Short first answer.", LONG_ANSWER, "Short last answer.")
    chunks = chunk_document(doc, max_chars=300)
    _assert_well_formed(doc, chunks, 300)
    middle = [c for c in chunks if c.section_key == "doc_Sec2"]
    assert len(middle) > 5
    assert all(
        c.text.startswith("Sentence number") and c.text.endswith("treatment.") for c in middle
    )


def test_consecutive_chunks_share_one_sentence_of_overlap() -> None:
    doc = _document(LONG_ANSWER)
    chunks = chunk_document(doc, max_chars=300, overlap_sentences=1)
    for before, after in zip(chunks, chunks[1:], strict=False):
        last_sentence = before.text.rsplit("Sentence number", 1)[1]
        assert after.text.startswith("Sentence number" + last_sentence)
    no_overlap = chunk_document(doc, max_chars=300, overlap_sentences=0)
    assert all(a.end < b.start for a, b in zip(no_overlap, no_overlap[1:], strict=False))
    assert len(no_overlap) < len(chunks)


def test_abbreviations_and_initials_do_not_end_a_sentence() -> None:
    doc = _document(
        "Take it with food, e.g. Breakfast or lunch. Ask Dr. Smith at the U.S. Clinic first."
    )
    chunks = chunk_document(doc, max_chars=50, overlap_sentences=0)
    assert [c.text for c in chunks] == [
        "Take it with food, e.g. Breakfast or lunch.",
        "Ask Dr. Smith at the U.S. Clinic first.",
    ]


def test_lines_and_run_together_list_items_are_boundaries() -> None:
    body = (
        "Key Points\n- The first point is here.    - The second point is here.\n"
        "A new paragraph follows."
    )
    chunks = chunk_document(_document(body), max_chars=40, overlap_sentences=0)
    assert [c.text for c in chunks] == [
        "Key Points\n- The first point is here.",
        "- The second point is here.",
        "A new paragraph follows.",
    ]


def test_a_sentence_longer_than_the_limit_is_cut_between_words() -> None:
    run_on = " ".join(["word"] * 100)  # 499 characters, no full stop
    doc = _document(run_on)
    chunks = chunk_document(doc, max_chars=120, overlap_sentences=1)
    _assert_well_formed(doc, chunks, 120)
    assert all(set(c.text.split()) == {"word"} for c in chunks)


def test_embed_text_puts_document_and_section_titles_before_the_passage() -> None:
    doc = _document("Answer text.", titles=("What is (are) Example syndrome ?",))
    [chunk] = chunk_document(doc)
    assert chunk.embed_text == "Example syndrome — What is (are) Example syndrome ?\nAnswer text."


def test_a_medquad_question_is_indexed_by_its_type_not_its_templated_wording() -> None:
    doc = _document("Fever and cough.", titles=("What are the symptoms of Example syndrome ?",))
    section = replace(doc.sections[0], question_type="symptoms")
    [chunk] = chunk_document(replace(doc, sections=(section,)))
    assert chunk.embed_text == "Example syndrome — symptoms\nFever and cough."
    assert chunk.section_title == "What are the symptoms of Example syndrome ?"


def test_payload_carries_citation_metadata_without_empty_fields() -> None:
    doc = _document("First answer.", "Second answer.")
    chunk = chunk_document(doc)[1]
    assert chunk.payload == {
        "document_id": "medquad:GARD_0000001",
        "section_key": "doc_Sec2",
        "section": "Question 2 ?",
        "title": "Example syndrome",
        "source": "medquad",
        "source_name": "GARD",
        "collection": "consumer_health",
        "url": "https://example.org/example",
        "text": "Second answer.",
        "start": 15,
        "end": 29,
        "chunk_index": 1,
        "qid": "q-2",
        "licence": "CC BY 4.0",
        "attribution": "MedQuAD",
    }


def test_chunking_is_deterministic() -> None:
    doc = _document(LONG_ANSWER, "Short.")
    assert chunk_document(doc, max_chars=250) == chunk_document(doc, max_chars=250)


def test_invalid_limits_are_rejected() -> None:
    with pytest.raises(ValueError):
        chunk_document(_document("x"), max_chars=0)
    with pytest.raises(ValueError):
        chunk_document(_document("x"), overlap_sentences=-1)


def test_real_labels_chunk_within_sections_and_lose_nothing(spl_dir: Path) -> None:
    for doc in open_spl(spl_dir):
        assert isinstance(doc, SourceDocument)
        chunks = chunk_document(doc)
        _assert_well_formed(doc, chunks, 900)
        assert {c.section_key for c in chunks} == {s.key for s in doc.sections}
        assert all(c.payload["set_id"] == doc.set_id and "code" in c.payload for c in chunks)
