"""The DailyMed loader on a release zip built from the five real labels: labels read one inner
zip at a time, a broken inner zip reported by name, windows for fan-out, a folder of release
parts, oversized inner zips streamed, and re-ingesting that stores nothing twice."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest
from sqlmodel import select

from lumen.knowledge.loaders import archive
from lumen.knowledge.loaders.archive import SourceUnavailable
from lumen.knowledge.loaders.dailymed import open_dailymed
from lumen.knowledge.loaders.spl import open_spl
from lumen.knowledge.models import Document, DocumentSection
from lumen.knowledge.schemas import LoadError, SourceDocument, UnheldFocus
from lumen.migrate import upgrade_to_head
from lumen.runtime import Runtime, build_knowledge
from lumen.settings import Settings
from tests.knowledge.fda_archives import (
    BROKEN_INNER_ZIP,
    RELEASE_DATE,
    dailymed_release,
    label_files,
    label_zip,
    set_id_of,
)

BOXED_WARNING, CONTRAINDICATIONS = "34066-1", "34070-3"
HUMIRA = "spl:608d4f0d-b19f-46d3-749a-7159aa5f933d"
LIPITOR = "spl:c6e131fe-e7df-4876-83f7-9156fc4e8228"


@pytest.fixture
def release(spl_dir: Path, tmp_path: Path) -> Path:
    return dailymed_release(spl_dir, tmp_path / f"dm_spl_monthly_update_{RELEASE_DATE}.zip")


@pytest.fixture(scope="module")
def spl_labels(spl_dir: Path) -> dict[str, SourceDocument]:
    return {d.id: d for d in open_spl(spl_dir) if isinstance(d, SourceDocument)}


def _split(items: list[object]) -> tuple[list[SourceDocument], list[LoadError]]:
    docs = [i for i in items if isinstance(i, SourceDocument)]
    return docs, [i for i in items if isinstance(i, LoadError)]


def _names(items: Iterable[SourceDocument | LoadError | UnheldFocus]) -> list[str]:
    """Each item as a name: a document's id, an error's member."""
    return [i.id if isinstance(i, SourceDocument) else getattr(i, "name", "?") for i in items]


def test_a_release_yields_every_label_as_the_spl_loader_parses_it(
    release: Path, spl_labels: dict[str, SourceDocument]
) -> None:
    run = open_dailymed(release)
    docs, errors = _split(list(run))
    assert run.total == run.processed == 6, "five inner zips of labels and the broken one"
    assert {d.id: d for d in docs} == spl_labels, "same ids, versions, titles and sections"
    humira = next(d for d in docs if d.id == HUMIRA)
    assert humira.sections[0].code == BOXED_WARNING
    assert "Lymphoma" in humira.text[humira.sections[0].start : humira.sections[0].end]
    assert [e.name for e in errors] == [BROKEN_INNER_ZIP]
    assert "inner zip" in errors[0].message


def test_windows_split_a_release_by_inner_zip_without_reading_the_others(
    release: Path,
) -> None:
    whole = _names(open_dailymed(release))
    run = open_dailymed(release)
    parts = [run.window(0, 2), run.window(2, 5), run.window(5, 6)]
    pieces = [_names(part) for part in parts]
    assert [len(p) for p in pieces] == [2, 3, 1]
    assert [name for piece in pieces for name in piece] == whole
    assert [part.total for part in parts] == [6, 6, 6]


def test_a_folder_of_release_parts_reads_each_part(spl_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "full-release"
    folder.mkdir()
    files = label_files(spl_dir)
    for number, chunk in enumerate((files[:2], files[2:]), start=1):
        with zipfile.ZipFile(folder / f"dm_spl_release_human_rx_part{number}.zip", "w") as part:
            for xml in chunk:
                part.writestr(f"prescription/{set_id_of(xml)}.zip", label_zip(xml, 512))
    run = open_dailymed(folder)
    docs, errors = _split(list(run))
    assert (run.total, len(docs), errors) == (5, 5, [])
    assert docs[0].id == f"spl:{set_id_of(files[0])}"


def test_an_inner_zip_larger_than_a_member_may_be_is_streamed_not_lost(
    spl_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    xml = spl_dir / "cough.xml"
    inner = label_zip(xml, image_bytes=xml.stat().st_size * 2)
    release = tmp_path / "release.zip"
    with zipfile.ZipFile(release, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr(f"otc/{set_id_of(xml)}.zip", inner)
    # The limit between the label (read) and its zip, which the image makes larger.
    monkeypatch.setattr(archive, "MAX_MEMBER_BYTES", xml.stat().st_size + 1)
    assert len(inner) > archive.MAX_MEMBER_BYTES
    docs, errors = _split(list(open_dailymed(release)))
    assert ([d.id for d in docs], errors) == ([f"spl:{set_id_of(xml)}"], [])


def test_a_source_that_is_not_a_release_is_refused(spl_dir: Path) -> None:
    with pytest.raises(SourceUnavailable, match="not a DailyMed release"):
        open_dailymed(spl_dir / "cough.xml")
    with pytest.raises(SourceUnavailable, match="no such file"):
        open_dailymed(spl_dir / "missing.zip")


@pytest.fixture
def runtime(tmp_path: Path, embedder) -> Runtime:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "var")
    upgrade_to_head(settings.sqlalchemy_url)
    built = build_knowledge(settings, embedder)
    yield built
    built.index.close()


def test_reingesting_a_release_stores_no_label_twice(runtime: Runtime, release: Path) -> None:
    first = runtime.ingestor.ingest(open_dailymed(release))
    points = runtime.index.count()
    second = runtime.ingestor.ingest(open_dailymed(release))
    assert (first.documents_indexed, first.chunks_indexed) == (5, points)
    assert [f.name for f in first.failed] == [BROKEN_INNER_ZIP]
    assert (second.documents_indexed, second.documents_unchanged) == (0, 5)
    assert runtime.index.count() == points
    with runtime.db.session() as session:
        documents = session.exec(select(Document)).all()
        codes = {(s.document_id, s.code) for s in session.exec(select(DocumentSection)).all()}
    assert len(documents) == 5 and {d.status for d in documents} == {"indexed"}
    assert (HUMIRA, BOXED_WARNING) in codes and (LIPITOR, CONTRAINDICATIONS) in codes
