"""The ingestion pipeline on real SPL labels: idempotence, versions, malformed files, crashes,
and the focus names it writes for question understanding."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import select, update

from lumen.knowledge.embeddings import Embedder
from lumen.knowledge.ingestion import INDEX_FORMAT
from lumen.knowledge.loaders.medquad import open_medquad
from lumen.knowledge.loaders.spl import open_spl
from lumen.knowledge.models import Document, FocusTerm
from lumen.knowledge.schemas import SourceDocument
from lumen.knowledge.sentence_vectors import PAYLOAD_FIELD, quotable_sentences, unpack
from lumen.migrate import upgrade_to_head
from lumen.runtime import Runtime, build_knowledge
from lumen.settings import Settings


@pytest.fixture
def runtime(tmp_path: Path, embedder) -> Runtime:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "var")
    upgrade_to_head(settings.sqlalchemy_url)
    built = build_knowledge(settings, embedder)
    yield built
    built.index.close()


@pytest.fixture
def two_labels(tmp_path: Path, shared_data: Path) -> Path:
    folder = tmp_path / "labels"
    folder.mkdir()
    for name in ("cough.xml", "viagra-64f8040f.xml"):
        shutil.copy(shared_data / "drug_labels" / "spl" / name, folder / name)
    return folder


def _documents(runtime: Runtime) -> list[Document]:
    with runtime.db.session() as session:
        return list(session.exec(select(Document)).all())


def test_reingesting_a_source_creates_no_duplicates(runtime: Runtime, two_labels: Path) -> None:
    first = runtime.ingestor.ingest(open_spl(two_labels))
    points = runtime.index.count()
    second = runtime.ingestor.ingest(open_spl(two_labels))
    assert first.documents_indexed == 2 and first.chunks_indexed == points
    assert second.documents_indexed == 0 and second.documents_unchanged == 2
    assert runtime.index.count() == points
    assert all(doc.status == "indexed" for doc in _documents(runtime))


def test_a_newer_version_replaces_the_older_one(runtime: Runtime, two_labels: Path) -> None:
    runtime.ingestor.ingest(open_spl(two_labels))
    original = next(d for d in open_spl(two_labels) if isinstance(d, SourceDocument))
    # A shorter next version: the first section only.
    first = original.sections[0]
    newer = replace(
        original,
        version=str(int(original.version) + 1),
        sections=(first,),
        text=original.text[: first.end],
    )
    runtime.ingestor.ingest([newer])
    row = next(d for d in _documents(runtime) if d.id == original.id)
    assert row.version == newer.version and row.status == "indexed"
    hits = runtime.index.query(None, runtime.bm25.encode_query(original.title), limit=100)
    own = [h for h in hits if h.payload["document_id"] == original.id]
    assert len(own) == row.chunk_count, "the old version's surplus chunks are gone"


def test_each_chunk_is_stored_with_the_vectors_of_its_quotable_sentences(
    runtime: Runtime, two_labels: Path, embedder: Embedder
) -> None:
    runtime.ingestor.ingest(open_spl(two_labels))
    hits = runtime.retriever.search("What are the side effects of Viagra?", k=5)
    assert any(unpack(hit.sentence_vectors) for hit in hits)
    for hit in hits:
        found = quotable_sentences(hit.passage)
        table = unpack(hit.sentence_vectors)
        assert list(table) == [(s.start, s.end) for s in found]
        if found:
            exact = embedder.encode_documents([s.text for s in found])
            stored = np.stack(list(table.values()))
            assert np.min(np.sum(stored * exact, axis=1)) > 0.9999
        assert PAYLOAD_FIELD not in hit.model_dump() and PAYLOAD_FIELD not in hit.model_dump_json()


def test_documents_indexed_before_sentence_vectors_are_ingested_again_once(
    runtime: Runtime, two_labels: Path
) -> None:
    runtime.ingestor.ingest(open_spl(two_labels))
    with runtime.db.session() as session:
        # What migration e9b4d7f2a6c1 leaves on rows written before it.
        session.exec(update(Document).values(index_format=1))
        session.commit()

    again = runtime.ingestor.ingest(open_spl(two_labels))
    then = runtime.ingestor.ingest(open_spl(two_labels))

    assert again.documents_indexed == 2 and again.documents_unchanged == 0
    assert then.documents_indexed == 0 and then.documents_unchanged == 2
    assert {doc.index_format for doc in _documents(runtime)} == {INDEX_FORMAT}


def test_a_malformed_file_is_reported_and_the_rest_still_load(
    runtime: Runtime, two_labels: Path
) -> None:
    (two_labels / "broken.xml").write_text("<document><title>oops</title>\n<section>\n")
    report = runtime.ingestor.ingest(open_spl(two_labels))
    assert report.documents_indexed == 2
    assert [f.name.endswith("broken.xml") for f in report.failed] == [True]
    assert report.failed[0].line is not None and not report.ok


def _fail_upserts(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every index write fail, as a full disk would."""

    def fail(_points: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(runtime.index, "upsert", fail)


def test_a_crash_mid_batch_leaves_no_document_reported_as_done(
    runtime: Runtime, two_labels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_upserts(runtime, monkeypatch)
    with pytest.raises(OSError):
        runtime.ingestor.ingest(open_spl(two_labels))
    assert all(doc.status == "indexing" for doc in _documents(runtime))
    monkeypatch.undo()
    report = runtime.ingestor.ingest(open_spl(two_labels))
    assert report.documents_indexed == 2
    assert all(doc.status == "indexed" for doc in _documents(runtime))


def _terms(runtime: Runtime) -> dict[str, str | None]:
    with runtime.db.session() as session:
        return {row.term: row.document_id for row in session.exec(select(FocusTerm)).all()}


def test_a_label_s_names_become_focus_terms_once_it_is_indexed(
    runtime: Runtime, two_labels: Path
) -> None:
    runtime.ingestor.ingest(open_spl(two_labels))
    terms = _terms(runtime)
    viagra = next(d for d in _documents(runtime) if "VIAGRA" in d.title.upper())

    # brand, generic with its salt, and the generic as people say it
    assert terms["viagra"] == terms["sildenafil citrate"] == terms["sildenafil"] == viagra.id
    runtime.ingestor.ingest(open_spl(two_labels))  # unchanged: the names are replaced, not added
    assert _terms(runtime) == terms
    assert runtime.retriever.analyzer is not None
    runtime.retriever.analyzer.refresh()
    assert runtime.retriever.analyzer.analyze("Is Viagra safe?").foci[0].document_ids == [viagra.id]


def test_a_crashed_document_leaves_no_focus_terms(
    runtime: Runtime, two_labels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_upserts(runtime, monkeypatch)
    with pytest.raises(OSError):
        runtime.ingestor.ingest(open_spl(two_labels))
    assert _terms(runtime) == {}


def test_drug_pages_without_answers_name_their_drug_without_a_document(
    runtime: Runtime, tmp_path: Path
) -> None:
    page = tmp_path / "drug.xml"
    page.write_text(
        '<Document id="0000001" source="MPlusDrugs" '
        'url="https://www.nlm.nih.gov/medlineplus/druginfo/meds/a692051.html">'
        "<Focus>Lisinopril</Focus><FocusAnnotations><Category>Drug</Category>"
        "</FocusAnnotations><QAPairs><QAPair pid='1'><Question qid='1-1' qtype='usage'>"
        "How should Lisinopril be used ?</Question><Answer></Answer></QAPair></QAPairs>"
        "</Document>"
    )

    report = runtime.ingestor.ingest(open_medquad(page, tmp_path))

    assert report.documents_indexed == 0 and runtime.index.count() == 0
    with runtime.db.session() as session:
        [row] = session.exec(select(FocusTerm)).all()
    assert (row.term, row.kind, row.document_id) == ("lisinopril", "drug", None)
    assert row.url is not None and row.url.endswith("a692051.html")
