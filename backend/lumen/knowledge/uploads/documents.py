"""From a parsed upload to the ``SourceDocument`` the ingestor indexes, and the names and ids
of uploads.

A document's id is ``upload:<collection>:<key>``, the key being the file's name normalised
(NFKC, case-folded, runs of anything but letters, digits, ``.``, ``_`` and ``-`` made one
``-``): the same name uploaded again into the same collection is a new version of the same
document, which the ingestor writes over the old one without a gap. The name is only ever an
id and a label; nothing is stored under a path made from it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from lumen.knowledge.schemas import UPLOAD, SourceDocument, SourceSection
from lumen.knowledge.uploads.parsed import ParsedFile, clean_line

MAX_NAME_CHARS = 255
MAX_KEY_CHARS = 120
ATTRIBUTION = "Uploaded to Lumen by an administrator"
_NOT_KEY = re.compile(r"[^\w.-]+")
_DASH_BY_DOT = re.compile(r"-*\.-*")


def display_name(name: str | None) -> str:
    """The last component of a sent file name (browsers send the name alone; other clients may
    send a path), without control characters, at most ``MAX_NAME_CHARS``; ``untitled`` when
    nothing is left."""
    base = re.split(r"[\\/]", name or "")[-1]
    return clean_line(base, MAX_NAME_CHARS) or "untitled"


def document_id(collection: str, name: str) -> str:
    """The id of the document a file named ``name`` becomes in ``collection`` (see the module
    docstring); a long key keeps its start and a hash of the whole."""
    folded = unicodedata.normalize("NFKC", display_name(name)).casefold()
    key = _DASH_BY_DOT.sub(".", _NOT_KEY.sub("-", folded)).strip("-.") or "untitled"
    if len(key) > MAX_KEY_CHARS:
        digest = hashlib.sha256(folded.encode("utf-8")).hexdigest()[:16]
        key = f"{key[: MAX_KEY_CHARS - 17]}-{digest}"
    return f"{UPLOAD}:{collection}:{key}"


def build_document(
    *, doc_id: str, collection: str, name: str, sha256: str, parsed: ParsedFile
) -> SourceDocument:
    """The ``SourceDocument`` of a parsed upload: its text is the parts in order, each heading
    on its own line before its part; a section per part (``p<page>`` titled ``Page <n>`` for a
    PDF page, else ``s<n>`` titled by its heading or the document's title); the version is
    the file's SHA-256, so the same bytes uploaded again change nothing."""
    file_name = display_name(name)
    title = parsed.title or clean_line(file_name.rpartition(".")[0] or file_name) or file_name
    text = ""
    sections: list[SourceSection] = []
    for number, part in enumerate(parsed.parts, start=1):
        if text:
            text += "\n\n"
        if part.heading:
            text += part.heading + "\n\n"
        start = len(text)
        text += part.text
        if part.page is not None:
            key, section_title = f"p{part.page}", f"Page {part.page}"
        else:
            key, section_title = f"s{number}", part.heading or title
        sections.append(
            SourceSection(key=key, title=section_title, start=start, end=len(text), page=part.page)
        )
    return SourceDocument(
        id=doc_id,
        source=UPLOAD,
        source_name=file_name[:200],
        collection=collection,
        title=title[:500],
        url=None,
        licence="",
        attribution=ATTRIBUTION,
        version=sha256,
        text=text,
        sections=tuple(sections),
    )
