"""The MedQuAD loader on the real archive, on small archives built from its members, on a
folder, and on a download from a local HTTP server."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections import Counter
from collections.abc import Iterable
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from lumen.knowledge.loaders.archive import SourceUnavailable, SourceUnreachable
from lumen.knowledge.loaders.medquad import open_medquad
from lumen.knowledge.schemas import CONSUMER_HEALTH, LoadError, SourceDocument
from tests.conftest import ServedFolder
from tests.servers import free_port

ROOT = "MedQuAD-master"
ANSWERED = f"{ROOT}/1_CancerGov_QA/0000001_1.xml"
FIRST_PAIR_UNANSWERED = f"{ROOT}/2_GARD_QA/0002747.xml"  # pair 1 empty, pairs 2 and 3 answered
NO_ANSWERS = f"{ROOT}/10_MPlus_ADAM_QA/0000002.xml"  # answers removed for copyright
OLD_LAYOUT = f"{ROOT}/6_NINDS_QA/0000007.xml"  # <doc docid corpus><qaPairs><pair>…
PARENT = f"{ROOT}/1_CancerGov_QA/0000013_2.xml"
SUB_FILE = f"{ROOT}/1_CancerGov_QA/0000013_2_1.xml"  # repeats its parent's id "0000013_2"
BROKEN = f"{ROOT}/2_GARD_QA/broken.xml"
BROKEN_XML = b'<?xml version="1.0"?>\n<Document id="1" source="GARD">\n<Focus>x</Focus>\n</Doc>\n'

# Files of the archive with older tag names: corpus.jsonl leaves out the four NINDS ones and
# names the CDC one "CDC_None" (its root has ``fid``, not ``id``).
OLD_LAYOUT_NINDS = {
    "medquad:NINDS_0000007",
    "medquad:NINDS_0000018",
    "medquad:NINDS_0000182",
    "medquad:NINDS_0000244",
}
OLD_LAYOUT_CDC = "medquad:CDC_0000397"


def _as_in_corpus(identifier: str) -> str:
    """The id corpus.jsonl gives a document or section: the ten CancerGov sub-files share their
    parent's id (0000013_2), and the old-layout CDC file is "CDC_None"."""
    identifier = re.sub(r"(CancerGov_0000013_[23])_\d+", r"\1", identifier)
    return identifier.replace("CDC_0000397", "CDC_None")


def _documents(items: Iterable[SourceDocument | LoadError]) -> list[SourceDocument]:
    return [item for item in items if isinstance(item, SourceDocument)]


@pytest.fixture(scope="module")
def real_documents(
    medquad_zip: Path, tmp_path_factory: pytest.TempPathFactory
) -> list[SourceDocument]:
    run = open_medquad(medquad_zip, tmp_path_factory.mktemp("cache"))
    items = list(run)
    assert not [item for item in items if isinstance(item, LoadError)]
    return _documents(items)


@pytest.fixture
def small_zip(medquad_zip: Path, tmp_path: Path) -> Path:
    """A zip of a few real members, laid out as GitHub's archive, plus one malformed member."""
    path = tmp_path / "small.zip"
    with zipfile.ZipFile(medquad_zip) as real, zipfile.ZipFile(path, "w") as small:
        for name in (ANSWERED, FIRST_PAIR_UNANSWERED, NO_ANSWERS, OLD_LAYOUT, PARENT, SUB_FILE):
            small.writestr(name, real.read(name))
        small.writestr(BROKEN, BROKEN_XML)
    return path


def test_real_archive_yields_every_answered_pair_of_the_corpus(
    real_documents: list[SourceDocument], medquad_corpus: Path
) -> None:
    expected: Counter[tuple[str | None, ...]] = Counter()
    for line in medquad_corpus.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        expected[
            (row["id"], "medquad:" + row["document_id"], row["qid"], row["url"], row["title"],
             row["question"], row["question_type"], row["source"], " ".join(row["answer"].split()))
        ] += 1  # fmt: skip
    loaded: Counter[tuple[str | None, ...]] = Counter()
    for doc in real_documents:
        if doc.id in OLD_LAYOUT_NINDS:
            continue
        for section in doc.sections:
            key, doc_id = _as_in_corpus(section.key), _as_in_corpus(doc.id)
            answer = " ".join(doc.text[section.start : section.end].split())
            loaded[
                (key, doc_id, section.qid, doc.url, doc.title, section.title,
                 section.question_type, doc.source_name, answer)
            ] += 1  # fmt: skip
    assert sum(expected.values()) == 16_407
    assert loaded == expected


