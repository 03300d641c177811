"""openFDA's drug label download (``drug/label``): parts named ``drug-label-0001-of-00NN.json.zip``,
each a zip holding one JSON document ``{"meta": {...}, "results": [label, ...]}`` written by
openFDA's exporter (FDA/openfda, ``openfda/index_util.py``, ``dump_index``: 20,000 labels a part,
``meta.results`` = ``{skip, limit, total}`` with ``total`` the whole endpoint's count).

A label record carries its SPL ``set_id``, ``id`` (the version's document id), ``version`` and
``effective_time``, the harmonised names under ``openfda`` (``brand_name``, ``generic_name``:
lists), and one field per LOINC section code, each a list of the texts of the sections with that
code, a section's text including its subsections' and starting with its heading; ``<field>_table``
lists the HTML of the tables inside (FDA/openfda ``openfda/spl/spl_to_json.js``; field list:
``schemas/druglabel_schema.json``).

Records are streamed (ijson over the zip member's stream, one label in memory at a time), never
a whole part. A label becomes the same document as the SPL loader makes of its XML: id
``spl:<set id>``, version ``version``, set id and effective date, so loading one label from
DailyMed and from openFDA keeps one document (the first one loaded, until a newer version comes).
"""

from __future__ import annotations

import contextlib
import functools
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import ijson

from lumen.knowledge.loaders.archive import SourceRun, SourceUnavailable, is_noise, resolve_source
from lumen.knowledge.loaders.openfda_fields import SECTION_FIELDS
from lumen.knowledge.loaders.spl import (
    DEFAULT_TITLE,
    SECTION_SEPARATOR,
    label_document,
    label_title,
    section_name,
)
from lumen.knowledge.schemas import LoadError, SourceDocument, SourceSection

SOURCE_NAME = "FDA drug label (openFDA)"
ATTRIBUTION = "U.S. Food and Drug Administration, openFDA"
RECORDS = "results.item"  # ijson's prefix of the records in a part
TABLE_SUFFIX = "_table"
# Longest identifier the documents table holds (set_id and version columns).
MAX_IDENTIFIER_CHARS = 64
# A text inside another of the same label is taken out of it only from this length on: shorter
# ones ("Rx only", a bare heading) may recur by chance, a nested subsection hardly does.
MIN_NESTED_CHARS = 200

# Machine data printed as text (product and indexing elements): the SPL loader finds no
# narrative in those sections, and neither is a passage to cite.
_DATA_ELEMENT_FIELDS = frozenset({"spl_product_data_elements", "spl_indexing_data_elements"})
# Read errors of a part: bad zip or deflate data, broken or truncated JSON.
_UNREADABLE = (ijson.JSONError, zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError)


def open_openfda(source: str | Path, cache_dir: Path | None = None) -> OpenFdaRun:
    """Open openFDA drug label parts: one ``.json.zip`` part, a bare ``.json`` one, or a folder
    of them, local or at an ``http(s)`` URL downloaded once into ``cache_dir``.

    ``total`` counts label records (each part's from its ``meta.results``, else by streaming
    it once); iterating yields a ``SourceDocument`` per label (id ``spl:<set id>``, as the SPL
    loader's) and a ``LoadError`` named ``<part> record <n>`` for a record without set id,
    version or text, or named by its part when the part stops being readable JSON.

    Raises ``SourceUnavailable`` when the path is missing, a zip is unreadable, or a URL cannot
    be downloaded (or comes without ``cache_dir``).
    """
    return OpenFdaRun(resolve_source(source, cache_dir))


