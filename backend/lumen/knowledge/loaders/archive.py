"""Where loaders read XML from: a URL (downloaded once into a cache), a zip (also a zip of zips,
as DailyMed distributes), a folder, or a single file; and the ``LoaderRun`` they return, one
kind of ``SourceRun`` (the pass over a source that every loader returns).

Nothing here parses XML beyond offering the one safe parser configuration: no network access,
no DTD loading and no entity expansion (XXE and "billion laughs" defence, OWASP XML External
Entity Prevention Cheat Sheet).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import httpx
from lxml import etree

from lumen.knowledge.schemas import LoadError, SourceDocument, UnheldFocus

# Larger XML members are reported, not read: the largest real SPL label is a few MB, and reading
# a crafted member of gigabytes would exhaust memory. A larger inner zip is streamed instead
# (``_open_inner_zip``): its size is its images', not its label's.
MAX_MEMBER_BYTES = 64 * 1024 * 1024
DOWNLOAD_TIMEOUT = httpx.Timeout(30.0, read=120.0)

Parsed = SourceDocument | LoadError | UnheldFocus | None
ParseMember = Callable[[str, bytes], Parsed]


class SourceUnavailable(Exception):
    """The source as a whole cannot be read: missing path, unreadable zip, failed download."""


class SourceUnreachable(SourceUnavailable):
    """A download met a network fault (connection refused or reset, a timeout): unlike a
    missing file or an HTTP error status, trying again later may succeed."""


@dataclass(frozen=True, slots=True)
class _Member:
    """One XML file to parse: ``name`` is reported in errors; ``read`` returns its bytes."""

    name: str
    read: Callable[[], bytes]


def safe_xml_parser() -> etree.XMLParser:
    """A new lxml parser that never touches the network, loads no DTD and expands no entity.

    One per parse call: lxml parsers must not be shared between threads.
    """
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class SourceRun(ABC):
    """What every loader returns: one pass over a source, in items a job can split.

    ``total`` is the number of items (files, records) known before parsing; ``processed``
    counts the items read so far in this pass; ``window(start, stop)`` is the pass over items
    ``[start, stop)`` only; iterating yields ``SourceDocument``, ``LoadError`` or
    ``UnheldFocus`` items and starts a new pass each time.
    """

    total: int
    processed: int

    @abstractmethod
    def window(self, start: int, stop: int) -> SourceRun:
        """The pass over items ``[start, stop)`` (0-based); ``ValueError`` if empty."""

    @abstractmethod
    def __iter__(self) -> Iterator[SourceDocument | LoadError | UnheldFocus]:
        """Parse the items of this pass, in ``total``'s order."""


class LoaderRun(SourceRun):
    """One pass of a loader over a source: ``total`` is known before parsing, iterating yields
    ``SourceDocument`` or ``LoadError`` per file, or ``UnheldFocus`` for a file that names a focus
    without text to index (files with nothing of either yield nothing).

    ``total`` counts XML files, and an inner zip of a zip of zips as one: DailyMed puts one label
    in each, and opening them all just to count would read the archive twice (so ``total`` is
    exact for DailyMed's archives, an estimate for others). ``processed`` counts the files read
    so far, skipped ones included, for a progress bar that reaches ``total``. Iterating again
    starts a new pass.

    ``window(start, stop)`` is the pass over items ``[start, stop)`` of that count only (a batch
    of a job fanned out over workers): items outside it are skipped without being read.
    """

    def __init__(
        self,
        path: Path,
        parse: ParseMember,
        start: int = 0,
        stop: int | None = None,
        total: int | None = None,
    ) -> None:
        self.path = path
        self.total = _count_members(path) if total is None else total
        self.processed = 0
        self._parse = parse
        self._start, self._stop = start, stop

    def window(self, start: int, stop: int) -> LoaderRun:
        """The pass over items ``[start, stop)`` (0-based, in ``total``'s order); ``total``
        stays the whole source's. Raises ``ValueError`` for an empty or negative window."""
        if not 0 <= start < stop:
            raise ValueError(f"not a window of items: [{start}, {stop})")
        return LoaderRun(self.path, self._parse, start, stop, total=self.total)

    def __iter__(self) -> Iterator[SourceDocument | LoadError | UnheldFocus]:
        self.processed = 0
        for member in _iter_members(self.path, _Window(self._start, self._stop)):
            try:
                data = member.read()
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
                self.processed += 1
                yield LoadError(name=member.name, line=None, message=f"unreadable: {exc}")
                continue
            parsed = self._parse(member.name, data)
            self.processed += 1
            if parsed is not None:
                yield parsed


class _Window:
    """Which counted items of a source a pass reads: positions ``[start, stop)``."""

    def __init__(self, start: int, stop: int | None) -> None:
        self.start, self.stop, self.position = start, stop, 0

    def take(self) -> bool:
        """Move past the next counted item; True when it lies inside the window."""
        inside = self.position >= self.start and (self.stop is None or self.position < self.stop)
        self.position += 1
        return inside

    @property
    def passed(self) -> bool:
        """True once every item of the window has gone by."""
        return self.stop is not None and self.position >= self.stop


