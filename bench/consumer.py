"""Benchmark 1b: retrieval and answers on real consumer wording (issue 9).

The 174 messages of ``consumer/mediqa2019_questions.jsonl`` (MEDIQA 2019 task 3; Ben Abacha,
Shivade & Demner-Fushman, ACL-BioNLP 2019) are graded by URL with the experts' judgements
(``bench.grading``). For each message:

- retrieval: the first 10 hits of Lumen's retrieval, of the textbook hybrid (``bench.textbook``:
  bm25s + all-MiniLM-L6-v2 over MedQuAD's rows, RRF k = 60, Cormack et al. 2009) and of the
  oracle (a perfect ranker over the same MedQuAD rows: their best grades, best first); figures
  avgScore@1 (LiveQA 0-3 scale, Ben Abacha et al. 2017), share of first hits graded ≥ 3,
  success@10 (a hit graded ≥ 3 among the first 10);
- answers: Lumen's answer to the message composed from Lumen's hits; figures avgScore and share
  graded ≥ 3 of the first cited source (in reading order), share of answers citing any source
  graded ≥ 3, and the refusal rate. A refusal, or an answer citing nothing, scores 0.

Every mean is over all messages. Lumen's side goes through ``LumenUnderTest.lumen_ranking`` and
``LumenUnderTest.lumen_answer`` alone: the rest only sees hits' URLs and answer text.

``python -m bench.consumer DATA_DIR SEED_DIR`` prints one JSON object (last line of stdout) and
writes a per-message table to ``bench/.cache/consumer-messages.tsv``; ``--baselines-only``
leaves Lumen out (no index needed).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bench.grading import (
    MESSAGES,
    DocumentKeys,
    Message,
    coverage,
    is_correct,
    live_qa_score,
    load_messages,
    ranking_figures,
)
from bench.textbook import TextbookHybrid, cached_embeddings, load_rows
from lumen.chat.engines.extractive import ExtractiveEngine
from lumen.chat.gaps import plan_answer
from lumen.knowledge.embeddings import Embedder
from lumen.knowledge.schemas import CONSUMER_HEALTH, DRUG_LABELS, RetrievalHit
from lumen.runtime import build_knowledge
from lumen.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache"
TABLE = CACHE / "consumer-messages.tsv"
DEPTH = 10  # hits per ranking (success@10)
EXAMPLES = 4  # short messages shown in results.md
EXAMPLE_MAX_CHARS = 90

# "[3]" or "[1, 2]": the citation forms answers use (lumen.chat.citations).
_MARKER = re.compile(r"\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]")


class Hit(Protocol):
    """What the benchmark reads of a retrieval hit: the URL of its document."""

    @property
    def url(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class BenchAnswer:
    """An answer as the benchmark grades it: its text (citing ``hits[n - 1]`` as ``[n]``) and
    whether it declines to answer (no source found, focus not in the knowledge base)."""

    text: str
    refused: bool
    gap: bool = False  # names a focus Lumen holds no source on ("no FDA label for X")


class LumenUnderTest:
    """Lumen's runtime objects over ``data_dir``, the index opened by this process alone.

    Built as ``lumen serve`` builds them (``build_knowledge``, then the extractive engine as
    ``build_server`` makes it); ``embedder`` shares a loaded model. Retrieval reads the
    consumer-health and drug-label collections, as a patient's chat does.
    """

    collections = (CONSUMER_HEALTH, DRUG_LABELS)

    def __init__(self, data_dir: Path, embedder: Embedder) -> None:
        self.runtime = build_knowledge(Settings(data_dir=data_dir), embedder)
        self.engine = ExtractiveEngine(self.runtime.embedder, bm25=self.runtime.bm25)
        self.answer_k = self.runtime.settings.retrieval_k  # what ChatService retrieves

    def lumen_ranking(self, question: str) -> list[RetrievalHit]:
        """Lumen's first ``DEPTH`` hits for ``question``, best first."""
        return self.runtime.retriever.search(question, k=DEPTH, collections=list(self.collections))

    def lumen_answer(self, question: str) -> tuple[BenchAnswer, list[RetrievalHit]]:
        """Lumen's answer to ``question`` and the hits it cites as ``[1]``…, as
        ``ChatService`` composes them after triage: ``retrieval_k`` hits steered by question
        understanding; when the message is only about drugs Lumen holds no label for, the
        note naming them (no sources); else the extractive engine on the hits and the
        sub-questions retrieval ran, after that note if some drug is missing."""
        search = self.runtime.retriever.search_timed(
            question, k=self.answer_k, collections=list(self.collections)
        )
        plan = plan_answer(search, scoped=False)
        if not plan.needs_engine:
            return BenchAnswer(plan.note, refused=True, gap=True), []
        composed = self.engine.compose(question, plan.hits, plan.queries)
        text = f"{plan.note}\n\n{composed.text}" if plan.note else composed.text
        # The engine's refusal (NO_ANSWER) is the answer that quotes nothing.
        return BenchAnswer(text, refused=not composed.quotes, gap=bool(plan.note)), plan.hits

    def points(self) -> int:
        """Points in the index."""
        return self.runtime.index.count()

    def close(self) -> None:
        """Release the index (one process at a time may hold it)."""
        self.runtime.index.close()


