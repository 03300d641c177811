"""Sentence and list-item splitting of MedQuAD passages."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from lumen.knowledge.sentences import is_answer_sentence, split_sentences

LEUKEMIA_KEY_POINTS = (
    "Key Points\n"
    "- Adult acute lymphoblastic leukemia (ALL) is a type of cancer in which the bone marrow makes"
    " too many lymphocytes (a type of white blood cell).    - Leukemia may affect red blood cells,"
    " white blood cells, and platelets.    - Previous chemotherapy and exposure to radiation may"
    " increase the risk of developing ALL.\n\n"
    "A myeloid stem cell becomes one of three types of mature blood cells:          -  Red blood"
    " cells that carry oxygen and other substances to all tissues of the body.    -  Platelets"
    " that form blood clots to stop bleeding."
)


def _units(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def _answerable(text: str) -> list[str]:
    return [s.text for s in split_sentences(text) if is_answer_sentence(s)]


@pytest.fixture(scope="module")
def answers(shared_data: Path) -> list[str]:
    """Every 20th MedQuAD answer (about 800), as the loader normalises none of their spacing."""
    with (shared_data / "medquad" / "corpus.jsonl").open() as corpus:
        return [json.loads(line)["answer"] for line in itertools.islice(corpus, 0, None, 20)]


def test_every_unit_is_the_exact_text_at_its_offsets(answers: list[str]) -> None:
    for answer in answers:
        for sentence in split_sentences(answer):
            assert answer[sentence.start : sentence.end] == sentence.text
            assert sentence.text == sentence.text.strip() != ""


def test_flattened_list_items_become_units_without_their_markers() -> None:
    units = split_sentences(LEUKEMIA_KEY_POINTS)

    items = [s.text for s in units if s.list_item]
    assert items == [
        "Adult acute lymphoblastic leukemia (ALL) is a type of cancer in which the bone marrow"
        " makes too many lymphocytes (a type of white blood cell).",
        "Leukemia may affect red blood cells, white blood cells, and platelets.",
        "Previous chemotherapy and exposure to radiation may increase the risk of developing ALL.",
        "Red blood cells that carry oxygen and other substances to all tissues of the body.",
        "Platelets that form blood clots to stop bleeding.",
    ]
    assert not any(s.list_item for s in units if s.text.startswith(("Key", "A myeloid")))


def test_abbreviations_do_not_end_a_sentence() -> None:
    text = "Some drugs, e.g. aspirin, thin the blood. Dr. Smith works in the U.S. and Canada."

    assert _units(text) == [
        "Some drugs, e.g. aspirin, thin the blood.",
        "Dr. Smith works in the U.S. and Canada.",
    ]


def test_headings_questions_lead_ins_and_links_are_not_answer_sentences() -> None:
    text = (
        "What are the signs and symptoms of Sabinas brittle hair syndrome? Brittle hair is"
        " common in this syndrome.\n"
        "Key Points\n"
        "Early Symptoms\n"
        "These resources address the diagnosis or management of Timothy syndrome:\n"
        "- Gene Review: Gene Review: Timothy Syndrome\n"
        "- Genetic Testing Registry: Timothy syndrome\n"
        "- swelling of the neck and face\n"
        "- Too few words\n"
        "the sentence that a chunk cut in two ends here without a stop"
    )

    assert _answerable(text) == [
        "Brittle hair is common in this syndrome.",
        "swelling of the neck and face",
    ]


def test_an_attribution_after_a_run_of_blanks_is_its_own_unit() -> None:
    text = "Hormones should be re-evaluated every six months.    NIH: National Institute on Aging"

    assert _units(text) == [
        "Hormones should be re-evaluated every six months.",
        "NIH: National Institute on Aging",
    ]
    assert _answerable(text) == ["Hormones should be re-evaluated every six months."]


def test_a_heading_run_into_its_first_sentence_is_a_unit_of_its_own() -> None:
    text = "Symptoms of Glaucoma Glaucoma can develop in one or both eyes. It often has no signs."

    units = split_sentences(text)

    assert [u.text for u in units] == [
        "Symptoms of Glaucoma",
        "Glaucoma can develop in one or both eyes.",
        "It often has no signs.",
    ]
    assert not is_answer_sentence(units[0])
    assert all(text[u.start : u.end] == u.text for u in units)
    opener = split_sentences("How Glaucoma Develops There are several different types of it.")
    assert [u.text for u in opener] == [
        "How Glaucoma Develops",
        "There are several different types of it.",
    ]
    therapies = split_sentences("Supportive Therapies A wide variety of therapies may help.")
    assert [u.text for u in therapies][-1] == "A wide variety of therapies may help."
    prose = "The Human Phenotype Ontology lists the signs of this condition."
    assert [u.text for u in split_sentences(prose)] == [prose]


def test_source_boilerplate_is_not_an_answer_sentence() -> None:
    text = (
        "The Human Phenotype Ontology provides the following list of signs and symptoms for "
        "ABCD syndrome. You can use the MedlinePlus Medical Dictionary to look up the "
        "definitions for these medical terms."
    )

    assert not any(is_answer_sentence(u) for u in split_sentences(text))
