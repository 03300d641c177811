"""DailyMed- and openFDA-shaped downloads, built in a test's own folder from the five real SPL
labels under ``../shared/data/drug_labels/spl`` (read there, never copied into the project).

- ``dailymed_release``: a release zip as DailyMed packs one, ``prescription/`` and ``otc/``
  folders of inner zips ``<date>_<set id>.zip``, each holding one label's XML beside a JPEG,
  plus one inner zip that is not a zip.
- ``openfda_part``: a ``drug-label-0001-of-0001.json.zip`` part as openFDA's exporter writes
  one (``{"meta": {..., "results": {skip, limit, total}}, "results": [...]}``, indented JSON),
  its records made from the labels as openFDA makes them from SPL: each section's text, heading
  first, in the field of its LOINC code, tables also as HTML in ``<field>_table``.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

from lxml import etree

from lumen.knowledge.loaders.openfda_fields import SECTION_FIELDS
from lumen.knowledge.loaders.spl import TITLE_SEPARATOR, parse_spl_xml
from lumen.knowledge.schemas import SourceDocument

HL7 = "{urn:hl7-org:v3}"
RELEASE_DATE = "20261201"
BROKEN_INNER_ZIP = f"prescription/{RELEASE_DATE}_broken-label.zip"
OPENFDA_PART = "drug-label-0001-of-0001.json.zip"
FIELD_OF_CODE = {code: field for field, code in SECTION_FIELDS.items()}
INDICATIONS_TABLE = "<table><tr><td>Indication</td><td>TABLE-ONLY-MARKER</td></tr></table>"


def label_files(spl_dir: Path) -> list[Path]:
    """The real labels' XML files, in name order."""
    return sorted(spl_dir.glob("*.xml"))


def set_id_of(xml: Path) -> str:
    """A label's ``setId root``."""
    found = etree.parse(str(xml)).getroot().find(f"{HL7}setId")
    assert found is not None
    return str(found.get("root"))


def dailymed_release(spl_dir: Path, target: Path, broken: bool = True) -> Path:
    """Write a DailyMed-shaped release zip of the real labels to ``target`` (see module)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as release:
        for xml in label_files(spl_dir):
            folder = "otc" if xml.stem == "cough" else "prescription"
            release.writestr(
                f"{folder}/{RELEASE_DATE}_{set_id_of(xml)}.zip", label_zip(xml, image_bytes=4096)
            )
        if broken:
            release.writestr(BROKEN_INNER_ZIP, b"PK\x03\x04 not a zip: the upload was cut short")
    return target


def label_zip(xml: Path, image_bytes: int) -> bytes:
    """One label as DailyMed zips it: its XML and a JPEG of ``image_bytes`` (incompressible)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as label:
        label.write(xml, xml.name)
        jpeg = b"\xff\xd8\xff\xe0" + os.urandom(image_bytes) + b"\xff\xd9"
        label.writestr(f"{xml.stem}-carton.jpg", jpeg)
    return buffer.getvalue()


def openfda_record(xml: Path) -> dict[str, Any]:
    """The openFDA record of one real label, from its sections as the SPL loader parses them."""
    doc = parse_spl_xml(xml.name, xml.read_bytes())
    assert isinstance(doc, SourceDocument)
    root = etree.parse(str(xml)).getroot()
    document_id = root.find(f"{HL7}id")
    assert document_id is not None
    record: dict[str, Any] = {}
    for section in doc.sections:
        field = FIELD_OF_CODE.get(section.code or "", "spl_unclassified_section")
        heading = section.title.split(TITLE_SEPARATOR)[-1]
        body = doc.text[section.start : section.end]
        record.setdefault(field, []).append(f"{heading} {body}")
    if "indications_and_usage" in record:
        record["indications_and_usage_table"] = [INDICATIONS_TABLE]
    record.update(
        {
            "set_id": doc.set_id,
            "id": document_id.get("root"),
            "version": doc.version,
            "effective_time": doc.effective_date,
        }
    )
    names = {"brand_name": [doc.brand_name], "generic_name": [doc.generic_name]}
    record["openfda"] = {key: value for key, value in names.items() if value != [None]}
    return record


def openfda_document(records: list[Any], declared: int | None = None) -> dict[str, Any]:
    """A part's JSON document; ``meta.results`` counts ``declared`` records (default: all)."""
    count = len(records) if declared is None else declared
    return {
        "meta": {
            "disclaimer": "Do not rely on openFDA to make decisions regarding medical care.",
            "terms": "https://open.fda.gov/terms/",
            "license": "https://open.fda.gov/license/",
            "last_updated": "2026-12-01",
            "results": {"skip": 0, "limit": count, "total": count},
        },
        "results": records,
    }


def openfda_part(
    spl_dir: Path, folder: Path, extra: list[Any] | None = None, name: str = OPENFDA_PART
) -> Path:
    """Write an openFDA part of the real labels' records (then ``extra``) into ``folder``."""
    records = [openfda_record(xml) for xml in label_files(spl_dir)] + list(extra or [])
    target = folder / name
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as part:
        part.writestr(name.removesuffix(".zip"), json.dumps(openfda_document(records), indent=2))
    return target
