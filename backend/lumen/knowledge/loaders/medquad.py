"""MedQuAD loader: NIH consumer-health question-answer pairs from the XML of
github.com/abachaa/MedQuAD (Ben Abacha & Demner-Fushman, BMC Bioinformatics 20:511, 2019).

One XML file is one web page: ``<Document id source url>`` with a ``<Focus>``, its
``<FocusAnnotations>`` (``<Synonyms>``, and a ``<Category>`` such as ``Drug``) and ``<QAPairs>`` of
``<QAPair><Question qid qtype/><Answer/></QAPair>``. Each answered pair becomes a section; pairs
whose answer was removed for copyright (A.D.A.M., MedlinePlus drugs and herbs) are skipped. A
drug or supplement page left with no answered pair still names its focus: it becomes an
``UnheldFocus``, so that Lumen can say by name that it has no source on that drug.

Two irregularities of the published tree are handled so that no answered pair is lost:
- five files use older tag names (``<doc docid corpus>`` with ``<doctitle-focus>``,
  ``<qaPairs><pair><question><answer>``; ``<DiseaseFile fid>``). Tags are matched without case
  and under either name.
- ten CancerGov files (``0000013_2_1.xml`` … ``0000013_3_4.xml``) repeat the ``id`` of their
  parent file (``0000013_2``) while describing other diseases. A document id must identify one
  document (re-ingestion replaces by id), so these take their file name (``0000013_2_1``), which
  always starts with the XML id.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lxml import etree

from lumen.knowledge.loaders.archive import LoaderRun, resolve_source, safe_xml_parser
from lumen.knowledge.schemas import (
    CONSUMER_HEALTH,
    LoadError,
    SourceDocument,
    SourceSection,
    UnheldFocus,
)

SOURCE = "medquad"
LICENCE = "CC BY 4.0"
ATTRIBUTION = "MedQuAD, Asma Ben Abacha and Dina Demner-Fushman, U.S. National Library of Medicine"
SECTION_SEPARATOR = "\n\n"

# Root tag → (id attribute, source attribute), for the three layouts the archive holds.
_ROOTS = {
    "document": ("id", "source"),
    "doc": ("docid", "corpus"),
    "diseasefile": ("fid", "source"),
}
_FOCUS_TAGS = ("focus", "doctitle-focus")
# ``<Category>`` of the focus annotations → the focus's kind (the A.D.A.M. and health-topic
# pages have no category: conditions, tests and procedures).
_KINDS = {"drug": "drug", "herb": "supplement", "supplement": "supplement"}
_PAIR_TAGS = ("qapair", "pair")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class _Pair:
    key: str
    qid: str | None
    question_type: str | None
    question: str
    answer: str


def open_medquad(source: str | Path, cache_dir: Path) -> LoaderRun:
    """Open MedQuAD from its GitHub archive URL (``Settings.medquad_url``, by default
    ``MEDQUAD_ARCHIVE_URL``), a local copy of that zip, or an unpacked folder.

    A URL is downloaded into ``cache_dir`` once and reused. The run's ``total`` is the number of
    XML files; it yields one ``SourceDocument`` per file with at least one answered pair
    (id ``medquad:<source>_<document id>``, one section per answered pair, keyed
    ``<source>_<document id>_Sec<n>`` with ``n`` the pair's 1-based position among all pairs of
    its document), and a ``LoadError`` (member name, line) per malformed file.

    Raises ``SourceUnavailable`` when the source cannot be found, opened or downloaded.
    """
    return LoaderRun(resolve_source(source, cache_dir), parse_medquad_xml)


def parse_medquad_xml(name: str, data: bytes) -> SourceDocument | UnheldFocus | LoadError | None:
    """Parse one MedQuAD XML file (``name`` is its path, for errors and the id of the CancerGov
    sub-files). A document without an answered pair is an ``UnheldFocus`` (``None`` if it names
    no focus either)."""
    try:
        root = etree.fromstring(data, safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        return LoadError(name=name, line=exc.lineno, message=str(exc.msg))
    tag = etree.QName(root).localname
    attributes = _ROOTS.get(tag.lower())
    if attributes is None:
        return LoadError(name, root.sourceline, f"not a MedQuAD document: <{tag}>")
    xml_id, source_name = root.get(attributes[0]), root.get(attributes[1])
    if not xml_id or not source_name:
        return LoadError(name, root.sourceline, f"<{tag}> lacks its id or source attribute")
    stem = PurePosixPath(name).stem
    doc_id = f"{source_name}_{stem if stem.startswith(xml_id + '_') else xml_id}"
    pairs = _answered_pairs(root, doc_id)
    title = _text(_child(root, *_FOCUS_TAGS))
    url = root.get("url")
    aliases, kind = _focus_annotations(root)
    if not pairs:
        # A.D.A.M.'s encyclopedia names conditions as dictionary entries ("Chronic",
        # "Doctors"); Lumen names only the drugs and supplements it lacks.
        if not title or kind == "condition":
            return None
        return UnheldFocus(f"{SOURCE}:{doc_id}", title, aliases, kind, url)
    return SourceDocument(
        id=f"{SOURCE}:{doc_id}",
        source=SOURCE,
        source_name=source_name,
        collection=CONSUMER_HEALTH,
        title=title,
        url=url,
        licence=LICENCE,
        attribution=ATTRIBUTION,
        version=_content_hash(title, url, pairs),
        text=SECTION_SEPARATOR.join(p.answer for p in pairs),
        sections=_sections(pairs),
        aliases=aliases,
        focus_kind=kind,
    )


def _focus_annotations(root: etree._Element) -> tuple[tuple[str, ...], str]:
    """The focus's synonyms (each ``<Synonym>`` is one name, commas included) and kind."""
    annotations = _child(root, "focusannotations")
    if annotations is None:
        return (), "condition"
    synonyms = _child(annotations, "synonyms")
    names = (
        tuple(dict.fromkeys(t for s in synonyms if (t := _text(s)) and isinstance(s.tag, str)))
        if synonyms is not None
        else ()
    )
    category = _text(_child(annotations, "category")).casefold()
    return names, _KINDS.get(category, "condition")