def resolve_source(source: str | Path, cache_dir: Path | None) -> Path:
    """The local path of ``source``: an ``http(s)://`` URL is downloaded into ``cache_dir`` once
    (streamed to a temporary file, then renamed, so a crash never leaves a truncated archive that
    a later run would trust) and reused on later calls; anything else must exist locally.

    Raises ``SourceUnavailable`` when the path is missing, the download fails, or a URL comes
    without a ``cache_dir``; ``SourceUnreachable`` (one of them) when the download met a
    network fault.
    """
    text = str(source)
    if urlsplit(text).scheme in ("http", "https"):
        if cache_dir is None:
            raise SourceUnavailable(f"no download folder given for {text}")
        return _download(text, cache_dir)
    path = Path(source).expanduser()
    if not path.exists():
        raise SourceUnavailable(f"no such file or folder: {path}")
    return path


def _download(url: str, cache_dir: Path) -> Path:
    # The URL's hash keeps two archives that share a base name ("master.zip") apart.
    base = PurePosixPath(urlsplit(url).path).name or "download"
    target = cache_dir / f"{hashlib.sha256(url.encode()).hexdigest()[:16]}-{base}"
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    try:
        with (
            httpx.stream("GET", url, follow_redirects=True, timeout=DOWNLOAD_TIMEOUT) as response,
            partial.open("wb") as out,
        ):
            response.raise_for_status()
            for block in response.iter_bytes(1 << 20):
                out.write(block)
        os.replace(partial, target)
    except httpx.TransportError as exc:
        partial.unlink(missing_ok=True)
        raise SourceUnreachable(f"could not download {url}: {exc}") from exc
    except (httpx.HTTPError, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise SourceUnavailable(f"could not download {url}: {exc}") from exc
    return target


def _is_xml(name: str) -> bool:
    return name.lower().endswith(".xml") and not is_noise(name)


def _is_zip(name: str) -> bool:
    return name.lower().endswith(".zip") and not is_noise(name)


def is_noise(name: str) -> bool:
    """True for a path no loader should read: hidden files, and the "__MACOSX/._x.xml"
    resource forks macOS archivers add (they are not the files they are named after)."""
    parts = PurePosixPath(name).parts
    return "__MACOSX" in parts or any(part.startswith(".") for part in parts)


def _folder_files(folder: Path) -> list[Path]:
    files = (
        p
        for p in folder.rglob("*")
        if p.is_file()
        and (_is_xml(p.relative_to(folder).as_posix()) or _is_zip(p.relative_to(folder).as_posix()))
    )
    # Sorted as a zip's member names are, so a folder and its zip yield the same order.
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceUnavailable(f"not a readable zip archive: {path}: {exc}") from exc


def _count_members(path: Path) -> int:
    if path.is_dir():
        return sum(_count_members(p) for p in _folder_files(path))
    if not _is_zip(path.name):
        return 1
    with _open_zip(path) as archive:
        return sum(
            1 for info in archive.infolist() if _is_xml(info.filename) or _is_zip(info.filename)
        )


def _iter_members(path: Path, window: _Window) -> Iterator[_Member]:
    if path.is_dir():
        for file in _folder_files(path):
            if window.passed:
                return
            name = file.relative_to(path).as_posix()
            if _is_zip(file.name):
                yield from _zip_members(file, f"{name}!/", window)
            elif window.take():
                yield _Member(name, _file_reader(file))
    elif _is_zip(path.name):
        yield from _zip_members(path, "", window)
    elif window.take():
        yield _Member(path.name, _file_reader(path))


def _file_reader(path: Path) -> Callable[[], bytes]:
    def read() -> bytes:
        if path.stat().st_size > MAX_MEMBER_BYTES:
            raise ValueError(f"larger than {MAX_MEMBER_BYTES} bytes")
        return path.read_bytes()

    return read


def _zip_members(path: Path, prefix: str, window: _Window) -> Iterator[_Member]:
    with _open_zip(path) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if window.passed:
                return
            name = prefix + info.filename
            if _is_xml(info.filename):
                if window.take():
                    yield _Member(name, _zip_reader(archive, info))
            elif _is_zip(info.filename) and window.take():
                yield from _inner_zip_members(archive, info, name)


def _inner_zip_members(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str
) -> Iterator[_Member]:
    """XML members of a zip inside a zip (one level, as DailyMed nests them)."""
    with contextlib.ExitStack() as stack:
        try:
            inner = stack.enter_context(_open_inner_zip(archive, info, stack))
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
            yield _Member(name, _raiser(f"inner zip: {exc}"))
            return
        for inner_info in sorted(inner.infolist(), key=lambda i: i.filename):
            if _is_xml(inner_info.filename):
                yield _Member(f"{name}!/{inner_info.filename}", _zip_reader(inner, inner_info))


def _open_inner_zip(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, stack: contextlib.ExitStack
) -> zipfile.ZipFile:
    """An inner zip, read into memory when it is at most ``MAX_MEMBER_BYTES``; a larger one
    (a label's images make it so, not its XML) is read through the outer archive's stream,
    closed with ``stack``: seeking in it decompresses again from its start, but memory stays
    bounded and the label is not lost."""
    if info.file_size <= MAX_MEMBER_BYTES:
        return zipfile.ZipFile(io.BytesIO(archive.read(info)))
    return zipfile.ZipFile(stack.enter_context(archive.open(info)))


def _zip_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], bytes]:
    def read() -> bytes:
        if info.file_size > MAX_MEMBER_BYTES:
            raise ValueError(f"larger than {MAX_MEMBER_BYTES} bytes")
        return archive.read(info)

    return read


def _raiser(message: str) -> Callable[[], bytes]:
    def read() -> bytes:
        raise ValueError(message)

    return read
