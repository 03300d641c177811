"""Question understanding on real consumer messages (MEDIQA 2019, unedited wording) and on the
questions of issue 9, against the vocabulary of the real MedQuAD archive and FDA labels.

The labels below are ours, written by reading each message: its focus as the knowledge base
names it, the question types it asks, and how many sub-questions it holds.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from lumen.knowledge.loaders.medquad import open_medquad
from lumen.knowledge.loaders.spl import open_spl
from lumen.knowledge.schemas import LoadError
from lumen.knowledge.understanding import FocusVocabulary, QuestionAnalyzer, TermRecord
from lumen.knowledge.understanding.question_types import question_types
from lumen.knowledge.understanding.repository import terms_of
from lumen.knowledge.understanding.subquestions import subquestions

# id → (focus as the knowledge base names it, a type the message asks, sub-questions)
LABELLED = {
    # typo in the subject line, the focus spelled right later; asks for support groups
    "mediqa2019-qa-test-1": ("Abetalipoproteinemia", "support groups", 1),
    # two questions; the second only says "the disorder"
    "mediqa2019-qa-test-7": ("Angelman syndrome", "inheritance", 2),
    "mediqa2019-qa-test-18": ("Cervical Cancer", "susceptibility", 2),
    "mediqa2019-qa-test-22": ("Stiff person syndrome", "symptoms", 1),
    "mediqa2019-qa-test-70": ("Polycystic ovarian syndrome", "inheritance", 1),
    "mediqa2019-qa-test-72": ("preeclampsia", "prevention", 1),
    # the background ("for past 7-8 years I had psoriasis") is not a question
    "mediqa2019-qa-test-74": ("Psoriasis", "treatment", 1),
    "mediqa2019-qa-test-95": ("vitelliform macular dystrophy", "treatment", 1),
    "mediqa2019-qa-test-101": ("cystic fibrosis", "frequency", 1),
    # possessive and a missing "s": "edward's syndrome" is Edwards syndrome
    "mediqa2019-qa-test-121": ("Edwards syndrome", "exams and tests", 1),
}


@pytest.fixture(scope="module")
def vocabulary(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> FocusVocabulary:
    """The focus vocabulary of the whole MedQuAD archive and the five labels, as ingestion
    writes it."""
    records = []
    runs = (
        open_medquad(shared_data / "medquad" / "MedQuAD-master.zip", tmp_path_factory.mktemp("d")),
        open_spl(shared_data / "drug_labels" / "spl"),
    )
    for run in runs:
        for item in run:
            if isinstance(item, LoadError):
                continue
            for row in terms_of(item):
                records.append(TermRecord(row.term, row.name, row.kind, row.document_id, row.url))
    return FocusVocabulary(records)


@pytest.fixture(scope="module")
def analyzer(vocabulary: FocusVocabulary) -> QuestionAnalyzer:
    return QuestionAnalyzer(lambda: vocabulary)


@pytest.fixture(scope="module")
def consumer_messages(shared_data: Path) -> dict[str, str]:
    path = shared_data / "consumer" / "mediqa2019_questions.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {row["id"]: row["question"] for row in rows}


@pytest.mark.parametrize("message_id", sorted(LABELLED))
def test_real_messages_yield_their_focus_type_and_sub_questions(
    analyzer: QuestionAnalyzer, consumer_messages: dict[str, str], message_id: str
) -> None:
    focus, question_type, count = LABELLED[message_id]

    analysis = analyzer.analyze(consumer_messages[message_id])

    assert analysis.foci, "no focus found"
    assert analysis.foci[0].name.casefold() == focus.casefold()
    assert analysis.foci[0].held
    assert question_type in analysis.types
    assert len(analysis.questions) == count


def test_a_drug_question_asks_for_the_labels_adverse_reactions(
    analyzer: QuestionAnalyzer,
) -> None:
    analysis = analyzer.analyze("What are the side effects of Humira?")

    assert analysis.foci[0].name == "Humira"
    assert analysis.foci[0].kind == "drug"
    assert analysis.types == ["adverse reactions"]


def test_a_cure_question_is_a_treatment_question(analyzer: QuestionAnalyzer) -> None:
    analysis = analyzer.analyze("Is there a cure for Parkinson's disease?")

    assert analysis.foci[0].matched == "parkinson disease"
    assert analysis.types == ["treatment"]


def test_a_follow_up_that_says_he_is_queried_with_the_focus_by_name(
    analyzer: QuestionAnalyzer,
) -> None:
    analysis = analyzer.analyze("My father was just diagnosed with glaucoma. Will he go blind?")

    [question] = analysis.questions
    assert question.text == "Will he go blind?"
    assert question.types == ("outlook",)
    assert "Glaucoma" in question.query


def test_drugs_lumen_has_no_label_for_are_named_as_unheld(analyzer: QuestionAnalyzer) -> None:
    analysis = analyzer.analyze("Can I take ibuprofen if I'm on lisinopril?")

    assert [f.name for f in analysis.unheld] == ["Ibuprofen", "Lisinopril"]
    assert all(f.kind == "drug" and f.unheld_urls for f in analysis.unheld)
    assert not analysis.held_foci


def test_an_acronym_that_is_an_everyday_word_needs_capitals(analyzer: QuestionAnalyzer) -> None:
    sad = analyzer.analyze("I feel sad every winter. Is that seasonal depression?")

    assert "SAD" not in [f.name for f in sad.foci]
    assert sad.foci[0].matched == "seasonal depression"


def test_typos_and_partial_names_still_find_the_focus(analyzer: QuestionAnalyzer) -> None:
    assert analyzer.analyze("what causes parkinsons disease")
    found = analyzer.analyze("what are the treatments available to males with klinefelter's")

    assert found.foci[0].matched == "klinefelter"
    assert "klinefelter" in found.foci[0].name.casefold()


def test_a_misspelt_name_added_by_an_ingestion_is_found_after_a_refresh() -> None:
    """A vocabulary remembers the closest name of each span it looked up; the one rebuilt after
    an ingestion must not inherit "no such name" from the last."""
    names = [TermRecord("abetalipoproteinemia", "Abetalipoproteinemia", "condition", "d1", None)]
    analyzer = QuestionAnalyzer(lambda: FocusVocabulary(names))
    question = "how is thalasemmia treated in adults"

    assert analyzer.analyze(question).foci == ()
    assert analyzer.analyze(question).foci == ()
    names.append(TermRecord("thalassemia", "Thalassemia", "condition", "d2", None))
    analyzer.refresh()

    assert [f.name for f in analyzer.analyze(question).foci] == ["Thalassemia"]


def test_greetings_names_and_background_are_not_sub_questions() -> None:
    message = (
        "Hi, my name is [NAME]. I was diagnosed with gout last year and my doctor gave me "
        "pills. What foods should I avoid? Thank you so much!"
    )

    assert [q.text for q in subquestions(message)] == ["What foods should I avoid?"]


def test_a_request_without_a_question_mark_is_a_sub_question() -> None:
    message = "Vitelliform Macular Dystrophy. I would like to obtain more info on treatments"

    assert [q.text for q in subquestions(message)] == [
        "I would like to obtain more info on treatments"
    ]


def test_a_message_that_asks_nothing_explicitly_is_one_sub_question() -> None:
    message = "Dear doctor, I have had ringing in my ears for a month."

    assert [q.text for q in subquestions(message)] == ["I have had ringing in my ears for a month."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What causes ringing in the ears?", "causes"),
        ("Can it be passed on to my kids?", "inheritance"),
        ("How many people get this?", "frequency"),
        ("What is the life expectancy?", "outlook"),
        ("How do I know if I have it, is there a test for it?", "exams and tests"),
        ("Is there anything I can do to prevent it?", "prevention"),
        ("Are there clinical trials?", "research"),
    ],
)
def test_question_types_from_consumer_wording(text: str, expected: str) -> None:
    assert expected in question_types(text)


def test_label_section_types_apply_only_to_a_drug_focus() -> None:
    assert "dosage" in question_types("How much should I take a day?", drug_focus=True)
    assert question_types("Is it safe while pregnant?", drug_focus=True)[0] == "pregnancy"
    assert "dosage" not in question_types("How much should I take a day?", drug_focus=False)


def test_a_misspelt_name_finds_the_same_term_as_comparing_every_name(
    vocabulary: FocusVocabulary,
) -> None:
    """Fuzzy matching compares a span only with names whose length can reach the ratio
    (``vocabulary._closest``); on misspellings of 300 real names (a letter dropped, doubled,
    swapped, changed) it finds what comparing every name of the same word count finds."""
    from rapidfuzz import fuzz, process

    from lumen.knowledge.understanding.vocabulary import FUZZY_MIN_RATIO, _closest

    rng = random.Random(11)
    names = sorted(t for t in vocabulary._entries if len(t) >= 7)  # noqa: SLF001
    checked = 0
    for name in rng.sample(names, 300):
        at = rng.randrange(1, len(name) - 1)
        for span in (
            name[:at] + name[at + 1 :],
            name[:at] + name[at] + name[at:],
            name[: at - 1] + name[at] + name[at - 1] + name[at + 1 :],
            name[:at] + "x" + name[at + 1 :],
        ):
            by_length = vocabulary._by_words[len(name.split())]  # noqa: SLF001
            every = sorted(t for terms in by_length.values() for t in terms)
            expected = process.extractOne(
                span, every, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_RATIO
            )
            found = _closest(span, by_length)
            assert (found and (found[0], found[1])) == (
                expected and (expected[0], float(expected[1]))
            ), span
            checked += found is not None
    assert checked > 600, "most misspellings are still found"
