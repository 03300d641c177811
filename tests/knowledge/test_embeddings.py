"""Query embedding under concurrency, with the real model: questions that arrive while the model
is busy are encoded together (dynamic batching), each still gets its own vector, and a failed
model call reaches exactly the callers whose questions were in it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from lumen.knowledge.embeddings import Embedder

QUESTIONS = [
    "What are the early signs of {} in adults?",
    "How is {} treated in children?",
    "Can {} come back after treatment?",
    "Which tests diagnose {}?",
]
CONDITIONS = ["psoriasis", "gout", "anemia", "glaucoma"]


def _questions(tag: str) -> list[str]:
    # A tag per test: the session's embedder caches queries it has seen.
    return [f"{q.format(c)} ({tag})" for q in QUESTIONS for c in CONDITIONS]


def _while_the_model_is_busy(
    embedder: Embedder,
    monkeypatch: pytest.MonkeyPatch,
    questions: list[str],
    first_call: Callable[[list[str]], Any] | None = None,
) -> tuple[list[Any], list[int]]:
    """Ask ``questions[0]``, and while the model works on it (0.3 s), all the others at once:
    each caller's vector or exception, and the size of each model call. ``first_call``
    replaces the first model call's result (to make it fail)."""
    sizes: list[int] = []
    busy = threading.Event()
    encode = embedder._encode

    def model(texts: list[str]) -> Any:
        sizes.append(len(texts))
        if len(sizes) == 1:
            busy.set()
            time.sleep(0.3)
            if first_call is not None:
                return first_call(texts)
        return encode(texts)

    monkeypatch.setattr(embedder, "_encode", model)

    def ask(question: str) -> Any:
        try:
            return embedder.encode_query(question)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(len(questions)) as pool:
        futures = [pool.submit(ask, questions[0])]
        assert busy.wait(30)
        futures += [pool.submit(ask, q) for q in questions[1:]]
        return [f.result() for f in futures], sizes


def test_questions_asked_while_the_model_is_busy_share_one_call_and_keep_their_own_vectors(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    questions = _questions("batched")
    alone = {q: embedder._encode([q])[0] for q in questions}

    vectors, sizes = _while_the_model_is_busy(embedder, monkeypatch, questions)

    # The first alone, then the fifteen that waited in one or two calls, not fifteen.
    assert sizes[0] == 1 and sum(sizes) == len(questions)
    assert len(sizes) <= 3, f"model calls of sizes {sizes}"
    for question, vector in zip(questions, vectors, strict=True):
        # The same vector as encoded alone (padding in a batch moves floats only).
        assert float(vector @ alone[question]) > 0.9999, question
        assert vector.shape == (384,) and not vector.flags.writeable


def test_patients_asking_the_same_new_question_at_once_share_one_encoding(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, same = _questions("same")[:2]
    questions = [first] + [same] * 12 + [first]

    vectors, sizes = _while_the_model_is_busy(embedder, monkeypatch, questions)

    # The first alone, then the twelve asking ``same`` and the one asking ``first`` again
    # (not cached yet when it asked) in one call of two texts, not of thirteen. (A caller
    # that a loaded machine starts late can miss that call and make a third.)
    assert sizes[0] == 1 and len(sizes) <= 3 and sum(sizes) <= 4, f"model calls {sizes}"
    assert all(np.array_equal(v, vectors[1]) for v in vectors[1:13])
    assert float(vectors[-1] @ vectors[0]) > 0.9999


def test_a_failed_model_call_fails_only_the_questions_in_it(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    questions = _questions("failing")

    def fail(texts: list[str]) -> Any:
        raise RuntimeError("model call failed")

    results, _sizes = _while_the_model_is_busy(embedder, monkeypatch, questions, fail)

    assert isinstance(results[0], RuntimeError)
    for question, result in zip(questions[1:], results[1:], strict=True):
        assert isinstance(result, np.ndarray) and result.shape == (384,), question
    # The failed question is not cached as anything: asked again, it is encoded.
    assert embedder.encode_query(questions[0]).shape == (384,)