class OpenFdaRun(SourceRun):
    """One pass over the label records of openFDA parts (``SourceRun``: ``total`` records,
    ``window(start, stop)`` reads only the parts that hold records ``[start, stop)``)."""

    def __init__(
        self,
        path: Path,
        start: int = 0,
        stop: int | None = None,
        parts: tuple[tuple[_Part, int], ...] | None = None,
    ) -> None:
        self.path = path
        self._parts = parts if parts is not None else tuple((p, _count(p)) for p in _parts(path))
        self.total = sum(count for _, count in self._parts)
        self.processed = 0
        self._start, self._stop = start, stop

    def window(self, start: int, stop: int) -> OpenFdaRun:
        """The pass over records ``[start, stop)`` (0-based, in ``total``'s order). Raises
        ``ValueError`` for an empty or negative window."""
        if not 0 <= start < stop:
            raise ValueError(f"not a window of items: [{start}, {stop})")
        return OpenFdaRun(self.path, start, stop, self._parts)

    def __iter__(self) -> Iterator[SourceDocument | LoadError]:
        self.processed = 0
        offset = 0
        for part, count in self._parts:
            if self._stop is not None and offset >= self._stop:
                return
            first = max(self._start - offset, 0)
            last = count if self._stop is None else min(self._stop - offset, count)
            if first < last:
                yield from self._records(part, first, last, count)
            offset += count

    def _records(
        self, part: _Part, first: int, last: int, count: int
    ) -> Iterator[SourceDocument | LoadError]:
        """Records ``[first, last)`` of ``part`` (which counts ``count``); the ones before
        ``first`` are parsed past, not mapped. A read error is reported by the window that
        holds the record where it happened (by the last one past the part's end)."""
        read = 0  # records of the part parsed so far
        try:
            with part.open() as stream:
                for record in ijson.items(stream, RECORDS):
                    if read >= last:
                        if last == count:
                            yield LoadError(
                                part.name,
                                None,
                                f"holds more records than the {count} its meta.results "
                                "counts: the ones after were not read",
                            )
                        return
                    if read >= first:
                        self.processed += 1
                        yield parse_openfda_record(f"{part.name} record {read + 1}", record)
                    read += 1
        except _UNREADABLE as exc:
            if first <= read < last or read >= last == count:
                self.processed += 1
                yield LoadError(part.name, None, f"unreadable after record {read}: {exc}")


def parse_openfda_record(name: str, record: Any) -> SourceDocument | LoadError:
    """Map one openFDA label record (a JSON object) to the document the SPL loader makes of
    the same label; ``name`` is reported in errors. A label without set id, version or any
    section with text is a ``LoadError``."""
    if not isinstance(record, dict):
        return LoadError(name, None, "not a label record (a JSON object)")
    set_id = _identifier(record.get("set_id"))
    version = _identifier(record.get("version"))
    if not set_id or not version:
        label = str(record.get("id"))[:MAX_IDENTIFIER_CHARS]
        return LoadError(name, None, f"label {label} lacks its set_id or version")
    bodies, sections = _sections(record)
    if not sections:
        return LoadError(name, None, f"label {set_id} has no section with text")
    names = record.get("openfda")
    names = names if isinstance(names, dict) else {}
    brand, generic = _first(names, "brand_name"), _first(names, "generic_name")
    return label_document(
        set_id,
        version,
        label_title(brand, generic, _first(names, "dosage_form")) or DEFAULT_TITLE,
        bodies,
        sections,
        _identifier(record.get("effective_time")),
        brand,
        generic,
        source_name=SOURCE_NAME,
        attribution=ATTRIBUTION,
    )


def without_nested(texts: list[str]) -> list[str]:
    """``texts`` with every text of at least ``MIN_NESTED_CHARS`` taken out of the longer ones
    that contain it, and a repeated text left empty after its first time (whitespace then
    collapsed): openFDA gives a section's text with its subsections' and a subsection with a
    code of its own in its own field too, which would index one passage twice."""
    nested = sorted({t for t in texts if len(t) >= MIN_NESTED_CHARS}, key=len, reverse=True)
    seen: set[str] = set()
    kept: list[str] = []
    for text in texts:
        if text in seen:
            kept.append("")
            continue
        seen.add(text)
        remaining = text
        for inner in nested:
            if len(inner) < len(text) and inner in remaining:
                remaining = remaining.replace(inner, " ", 1)
        kept.append(" ".join(remaining.split()))
    return kept


def _sections(record: dict[str, Any]) -> tuple[list[str], tuple[SourceSection, ...]]:
    """The section texts of a record, in its field order, with their ``SourceSection``: code
    from ``SECTION_FIELDS`` (None for a field it does not know), title the code's standard
    name (else the field's words), key the field (``<field>-<n>`` from its second text on)."""
    fields: list[str] = []
    texts: list[str] = []
    for field, value in record.items():
        if field in _DATA_ELEMENT_FIELDS or field.endswith(TABLE_SUFFIX):
            continue  # tables: their text is in the section's text already
        if not isinstance(value, list):
            continue  # set_id, id, version, effective_time, openfda
        for item in value:
            if isinstance(item, str) and item.strip():
                fields.append(field)
                texts.append(" ".join(item.split()))
    bodies: list[str] = []
    sections: list[SourceSection] = []
    used: dict[str, int] = {}
    offset = 0
    for field, body in zip(fields, without_nested(texts), strict=True):
        if not body:
            continue
        used[field] = used.get(field, 0) + 1
        key = field if used[field] == 1 else f"{field}-{used[field]}"
        code = SECTION_FIELDS.get(field)
        title = section_name(code) or field.replace("_", " ").capitalize()
        sections.append(SourceSection(key, title, offset, offset + len(body), code=code))
        bodies.append(body)
        offset += len(body) + len(SECTION_SEPARATOR)
    return bodies, tuple(sections)


