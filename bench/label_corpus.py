"""A generated FDA label set for the label-scale benchmark (``bench.labels``): realistic names,
shared generics, repackagers and ~15 sections of a few KB per label, written straight into
Lumen's tables by bulk insert (no parsing, no embedding: the benchmark measures reads).

Shape, after the real openFDA set (about 150,000 labels, a few thousand active ingredients):

- generic names are built from USAN stems (``-statin``, ``-pril``, ``-sartan``…, USAN
  Council's stem list) with salts and some two-ingredient combinations; how often each is
  labelled follows a Zipf law (s = 0.8: the commonest has about 4 % of all labels, as
  ibuprofen or acetaminophen have hundreds) and most have a handful;
- about 40 % of labels are generics whose proprietary name is the generic name itself; the
  rest carry a brand, and repackagers relabel an existing product under the same brand and
  generic with a set id of their own;
- each label has 12 to 18 sections with LOINC codes, ~250 bytes of text each, and a version
  number (one row per set id, as ingestion leaves it: a newer version replaces the older).

Deterministic for a seed.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from lumen.knowledge.models import name_key


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GENERIC_PREFIXES = _words(
    "atorva rosuva simva prava lova pitava fluva lisino enala rami capto benaze fosino quina "
    "losar valsar irbesar telmisar olmesar candesar metopr aten propran bisopr carved nebiv "
    "omep esomep lansop pantop rabep amlo nifed felo isra nicar doxy minocy tetra cipro levo "
    "moxi oflo flucon itracon vori posacon ketocon acyclo valacyclo ganciclo oselta zanami "
    "fluox parox sertr citalo escitalo venlafax dulox sumat rizat zolmit eletr sitag saxag "
    "linag alog enoxa dalte furo torse bumet monte zafir silden tadal varden ada inflixi "
    "ritux trastu beva cetu imat erlo gefi sora suni dasa nilo pazo"
)
STEMS = _words(
    "statin pril sartan olol prazole dipine cycline floxacin conazole vir oxetine triptan "
    "gliptin parin semide lukast afil mab tinib"
)
SALTS = ("", "", "") + tuple(
    " " + salt
    for salt in _words(
        "hydrochloride sodium calcium potassium maleate besylate mesylate succinate tartrate "
        "citrate fumarate acetate"
    )
)
BRAND_HEADS = _words(
    "Zy Lo Cre Nex Ator Vel Pra Xa Ben Tri Flo Cel Gly Myl Sym Vy Ja Ol Ar Ko Lip Nor Pro Dio "
    "Tek Qui Ro Sa Ve Bri Cla Du Ela Fa Hu Im Lu Mi Ony Pa Re Sto Tu Ul Vo Xe Yo Ze"
)
BRAND_TAILS = _words(
    "vanta pitor stor zol trex lix bid mara tadine vir dex pro cor quil nox zide fen mid vance "
    "lara gen tin ra via lor max pax tec zan ril fia neo"
)
BRAND_SUFFIXES = ("", "", "", "", " XR", " ER", " ODT", " HCT", " Plus")
FORMS = (
    "tablet",
    "tablet, film coated",
    "capsule",
    "injection, solution",
    "oral suspension",
    "tablet, extended release",
    "cream",
    "solution",
)
MAKERS = (
    "Pfizer Laboratories",
    "Greenstone LLC",
    "Teva Pharmaceuticals USA",
    "Mylan Pharmaceuticals",
    "Aurobindo Pharma",
    "Cipla USA",
    "Sun Pharmaceutical Industries",
    "Lupin Pharmaceuticals",
    "Zydus Pharmaceuticals",
    "Dr. Reddy's Laboratories",
)
REPACKAGERS = (
    "A-S Medication Solutions",
    "Bryant Ranch Prepack",
    "NuCare Pharmaceuticals",
    "Proficient Rx",
    "Preferred Pharmaceuticals",
    "RemedyRepack",
    "Direct_Rx",
    "PD-Rx Pharmaceuticals",
    "Quality Care Products",
    "Cardinal Health",
)
# LOINC section codes of a prescription label, in label order (SPL implementation guide).
SECTIONS = (
    ("34066-1", "BOXED WARNING"),
    ("34067-9", "INDICATIONS AND USAGE"),
    ("34068-7", "DOSAGE AND ADMINISTRATION"),
    ("43678-2", "DOSAGE FORMS AND STRENGTHS"),
    ("34070-3", "CONTRAINDICATIONS"),
    ("43685-7", "WARNINGS AND PRECAUTIONS"),
    ("34084-4", "ADVERSE REACTIONS"),
    ("34073-7", "DRUG INTERACTIONS"),
    ("43684-0", "USE IN SPECIFIC POPULATIONS"),
    ("34088-5", "OVERDOSAGE"),
    ("34089-3", "DESCRIPTION"),
    ("34090-1", "CLINICAL PHARMACOLOGY"),
    ("43680-8", "NONCLINICAL TOXICOLOGY"),
    ("34092-7", "CLINICAL STUDIES"),
    ("34069-5", "HOW SUPPLIED/STORAGE AND HANDLING"),
    ("34076-0", "PATIENT COUNSELING INFORMATION"),
    ("42229-5", "SPL UNCLASSIFIED SECTION"),
    ("51945-4", "PACKAGE LABEL.PRINCIPAL DISPLAY PANEL"),
)
WORDS = _words(
    "patients treatment dose daily tablets mg reported adverse reactions hepatic renal "
    "impairment clinical trials placebo increased risk monitor discontinue therapy elderly "
    "pregnancy lactation plasma concentration half-life metabolism CYP3A4 inhibitors "
    "coadministration myopathy rhabdomyolysis serum transaminase elevations hypersensitivity "
    "contraindicated initial recommended maximum titrate weeks response observed studies"
)


@dataclass(frozen=True, slots=True)
class GeneratedLabel:
    """One label's names, for choosing queries: set id, brand and generic name."""

    set_id: str
    brand_name: str
    generic_name: str


