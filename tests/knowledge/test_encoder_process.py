"""Ingestion's passage embedding in a low-priority child process: the same vectors as the
server's own model, the child at the lowest CPU priority, and a child that dies replaced."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import numpy as np
import pytest

from lumen.knowledge.encoder_process import BACKGROUND_NICENESS, BackgroundEncoder

PASSAGES = [
    "Hypertension is blood pressure that stays at 130/80 mm Hg or higher.",
    "Take ibuprofen with food to lower the risk of stomach upset.",
    "Glaucoma damages the optic nerve, often without early symptoms.",
]


@pytest.fixture(scope="module")
def encoder() -> Iterator[BackgroundEncoder]:
    background = BackgroundEncoder(torch_threads=1)
    yield background
    background.close()


def _child_pid(encoder: BackgroundEncoder) -> int:
    pool = encoder._pool
    assert pool is not None and pool._processes
    return next(iter(pool._processes))


def test_the_child_computes_the_servers_vectors_at_the_lowest_priority(
    encoder: BackgroundEncoder, embedder
) -> None:  # type: ignore[no-untyped-def]
    vectors = encoder.encode_documents(PASSAGES)
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(vectors, embedder.encode_documents(PASSAGES), atol=1e-5)
    child = _child_pid(encoder)
    assert child != os.getpid()
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, child) == min(19, own + BACKGROUND_NICENESS)


def test_a_child_that_dies_is_replaced_on_the_next_call(encoder: BackgroundEncoder) -> None:
    encoder.encode_documents(PASSAGES[:1])
    os.kill(_child_pid(encoder), signal.SIGKILL)
    vectors = encoder.encode_documents(PASSAGES)
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
