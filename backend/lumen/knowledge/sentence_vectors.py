"""Sentence vectors computed at ingestion and stored with each chunk, so that an answer does not
embed the sentences it weighs.

The extractive engine scores a passage's quotable sentences (``is_answer_sentence``) by their
cosine to the question. Embedding the dozen it shortlists took p50 101 ms of a first token's
~140 ms on the full index (bench/results.md, sections 4b and 8), and bounded 50 clients asking
questions never asked before to 6.1 answers/s. Ingestion embeds every quotable sentence of
every chunk once, with the model that embeds the questions, and stores the vectors in the
chunk's payload (``PAYLOAD_FIELD``): the spans ``[start, end, start, end, …]`` of the sentences
in the chunk's text, and their ``(n, 384)`` vectors as float16 in base64.

float16 keeps 11 significant bits, a relative error of at most 2⁻¹¹ per component; over 384
components of a unit vector the cosine between a stored sentence and a float32 question moves
by well under 1e-4 (the tests check it on real passages), far below the resolution of the
engine's thresholds (0.01). Storing float16 halves the payload: 768 bytes a sentence.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from lumen.knowledge.embeddings import DIMENSIONS
from lumen.knowledge.sentences import Sentence, is_answer_sentence, split_sentences

PAYLOAD_FIELD = "sentence_vectors"

# A sentence's span in its passage: ``passage[start:end]``.
Span = tuple[int, int]


def quotable_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` that can stand in an answer (``is_answer_sentence``), in
    order."""
    return [s for s in split_sentences(text) if is_answer_sentence(s)]


def pack(sentences: Sequence[Sentence], vectors: npt.NDArray[np.float32]) -> dict[str, object]:
    """The payload value for ``sentences`` of one chunk and their ``vectors`` (shape
    ``(len(sentences), 384)``, unit length): ``{"spans": [start, end, …], "float16":
    base64}``. Raises ``ValueError`` if the shapes disagree."""
    if vectors.shape != (len(sentences), DIMENSIONS):
        raise ValueError(
            f"{len(sentences)} sentences need vectors of shape ({len(sentences)}, {DIMENSIONS}),"
            f" not {vectors.shape}"
        )
    spans = [offset for s in sentences for offset in (s.start, s.end)]
    encoded = base64.b64encode(vectors.astype("<f2").tobytes()).decode("ascii")
    return {"spans": spans, "float16": encoded}


def unpack(value: object) -> dict[Span, npt.NDArray[np.float32]]:
    """The stored vectors of a chunk by sentence span, each ``(384,)`` float32 of unit length;
    ``{}`` when ``value`` is absent (a chunk ingested before vectors were stored) or not what
    ``pack`` writes, so that the caller embeds those sentences itself."""
    if not isinstance(value, dict):
        return {}
    spans, encoded = value.get("spans"), value.get("float16")
    if not isinstance(spans, list) or not isinstance(encoded, str) or len(spans) % 2:
        return {}
    try:
        raw = np.frombuffer(base64.b64decode(encoded, validate=True), dtype="<f2")
    except ValueError:
        return {}
    count = len(spans) // 2
    if raw.size != count * DIMENSIONS:
        return {}
    vectors = raw.reshape(count, DIMENSIONS).astype(np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return {(int(spans[2 * i]), int(spans[2 * i + 1])): vectors[i] for i in range(count)}
