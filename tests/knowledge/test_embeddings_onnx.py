"""The onnx-int8 embedding backend against the torch one, with the real model: built once per
session from the packaged weights with the network cut off, then compared vector by vector."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pytest

from lumen.knowledge.embeddings import Embedder
from lumen.knowledge.onnx_model import MODEL_DIR, MODEL_FILE, TOKENIZER_FILE, ensure_model

SENTENCES = [
    "Type 2 diabetes is a chronic condition in which the body does not use insulin properly.",
    "What are the symptoms of high blood pressure?",
    "Metformin lowers blood glucose by reducing glucose production in the liver.",
    "Asthma causes the airways to narrow and swell, making breathing difficult.",
    "How is Lyme disease diagnosed?",
    "Chronic kidney disease may lead to anemia, bone disease and heart disease.",
    "Migraine",
    # Past the 256 word pieces the model reads: truncated the same way by both backends.
    "Symptoms of a stroke include sudden numbness of the face, arm or leg. " * 30,
]
# Cosine with torch's float32 vector, measured 2026-12-02: at least 0.990 on SENTENCES (alone
# or in one batch) and 0.985 on 768 MedQuAD chunks; int8 weights and activations cost that.
MIN_COSINE_TO_TORCH = 0.97


def _refuse_network(*args: Any, **kwargs: Any) -> NoReturn:
    raise AssertionError(f"network access during the ONNX build: {args}")


def _refuse_rebuild(*args: Any, **kwargs: Any) -> NoReturn:
    raise AssertionError("the ONNX model was built again")


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache folder with the model built in it, while no socket may connect."""
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    cache_dir = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _refuse_network)
        patch.setattr(socket, "create_connection", _refuse_network)
        ensure_model(cache_dir)
    yield cache_dir


@pytest.fixture(scope="module")
def onnx_embedder(onnx_cache: Path) -> Embedder:
    return Embedder(torch_threads=2, backend="onnx-int8", cache_dir=onnx_cache)


def test_the_build_needs_no_network_and_leaves_only_the_model(onnx_cache: Path) -> None:
    # The fixture built it with every socket connection refused.
    assert [p.name for p in onnx_cache.iterdir()] == [MODEL_DIR]
    assert {p.name for p in (onnx_cache / MODEL_DIR).iterdir()} == {MODEL_FILE, TOKENIZER_FILE}


def test_a_second_build_reuses_the_cached_model(onnx_cache: Path) -> None:
    model = onnx_cache / MODEL_DIR / MODEL_FILE
    before = model.stat()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("lumen.knowledge.onnx_model._build", _refuse_rebuild)
        assert ensure_model(onnx_cache) == onnx_cache / MODEL_DIR
    after = model.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_vectors_are_384_float32_unit_length(onnx_embedder: Embedder) -> None:
    documents = onnx_embedder.encode_documents(SENTENCES)
    query = onnx_embedder.encode_query(SENTENCES[0])
    assert documents.shape == (len(SENTENCES), 384)
    assert query.shape == (384,)
    assert documents.dtype == query.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(documents, axis=1), 1.0, atol=1e-5)
    assert abs(float(np.linalg.norm(query)) - 1.0) < 1e-5


def test_vectors_are_close_to_torch(onnx_embedder: Embedder, embedder: Embedder) -> None:
    documents = onnx_embedder.encode_documents(SENTENCES) * embedder.encode_documents(SENTENCES)
    queries = [float(onnx_embedder.encode_query(s) @ embedder.encode_query(s)) for s in SENTENCES]
    assert documents.sum(axis=1).min() >= MIN_COSINE_TO_TORCH
    assert min(queries) >= MIN_COSINE_TO_TORCH


def test_a_relevant_passage_ranks_above_an_unrelated_one(onnx_embedder: Embedder) -> None:
    query = onnx_embedder.encode_query("What are the symptoms of type 2 diabetes?")
    relevant, unrelated = onnx_embedder.encode_documents(
        [
            "Symptoms of type 2 diabetes include increased thirst, frequent urination, hunger,"
            " fatigue and blurred vision.",
            "Glaucoma damages the optic nerve, usually because of high pressure inside the eye.",
        ]
    )
    assert float(query @ relevant) > float(query @ unrelated) + 0.2


def test_an_unknown_backend_or_a_missing_cache_dir_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown embedding backend"):
        Embedder(backend="onnx-fp16")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a cache_dir"):
        Embedder(backend="onnx-int8")