def cited_in_order(text: str, n_sources: int) -> list[int]:
    """The source numbers (1-based, within ``1..n_sources``) cited in ``text``, each once, in
    the order they first appear."""
    seen: dict[int, None] = {}
    for match in _MARKER.finditer(text):
        for number in re.split(r"\s*,\s*", match.group(1)):
            if 1 <= int(number) <= n_sources:
                seen.setdefault(int(number), None)
    return list(seen)


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """One message's answer as graded: the first cited source's URL and grade (``None`` if
    nothing is cited or it is unjudged), whether a cited source is graded ≥ 3, refusal."""

    refused: bool
    first_cited_url: str | None
    first_cited_grade: int | None
    any_cited_correct: bool


def answer_figures(
    answers: Sequence[BenchAnswer],
    hits: Sequence[Sequence[Hit]],
    messages: Sequence[Message],
    keys: DocumentKeys,
) -> tuple[dict[str, float], list[AnswerRow]]:
    """Figures of one answer per message, and a row per message for the debug table.

    ``answers[m]`` cites ``hits[m][n - 1]`` as ``[n]``. Returns ``first_cited_avg_score``
    (LiveQA 0-3 of the first cited source's document; 0 if refused, citing nothing or
    unjudged), ``first_cited_correct`` (that document graded ≥ 3), ``any_cited_correct`` (a
    cited document graded ≥ 3), ``refusals``, ``gap_notes`` (answers naming a focus Lumen
    holds nothing on) and ``gap_only`` (those that are nothing else), each a share of all
    messages.
    """
    rows = []
    for answer, sources, message in zip(answers, hits, messages, strict=True):
        cited = [] if answer.refused else cited_in_order(answer.text, len(sources))
        grades = [keys.grade(message, sources[n - 1].url) for n in cited]
        rows.append(
            AnswerRow(
                refused=answer.refused,
                first_cited_url=sources[cited[0] - 1].url if cited else None,
                first_cited_grade=grades[0] if grades else None,
                any_cited_correct=any(is_correct(g) for g in grades),
            )
        )
    n = len(rows)
    figures = {
        "first_cited_avg_score": sum(live_qa_score(r.first_cited_grade) for r in rows) / n,
        "first_cited_correct": sum(is_correct(r.first_cited_grade) for r in rows) / n,
        "any_cited_correct": sum(r.any_cited_correct for r in rows) / n,
        "refusals": sum(r.refused for r in rows) / n,
        "gap_notes": sum(a.gap for a in answers) / n,
        "gap_only": sum(a.gap and a.refused for a in answers) / n,
    }
    return figures, rows


def oracle_grades(message: Message, medquad_keys: frozenset[str]) -> list[int]:
    """A perfect ranking over MedQuAD's rows: the grades of the message's judged pages that
    MedQuAD holds, best first (the oracle needs no more than their order)."""
    return sorted((g for k, g in message.grades.items() if k in medquad_keys), reverse=True)


