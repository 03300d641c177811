"""Section-aware chunking: passages of at most ``max_chars`` that never cross a section, cut on
line and sentence boundaries, with exact character offsets into the document text.

Why 900 characters: all-MiniLM-L6-v2 truncates its input at 256 word pieces (Reimers &
Gurevych, Sentence-BERT, 2019; the model card's ``max_seq_length``), about 1,000 characters of
English clinical prose; 900 leaves room for the heading that ``embed_text`` puts in front.
One sentence of overlap keeps a statement and its qualifier retrievable together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lumen.knowledge.schemas import Chunk, SourceDocument, SourceSection

DEFAULT_MAX_CHARS = 900
EMBED_TITLE_SEPARATOR = " — "

# A sentence ends at . ! or ? (closing quotes/brackets may follow) before whitespace and a
# capital, digit, opening quote/bracket or list marker; MedQuAD also runs list items together
# on one line ("...cells.    - Leukemia may..."), hence the second alternative.
_BOUNDARY = re.compile(r"(?P<end>[.!?][\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9•-])|\s{2,}(?=[-•]\s)")
# Words after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    {"al", "approx", "ca", "cf", "co", "dr", "e.g", "etc", "fig", "figs", "i.e", "jr", "mr"}
    | {"mrs", "ms", "no", "nos", "prof", "sr", "st", "vol", "vs"}
)
_INITIALS = re.compile(r"(?:[A-Za-z]\.)*[A-Za-z]")  # "J", "U.S", "e.g"


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int


def chunk_document(
    doc: SourceDocument, max_chars: int = DEFAULT_MAX_CHARS, overlap_sentences: int = 1
) -> list[Chunk]:
    """Cut ``doc`` into chunks, section by section, in document order.

    Each chunk's ``text`` is exactly ``doc.text[start:end]``, starts and ends on a non-space
    character, and lies inside one section; ``index`` numbers the chunks of the document from
    0. A section of at most ``max_chars`` characters is one chunk; a longer one is packed
    greedily from its lines and sentences, consecutive chunks sharing ``overlap_sentences``
    sentences; a single sentence longer than ``max_chars`` is cut at the last space before the
    limit. Every non-space character of every section is in at least one chunk.

    Raises ``ValueError`` when ``max_chars`` < 1 or ``overlap_sentences`` < 0.
    """
    if max_chars < 1 or overlap_sentences < 0:
        raise ValueError("max_chars must be positive and overlap_sentences not negative")
    chunks: list[Chunk] = []
    for section in doc.sections:
        units = _units(doc.text, section.start, section.end, max_chars)
        for span in _pack(units, max_chars, overlap_sentences):
            chunks.append(_chunk(doc, section, span, len(chunks)))
    return chunks


def _chunk(doc: SourceDocument, section: SourceSection, span: _Span, index: int) -> Chunk:
    text = doc.text[span.start : span.end]
    payload: dict[str, object | None] = {
        "document_id": doc.id,
        "section_key": section.key,
        "section": section.title,
        "title": doc.title,
        "source": doc.source,
        "source_name": doc.source_name,
        "collection": doc.collection,
        "url": doc.url,
        "text": text,
        "start": span.start,
        "end": span.end,
        "chunk_index": index,
        "qid": section.qid,
        "question_type": section.question_type,
        "set_id": doc.set_id,
        "brand_name": doc.brand_name,
        "generic_name": doc.generic_name,
        "code": section.code,
        "page": section.page,
        "licence": doc.licence,
        "attribution": doc.attribution,
    }
    return Chunk(
        document_id=doc.id,
        index=index,
        section_key=section.key,
        section_title=section.title,
        text=text,
        start=span.start,
        end=span.end,
        embed_text=f"{doc.title}{EMBED_TITLE_SEPARATOR}{_heading(section)}\n{text}",
        payload={key: value for key, value in payload.items() if value is not None},
    )


def _units(text: str, start: int, end: int, max_chars: int) -> list[_Span]:
    """Sentences (within lines) of ``text[start:end]``, stripped, none longer than
    ``max_chars``."""
    body = _strip(text, start, end)
    if body is None:
        return []
    if body.end - body.start <= max_chars:
        return [body]
    units: list[_Span] = []
    line_start = body.start
    while line_start < body.end:
        line_end = text.find("\n", line_start, body.end)
        line_end = body.end if line_end == -1 else line_end
        for sentence in _sentences(text, line_start, line_end):
            units.extend(_hard_split(text, sentence, max_chars))
        line_start = line_end + 1
    return units


def _sentences(text: str, start: int, end: int) -> list[_Span]:
    spans: list[_Span] = []
    sentence_start = start
    for match in _BOUNDARY.finditer(text, start, end):
        if match.group("end") and _ends_with_abbreviation(text, sentence_start, match.start()):
            continue
        cut = match.end("end") if match.group("end") else match.start()
        spans.append(_Span(sentence_start, cut))
        sentence_start = match.end()
    spans.append(_Span(sentence_start, end))
    return [s for span in spans if (s := _strip(text, span.start, span.end)) is not None]


def _ends_with_abbreviation(text: str, start: int, stop: int) -> bool:
    """True when the period at ``stop`` follows an abbreviation or an initial ("Dr.", "U.S.")."""
    words = text[start:stop].rsplit(maxsplit=1)
    if text[stop] != "." or not words:
        return False
    word = words[-1].lstrip("([\"'“")
    return word.lower() in _ABBREVIATIONS or bool(_INITIALS.fullmatch(word))


def _hard_split(text: str, span: _Span, max_chars: int) -> list[_Span]:
    """Cut a span longer than ``max_chars`` at the last whitespace before each limit."""
    pieces: list[_Span] = []
    start = span.start
    while span.end - start > max_chars:
        limit = start + max_chars
        cut = max(text.rfind(" ", start + 1, limit + 1), text.rfind("\n", start + 1, limit + 1))
        cut = limit if cut <= start else cut
        if (piece := _strip(text, start, cut)) is not None:
            pieces.append(piece)
        start = cut
        while start < span.end and text[start].isspace():
            start += 1
    if (rest := _strip(text, start, span.end)) is not None:
        pieces.append(rest)
    return pieces


def _pack(units: list[_Span], max_chars: int, overlap: int) -> list[_Span]:
    """Greedily join consecutive units into spans of at most ``max_chars``; each span after
    the first starts with up to ``overlap`` units of the one before, when they fit."""
    spans: list[_Span] = []
    first = 0
    while first < len(units):
        last = first
        while last + 1 < len(units) and units[last + 1].end - units[first].start <= max_chars:
            last += 1
        spans.append(_Span(units[first].start, units[last].end))
        if last == len(units) - 1:
            break
        following = max(last + 1 - overlap, first + 1)
        # Drop overlap that would leave no room for the next new unit.
        while following <= last and units[last + 1].end - units[following].start > max_chars:
            following += 1
        first = following
    return spans


def _strip(text: str, start: int, end: int) -> _Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return _Span(start, end) if end > start else None


def _heading(section: SourceSection) -> str:
    """What the embedders see of a section's heading.

    A MedQuAD section's title is its templated question ("What are the symptoms of X ?");
    indexing it would make the dev questions, drawn from the same templates, trivially easy
    and teach nothing about real patients' wording. Its question type ("symptoms") carries
    the same topical signal without the template. SPL section titles are real headings.
    """
    return section.question_type or section.title
