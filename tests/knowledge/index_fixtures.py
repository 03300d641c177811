"""Fixtures for the vector-index and retrieval tests, loaded through their ``pytest_plugins``.

A small real set: the first 600 characters of the answers of whole MedQuAD documents (a seeded
sample, about 150 chunks), embedded for real, plus four drug-label passages with set ids. The
``vector_index`` fixture runs each test on both implementations: a Qdrant Edge shard and a
``QdrantServerIndex`` on qdrant-client's in-memory local mode.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from qdrant_client import QdrantClient

from lumen.knowledge.embeddings import Embedder
from lumen.knowledge.index.base import IndexPoint, VectorIndex, point_id
from lumen.knowledge.index.edge import EdgeIndex
from lumen.knowledge.index.qdrant_server import QdrantServerIndex
from lumen.knowledge.schemas import CONSUMER_HEALTH, DRUG_LABELS
from lumen.knowledge.sparse import Bm25Encoder

SAMPLE_ROWS = 150
CHUNK_CHARS = 600
SAMPLE_SEED = 7

# Short passages in the words of the FDA labels in shared/data/drug_labels (set ids made up).
DRUG_LABEL_PASSAGES = (
    ("lipitor", "Indications and usage", "LIPITOR is an HMG-CoA reductase inhibitor indicated "
     "as an adjunct to diet to reduce LDL cholesterol and the risk of myocardial infarction."),
    ("humira", "Boxed warning", "Serious infections: patients treated with HUMIRA, a tumor "
     "necrosis factor blocker, are at increased risk for serious infections such as tuberculosis."),
    ("viagra", "Indications and usage", "VIAGRA (sildenafil citrate) is a phosphodiesterase 5 "
     "inhibitor indicated for the treatment of erectile dysfunction."),
    ("cough", "Drug facts", "Uses: temporarily relieves cough due to minor throat and bronchial "
     "irritation. Active ingredient: dextromethorphan HBr 10 mg, cough suppressant."),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class IndexedSet:
    """The test points, and the MedQuAD rows (corpus JSON objects) behind the first ones."""

    points: list[IndexPoint]
    medquad_rows: list[dict[str, str]]


@cache
def medquad_sample(corpus_path: Path) -> list[dict[str, str]]:
    """Every QA pair of seeded-random whole MedQuAD documents, about ``SAMPLE_ROWS`` rows."""
    documents: dict[str, list[dict[str, str]]] = defaultdict(list)
    with corpus_path.open(encoding="utf-8") as corpus:
        for line in corpus:
            row = json.loads(line)
            documents[row["document_id"]].append(row)
    document_ids = sorted(documents)
    random.Random(SAMPLE_SEED).shuffle(document_ids)
    rows: list[dict[str, str]] = []
    for document_id in document_ids:
        if len(rows) >= SAMPLE_ROWS:
            break
        rows.extend(documents[document_id])
    return rows


def medquad_payload(row: dict[str, str], chunk_index: int) -> dict[str, object]:
    """The payload the chunker gives a MedQuAD chunk: the answer's first ``CHUNK_CHARS``."""
    text = row["answer"][:CHUNK_CHARS]
    return {
        "document_id": f"medquad:{row['document_id']}",
        "section_key": row["id"],
        "section": row["question"],
        "title": row["title"],
        "source": "medquad",
        "source_name": row["source"],
        "collection": CONSUMER_HEALTH,
        "url": row["url"],
        "text": text,
        "start": 0,
        "end": len(text),
        "chunk_index": chunk_index,
        "qid": row["qid"],
        "question_type": row["question_type"],
        "licence": "CC BY 4.0",
        "attribution": "MedQuAD, Asma Ben Abacha and Dina Demner-Fushman, NLM",
    }


def drug_label_payload(name: str, section: str, text: str) -> dict[str, object]:
    """The payload of a one-chunk drug-label passage; its set id is ``set-<name>``. Like the
    chunker's, it leaves out the fields that are ``None`` (here ``url``)."""
    return {
        "document_id": f"spl:set-{name}",
        "section_key": f"{name}-1",
        "section": section,
        "title": name.upper(),
        "source": "spl",
        "source_name": "FDA drug label",
        "collection": DRUG_LABELS,
        "text": text,
        "start": 0,
        "end": len(text),
        "chunk_index": 0,
        "set_id": f"set-{name}",
    }


@pytest.fixture(scope="session")
def bm25() -> Bm25Encoder:
    return Bm25Encoder()


@pytest.fixture(scope="session")
def indexed_set(medquad_corpus: Path, embedder: Embedder, bm25: Bm25Encoder) -> IndexedSet:
    """The test points, embedded once per session (a few seconds). ``medquad_corpus`` and
    ``embedder`` come from the conftests."""
    rows = medquad_sample(medquad_corpus)
    chunk_counts: dict[str, int] = defaultdict(int)
    payloads: list[dict[str, object]] = []
    for row in rows:
        payloads.append(medquad_payload(row, chunk_counts[row["document_id"]]))
        chunk_counts[row["document_id"]] += 1
    payloads += [drug_label_payload(*passage) for passage in DRUG_LABEL_PASSAGES]
    # What the embedders see: heading (the document title) and body, not the question.
    texts = [f"{payload['title']}\n{payload['text']}" for payload in payloads]
    dense = embedder.encode_documents(texts)
    sparse = bm25.encode_documents(texts)
    points = [
        IndexPoint(
            id=point_id(str(payload["document_id"]), int(str(payload["chunk_index"]))),
            dense=dense[i],
            sparse=sparse[i],
            payload=payload,
        )
        for i, payload in enumerate(payloads)
    ]
    return IndexedSet(points=points, medquad_rows=rows)


@pytest.fixture(params=["edge", "qdrant_local"])
def vector_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorIndex]:
    """An empty index of each implementation."""
    index: VectorIndex
    if request.param == "edge":
        index = EdgeIndex(tmp_path / "index")
    else:
        index = QdrantServerIndex(QdrantClient(location=":memory:"), "lumen-test")
    yield index
    index.close()


@pytest.fixture
def loaded_index(vector_index: VectorIndex, indexed_set: IndexedSet) -> VectorIndex:
    """An index of each implementation holding the test points."""
    vector_index.upsert(indexed_set.points)
    return vector_index
