"""Label search at full-label-set scale, on SQLite and PostgreSQL: ranking tiers, keyset paging
that gives every match once, a blank query listing every label, and the label view showing the
latest version's sections."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import anyio
import pytest

from lumen.db import Database
from lumen.knowledge.models import Document
from lumen.knowledge.schemas import SourceDocument, SourceSection
from lumen.knowledge.service import KnowledgeService
from lumen.migrate import upgrade_to_head
from lumen.problems import InvalidInput
from lumen.settings import Settings

KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=KINDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings of a fresh database migrated to head: a SQLite file, or a PostgreSQL database
    of its own."""
    if request.param == "sqlite":
        built = Settings(data_dir=tmp_path / "var")
    else:
        built = Settings(
            data_dir=tmp_path / "var", database_url=request.getfixturevalue("postgres_url")
        )
    upgrade_to_head(built.sqlalchemy_url)
    return built


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    yield database
    anyio.run(database.dispose)


def _label(
    n: int,
    brand: str | None,
    generic: str | None,
    *,
    source: str = "spl",
    status: str = "indexed",
) -> Document:
    set_id = f"00000000-0000-0000-0000-{n:012d}"
    return Document(
        id=f"{source}:{set_id}",
        source=source,
        source_name="FDA SPL (DailyMed)",
        collection="drug_labels",
        title=f"{(brand or generic or '').upper()} tablet",
        licence="public domain",
        attribution="U.S. FDA",
        version="1",
        set_id=set_id,
        brand_name=brand,
        generic_name=generic,
        text="Indications and usage.",
        status=status,
    )


def _store(db: Database, labels: list[Document]) -> None:
    """Write ``labels`` through the ORM, as ingestion does (which sets the search keys)."""
    with db.session() as session:
        session.add_all(labels)
        session.commit()


def _run(db: Database, call):  # type: ignore[no-untyped-def]
    """``await call()`` in a fresh event loop; the async engine's connections are closed after
    it, since the next call runs in another loop."""

    async def run():  # type: ignore[no-untyped-def]
        try:
            return await call()
        finally:
            await db.async_engine.dispose()

    return anyio.run(run)


def _search(db: Database, query: str, limit: int = 50, cursor: str | None = None):  # type: ignore[no-untyped-def]
    service = KnowledgeService(db, None, None)  # type: ignore[arg-type]  # search reads the db only
    return _run(db, lambda: service.search_labels(query, limit=limit, cursor=cursor))


def _all_pages(db: Database, query: str, limit: int) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = _search(db, query, limit, cursor)
        assert len(page.labels) <= limit
        ids += [label.id for label in page.labels]
        if not page.has_more:
            assert page.next_cursor is None
            return ids
        assert page.next_cursor and len(page.labels) == limit
        cursor = page.next_cursor


def test_brand_prefix_matches_come_before_generic_prefix_and_substring_matches(
    db: Database,
) -> None:
    _store(
        db,
        [
            _label(1, "Mediator", "benfluorex"),  # "ator" inside a brand name
            _label(2, "Caduet", "amlodipine besylate and atorvastatin calcium"),  # inside generic
            _label(3, "Lipitor", "atorvastatin calcium"),  # generic prefix
            _label(4, "Atorvaliq", "atorvastatin calcium"),  # brand prefix
            _label(5, None, "Atorvastatin  Calcium"),  # generic prefix, no brand; after id 3
            _label(6, "Zocor", "simvastatin"),  # no match
        ],
    )
    brands = [label.brand_name for label in _search(db, "ATOR").labels]
    assert brands == ["Atorvaliq", "Lipitor", None, "Caduet", "Mediator"]


def test_short_queries_match_name_prefixes_only(db: Database) -> None:
    _store(db, [_label(1, "Lipitor", "atorvastatin calcium"), _label(2, "Alipza", "pitavastatin")])
    assert [label.brand_name for label in _search(db, "li").labels] == ["Lipitor"]
    assert [label.brand_name for label in _search(db, "lip").labels] == ["Lipitor", "Alipza"]


def test_paging_returns_every_match_once_in_ranking_order(db: Database) -> None:
    labels = [_label(n, f"Statinex {n % 7}", f"rosuvastatin {n}") for n in range(15)]
    labels += [_label(100 + n, f"Brand {n}", f"statin blend {n % 3}") for n in range(12)]
    labels += [_label(200 + n, f"Crestor {n % 2}", "rosuvastatin calcium") for n in range(11)]
    labels += [_label(300 + n, f"Other {n}", "metformin") for n in range(5)]
    _store(db, labels)
    everything = [label.id for label in _search(db, "statin", limit=100).labels]
    assert len(everything) == 15 + 12 + 11
    for limit in (1, 4, 15, 27):
        paged = _all_pages(db, "statin", limit)
        assert paged == everything, f"pages of {limit}"
        assert len(set(paged)) == len(paged)


