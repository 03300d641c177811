"""The extractive engine on real MedQuAD passages (chunked as Lumen chunks them) with the real
all-MiniLM-L6-v2 embedder."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncGenerator
from dataclasses import replace
from pathlib import Path

import anyio
import numpy as np
import pytest

from lumen.chat.engines.extractive import (
    DUPLICATE_COSINE,
    NO_ANSWER,
    Candidate,
    ExtractiveEngine,
    mmr_select,
    stored_vectors,
)
from lumen.knowledge.chunking import chunk_document
from lumen.knowledge.embeddings import Embedder
from lumen.knowledge.schemas import RetrievalHit
from lumen.knowledge.sentence_vectors import pack, quotable_sentences, unpack
from tests.medquad_rows import corpus_row_document

SHINGLES_TREATMENT = "NINDS_0000148_Sec2"
GOUT_SYMPTOMS = "NIHSeniorHealth_0000028_Sec3"
LEUKEMIA_KEY_POINTS = "CancerGov_0000001_1_Sec1"
SHINGLES_SYMPTOMS = "NIHSeniorHealth_0000062_Sec4"
GOUT_TREATMENT = "NIHSeniorHealth_0000028_Sec4"
LEUKEMIA_SYMPTOMS = "CancerGov_0000001_1_Sec2"
# The shingles symptoms passage is 4th, behind a shingles passage about treatment.
MIXED = [
    SHINGLES_TREATMENT,
    GOUT_SYMPTOMS,
    LEUKEMIA_KEY_POINTS,
    SHINGLES_SYMPTOMS,
    GOUT_TREATMENT,
    LEUKEMIA_SYMPTOMS,
]
IN_SCOPE = [
    "What are the symptoms of shingles?",
    "What are the signs of gout?",
    "What is adult acute lymphoblastic leukemia?",
    "How is shingles treated?",
]
OFF_TOPIC = [
    "Who won the 1998 World Cup?",
    "How do I fix my bike chain?",
    "What's the capital of Peru?",
]
# A quoted sentence followed by its marker: "<sentence> [n]".
CITED_SENTENCE = re.compile(r"(.+?) \[(\d+)\](?:\s+|$)", re.DOTALL)


@pytest.fixture(scope="module")
def chunks(shared_data: Path) -> dict[str, list[RetrievalHit]]:
    """The chunks of the sections used here, keyed by corpus id, as retrieval hits."""
    wanted = set(MIXED)
    found: dict[str, list[RetrievalHit]] = {}
    with (shared_data / "medquad" / "corpus.jsonl").open() as corpus:
        for line in corpus:
            row = json.loads(line)
            if row["id"] in wanted:
                found[row["id"]] = _chunk_hits(row)
    assert found.keys() == wanted
    return found


@pytest.fixture(scope="module")
def engine(embedder: Embedder) -> ExtractiveEngine:
    return ExtractiveEngine(embedder)


@pytest.fixture
def mixed_sources(chunks: dict[str, list[RetrievalHit]]) -> list[RetrievalHit]:
    return [chunks[key][0] for key in MIXED]


async def _answer(engine: ExtractiveEngine, question: str, sources: list[RetrievalHit]) -> str:
    return "".join([delta async for delta in engine.stream(question, sources)])


@pytest.mark.parametrize("question", IN_SCOPE)
async def test_every_sentence_is_quoted_verbatim_from_the_source_it_cites(
    engine: ExtractiveEngine, mixed_sources: list[RetrievalHit], question: str
) -> None:
    text = await _answer(engine, question, mixed_sources)

    cited = CITED_SENTENCE.findall(text)
    assert cited, text
    assert "".join(m.group(0) for m in CITED_SENTENCE.finditer(text)) == text
    for sentence, n in cited:
        assert 1 <= int(n) <= len(mixed_sources)
        assert sentence.strip() in mixed_sources[int(n) - 1].passage


async def test_a_symptoms_question_cites_the_symptoms_passage_among_distractors(
    engine: ExtractiveEngine, mixed_sources: list[RetrievalHit]
) -> None:
    answer = engine.compose("What are the symptoms of shingles?", mixed_sources)

    assert MIXED.index(SHINGLES_SYMPTOMS) + 1 in answer.citations
    assert "[2]" not in answer.text and "[5]" not in answer.text  # the gout passages


@pytest.mark.parametrize("question", OFF_TOPIC)
async def test_an_off_topic_question_gets_the_no_answer_sentence_and_no_citation(
    engine: ExtractiveEngine, mixed_sources: list[RetrievalHit], question: str
) -> None:
    text = await _answer(engine, question, mixed_sources)

    assert text == NO_ANSWER
    assert not re.search(r"\[\d+\]", text)


async def test_no_sources_yield_the_no_answer_sentence(engine: ExtractiveEngine) -> None:
    assert await _answer(engine, "What are the symptoms of shingles?", []) == NO_ANSWER


async def test_no_sentence_is_quoted_twice_or_nearly_twice(
    embedder: Embedder, chunks: dict[str, list[RetrievalHit]]
) -> None:
    # The "Key Points" list restates the sentences below it, and consecutive chunks share a
    # sentence: the same statements reach the engine up to three times. With no relevance
    # floor or margin every sentence competes, so only MMR keeps the repeats out.
    engine = ExtractiveEngine(embedder, min_relevance=0.0, relevance_margin=2.0)
    first, second = chunks[LEUKEMIA_KEY_POINTS][:2]
    sources = [first, second, first]
    answer = engine.compose(
        "What is adult acute lymphoblastic leukemia and what does it do?", sources
    )

    quoted = [quote.sentence.text for quote in answer.quotes]
    assert len(quoted) == engine.max_sentences
    assert len({" ".join(q.casefold().split()) for q in quoted}) == len(quoted)
    vectors = embedder.encode_documents(quoted)
    similarity = vectors @ vectors.T
    assert similarity[np.triu_indices(len(quoted), k=1)].max() < DUPLICATE_COSINE


async def test_streamed_deltas_are_phrases_that_concatenate_to_the_answer(
    engine: ExtractiveEngine, mixed_sources: list[RetrievalHit]
) -> None:
    question = "What are the signs of gout?"
    deltas = [delta async for delta in engine.stream(question, mixed_sources)]

    assert "".join(deltas) == engine.compose(question, mixed_sources).text
    assert len(deltas) > 5
    assert all(re.fullmatch(r"(\S+\s*){1,6}", delta) for delta in deltas)


async def test_an_answer_quotes_at_most_max_sentences(
    embedder: Embedder, mixed_sources: list[RetrievalHit]
) -> None:
    short = ExtractiveEngine(embedder, max_sentences=2)

    text = await _answer(short, "What is adult acute lymphoblastic leukemia?", mixed_sources)

    assert 1 <= len(re.findall(r" \[\d+\]", text)) <= 2


async def test_the_event_loop_keeps_running_while_an_answer_is_composed(
    embedder: Embedder, mixed_sources: list[RetrievalHit]
) -> None:
    # A fresh engine: sentences cached by earlier tests would make composing instantaneous.
    engine = ExtractiveEngine(embedder)
    ticks = 0
    composing = True

    async def tick() -> None:
        nonlocal ticks
        while composing:
            ticks += 1
            await anyio.sleep(0.001)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(tick)
        started = time.perf_counter()
        stream: AsyncGenerator[str, None] = engine.stream(
            "What are the signs of gout?", mixed_sources
        )
        await anext(stream)  # the first delta comes once selection is done
        await stream.aclose()
        elapsed = time.perf_counter() - started
        composing = False

    assert ticks >= 3, f"{ticks} ticks in {elapsed * 1000:.0f} ms"


def _with_stored_vectors(embedder: Embedder, hits: list[RetrievalHit]) -> list[RetrievalHit]:
    """The hits as ingestion stores them: each chunk's quotable sentences' vectors packed in."""
    stored = []
    for hit in hits:
        found = quotable_sentences(hit.passage)
        vectors = embedder.encode_documents([s.text for s in found])
        stored.append(hit.model_copy(update={"sentence_vectors": pack(found, vectors)}))
    return stored


@pytest.mark.parametrize("question", [*IN_SCOPE, OFF_TOPIC[0]])
async def test_sentence_vectors_stored_at_ingestion_give_the_same_answer_without_embedding(
    embedder: Embedder,
    mixed_sources: list[RetrievalHit],
    question: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Fresh engines, so that no sentence is cached from another test.
    computed = await _answer(ExtractiveEngine(embedder), question, mixed_sources)
    stored_sources = _with_stored_vectors(embedder, mixed_sources)
    embedded: list[str] = []
    encode = embedder.encode_documents

    def counting(texts: list[str], batch_size: int | None = None) -> np.ndarray:
        embedded.extend(texts)
        return encode(texts, batch_size)

    monkeypatch.setattr(embedder, "encode_documents", counting)

    stored = await _answer(ExtractiveEngine(embedder), question, stored_sources)

    assert stored == computed
    assert embedded == []


def test_float16_storage_moves_a_sentence_s_cosine_to_the_question_by_under_1e_4(
    embedder: Embedder, mixed_sources: list[RetrievalHit]
) -> None:
    exact, restored = [], []
    for hit in mixed_sources:
        found = quotable_sentences(hit.passage)
        vectors = embedder.encode_documents([s.text for s in found])
        table = unpack(pack(found, vectors))
        exact.append(vectors)
        restored.append(np.stack([table[(s.start, s.end)] for s in found]))
    questions = np.stack([embedder.encode_query(q) for q in IN_SCOPE + OFF_TOPIC])
    cosines = np.concatenate(exact) @ questions.T
    stored_cosines = np.concatenate(restored) @ questions.T

    assert len(cosines) > 30
    assert np.abs(stored_cosines - cosines).max() < 1e-4


def test_vectors_of_another_split_or_no_vectors_at_all_are_not_used(
    embedder: Embedder, mixed_sources: list[RetrievalHit]
) -> None:
    hit = mixed_sources[1]
    found = quotable_sentences(hit.passage)
    vectors = embedder.encode_documents([s.text for s in found])
    shifted = [replace(s, start=s.start + 1) for s in found]
    candidates = [Candidate(0, s) for s in found]

    assert stored_vectors([hit], candidates) == [None] * len(found)
    stale = hit.model_copy(update={"sentence_vectors": pack(shifted, vectors)})
    assert stored_vectors([stale], candidates) == [None] * len(found)
    for broken in ({"spans": [0, 4], "float16": "not base64!"}, {"spans": [0]}, "x"):
        assert unpack(broken) == {}
    current = hit.model_copy(update={"sentence_vectors": pack(found, vectors)})
    assert all(v is not None for v in stored_vectors([current], candidates))


def test_mmr_drops_near_duplicates_and_prefers_novel_items() -> None:
    a = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    a_again = np.array([0.999, 0.045, 0.0], dtype=np.float32)
    b = np.array([0.6, 0.8, 0.0], dtype=np.float32)
    vectors = np.stack([a, a_again, b])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    relevance = np.array([0.9, 0.89, 0.7], dtype=np.float32)

    assert mmr_select(relevance, vectors, k=3, mmr_lambda=0.7, duplicate_cosine=0.9) == [0, 2]
    ineligible = np.array([0.9, -np.inf, 0.7], dtype=np.float32)
    assert mmr_select(ineligible, vectors, k=1, mmr_lambda=0.7, duplicate_cosine=0.9) == [0]


def _hit(passage: str, n: int = 0, on_focus: bool = False) -> RetrievalHit:
    return RetrievalHit(
        score=0.0,
        document_id=f"test:{n}",
        section_key=f"s{n}",
        title="Gout",
        section="Gout",
        source="medquad",
        source_name="test",
        collection="consumer_health",
        url=None,
        passage=passage,
        start=0,
        end=len(passage),
        on_focus=on_focus,
    )


async def test_a_lead_sentence_that_refers_back_is_quoted_with_the_sentence_before(
    engine: ExtractiveEngine,
) -> None:
    passage = (
        "Purines are natural substances found in organ meats, anchovies, sardines and beer. "
        "These foods raise the level of uric acid in the blood and can trigger a gout attack. "
        "Gout most often affects the big toe."
    )

    answer = engine.compose("Which foods can trigger a gout attack?", [_hit(passage)])

    assert answer.text.startswith("Purines are natural substances")
    assert "These foods raise the level of uric acid" in answer.text
    # the passage is contiguous: the sentences read as the source wrote them
    quoted = [q.sentence for q in answer.quotes]
    assert [s.start for s in quoted] == sorted(s.start for s in quoted)


async def test_each_sub_question_is_answered_in_turn_from_its_own_passage(
    engine: ExtractiveEngine, chunks: dict[str, list[RetrievalHit]]
) -> None:
    treatment, symptoms = chunks[GOUT_TREATMENT][0], chunks[GOUT_SYMPTOMS][0]
    question = "What are the signs of gout? And how is gout treated?"

    answer = engine.compose(question, [treatment, symptoms])

    paragraphs = answer.text.split("\n\n")
    assert len(paragraphs) >= 2
    assert paragraphs[0].endswith("[2]")  # the symptoms first, as asked
    assert any(p.endswith("[1]") for p in paragraphs[1:])


async def test_a_passage_on_the_named_focus_is_quoted_at_a_lower_cosine(
    embedder: Embedder,
) -> None:
    strict = ExtractiveEngine(embedder, min_relevance=0.9, on_focus_min_relevance=0.3)
    passage = "Gout is a form of arthritis caused by too much uric acid in the blood."

    off = strict.compose("What is gout?", [_hit(passage)])
    on = strict.compose("What is gout?", [_hit(passage, on_focus=True)])

    assert off.text == NO_ANSWER
    assert on.text == f"{passage} [1]"


def _chunk_hits(row: dict[str, str]) -> list[RetrievalHit]:
    """Cut a corpus answer as the MedQuAD loader and chunker do; one hit per chunk."""
    doc = corpus_row_document(row)
    return [
        RetrievalHit(
            score=0.0,
            document_id=doc.id,
            section_key=chunk.section_key,
            title=doc.title,
            section=chunk.section_title,
            source=doc.source,
            source_name=doc.source_name,
            collection=doc.collection,
            url=doc.url,
            passage=chunk.text,
            start=chunk.start,
            end=chunk.end,
        )
        for chunk in chunk_document(doc)
    ]


def test_a_whole_answer_streams_in_phrases_that_rebuild_it_exactly() -> None:
    from lumen.chat.engines.base import PHRASE_WORDS, phrase_deltas

    text = (
        "Glaucoma damages the optic nerve [1]. It often has no early symptoms, so eye exams "
        "matter.\n\nSee a doctor at once for sudden eye pain [2]."
    )
    deltas = phrase_deltas(text)
    assert "".join(deltas) == text
    assert len(deltas) >= 4, "still a stream, not one block"
    assert all(len(d.split()) <= PHRASE_WORDS for d in deltas)
    assert any(d.endswith("\n\n") for d in deltas), "a paragraph break ends a phrase"
