"""The SPL loader on the five real FDA labels, and on the ways DailyMed packs them."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest

from lumen.knowledge.loaders.archive import SourceUnavailable
from lumen.knowledge.loaders.spl import SECTION_NAMES, open_spl
from lumen.knowledge.schemas import DRUG_LABELS, LoadError, SourceDocument, SourceSection

LIPITOR = "spl:c6e131fe-e7df-4876-83f7-9156fc4e8228"
LIPITOR_REPACK = "spl:17a163ef-b349-4e32-bc8c-b02bac7f65d6"
HUMIRA = "spl:608d4f0d-b19f-46d3-749a-7159aa5f933d"
COUGH = "spl:00f66f25-3469-4c16-9baf-fba21e9628bd"
CONTRAINDICATIONS, BOXED_WARNING, WARNINGS_AND_PRECAUTIONS = "34070-3", "34066-1", "43685-7"


@pytest.fixture(scope="module")
def labels(spl_dir: Path) -> dict[str, SourceDocument]:
    items = list(open_spl(spl_dir))
    assert not [item for item in items if isinstance(item, LoadError)]
    return {doc.id: doc for doc in items if isinstance(doc, SourceDocument)}


def _body(doc: SourceDocument, section: SourceSection) -> str:
    return doc.text[section.start : section.end]


def _with_code(doc: SourceDocument, code: str) -> str:
    return "\n".join(_body(doc, s) for s in doc.sections if s.code == code)


def test_every_real_label_loads_with_distinct_set_ids(labels: dict[str, SourceDocument]) -> None:
    assert set(labels) == {
        LIPITOR,
        LIPITOR_REPACK,
        HUMIRA,
        COUGH,
        "spl:0b0be196-0c62-461c-94f4-9a35339b4501",
    }
    assert labels[LIPITOR].set_id != labels[LIPITOR_REPACK].set_id


def test_lipitor_label_names_brand_generic_form_and_version(
    labels: dict[str, SourceDocument],
) -> None:
    doc = labels[LIPITOR]
    assert doc.title == "LIPITOR (atorvastatin calcium) tablet, film coated"
    assert (doc.brand_name, doc.generic_name) == ("Lipitor", "atorvastatin calcium")
    assert (doc.version, doc.effective_date) == ("11", "20140113")
    assert (
        doc.url
        == "https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=c6e131fe-e7df-4876-83f7-9156fc4e8228"
    )
    assert (doc.source, doc.collection) == ("spl", DRUG_LABELS)
    assert doc.licence == "Public domain (U.S. government work)"
    assert doc.attribution == "U.S. Food and Drug Administration, DailyMed"


def test_lipitor_contraindications_name_liver_disease_and_pregnancy(
    labels: dict[str, SourceDocument],
) -> None:
    doc = labels[LIPITOR]
    text = _with_code(doc, CONTRAINDICATIONS)
    assert "Active liver disease" in text  # stated only in a subsection heading
    assert "Hypersensitivity to any component of this medication" in text
    pregnancy = next(s for s in doc.sections if s.title == "4 CONTRAINDICATIONS › 4.3 Pregnancy")
    assert pregnancy.code == "42228-7"  # its own, more specific code
    assert "Women who are pregnant or may become pregnant" in _body(doc, pregnancy)


def test_subsections_are_flat_titled_by_their_heading_path_and_coded_by_their_parent(
    labels: dict[str, SourceDocument],
) -> None:
    section = next(s for s in labels[LIPITOR].sections if s.title.endswith("5.1 Skeletal Muscle"))
    assert section.title == "5 WARNINGS AND PRECAUTIONS › 5.1 Skeletal Muscle"
    assert section.code == WARNINGS_AND_PRECAUTIONS  # its own code is "SPL unclassified"
    assert "rhabdomyolysis" in _body(labels[LIPITOR], section)
    assert section.key == "79a02fa7-701e-4457-84ff-1a6f771fa129"  # the section's id root


def test_humira_opens_with_a_boxed_warning_on_infections_and_malignancy(
    labels: dict[str, SourceDocument],
) -> None:
    doc = labels[HUMIRA]
    first = doc.sections[0]
    assert first.code == BOXED_WARNING
    assert first.title == "WARNING: SERIOUS INFECTIONS AND MALIGNANCY"
    assert "serious infections" in _body(doc, first)
    assert "Lymphoma" in _body(doc, first)
    assert doc.title == "HUMIRA (Adalimumab) injection, solution"  # not the kit


def test_otc_label_has_its_drug_facts_sections(labels: dict[str, SourceDocument]) -> None:
    doc = labels[COUGH]
    by_code = {s.code: s for s in doc.sections}
    for code in ("55106-9", "55105-1", "34067-9", "50570-1", "50569-3", "50567-7", "50566-9",
                 "50565-1", "34068-7", "53413-1"):  # fmt: skip
        assert code in by_code, SECTION_NAMES[code]
    assert by_code["50570-1"].title == "Warnings › Do not use"
    assert "in a child under 4 years of age" in _body(doc, by_code["50570-1"])
    assert doc.brand_name == "TRIAMINIC Childrens Night Time Cold and Cough"
    assert doc.generic_name == "Diphenhydramine HCl, Phenylephrine HCl"


def test_tables_become_rows_of_cells_separated_by_bars(labels: dict[str, SourceDocument]) -> None:
    text = labels[LIPITOR].text
    assert "\nNasopharyngitis | 8.3 | 12.9 | 5.3 | 7.0 | 4.2 | 8.2\n" in text
    assert "Any dose N=8755 | 10 mg N=3908" in text  # <br/> inside a cell is a space


def test_lists_put_each_item_on_its_own_line(labels: dict[str, SourceDocument]) -> None:
    text = _with_code(labels[COUGH], "50566-9")
    assert text.splitlines() == [
        "- nervousness, dizziness or sleeplessness occurs",
        "- symptoms do not improve within 7 days or occur with a fever",
        "- cough persists for more than 7 days, comes back or occurs with a fever, rash or "
        "persistent headache. These could be signs of a serious condition.",
    ]


def test_section_offsets_are_exact_and_keys_unique_per_label(
    labels: dict[str, SourceDocument],
) -> None:
    for doc in labels.values():
        assert "\n\n".join(_body(doc, s) for s in doc.sections) == doc.text
        assert all(_body(doc, s).strip() == _body(doc, s) != "" for s in doc.sections)
        assert len({s.key for s in doc.sections}) == len(doc.sections)


def test_a_malformed_file_in_a_folder_is_reported_by_name_and_line(
    spl_dir: Path, tmp_path: Path
) -> None:
    shutil.copy(spl_dir / "cough.xml", tmp_path / "cough.xml")
    (tmp_path / "broken.xml").write_text(
        '<?xml version="1.0"?>\n<document xmlns="urn:hl7-org:v3">\n<id>\n'
    )
    run = open_spl(tmp_path)
    items = list(run)
    errors = [item for item in items if isinstance(item, LoadError)]
    assert [(e.name, e.line) for e in errors] == [("broken.xml", 4)]
    assert [item.id for item in items if isinstance(item, SourceDocument)] == [COUGH]
    assert run.total == run.processed == 2


def test_xml_that_is_not_a_label_is_reported(tmp_path: Path) -> None:
    (tmp_path / "note.xml").write_text("<note>hello</note>")
    [error] = list(open_spl(tmp_path / "note.xml"))
    assert isinstance(error, LoadError)
    assert error.name == "note.xml"
    assert "not an HL7 v3 SPL document" in error.message


def test_a_single_file_a_zip_and_a_zip_of_zips_load_the_same_label(
    spl_dir: Path, tmp_path: Path
) -> None:
    label = (spl_dir / "cough.xml").read_bytes()
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:  # as DailyMed: the label and its images
        archive.writestr("00f66f25.xml", label)
        archive.writestr("carton.jpg", b"\xff\xd8\xff")
    with zipfile.ZipFile(tmp_path / "release.zip", "w") as archive:
        archive.writestr("otc/20110426_00f66f25.zip", inner.getvalue())
    with zipfile.ZipFile(tmp_path / "label.zip", "w") as archive:
        archive.writestr("00f66f25.xml", label)

    single = list(open_spl(spl_dir / "cough.xml"))
    zipped = list(open_spl(tmp_path / "label.zip"))
    nested_run = open_spl(tmp_path / "release.zip")
    nested = list(nested_run)
    assert [d.id for d in single] == [COUGH]  # type: ignore[union-attr]
    assert single == zipped == nested
    assert nested_run.total == 1


def test_a_corrupt_inner_zip_is_reported_and_the_rest_loads(spl_dir: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "release.zip", "w") as archive:
        archive.writestr("a/broken.zip", b"not a zip")
        archive.writestr("b/cough.xml", (spl_dir / "cough.xml").read_bytes())
    items = list(open_spl(tmp_path / "release.zip"))
    assert isinstance(items[0], LoadError) and items[0].name == "a/broken.zip"
    assert isinstance(items[1], SourceDocument) and items[1].id == COUGH


def test_a_missing_path_raises_source_unavailable(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailable):
        open_spl(tmp_path / "missing")