def normalise_answer(raw: str) -> str:
    """Strip each line's indentation and keep at most one blank line between paragraphs.

    The XML indents answers with the file's pretty-printing; line breaks inside an answer are
    the web page's paragraph and list breaks, so they stay.
    """
    lines = "\n".join(line.strip() for line in raw.split("\n"))
    return _BLANK_LINES.sub("\n\n", lines).strip()


def _answered_pairs(root: etree._Element, doc_id: str) -> list[_Pair]:
    pairs: list[_Pair] = []
    container = _child(root, "qapairs")
    if container is None:
        return pairs
    elements = [e for e in container if isinstance(e.tag, str) and e.tag.lower() in _PAIR_TAGS]
    for position, element in enumerate(elements, start=1):
        answer = normalise_answer(_text(_child(element, "answer")))
        if not answer:
            continue
        question = _child(element, "question")
        pairs.append(
            _Pair(
                key=f"{doc_id}_Sec{position}",
                qid=question.get("qid") if question is not None else None,
                question_type=question.get("qtype") if question is not None else None,
                question=_text(question),
                answer=answer,
            )
        )
    return pairs


def _sections(pairs: list[_Pair]) -> tuple[SourceSection, ...]:
    sections = []
    start = 0
    for pair in pairs:
        end = start + len(pair.answer)
        sections.append(
            SourceSection(
                key=pair.key,
                title=pair.question,
                start=start,
                end=end,
                qid=pair.qid,
                question_type=pair.question_type,
            )
        )
        start = end + len(SECTION_SEPARATOR)
    return tuple(sections)


def _content_hash(title: str, url: str | None, pairs: list[_Pair]) -> str:
    """SHA-256 (hex) of everything a reader sees: a changed answer changes the version."""
    content = [title, url, [[p.key, p.qid, p.question_type, p.question, p.answer] for p in pairs]]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def _child(element: etree._Element, *tags: str) -> etree._Element | None:
    """First child whose tag, ignoring case, is one of ``tags``."""
    for child in element:
        if isinstance(child.tag, str) and child.tag.lower() in tags:
            return child
    return None


def _text(element: etree._Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""