def test_answers_keep_the_corpus_line_breaks_exactly(
    real_documents: list[SourceDocument], medquad_corpus: Path
) -> None:
    answers = {
        (row["id"], row["answer"])
        for row in map(json.loads, medquad_corpus.read_text(encoding="utf-8").splitlines())
    }
    loaded = {
        (_as_in_corpus(section.key), doc.text[section.start : section.end])
        for doc in real_documents
        for section in doc.sections
    }
    assert answers <= loaded


def test_document_ids_and_section_keys_are_unique_in_the_real_archive(
    real_documents: list[SourceDocument],
) -> None:
    doc_ids = [doc.id for doc in real_documents]
    keys = [section.key for doc in real_documents for section in doc.sections]
    assert len(doc_ids) == len(set(doc_ids))
    assert len(keys) == len(set(keys))
    assert set(doc_ids) >= {*OLD_LAYOUT_NINDS, OLD_LAYOUT_CDC}


def test_documents_carry_source_licence_and_attribution(
    real_documents: list[SourceDocument],
) -> None:
    doc = next(d for d in real_documents if d.id == "medquad:CancerGov_0000001_1")
    assert doc.source == "medquad"
    assert doc.source_name == "CancerGov"
    assert doc.collection == CONSUMER_HEALTH
    assert doc.title == "Adult Acute Lymphoblastic Leukemia"
    assert doc.url == "https://www.cancer.gov/types/leukemia/patient/adult-all-treatment-pdq"
    assert doc.licence == "CC BY 4.0"
    assert "Ben Abacha" in doc.attribution and "National Library of Medicine" in doc.attribution
    assert re.fullmatch(r"[0-9a-f]{64}", doc.version)


def test_total_is_known_before_parsing_and_progress_reaches_it(
    small_zip: Path, tmp_path: Path
) -> None:
    run = open_medquad(small_zip, tmp_path)
    assert run.total == 7
    list(run)
    assert run.processed == run.total


def test_documents_without_any_answer_are_skipped_without_error(
    small_zip: Path, tmp_path: Path
) -> None:
    items = list(open_medquad(small_zip, tmp_path))
    ids = {doc.id for doc in _documents(items)}
    assert "medquad:ADAM_0000002" not in ids
    assert [e.name for e in items if isinstance(e, LoadError)] == [BROKEN]


def test_a_malformed_file_is_reported_with_its_name_and_line_and_the_others_load(
    small_zip: Path, tmp_path: Path
) -> None:
    items = list(open_medquad(small_zip, tmp_path))
    errors = [item for item in items if isinstance(item, LoadError)]
    assert len(errors) == 1
    assert errors[0].name == BROKEN
    assert errors[0].line == 4
    assert "Doc" in errors[0].message
    assert {doc.id for doc in _documents(items)} == {
        "medquad:CancerGov_0000001_1",
        "medquad:GARD_0002747",
        "medquad:NINDS_0000007",
        "medquad:CancerGov_0000013_2",
        "medquad:CancerGov_0000013_2_1",
    }


def test_sections_are_numbered_by_position_counting_unanswered_pairs(
    small_zip: Path, tmp_path: Path
) -> None:
    doc = next(d for d in _documents(open_medquad(small_zip, tmp_path)) if d.id.endswith("2747"))
    assert [(s.key, s.qid, s.question_type) for s in doc.sections] == [
        ("GARD_0002747_Sec2", "0002747-2", "symptoms"),
        ("GARD_0002747_Sec3", "0002747-3", "causes"),
    ]
    assert doc.sections[1].title == "What causes HELLP syndrome ?"


def test_section_offsets_locate_each_answer_in_the_document_text(
    small_zip: Path, tmp_path: Path
) -> None:
    for doc in _documents(open_medquad(small_zip, tmp_path)):
        bodies = [doc.text[s.start : s.end] for s in doc.sections]
        assert "\n\n".join(bodies) == doc.text
        assert all(body and body == body.strip() for body in bodies)


