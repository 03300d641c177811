"""Calibrate the extractive engine's refusal threshold and scoring on MedQuAD.

In-domain: MedQuAD dev questions, each with its gold answer (the first passage that Lumen's
loader and chunker make of it) among the five other passages that a dense search over a
corpus sample ranks highest. Out-of-scope: the questions below, run against the same search.

Prints: the best-sentence cosine that keeps ``--answered`` of in-domain questions answered
(``MIN_RELEVANCE``) and the share of out-of-scope questions refused at it; per rank penalty
and relevance margin, the quotes per answer and the share taken from the gold passage; the
latency of ``compose`` for 6 sources of ~900 characters.

    .venv/bin/python -m bench.calibrate_extractive [--questions 600] [--cache /tmp/x.npz]

(Run it as a module: ``bench/`` holds an ``http.py`` that would shadow the standard library's
when the script's folder is first on ``sys.path``.)
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from tests.medquad_rows import corpus_row_document

from lumen.chat.engines.extractive import MAX_CANDIDATES, ExtractiveEngine, candidate_sentences
from lumen.knowledge.chunking import chunk_document
from lumen.knowledge.embeddings import Embedder
from lumen.knowledge.schemas import CONSUMER_HEALTH, RetrievalHit

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "medquad"
SOURCES = 6

OUT_OF_SCOPE = [
    "Who won the 1998 World Cup?",
    "How do I fix my bike chain?",
    "What's the capital of Peru?",
    "How many moons does Jupiter have?",
    "What is the best way to learn Spanish quickly?",
    "How do I change a flat tire on my car?",
    "Who wrote Pride and Prejudice?",
    "What time does the stock market open in New York?",
    "How do I make sourdough bread at home?",
    "What is the tallest building in the world?",
    "How do I reset my Wi-Fi router password?",
    "Who painted the Mona Lisa?",
    "What is the exchange rate between the euro and the dollar?",
    "How do I install Python on Windows?",
    "When did the Roman Empire fall?",
    "What's a good name for a golden retriever puppy?",
    "How do I get a refund for a cancelled flight?",
    "Which planet is closest to the sun?",
    "How do I grow tomatoes on a balcony?",
    "Who is the current president of France?",
    "How long should I boil an egg for a runny yolk?",
    "What is the plot of the movie Inception?",
    "How do I file my taxes online?",
    "What are the rules of cricket?",
    "How do I clean a cast iron skillet?",
    "What's the fastest land animal?",
    "How many players are on a basketball team?",
    "How do I write a cover letter for a job application?",
    "What is the speed of light in a vacuum?",
    "Where is the Great Barrier Reef?",
    "How do I replace a light switch?",
    "What's the best smartphone to buy this year?",
    "How do I convert Celsius to Fahrenheit?",
    "Who discovered America?",
    "What is the population of Tokyo?",
    "How do I tie a bow tie?",
    "What are the lyrics of Bohemian Rhapsody?",
    "How do I unclog a kitchen sink?",
    "What's the difference between a crocodile and an alligator?",
    "How do I start a small business?",
    "Which team won the Super Bowl in 2010?",
    "How do I knit a scarf?",
    "What is blockchain technology?",
    "How far is the moon from the earth?",
    "How do I train my cat to use a scratching post?",
    "What is the boiling point of water at high altitude?",
    "How do I apply for a passport?",
    "What language is spoken in Brazil?",
    "How do I paint a room without leaving streaks?",
    "What is the recipe for chocolate chip cookies?",
    "Who invented the telephone?",
    "How do I sort a list in JavaScript?",
    "What are the opening hours of the Louvre?",
    "How do I winterize a swimming pool?",
    "What is the meaning of life?",
    "How much does a Tesla Model 3 cost?",
    "What is the best chess opening for beginners?",
    "How do I jump-start a car battery?",
    "Why is the sky blue?",
    "How do volcanoes form?",
    "What's the score of last night's game?",
    "Can you recommend a good science fiction novel?",
    "How do I sharpen a kitchen knife?",
    "What is the GDP of Germany?",
    "How do airplanes stay in the air?",
    "What should I pack for a trip to Iceland?",
    "How do I delete my Facebook account?",
    "What year did the Berlin Wall come down?",
    "How do I calculate compound interest?",
    "What is my horoscope for today?",
]


class CachingEmbedder(Embedder):
    """Encodes each distinct text once, so parameter sweeps re-run the engine for free."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._cache: dict[str, npt.NDArray[np.float32]] = {}
        if path is not None and path.exists():
            with np.load(path) as stored:
                self._cache = dict(
                    zip(json.loads(str(stored["texts"])), stored["vectors"], strict=True)
                )
        super().__init__()

    def save(self) -> None:
        if self._path is not None:
            texts = list(self._cache)
            vectors = np.stack([self._cache[t] for t in texts])
            np.savez(self._path, texts=json.dumps(texts), vectors=vectors)

    def encode_documents(
        self, texts: Sequence[str], batch_size: int | None = None
    ) -> npt.NDArray[np.float32]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vectors = super().encode_documents(missing, batch_size)
            self._cache.update(zip(missing, vectors, strict=True))
        return np.stack([self._cache[t] for t in texts])

    def encode_query(self, text: str) -> npt.NDArray[np.float32]:
        key = "\0query\0" + text
        if key not in self._cache:
            self._cache[key] = super().encode_query(text)
        return self._cache[key]