def test_substring_pages_are_the_same_from_the_trigram_index_and_from_the_name_walk(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite reads few substring matches through FTS5 and many by walking the brand index
    (``TRIGRAM_CANDIDATES_MAX``); PostgreSQL's planner makes the same choice itself."""
    _store(
        db,
        [_label(n, f"Brand {n:02d}", f"{'rosu' if n % 3 else 'ator'}vastatin") for n in range(30)],
    )
    by_index = _all_pages(db, "vastat", 7)
    monkeypatch.setattr("lumen.knowledge.repository.TRIGRAM_CANDIDATES_MAX", 2)
    assert _all_pages(db, "vastat", 7) == by_index
    assert len(by_index) == 30


def test_a_renamed_or_deleted_label_is_found_by_its_new_name_only(db: Database) -> None:
    renamed, deleted = _label(1, "Oldname", "oldgeneric"), _label(2, "Keepsake", "keepgeneric")
    _store(db, [renamed, deleted])
    with db.session() as session:
        row = session.get(Document, renamed.id)
        assert row is not None
        row.brand_name, row.generic_name = "Newbrand", "newgeneric"
        session.add(row)
        session.delete(session.get(Document, deleted.id))
        session.commit()
    assert _search(db, "ldnam").labels == [] and _search(db, "dgeneri").labels == []
    assert [d.brand_name for d in _search(db, "ewbran").labels] == ["Newbrand"]
    assert [d.brand_name for d in _search(db, "wgeneri").labels] == ["Newbrand"]
    assert _search(db, "eepsak").labels == []


def test_a_blank_query_pages_through_every_indexed_label(db: Database) -> None:
    labels = [_label(n, f"Brand {n:02d}", f"generic {n % 4}") for n in range(23)]
    hidden = [
        _label(90, "Still indexing", "x", status="indexing"),
        _label(91, "A consumer page", None, source="medquad"),
    ]
    _store(db, labels + hidden)
    paged = _all_pages(db, "  ", limit=4)
    assert paged == sorted(label.id for label in labels)  # brand keys sort as the ids do here


def test_a_cursor_no_page_gave_is_invalid_input(db: Database) -> None:
    with pytest.raises(InvalidInput):
        _search(db, "statin", cursor="not-a-cursor")


def test_the_label_view_returns_the_latest_versions_sections(settings: Settings, embedder) -> None:  # type: ignore[no-untyped-def]
    from lumen.runtime import build_knowledge

    text = "BOXED WARNING: take care. INDICATIONS: cholesterol. DOSAGE: 10 mg daily."
    sections = (
        SourceSection(key="s1", title="Boxed warning", start=0, end=25, code="34066-1"),
        SourceSection(key="s2", title="Indications", start=26, end=50, code="34067-9"),
        SourceSection(key="s3", title="Dosage", start=51, end=len(text), code="34068-7"),
    )
    first = SourceDocument(
        id="spl:11111111-2222-3333-4444-555555555555",
        source="spl",
        source_name="FDA SPL (DailyMed)",
        collection="drug_labels",
        title="EXAMPLOR (examplostatin) tablet",
        url=None,
        licence="public domain",
        attribution="U.S. FDA",
        version="1",
        text=text,
        sections=sections,
        set_id="11111111-2222-3333-4444-555555555555",
        brand_name="Examplor",
        generic_name="examplostatin",
        focus_kind="drug",
    )
    newer_text = "INDICATIONS: cholesterol in adults. DOSAGE: 20 mg daily."
    newer = replace(
        first,
        version="2",
        text=newer_text,
        sections=(
            SourceSection(key="s2", title="Indications", start=0, end=35, code="34067-9"),
            SourceSection(key="s3", title="Dosage", start=36, end=len(newer_text), code="34068-7"),
        ),
    )
    runtime = build_knowledge(settings, embedder)
    try:
        runtime.ingestor.ingest([first])
        runtime.ingestor.ingest([newer])
        service = KnowledgeService(runtime.db, runtime.retriever, runtime.index)
        document, shown = _run(
            runtime.db, lambda: service.label("11111111-2222-3333-4444-555555555555")
        )
        assert document.version == "2"
        assert [s.title for s in shown] == ["Indications", "Dosage"]
        assert [document.text[s.start : s.end] for s in shown] == [
            "INDICATIONS: cholesterol in adults.",
            "DOSAGE: 20 mg daily.",
        ]
        found = _run(runtime.db, lambda: service.search_labels("examplo"))
        assert [(d.id, d.version) for d in found.labels] == [(first.id, "2")]
    finally:
        runtime.index.close()
        anyio.run(runtime.db.dispose)
