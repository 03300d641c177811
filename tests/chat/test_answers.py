"""What an answer says, through the real API on the small real index (the five labels, the
MedlinePlus drug names MedQuAD lists, a slice of MedQuAD): question understanding steers it."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.chat.sse_client import new_conversation, stream_answer

CITATION = re.compile(r"\[(\d+)\]")


@pytest.fixture
def client(patient) -> httpx.Client:  # type: ignore[no-untyped-def]
    """A signed-in patient's client."""
    return patient.client


def test_drugs_without_a_label_are_named_and_nothing_near_is_quoted(
    client: httpx.Client,
) -> None:
    answer = stream_answer(
        client, new_conversation(client), "Can I take ibuprofen if I'm on lisinopril?"
    )

    meta, done = answer.first("meta"), answer.first("done")
    assert answer.text.startswith("Lumen has no FDA label for Ibuprofen or Lisinopril")
    assert "pharmacist" in answer.text and "medlineplus" in answer.text.lower()
    assert meta["kind"] == "answer" and meta["sources"] == []
    assert done["citations"] == [] and not CITATION.search(answer.text)


def test_a_missing_label_is_named_beside_the_answer_about_a_held_one(
    client: httpx.Client,
) -> None:
    answer = stream_answer(
        client, new_conversation(client), "Can I take Lipitor together with lisinopril?"
    )

    meta = answer.first("meta")
    assert answer.text.startswith("Lumen has no FDA label for Lisinopril")
    cited = {int(n) for n in CITATION.findall(answer.text)}
    assert cited, answer.text
    titles = {s["title"].upper() for s in meta["sources"] if s["n"] in cited}
    assert any("LIPITOR" in t for t in titles)


def test_a_side_effects_question_leads_with_the_labels_side_effects(
    client: httpx.Client,
) -> None:
    answer = stream_answer(client, new_conversation(client), "What are the side effects of Humira?")

    first = answer.first("meta")["sources"][0]
    assert "HUMIRA" in first["title"].upper()
    assert re.search(r"adverse reactions|side effects", first["section"], re.IGNORECASE)
    assert answer.text.split(" [")[0] in first["snippet"], "the answer leads with that passage"


def test_search_ranks_the_focus_and_its_section_first_for_real_wording(pharma) -> None:  # type: ignore[no-untyped-def]
    message = "hi, my mother takes humira for her arthritis. what side effects should we watch for?"

    items = pharma.client.get("/api/v1/search", params={"q": message, "k": 5}).json()["items"]

    assert "HUMIRA" in items[0]["title"].upper()
    assert items[0]["on_focus"] is True
    assert re.search(r"adverse reactions|side effects", items[0]["section"], re.IGNORECASE)