def first_chunk(row: dict[str, str]) -> str:
    """The first passage that Lumen's loader and chunker make of a corpus answer."""
    doc = corpus_row_document(row)
    return chunk_document(doc)[0].text


def hit(row: dict[str, str], passage: str, score: float) -> RetrievalHit:
    return RetrievalHit(
        score=score,
        document_id=f"medquad:{row['document_id']}",
        section_key=row["id"],
        title=row["title"],
        section=row["question_type"],
        source="medquad",
        source_name=row["source"],
        collection=CONSUMER_HEALTH,
        url=row["url"],
        passage=passage,
        start=0,
        end=len(passage),
    )


@dataclass
class Cases:
    """Questions with the sources the engine sees; ``gold`` names the answering section."""

    embedder: CachingEmbedder
    in_domain: list[tuple[str, list[RetrievalHit]]]
    gold: list[str]
    out_of_scope: list[tuple[str, list[RetrievalHit]]]
    long_passages: list[RetrievalHit]  # 800–900 characters, for timing


def build_cases(questions: int, distractors: int, seed: int, cache: Path | None) -> Cases:
    """Sample dev questions, embed their gold passages plus distractors, retrieve 6 each."""
    rng = random.Random(seed)
    corpus = {row["id"]: row for row in map(json.loads, (DATA / "corpus.jsonl").open())}
    dev = [json.loads(line) for line in (DATA / "dev_questions.jsonl").open()]
    dev = rng.sample([q for q in dev if q["gold_ids"][0] in corpus], questions)
    gold_ids = {q["gold_ids"][0] for q in dev}
    sample_ids = sorted(gold_ids) + rng.sample(sorted(corpus.keys() - gold_ids), distractors)
    passages = [first_chunk(corpus[i]) for i in sample_ids]

    embedder = CachingEmbedder(cache)
    started = time.perf_counter()
    index = embedder.encode_documents(passages)
    print(f"embedded {len(passages)} passages in {time.perf_counter() - started:.0f} s")

    def retrieve(question: str, gold: str | None) -> list[RetrievalHit]:
        scores = index @ embedder.encode_query(question)
        order = [int(i) for i in np.argsort(-scores)[:SOURCES]]
        if gold is not None and sample_ids.index(gold) not in order:
            order[-1] = sample_ids.index(gold)
        return [hit(corpus[sample_ids[i]], passages[i], float(scores[i])) for i in order]

    return Cases(
        embedder=embedder,
        in_domain=[(q["question"], retrieve(q["question"], q["gold_ids"][0])) for q in dev],
        gold=[q["gold_ids"][0] for q in dev],
        out_of_scope=[(q, retrieve(q, None)) for q in OUT_OF_SCOPE],
        long_passages=[
            hit(corpus[i], p, 0.0)
            for i, p in zip(sample_ids, passages, strict=True)
            if len(p) >= 800
        ],
    )


