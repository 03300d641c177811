"""FDA drug-label loader: HL7 v3 Structured Product Labeling (SPL) XML, as DailyMed distributes it
(https://dailymed.nlm.nih.gov/dailymed/spl-resources-all-drug-labels.cfm).

A label is ``<document xmlns="urn:hl7-org:v3">`` with a ``setId`` (stable across versions), a
``versionNumber``, an ``effectiveTime`` and ``<section>`` elements, each with a LOINC ``<code>``,
a ``<title>`` and a narrative ``<text>``; sections nest (``5`` › ``5.1``). Every section with text
becomes its own ``SourceSection``, titled by its path of headings (HL7 SPL Implementation Guide,
section 2.2 "Sections"; FDA SPL Standard for Content of Labeling).
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from lumen.knowledge.loaders.archive import LoaderRun, resolve_source, safe_xml_parser
from lumen.knowledge.loaders.spl_text import narrative_text, normalise_inline
from lumen.knowledge.schemas import DRUG_LABELS, LoadError, SourceDocument, SourceSection

SOURCE = "spl"
SOURCE_NAME = "FDA drug label (DailyMed SPL)"
LICENCE = "Public domain (U.S. government work)"
ATTRIBUTION = "U.S. Food and Drug Administration, DailyMed"
DAILYMED_URL = "https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid={set_id}"
HL7 = "urn:hl7-org:v3"
NS = {"v": HL7}
SECTION_SEPARATOR = "\n\n"
TITLE_SEPARATOR = " › "
DEFAULT_TITLE = "Drug label"

# Standard names of the LOINC section codes labels use most. Source: FDA, "Section Headings
# (LOINC)", https://www.fda.gov/industry/structured-product-labeling-resources/section-headings-loinc
# (LOINC OID 2.16.840.1.113883.6.1); the OTC codes are the Drug Facts headings of 21 CFR 201.66.
SECTION_NAMES: dict[str, str] = {
    "34066-1": "Boxed warning",
    "34067-9": "Indications and usage",
    "34068-7": "Dosage and administration",
    "43678-2": "Dosage forms and strengths",
    "34070-3": "Contraindications",
    "43685-7": "Warnings and precautions",
    "34071-1": "Warnings",
    "42232-9": "Precautions",
    "34084-4": "Adverse reactions",
    "34073-7": "Drug interactions",
    "43684-0": "Use in specific populations",
    "42228-7": "Pregnancy",
    "34080-2": "Nursing mothers",
    "34081-0": "Pediatric use",
    "34082-8": "Geriatric use",
    "42227-9": "Drug abuse and dependence",
    "34088-5": "Overdosage",
    "34089-3": "Description",
    "34090-1": "Clinical pharmacology",
    "43679-0": "Mechanism of action",
    "43681-6": "Pharmacodynamics",
    "43682-4": "Pharmacokinetics",
    "43680-8": "Nonclinical toxicology",
    "34083-6": "Carcinogenesis, mutagenesis, impairment of fertility",
    "34092-7": "Clinical studies",
    "34093-5": "References",
    "34069-5": "How supplied",
    "44425-7": "Storage and handling",
    "34076-0": "Patient counseling information",
    "42230-3": "Patient package insert",
    "42231-1": "Medication guide",
    "43683-2": "Recent major changes",
    "42229-5": "SPL unclassified",
    "51945-4": "Package label (principal display panel)",
    "48780-1": "SPL product data elements",
    "55106-9": "Active ingredient",
    "55105-1": "Purpose",
    "51727-6": "Inactive ingredients",
    "50565-1": "Keep out of reach of children",
    "50570-1": "Do not use",
    "50569-3": "Ask a doctor before use",
    "50568-5": "Ask a doctor or pharmacist before use",
    "50567-7": "When using this product",
    "50566-9": "Stop use and ask a doctor",
    "53414-9": "Pregnancy or breast-feeding",
    "53413-1": "Questions",
}
UNCLASSIFIED = "42229-5"
# Active ingredient class codes (SPL Implementation Guide, "Ingredient"): active moiety (ACTIM),
# active basis of strength (ACTIB) and reference ingredient (ACTIR).
_ACTIVE_CLASSES = {"ACTIM", "ACTIB", "ACTIR"}
_PRODUCT_PATHS = (
    ".//v:subject/v:manufacturedProduct/v:manufacturedProduct",
    # Labels from before SPL release 4 name the product element manufacturedMedicine.
    ".//v:subject/v:manufacturedProduct/v:manufacturedMedicine",
)


def open_spl(source: str | Path, cache_dir: Path | None = None) -> LoaderRun:
    """Open SPL labels from one XML file, a folder of them, or a zip (a DailyMed zip of zips
    too), local or at an ``http(s)`` URL downloaded once into ``cache_dir``. Yields one
    ``SourceDocument`` per label (id ``spl:<set id>``, version ``versionNumber``) and a
    ``LoadError`` (name, line) per file that is not a readable label.

    Raises ``SourceUnavailable`` when the path is missing, the zip unreadable, or a URL cannot
    be downloaded (or comes without ``cache_dir``).
    """
    return LoaderRun(resolve_source(source, cache_dir), parse_spl_xml)


def section_name(code: str | None) -> str | None:
    """The standard name of a LOINC section code, or None when the table does not know it."""
    return SECTION_NAMES.get(code) if code else None


def parse_spl_xml(name: str, data: bytes) -> SourceDocument | LoadError:
    """Parse one SPL XML file (``name`` is reported in errors)."""
    try:
        root = etree.fromstring(data, safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        return LoadError(name=name, line=exc.lineno, message=str(exc.msg))
    tag = etree.QName(root)
    if (tag.namespace, tag.localname) != (HL7, "document"):
        return LoadError(name, root.sourceline, f"not an HL7 v3 SPL document: <{tag.text}>")
    set_id = _attribute(root, "v:setId", "root")
    version = _attribute(root, "v:versionNumber", "value")
    if not set_id or not version:
        return LoadError(name, root.sourceline, "label lacks its setId or versionNumber")
    bodies, sections = _sections(root)
    if not sections:
        return LoadError(name, root.sourceline, "label has no section with text")
    brand, generic, form = _product_names(root)
    return label_document(
        set_id,
        version,
        _label_title(root, brand, generic, form),
        bodies,
        sections,
        _attribute(root, "v:effectiveTime", "value"),
        brand,
        generic,
    )


def _sections(root: etree._Element) -> tuple[list[str], tuple[SourceSection, ...]]:
    """Flatten the section tree, depth first, into bodies and their ``SourceSection``."""
    bodies: list[str] = []
    sections: list[SourceSection] = []
    used_keys: set[str] = set()
    offset = 0

    def visit(section: etree._Element, path: list[str], inherited_code: str | None) -> None:
        nonlocal offset
        own_code = _attribute(section, "v:code", "code")
        # "SPL unclassified" says nothing about content: a subsection "5.1" filed under it is
        # still about warnings and precautions, so it takes the nearest informative code.
        code = inherited_code if own_code in (None, UNCLASSIFIED) and inherited_code else own_code
        heading = normalise_inline(section.find("v:title", NS))
        titles = [*path, heading] if heading else path
        text = section.find("v:text", NS)
        body = narrative_text(text) if text is not None else ""
        if not body and heading and section.find("v:component/v:section", NS) is None:
            # A leaf with only a heading states its content there (Lipitor's contraindication
            # "4.1 Active liver disease, which may include …" has no text element).
            body = heading
        if body:
            key = _section_key(section, len(sections), used_keys)
            title = TITLE_SEPARATOR.join(titles) or section_name(code) or "Section"
            sections.append(SourceSection(key, title, offset, offset + len(body), code=code))
            bodies.append(body)
            offset += len(body) + len(SECTION_SEPARATOR)
        for child in section.iterfind("v:component/v:section", NS):
            visit(child, titles, code if code != UNCLASSIFIED else None)

    for top in root.iterfind("v:component/v:structuredBody/v:component/v:section", NS):
        visit(top, [], None)
    return bodies, tuple(sections)


def _section_key(section: etree._Element, position: int, used: set[str]) -> str:
    """The section's ``id root`` (a GUID), unless missing or repeated in this label: then its
    position, which is stable for one version of a label."""
    key = _attribute(section, "v:id", "root") or ""
    if not key or key in used:
        key = f"section-{position + 1}"
    used.add(key)
    return key


def _product_names(root: etree._Element) -> tuple[str | None, str | None, str | None]:
    """(brand, generic, dosage form) of the label's main product: the first one that is not a
    kit (a kit's parts carry the drug; its own form says only "KIT")."""
    products = [p for path in _PRODUCT_PATHS for p in root.iterfind(path, NS)]
    if not products:
        return None, None, None
    forms = [_attribute(p, "v:formCode", "displayName") for p in products]
    index = next((i for i, form in enumerate(forms) if form and form.upper() != "KIT"), 0)
    product = products[index]
    brand = _name_text(product.find("v:name", NS))
    generic = normalise_inline(product.find(".//v:genericMedicine/v:name", NS)) or None
    if generic is None:
        actives = [
            normalise_inline(i.find("v:ingredientSubstance/v:name", NS))
            for i in product.iterfind("v:ingredient", NS)
            if i.get("classCode") in _ACTIVE_CLASSES
        ]
        generic = ", ".join(dict.fromkeys(a for a in actives if a)) or None
    return brand, generic, forms[index]


def _name_text(name: etree._Element | None) -> str | None:
    """A product name; its parts are words of their own ("TRIAMINIC<suffix>Childrens…")."""
    if name is None:
        return None
    return " ".join(" ".join(name.itertext()).split()) or None


def _label_title(
    root: etree._Element, brand: str | None, generic: str | None, form: str | None
) -> str:
    """The label's name as DailyMed shows it (``label_title``); the document's own title when it
    names no product."""
    return (
        label_title(brand, generic, form)
        or normalise_inline(root.find("v:title", NS))
        or DEFAULT_TITLE
    )


def label_document(
    set_id: str,
    version: str,
    title: str,
    bodies: list[str],
    sections: tuple[SourceSection, ...],
    effective_time: str | None,
    brand: str | None,
    generic: str | None,
    source_name: str = SOURCE_NAME,
    attribution: str = ATTRIBUTION,
) -> SourceDocument:
    """The one document of a label, whichever source read it: id ``spl:<set id>``, the
    section texts joined in order (``sections`` hold their offsets), the DailyMed page as URL
    and ``effective_time`` (HL7 TS, ``YYYYMMDD…``) cut to its date."""
    return SourceDocument(
        id=f"{SOURCE}:{set_id}",
        source=SOURCE,
        source_name=source_name,
        collection=DRUG_LABELS,
        title=title,
        url=DAILYMED_URL.format(set_id=set_id),
        licence=LICENCE,
        attribution=attribution,
        version=version,
        text=SECTION_SEPARATOR.join(bodies),
        sections=sections,
        effective_date=effective_time[:8] if effective_time else None,
        set_id=set_id,
        brand_name=brand,
        generic_name=generic,
        focus_kind="drug",
    )


def label_title(brand: str | None, generic: str | None, form: str | None) -> str | None:
    """A label's name as DailyMed shows it: "LIPITOR (atorvastatin calcium) tablet, film
    coated" from brand, generic name and dosage form; None without brand and generic."""
    if not (brand or generic):
        return None
    parts = [brand.upper() if brand else None, f"({generic})" if brand and generic else generic]
    parts.append(form.lower() if form else None)
    return " ".join(p for p in parts if p)


def _attribute(element: etree._Element, path: str, attribute: str) -> str | None:
    found = element.find(path, NS)
    return found.get(attribute) if found is not None else None