def generic_names(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct generic names: prefix + stem + salt, some two-ingredient products."""
    names: dict[str, None] = {}
    while len(names) < count:
        single = rng.choice(GENERIC_PREFIXES) + rng.choice(STEMS) + rng.choice(SALTS)
        if rng.random() < 0.12:
            other = rng.choice(GENERIC_PREFIXES) + rng.choice(STEMS)
            single = f"{single} and {other}"
        names[single] = None
    return list(names)


def _as_name(generic: str) -> str:
    """A generic name as a proprietary name: 'Atorvastatin Calcium and Amlodipine'."""
    return " ".join(w if w == "and" else w.capitalize() for w in generic.split())


def brand_name(rng: random.Random) -> str:
    """A brand-like proprietary name, e.g. 'Crevanta XR'."""
    return rng.choice(BRAND_HEADS) + rng.choice(BRAND_TAILS) + rng.choice(BRAND_SUFFIXES)


def _section_text(rng: random.Random, title: str, generic: str, size_bytes: int) -> str:
    words = [title.capitalize() + ":", generic]
    length = len(words[0]) + len(generic) + 1
    while length < size_bytes:
        word = rng.choice(WORDS)
        words.append(word + ("." if rng.random() < 0.08 else ""))
        length += len(word) + 1
    return " ".join(words)


def generate(
    labels: int, seed: int = 11, *, names_only: bool = False
) -> Iterator[tuple[dict[str, object], list[dict[str, object]], GeneratedLabel]]:
    """``labels`` labels as ``(documents row, document_sections rows, names)``, deterministic
    for ``seed``. Rows are dicts of the tables' columns, search keys included. ``names_only``
    leaves out sections and text (for search alone at a larger scale: search never reads them)."""
    rng = random.Random(seed)
    generics = generic_names(rng, max(50, labels // 7))
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(generics))]
    products: list[tuple[str, str, str]] = []  # (brand, generic, form) relabelled by others
    now = datetime.now(UTC)
    for _ in range(labels):
        if products and rng.random() < 0.25:
            brand, generic, form = rng.choice(products)
            company = rng.choice(REPACKAGERS)
        else:
            generic = rng.choices(generics, weights)[0]
            brand = _as_name(generic) if rng.random() < 0.4 else brand_name(rng)
            form = rng.choice(FORMS)
            company = rng.choice(MAKERS)
            products.append((brand, generic, form))
        set_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        document_id = f"spl:{set_id}"
        chosen = [s for s in SECTIONS if s[0] != "34066-1" or rng.random() < 0.1]
        chosen = chosen[: rng.randint(12, len(chosen))]
        texts: list[str] = []
        sections: list[dict[str, object]] = []
        offset = 0
        for position, (code, title) in enumerate([] if names_only else chosen):
            body = _section_text(rng, title, generic, rng.randint(150, 350))
            sections.append(
                {
                    "id": f"{document_id}#s{position}",
                    "document_id": document_id,
                    "position": position,
                    "title": title,
                    "code": code,
                    "qid": None,
                    "question_type": None,
                    "start": offset,
                    "end": offset + len(body),
                }
            )
            texts.append(body)
            offset += len(body) + 2
        document: dict[str, object] = {
            "id": document_id,
            "source": "spl",
            "source_name": "FDA SPL (DailyMed)",
            "collection": "drug_labels",
            "title": f"{brand.upper()} ({generic}) {form} [{company}]",
            "url": f"https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid={set_id}",
            "licence": "Public domain (U.S. Government work)",
            "attribution": "U.S. Food and Drug Administration, via DailyMed (NLM)",
            "version": str(rng.randint(1, 30)),
            "effective_date": f"{rng.randint(2010, 2026)}{rng.randint(1, 12):02d}"
            f"{rng.randint(1, 28):02d}",
            "set_id": set_id,
            "brand_name": brand,
            "generic_name": generic,
            "brand_key": name_key(brand),
            "generic_key": name_key(generic),
            "text": "\n\n".join(texts),
            "chunk_count": len(chosen),
            "status": "indexed",
            "updated_at": now,
        }
        yield document, sections, GeneratedLabel(set_id, brand, generic)