def calibrate_threshold(cases: Cases, answered: float) -> float:
    """The largest cosine (to 0.01) below which at most ``1 - answered`` in-domain tops fall."""
    never_refuse = ExtractiveEngine(cases.embedder, min_relevance=-1.0, relevance_margin=2.0)
    tops_in = [never_refuse.compose(q, s).top_relevance or 0.0 for q, s in cases.in_domain]
    tops_out = [never_refuse.compose(q, s).top_relevance or 0.0 for q, s in cases.out_of_scope]
    cases.embedder.save()
    threshold = float(np.floor(np.quantile(tops_in, 1 - answered) * 100) / 100)
    print(
        f"best-sentence cosine: in-domain p3 {np.quantile(tops_in, 0.03):.3f}, median "
        f"{np.median(tops_in):.3f}; out-of-scope median {np.median(tops_out):.3f}, max "
        f"{max(tops_out):.3f}"
    )
    print(
        f"threshold {threshold:.2f}: in-domain answered "
        f"{np.mean([t >= threshold for t in tops_in]):.1%} of {len(tops_in)}, out-of-scope "
        f"refused {np.mean([t < threshold for t in tops_out]):.1%} of {len(tops_out)}"
    )
    ranked = sorted(zip(tops_out, OUT_OF_SCOPE, strict=True), reverse=True)
    for top, question in ranked[:5]:
        print(f"  closest out-of-scope: {top:.3f} {question}")
    return threshold


def sweep_scoring(cases: Cases, threshold: float) -> None:
    """Quotes per answer and the share taken from the gold passage, per rank penalty and
    relevance margin. Other passages may answer too (a GHR and a GARD page on one disease),
    so the gold share is a lower bound on precision."""
    print(
        "rank penalty  margin  quotes/answer  one-quote answers  quotes from gold  best from gold"
    )
    for penalty in (0.0, 0.03, 0.05):
        for margin in (0.05, 0.10, 0.15, 0.20, 2.0):
            engine = ExtractiveEngine(
                cases.embedder,
                min_relevance=threshold,
                relevance_margin=margin,
                rank_penalty=penalty,
            )
            quoted = from_gold = best_gold = answers = single = 0
            for (question, sources), gold in zip(cases.in_domain, cases.gold, strict=True):
                quotes = engine.compose(question, sources).quotes
                if not quotes:
                    continue
                answers += 1
                quoted += len(quotes)
                single += len(quotes) == 1
                from_gold += sum(sources[q.source].section_key == gold for q in quotes)
                best = max(quotes, key=lambda q: q.relevance - penalty * q.source)
                best_gold += sources[best.source].section_key == gold
            print(
                f"{penalty:12.2f}  {margin:6.2f}  {quoted / answers:13.2f}  "
                f"{single / answers:17.1%}  {from_gold / quoted:16.1%}  "
                f"{best_gold / answers:14.1%}"
            )


def measure_latency(cases: Cases, runs: int, seed: int) -> None:
    """Time ``compose`` for in-domain questions, each with 6 random passages of 800–900
    characters, as in the request path: the question is already embedded (retrieval did it),
    the sentence cache is cold (a new engine per run) or warm (the same sources again)."""
    rng = random.Random(seed)
    embedder = Embedder()
    cold_ms, warm_ms, split_ms = [], [], []
    for question, _ in (cases.in_domain * runs)[:runs]:
        sources = rng.sample(cases.long_passages, SOURCES)
        embedder.encode_query(question)
        engine = ExtractiveEngine(embedder)
        started = time.perf_counter()
        candidate_sentences(sources, MAX_CANDIDATES)
        split_ms.append((time.perf_counter() - started) * 1000)
        for timings in (cold_ms, warm_ms):
            started = time.perf_counter()
            engine.compose(question, sources)
            timings.append((time.perf_counter() - started) * 1000)
    print(f"compose latency, {runs} runs of {SOURCES} passages of 800-900 characters:")
    for name, timings in (("cold", cold_ms), ("warm", warm_ms), ("splitting alone", split_ms)):
        print(
            f"  {name}: p50 {np.percentile(timings, 50):.1f} ms, "
            f"p95 {np.percentile(timings, 95):.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=600)
    parser.add_argument("--distractors", type=int, default=1500)
    parser.add_argument("--answered", type=float, default=0.97)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, help="an .npz keeping embeddings between runs")
    parser.add_argument("--latency-runs", type=int, default=200)
    args = parser.parse_args()
    cases = build_cases(args.questions, args.distractors, args.seed, args.cache)
    threshold = calibrate_threshold(cases, args.answered)
    sweep_scoring(cases, threshold)
    if args.latency_runs > 0:
        measure_latency(cases, args.latency_runs, args.seed)


if __name__ == "__main__":
    main()