def _identifier(value: Any) -> str | None:
    """A set id, version or date as text: a string without spaces, or a whole number, of at
    most ``MAX_IDENTIFIER_CHARS``; None otherwise."""
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value = str(int(value))
    elif isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > MAX_IDENTIFIER_CHARS or any(c.isspace() for c in text):
        return None
    return text


def _first(names: dict[str, Any], key: str) -> str | None:
    """The first non-empty name of an ``openfda`` list field (names of the label's main
    product come first), whitespace collapsed."""
    value = names.get(key)
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str) and item.strip():
            return " ".join(item.split())
    return None


@dataclass(frozen=True, slots=True)
class _Part:
    """One JSON document of label records: the file at ``path``, or its zip member ``member``;
    ``name`` is how errors name it."""

    name: str
    path: Path
    member: str | None = None

    @contextlib.contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The part's bytes as a stream (a zip member decompressed as it is read)."""
        if self.member is None:
            with self.path.open("rb") as stream:
                yield stream
            return
        with zipfile.ZipFile(self.path) as archive, archive.open(self.member) as stream:
            yield stream


def _parts(path: Path) -> list[_Part]:
    """The parts under ``path``, in name order (a folder's by relative path, a zip's by member
    name). Raises ``SourceUnavailable`` for an unreadable zip."""
    if path.is_dir():
        files = sorted(
            (p for p in path.rglob("*") if p.is_file() and _is_part(p.relative_to(path))),
            key=lambda p: p.relative_to(path).as_posix(),
        )
        return [part for file in files for part in _file_parts(file, path)]
    return _file_parts(path, path.parent)


def _is_part(relative: Path) -> bool:
    name = relative.as_posix()
    return name.lower().endswith((".json", ".zip")) and not is_noise(name)


def _file_parts(file: Path, base: Path) -> list[_Part]:
    name = file.relative_to(base).as_posix()
    if not file.name.lower().endswith(".zip"):
        return [_Part(name, file)]
    try:
        with zipfile.ZipFile(file) as archive:
            members = sorted(
                info.filename
                for info in archive.infolist()
                if info.filename.lower().endswith(".json") and not is_noise(info.filename)
            )
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceUnavailable(f"not a readable zip archive: {file}: {exc}") from exc
    return [_Part(f"{name}!/{member}", file, member) for member in members]


def _count(part: _Part) -> int:
    """The records ``part`` holds, remembered per file version (path, size, modification time):
    every batch of a job opens the source again, and a part without a declared count is
    otherwise read whole each time."""
    stat = part.path.stat()
    return _count_version(part, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _count_version(part: _Part, _size: int, _mtime_ns: int) -> int:
    try:
        with part.open() as stream:
            declared = _declared_count(stream)
    except _UNREADABLE:
        declared = None
    if declared is not None:
        return declared
    counted = 0
    try:
        with part.open() as stream:
            for _ in ijson.items(stream, RECORDS):
                counted += 1
    except _UNREADABLE:
        return counted + 1  # the unreadable rest is one item: the error it is reported as
    return counted


def _declared_count(stream: IO[bytes]) -> int | None:
    """The records a part holds as its ``meta.results`` says (``min(limit, total - skip)``:
    each part of a download states its offset and size in the whole endpoint), read from the
    start of the stream only; None when ``meta`` does not come before the records or lacks
    them."""
    values: dict[str, int] = {}
    for prefix, event, value in ijson.parse(stream):
        if prefix == "" and event != "start_map" and (event, value) != ("map_key", "meta"):
            break  # past the object's opening and its meta: the records, or not a part
        if event == "number" and prefix in (
            "meta.results.skip",
            "meta.results.limit",
            "meta.results.total",
        ):
            values[prefix.rsplit(".", 1)[1]] = int(value)
    if "limit" not in values or "total" not in values:
        return None
    return max(0, min(values["limit"], values["total"] - values.get("skip", 0)))
