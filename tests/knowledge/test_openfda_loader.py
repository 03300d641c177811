"""The openFDA loader on drug label parts built from the five real labels: the same documents as
the SPL loader gives (ids, versions, set ids, dates, LOINC-coded sections), bad records and
broken parts reported while the rest loads, record counts and windows for fan-out, and one
document per label whichever source loaded it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from lumen.knowledge.loaders.openfda import (
    MIN_NESTED_CHARS,
    open_openfda,
    parse_openfda_record,
    without_nested,
)
from lumen.knowledge.loaders.openfda_fields import SECTION_FIELDS
from lumen.knowledge.loaders.spl import open_spl
from lumen.knowledge.models import Document
from lumen.knowledge.schemas import LoadError, SourceDocument
from lumen.migrate import upgrade_to_head
from lumen.runtime import Runtime, build_knowledge
from lumen.settings import Settings
from tests.knowledge.fda_archives import (
    INDICATIONS_TABLE,
    OPENFDA_PART,
    label_files,
    openfda_document,
    openfda_part,
    openfda_record,
)

HUMIRA = "spl:608d4f0d-b19f-46d3-749a-7159aa5f933d"
LIPITOR = "spl:c6e131fe-e7df-4876-83f7-9156fc4e8228"
BOXED_WARNING, CONTRAINDICATIONS = "34066-1", "34070-3"
MEMBER = f"{OPENFDA_PART}!/{OPENFDA_PART.removesuffix('.zip')}"
NO_SET_ID = {"id": "b0c5d1e2-0000-4000-8000-000000000001", "version": "3",
             "indications_and_usage": ["1 INDICATIONS AND USAGE For testing only."]}  # fmt: skip


@pytest.fixture(scope="module")
def spl_labels(spl_dir: Path) -> dict[str, SourceDocument]:
    return {d.id: d for d in open_spl(spl_dir) if isinstance(d, SourceDocument)}


@pytest.fixture
def part(spl_dir: Path, tmp_path: Path) -> Path:
    return openfda_part(spl_dir, tmp_path, extra=[NO_SET_ID])


def _split(items: list[Any]) -> tuple[dict[str, SourceDocument], list[LoadError]]:
    docs = {i.id: i for i in items if isinstance(i, SourceDocument)}
    return docs, [i for i in items if isinstance(i, LoadError)]


def _coded(doc: SourceDocument, code: str) -> str:
    return "\n".join(doc.text[s.start : s.end] for s in doc.sections if s.code == code)


def test_labels_get_the_same_ids_versions_and_dates_as_from_their_spl(
    part: Path, spl_labels: dict[str, SourceDocument]
) -> None:
    docs, _ = _split(list(open_openfda(part)))
    assert set(docs) == set(spl_labels)
    for doc_id, doc in docs.items():
        spl = spl_labels[doc_id]
        assert (doc.version, doc.set_id, doc.effective_date) == (
            spl.version, spl.set_id, spl.effective_date,
        )  # fmt: skip
        assert (doc.source, doc.collection, doc.url) == (spl.source, spl.collection, spl.url)
        assert (doc.brand_name, doc.generic_name) == (spl.brand_name, spl.generic_name)
    assert docs[LIPITOR].title == "LIPITOR (atorvastatin calcium)"  # openFDA names no form
    assert docs[LIPITOR].source_name == "FDA drug label (openFDA)"


def test_sections_carry_the_loinc_code_of_their_field(part: Path) -> None:
    docs, _ = _split(list(open_openfda(part)))
    humira = docs[HUMIRA]
    first = humira.sections[0]
    assert (first.code, first.title, first.key) == (BOXED_WARNING, "Boxed warning", "boxed_warning")
    assert "Lymphoma" in humira.text[first.start : first.end]
    assert "Active liver disease" in _coded(docs[LIPITOR], CONTRAINDICATIONS)
    for doc in docs.values():
        assert "\n\n".join(doc.text[s.start : s.end] for s in doc.sections) == doc.text
        assert len({s.key for s in doc.sections}) == len(doc.sections)
        assert "TABLE-ONLY-MARKER" not in doc.text, "tables' HTML is not indexed"


def test_a_record_without_set_id_is_reported_by_name_and_the_rest_load(part: Path) -> None:
    run = open_openfda(part)
    docs, errors = _split(list(run))
    assert len(docs) == 5
    assert [(e.name, e.line) for e in errors] == [(f"{MEMBER} record 6", None)]
    assert "lacks its set_id" in errors[0].message
    assert run.total == run.processed == 6


def test_windows_split_the_records_of_the_parts_in_a_folder(spl_dir: Path, tmp_path: Path) -> None:
    records = [openfda_record(xml) for xml in label_files(spl_dir)]
    first = tmp_path / "drug-label-0001-of-0002.json"  # a bare part, then a zipped one
    first.write_text(json.dumps(openfda_document(records[:2])))
    with zipfile.ZipFile(tmp_path / "drug-label-0002-of-0002.json.zip", "w") as zipped:
        zipped.writestr("drug-label-0002-of-0002.json", json.dumps(openfda_document(records[2:])))
    run = open_openfda(tmp_path)
    whole = [d.id for d in run if isinstance(d, SourceDocument)]
    assert run.total == 5 and len(whole) == 5
    windows = [run.window(0, 1), run.window(1, 3), run.window(3, 5)]
    pieces = [[d.id for d in w if isinstance(d, SourceDocument)] for w in windows]
    assert [len(p) for p in pieces] == [1, 2, 2] and sum(pieces, []) == whole
    assert [w.processed for w in windows] == [1, 2, 2]


def test_a_part_without_meta_is_counted_by_streaming_it(spl_dir: Path, tmp_path: Path) -> None:
    records = [openfda_record(xml) for xml in label_files(spl_dir)[:3]]
    bare = tmp_path / "labels.json"
    bare.write_text(json.dumps({"results": records, "meta": {}}))
    run = open_openfda(bare)
    assert run.total == 3 and len(list(run.window(1, 3))) == 2


def test_a_truncated_part_loads_the_records_before_the_break_and_reports_the_part(
    spl_dir: Path, tmp_path: Path
) -> None:
    records = [openfda_record(xml) for xml in label_files(spl_dir)]
    text = json.dumps(openfda_document(records), indent=2)
    cut = tmp_path / "drug-label-0001-of-0001.json"
    cut.write_text(text[: text.index(records[3]["set_id"])])  # inside the fourth record
    docs, errors = _split(list(open_openfda(cut)))
    assert len(docs) == 3
    assert [e.name for e in errors] == [cut.name] and "after record 3" in errors[0].message


def test_records_beyond_the_count_meta_declares_are_reported(spl_dir: Path, tmp_path: Path) -> None:
    records = [openfda_record(xml) for xml in label_files(spl_dir)[:3]]
    part = tmp_path / "part.json"
    part.write_text(json.dumps(openfda_document(records, declared=2)))
    run = open_openfda(part)
    docs, errors = _split(list(run))
    assert (run.total, len(docs)) == (2, 2)
    assert "more records than the 2" in errors[0].message


def test_a_subsection_given_inside_its_parent_and_on_its_own_is_indexed_once() -> None:
    child = "8.1 Pregnancy " + "Risk summary sentence. " * (MIN_NESTED_CHARS // 20)
    parent = f"8 USE IN SPECIFIC POPULATIONS {child} 8.2 Lactation Data are limited."
    assert without_nested([parent, child, "Rx only", "Rx only"]) == [
        "8 USE IN SPECIFIC POPULATIONS 8.2 Lactation Data are limited.",
        child.strip(),
        "Rx only",
        "",
    ]
    record = {"set_id": "1f4b7e1e-aaaa-4bbb-8ccc-000000000001", "version": 2,
              "use_in_specific_populations": [parent], "pregnancy": [child],
              "spl_product_data_elements": ["Lipitor atorvastatin calcium ATORVASTATIN"],
              "indications_and_usage_table": [INDICATIONS_TABLE]}  # fmt: skip
    doc = parse_openfda_record("r", record)
    assert isinstance(doc, SourceDocument) and doc.version == "2"
    assert [(s.key, s.code) for s in doc.sections] == [
        ("use_in_specific_populations", "43684-0"),
        ("pregnancy", "42228-7"),
    ]
    assert doc.text.count("Risk summary sentence.") == MIN_NESTED_CHARS // 20


def test_fields_are_named_as_openfda_names_them() -> None:
    # openFDA's drug label schema (schemas/druglabel_schema.json) against the LOINC table.
    assert {f: SECTION_FIELDS[f] for f in (
        "indications_and_usage", "boxed_warning", "dosage_and_administration",
        "contraindications", "warnings_and_cautions", "adverse_reactions", "drug_interactions",
        "information_for_patients", "ask_doctor_or_pharmacist", "spl_unclassified_section",
    )} == {
        "indications_and_usage": "34067-9", "boxed_warning": "34066-1",
        "dosage_and_administration": "34068-7", "contraindications": "34070-3",
        "warnings_and_cautions": "43685-7", "adverse_reactions": "34084-4",
        "drug_interactions": "34073-7", "information_for_patients": "34076-0",
        "ask_doctor_or_pharmacist": "50568-5", "spl_unclassified_section": "42229-5",
    }  # fmt: skip


@pytest.fixture
def runtime(tmp_path: Path, embedder) -> Runtime:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "var")
    upgrade_to_head(settings.sqlalchemy_url)
    built = build_knowledge(settings, embedder)
    yield built
    built.index.close()


def test_a_label_loaded_from_spl_and_from_openfda_is_one_document(
    runtime: Runtime, spl_dir: Path, part: Path
) -> None:
    runtime.ingestor.ingest(open_spl(spl_dir))
    points = runtime.index.count()
    report = runtime.ingestor.ingest(open_openfda(part))
    assert (report.documents_indexed, report.documents_unchanged) == (0, 5)
    assert [f.name for f in report.failed] == [f"{MEMBER} record 6"]
    assert runtime.index.count() == points
    with runtime.db.session() as session:
        assert len(session.exec(select(Document)).all()) == 5