def test_sub_files_that_repeat_their_parents_id_keep_distinct_documents(
    small_zip: Path, tmp_path: Path
) -> None:
    docs = {d.id: d for d in _documents(open_medquad(small_zip, tmp_path))}
    parent, sub = docs["medquad:CancerGov_0000013_2"], docs["medquad:CancerGov_0000013_2_1"]
    assert parent.title == "Chronic Myeloproliferative Neoplasms"
    assert sub.title == "Polycythemia Vera"
    assert sub.sections[0].key == "CancerGov_0000013_2_1_Sec1"


def test_files_with_the_older_tag_names_load(small_zip: Path, tmp_path: Path) -> None:
    doc = next(d for d in _documents(open_medquad(small_zip, tmp_path)) if "NINDS" in d.id)
    assert doc.title == "Holmes-Adie"
    assert doc.source_name == "NINDS"
    assert doc.sections[0].title == "what is holmes-adie syndrome ?"
    assert doc.text.startswith("Holmes-Adie syndrome (HAS) is a neurological disorder")


def test_an_unpacked_folder_loads_the_same_as_the_zip(small_zip: Path, tmp_path: Path) -> None:
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(small_zip) as archive:
        archive.extractall(folder)
    from_zip = list(open_medquad(small_zip, tmp_path))
    from_folder = list(open_medquad(folder, tmp_path))
    assert from_folder == from_zip


def test_a_changed_answer_changes_the_version_and_nothing_else_does(
    medquad_zip: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(medquad_zip) as real:
        original = real.read(ANSWERED)
    edited = original.replace(b"easy bruising or bleeding", b"easy bruising, or bleeding", 1)
    assert edited != original
    versions = []
    for index, data in enumerate((original, original, edited)):
        folder = tmp_path / str(index)
        folder.mkdir()
        (folder / "0000001_1.xml").write_bytes(data)
        versions.append(_documents(open_medquad(folder, tmp_path))[0].version)
    assert versions[0] == versions[1] != versions[2]


def test_external_entities_are_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<Document id="1" source="GARD" url="u"><Focus>f</Focus><QAPairs><QAPair pid="1">'
        '<Question qid="1-1" qtype="information">q</Question><Answer>a &x; b</Answer>'
        "</QAPair></QAPairs></Document>"
    )
    (tmp_path / "doc.xml").write_text(xml)
    items = list(open_medquad(tmp_path / "doc.xml", tmp_path))
    assert all("TOP SECRET" not in getattr(item, "text", "") for item in items)


def test_a_missing_source_raises_source_unavailable(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailable):
        open_medquad(tmp_path / "nothing.zip", tmp_path)


@pytest.fixture
def http_server(small_zip: Path, served_folder: ServedFolder) -> tuple[str, ThreadingHTTPServer]:
    """``small_zip`` served as ``master.zip``: the base URL and the server."""
    shutil.copy(small_zip, served_folder.folder / "master.zip")
    return served_folder.url, served_folder.server


def test_a_url_is_downloaded_once_into_the_cache_and_reused(
    http_server: tuple[str, ThreadingHTTPServer], small_zip: Path, tmp_path: Path
) -> None:
    base_url, server = http_server
    cache = tmp_path / "cache"
    first = list(open_medquad(f"{base_url}/master.zip", cache))
    assert [p.name.endswith("-master.zip") for p in cache.iterdir()] == [True]
    server.shutdown()  # a second run must not need the network
    second = list(open_medquad(f"{base_url}/master.zip", cache))
    assert first == second == list(open_medquad(small_zip, tmp_path))


def test_a_failed_download_raises_and_leaves_no_partial_file(
    http_server: tuple[str, ThreadingHTTPServer], tmp_path: Path
) -> None:
    base_url, _ = http_server
    cache = tmp_path / "cache"
    with pytest.raises(SourceUnavailable, match="404") as refused:
        open_medquad(f"{base_url}/missing.zip", cache)
    assert list(cache.iterdir()) == []
    assert not isinstance(refused.value, SourceUnreachable), "a 404 is not worth retrying"


def test_a_download_that_meets_a_network_fault_raises_source_unreachable(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(SourceUnreachable, match="could not download"):
        open_medquad(f"http://127.0.0.1:{free_port()}/master.zip", cache)
    assert list(cache.iterdir()) == []