def write_table(path: Path, columns: dict[str, list[Any]]) -> None:
    """A tab-separated table, one row per message (``None`` written as ``-``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(columns)
    lines = ["\t".join(names)]
    for values in zip(*columns.values(), strict=True):
        lines.append("\t".join("-" if v is None else str(v) for v in values))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(data_dir: Path | None, seed_dir: Path) -> dict[str, Any]:
    """Measure everything; ``data_dir`` ``None`` leaves Lumen out."""
    embedded = data_dir is not None and Settings(data_dir=data_dir).qdrant_url is None
    if embedded and data_dir is not None and not (data_dir / "index").is_dir():
        raise SystemExit(f"{data_dir} holds no Lumen index: ingest MedQuAD and labels first")
    messages = load_messages(seed_dir / MESSAGES)
    rows = load_rows(seed_dir)
    keys = DocumentKeys(rows)
    medquad_keys = keys.all()
    settings = Settings()
    embedder = Embedder(
        torch_threads=settings.torch_threads, batch_size=settings.embedding_batch_size
    )
    texts = [row["answer"] for row in rows]
    textbook = TextbookHybrid(embedder, texts, cached_embeddings(embedder, texts, CACHE))
    questions = [m.question for m in messages]

    def grades_of(urls: Sequence[str | None], message: Message) -> list[int | None]:
        return [keys.grade(message, url) for url in urls]

    textbook_urls = [[rows[i]["url"] for i in textbook.search(q, DEPTH)] for q in questions]
    textbook_grades = [grades_of(u, m) for u, m in zip(textbook_urls, messages, strict=True)]
    oracle = [oracle_grades(m, medquad_keys) for m in messages]
    result: dict[str, Any] = {
        "messages": len(messages),
        "medquad_rows": len(rows),
        "coverage": coverage(messages, keys),
        "retrieval": {
            "textbook": ranking_figures(textbook_grades, DEPTH),
            "oracle": ranking_figures(oracle, DEPTH),
        },
    }
    columns: dict[str, list[Any]] = {
        "id": [m.id for m in messages],
        "oracle_best": [g[0] if g else None for g in oracle],
        "textbook_first_url": [u[0] if u else None for u in textbook_urls],
        "textbook_first_grade": [g[0] if g else None for g in textbook_grades],
    }
    if data_dir is not None:
        lumen = LumenUnderTest(data_dir, embedder)
        try:
            result["data_dir"] = str(data_dir)
            result["points"] = lumen.points()
            result["answer_k"] = lumen.answer_k
            ranked = [[hit.url for hit in lumen.lumen_ranking(q)] for q in questions]
            answered = [lumen.lumen_answer(q) for q in questions]
        finally:
            lumen.close()
        lumen_grades = [grades_of(u, m) for u, m in zip(ranked, messages, strict=True)]
        result["retrieval"]["lumen"] = ranking_figures(lumen_grades, DEPTH)
        figures, answer_rows = answer_figures(
            [a for a, _ in answered], [h for _, h in answered], messages, keys
        )
        result["answers"] = figures
        columns |= {
            "lumen_first_url": [u[0] if u else None for u in ranked],
            "lumen_first_grade": [g[0] if g else None for g in lumen_grades],
            "lumen_success@10": [any(is_correct(x) for x in g) for g in lumen_grades],
            "answer_refused": [r.refused for r in answer_rows],
            "answer_first_cited_url": [r.first_cited_url for r in answer_rows],
            "answer_first_cited_grade": [r.first_cited_grade for r in answer_rows],
            "answer_any_cited_correct": [r.any_cited_correct for r in answer_rows],
        }
        result["examples"] = examples(messages, columns)
    write_table(TABLE, columns)
    result["table"] = str(TABLE.relative_to(ROOT))
    return result


def examples(messages: Sequence[Message], columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Short messages (at most ``EXAMPLE_MAX_CHARS``) that MedQuAD holds a page graded ≥ 3
    for: the ``EXAMPLES // 2`` shortest whose first hit Lumen grades higher than the textbook
    hybrid, then as many where it grades lower, with the grade of each side's first hit (for
    results.md: short, so little message text)."""

    def score(i: int, column: str) -> int:
        return live_qa_score(columns[column][i])

    eligible = sorted(
        (
            i
            for i, m in enumerate(messages)
            if len(m.question) <= EXAMPLE_MAX_CHARS and is_correct(columns["oracle_best"][i])
        ),
        key=lambda i: len(messages[i].question),
    )
    margin = {i: score(i, "lumen_first_grade") - score(i, "textbook_first_grade") for i in eligible}
    better = [i for i in eligible if margin[i] > 0]
    worse = [i for i in eligible if margin[i] < 0]
    return [
        {
            "id": messages[i].id,
            "question": messages[i].question,
            "oracle_best": columns["oracle_best"][i],
            "textbook_first_grade": columns["textbook_first_grade"][i],
            "lumen_first_grade": columns["lumen_first_grade"][i],
            "answer_first_cited_grade": columns["answer_first_cited_grade"][i],
            "answer_refused": columns["answer_refused"][i],
        }
        for i in better[: EXAMPLES // 2] + worse[: EXAMPLES // 2]
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="LUMEN_DATA_DIR holding the full index")
    parser.add_argument("seed_dir", type=Path, help="folder laid out like shared/data")
    parser.add_argument("--baselines-only", action="store_true", help="leave Lumen out")
    args = parser.parse_args()
    out = main(None if args.baselines_only else args.data_dir, args.seed_dir)
    sys.stdout.write(json.dumps(out) + "\n")
