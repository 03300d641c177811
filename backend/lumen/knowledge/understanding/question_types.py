"""Question types: what a (sub-)question asks about its focus.

Two vocabularies, one per source:
- MedQuAD's 16 question types (Ben Abacha & Demner-Fushman 2019, table 2), which are the
  ``qtype`` of every consumer-health section: information, symptoms, causes, treatment, ….
- FDA label sections, named by their LOINC codes (21 CFR 201.57 and the SPL section codes):
  indications, dosage, contraindications, warnings, adverse reactions, interactions, pregnancy….

A question is typed by cue phrases that restate each type's definition in consumers' words
("is there a cure" → treatment, "pass it on to my children" → inheritance, "side effects" →
adverse reactions). They are written from the type definitions, not fitted to MedQuAD's
templates; a question with no cue is about ``information`` (MedQuAD's "what is X").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

INFORMATION = "information"


@dataclass(frozen=True, slots=True)
class QuestionType:
    """One type: its name, the MedQuAD ``qtype`` values and LOINC section codes it answers
    from, and the cue pattern that signals it."""

    name: str
    qtypes: tuple[str, ...]
    loinc: tuple[str, ...]
    cue: re.Pattern[str]


def _cue(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Order matters only for ties: earlier types are listed first in an analysis.
TYPES: tuple[QuestionType, ...] = (
    QuestionType(
        "adverse reactions",
        ("side effects",),
        ("34084-4", "34066-1", "50567-7"),  # adverse reactions, boxed warning, OTC "when using"
        _cue(
            r"side[- ]?effects?|adverse|reactions? to|bad reaction|make (?:me|you|him|her) "
            r"(?:feel|sick|dizzy|tired)|(?:does|can|could|will) (?:it|this|that|\w+) cause"
        ),
    ),
    QuestionType(
        "interactions",
        (),
        ("34073-7", "50568-5"),  # drug interactions, OTC "ask a doctor or pharmacist"
        _cue(
            r"interact|together with|at the same time as|combin(?:e|ing) (?:it )?with|"
            r"\bmix(?:ing)? (?:it |them )?with|(?:while|if) (?:i'?m|i am|on|taking) (?:on|taking)?|"
            r"with (?:alcohol|grapefruit)|(?:take|taking|use|using) \w+ (?:and|with) \w+"
        ),
    ),
    QuestionType(
        "pregnancy",
        (),
        ("42228-7", "34080-2", "77290-5", "53414-9"),  # pregnancy, nursing, lactation, OTC
        _cue(r"pregnan|breast ?feed|nursing (?:mother|baby)|lactat|trying to conceive"),
    ),
    QuestionType(
        "dosage",
        (),
        ("34068-7", "34069-5"),  # dosage and administration, how supplied
        _cue(
            r"\bdos(?:e|es|age|ing)\b|how much (?:should|can|do)|how many (?:pills|tablets|mg)|"
            r"how often (?:should|can|do) i take|missed (?:a )?dose|\bmg\b|milligram"
        ),
    ),
    QuestionType(
        "contraindications",
        (),
        ("34070-3", "50570-1"),  # contraindications, OTC "do not use"
        _cue(r"contraindicat|who should not (?:take|use)|(?:should|can)n'?t (?:take|use)"),
    ),
    QuestionType(
        "warnings",
        (),
        ("43685-7", "34071-1", "34066-1", "42232-9"),  # warnings and precautions, boxed warning
        _cue(r"\bwarnings?\b|\bsafe\b|safety|dangerous|precaution|overdos"),
    ),
    QuestionType(
        "indications",
        (),
        ("34067-9", "55105-1"),  # indications and usage, OTC purpose
        _cue(r"(?:used|prescribed|given|good) for|what (?:is|does) \w+ (?:for|do)\b|indicat"),
    ),
    QuestionType(
        "treatment",
        ("treatment",),
        ("34067-9",),
        _cue(
            r"\bcur(?:e|es|ed|able)\b|treat|therap|remed|manag(?:e|ing|ement)|medication|"
            r"medicine for|drugs? for|surgery|operation|get rid of|heal|relie(?:f|ve)|"
            r"what (?:\w+ )?(?:i|we|he|she) (?:can|should|could|need to|must) do|"
            r"what (?:can|should) (?:i|we|he|she) do|how (?:can|do) (?:i|we) (?:help|stop|fix)|"
            r"\b(?:lower|reduce|control|fix|fixed|take care of|grow \w+ back|deal with|cope|"
            r"coping|overcome)\b|"
            r"recover|best doctor|specialist|where (?:can|do) (?:i|we) (?:get|find) (?:help|"
            r"treatment|care)"
        ),
    ),
    QuestionType(
        "symptoms",
        ("symptoms",),
        (),
        _cue(r"symptom|signs? of|\bsigns?\b|feel like|what does \w+ (?:feel|look) like"),
    ),
    QuestionType(
        "causes",
        ("causes",),
        (),
        _cue(
            r"\bcaus|\bwhy (?:do|does|did|am|is|are|would)\b|reason|trigger|where does \w+ come|"
            r"how (?:do|does|did|can) (?:you|people|i|we|one|someone|a person|he|she) "
            r"(?:get|catch|develop|contract)"
        ),
    ),
    QuestionType(
        "exams and tests",
        ("exams and tests",),
        (),
        _cue(
            r"diagnos(?:e|es|ing|is|tic)\b|(?:how|when|where)\b.*\bdiagnosed|"
            r"get (?:\w+ )?diagnosed|"
            r"\btests? (?:for|to)|testing|screen|detect|check for|confirm"
        ),
    ),
    QuestionType(
        "outlook",
        ("outlook",),
        (),
        _cue(
            r"outlook|prognos|life expectancy|survival|surviv|how long (?:will|can|do|does)|"
            r"\bfatal\b|\bdie\b|dying|go(?:ing)? blind|get worse|progress|permanent|go away|"
            r"how (?:bad|serious)|\bserious\b|danger|"
            r"normal life|live with|long[- ]term|recovery"
        ),
    ),
    QuestionType(
        "inheritance",
        ("inheritance",),
        (),
        _cue(
            r"inherit|heredit|hereditary|pass(?:ed)? (?:it |this |them )?(?:on|down)|"
            r"run in (?:the )?famil|genetic(?:ally)?\b|\bgenes?\b|"
            r"my (?:children|kids) (?:get|have)|carrier"
        ),
    ),
    QuestionType(
        "genetic changes",
        ("genetic changes",),
        (),
        _cue(r"mutation|genetic change|which gene|chromosom|\bdna\b|\bgene\b"),
    ),
    QuestionType(
        "frequency",
        ("frequency",),
        (),
        _cue(r"how common|how many people|how rare|prevalen|incidence|how often does \w+ occur"),
    ),
    QuestionType(
        "prevention",
        ("prevention",),
        (),
        _cue(r"prevent|avoid|reduce (?:the |my )?risk|stop (?:it|this) from|protect"),
    ),
    QuestionType(
        "susceptibility",
        ("susceptibility",),
        (),
        _cue(r"at risk|risk factor|who gets|more likely|susceptib|chances? of getting"),
    ),
    QuestionType(
        "complications",
        ("complications",),
        (),
        _cue(r"complication|lead to|damage|affect (?:the|my|his|her) \w+|side issues"),
    ),
    QuestionType("stages", ("stages",), (), _cue(r"\bstages?\b|staging|\bgrades?\b")),
    QuestionType(
        "research",
        ("research",),
        (),
        _cue(r"research|clinical trials?|\bstud(?:y|ies)\b|new treatments?|experimental"),
    ),
    QuestionType(
        "considerations",
        ("considerations",),
        (),
        _cue(r"\bdiet\b|\bfoods?\b|\beat(?:ing)?\b|\bdrink|nutrition|exercise|lifestyle"),
    ),
    QuestionType(
        "support groups",
        ("support groups",),
        (),
        _cue(r"support (?:group|for)|organi[sz]ation|foundation|charity|others with|connect"),
    ),
)
_BY_NAME = {t.name: t for t in TYPES}
_DRUG_TYPES = frozenset(t.name for t in TYPES if t.loinc and not t.qtypes)


def question_types(text: str, drug_focus: bool = False) -> list[str]:
    """The types a (sub-)question asks, in the order of ``TYPES``; ``["information"]`` when
    no cue matches.

    ``drug_focus``: the focus is a drug, so label-section types apply (and "what is it used for"
    is its indications); otherwise the label-only types (interactions, dosage, …) are dropped
    unless nothing else matched.
    """
    found = [t.name for t in TYPES if t.cue.search(text)]
    if not drug_focus:
        conditions = [name for name in found if name not in _DRUG_TYPES]
        found = conditions or [n for n in found if n in ("pregnancy", "warnings")]
    return found or [INFORMATION]


def medquad_qtypes(types: list[str]) -> set[str]:
    """The MedQuAD ``qtype`` values that answer ``types`` (``information`` included as is)."""
    qtypes = {q for name in types if (t := _BY_NAME.get(name)) for q in t.qtypes}
    if INFORMATION in types:
        qtypes.add(INFORMATION)
    return qtypes


def loinc_codes(types: list[str]) -> set[str]:
    """The LOINC section codes of a label that answer ``types``."""
    return {code for name in types if (t := _BY_NAME.get(name)) for code in t.loinc}
