"""The grounded prompt: numbered sources, the rules, and a bounded size."""

from __future__ import annotations

from lumen.chat.engines.prompt import build_messages
from lumen.knowledge.schemas import RetrievalHit


def test_sources_are_numbered_in_order_with_title_section_and_passage(
    sources: list[RetrievalHit],
) -> None:
    (user,) = build_messages("How long does flu fever last?", sources)
    assert user["role"] == "user", "one user turn: Mistral v0.1 templates reject 'system'"
    text = str(user["content"])
    first = text.index("[1] Influenza — What are the symptoms of Influenza?")
    second = text.index("[2] Common cold — What is the Common cold?")
    assert first < text.index("Fever usually lasts three to four days.") < second
    assert text.rstrip().endswith("citing them as [n]:")
    assert "Question: How long does flu fever last?" in text


def test_the_rules_ask_for_citations_refusal_and_no_diagnosis(sources: list[RetrievalHit]) -> None:
    rules = str(build_messages("q", sources)[0]["content"])
    assert "only the numbered sources" in rules
    assert "[n]" in rules
    assert "do not answer the question" in rules
    assert "Do not diagnose" in rules


def test_long_passages_are_cut_so_the_prompt_stays_within_the_budget(
    sources: list[RetrievalHit],
) -> None:
    long_sources = [s.model_copy(update={"passage": "word " * 5000}) for s in sources]
    user = str(build_messages("q", long_sources, max_source_chars=1000)[0]["content"])
    assert len(user) < 1000 + 900  # rules, headings and question on top of the budget
    assert user.count("…") == 2
    assert "[2] Common cold" in user


def test_without_sources_the_model_is_told_to_say_nothing_answers() -> None:
    user = str(build_messages("q", [])[0]["content"])
    assert "Sources: none." in user
    assert "no source answers" in user
