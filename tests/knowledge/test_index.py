"""Both VectorIndex implementations (Qdrant Edge, Qdrant via qdrant-client) on a small real set."""

from __future__ import annotations

import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from qdrant_client.http.exceptions import ResponseHandlingException

from lumen.knowledge.embeddings import Embedder
from lumen.knowledge.index.base import IndexPoint, ScoredPoint, VectorIndex
from lumen.knowledge.index.edge import EdgeIndex, IndexLocked
from lumen.knowledge.index.factory import open_index
from lumen.knowledge.schemas import CONSUMER_HEALTH, DRUG_LABELS
from lumen.knowledge.sparse import Bm25Encoder
from lumen.settings import Settings

if TYPE_CHECKING:
    from tests.knowledge.index_fixtures import IndexedSet

pytest_plugins = ["tests.knowledge.index_fixtures"]
pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect:UserWarning")

# Measured on the test set: only GARD_0003870_Sec3 contains this gene symbol, and dense search
# ranks another chunk above it.
RARE_TERM, RARE_TERM_SECTION = "MCKD1", "GARD_0003870_Sec3"


def section_keys(points: list[ScoredPoint]) -> list[str]:
    return [str(point.payload["section_key"]) for point in points]


def points_of_a_multi_chunk_document(indexed_set: IndexedSet) -> list[IndexPoint]:
    by_document: dict[object, list[IndexPoint]] = {}
    for point in indexed_set.points:
        by_document.setdefault(point.payload["document_id"], []).append(point)
    return next(points for points in by_document.values() if len(points) >= 3)


def test_reupserting_the_same_ids_leaves_the_count_unchanged(
    loaded_index: VectorIndex, indexed_set: IndexedSet
) -> None:
    assert loaded_index.count() == len(indexed_set.points)

    loaded_index.upsert(indexed_set.points[:50])

    assert loaded_index.count() == len(indexed_set.points)


def test_reupserting_a_point_replaces_its_payload(
    loaded_index: VectorIndex, indexed_set: IndexedSet
) -> None:
    point = indexed_set.points[0]
    loaded_index.upsert([replace(point, payload={**point.payload, "title": "Revised title"})])

    hits = loaded_index.query(point.dense, None, limit=1)

    assert hits[0].id == point.id
    assert hits[0].payload["title"] == "Revised title"


def test_delete_document_removes_only_that_documents_points(
    loaded_index: VectorIndex, indexed_set: IndexedSet
) -> None:
    own = points_of_a_multi_chunk_document(indexed_set)
    document_id = str(own[0].payload["document_id"])

    loaded_index.delete_document(document_id)

    assert loaded_index.count() == len(indexed_set.points) - len(own)
    remaining = loaded_index.query(own[0].dense, None, limit=len(indexed_set.points))
    assert document_id not in {point.payload["document_id"] for point in remaining}


def test_delete_document_from_a_chunk_index_keeps_the_earlier_chunks(
    loaded_index: VectorIndex, indexed_set: IndexedSet
) -> None:
    own = points_of_a_multi_chunk_document(indexed_set)
    document_id = str(own[0].payload["document_id"])
    assert [point.payload["chunk_index"] for point in own] == list(range(len(own)))

    loaded_index.delete_document(document_id, from_chunk_index=1)

    remaining = loaded_index.query(own[0].dense, None, limit=len(indexed_set.points))
    kept = [point.id for point in remaining if point.payload["document_id"] == document_id]
    assert kept == [own[0].id]
    assert loaded_index.count() == len(indexed_set.points) - len(own) + 1


def test_collection_filter_restricts_results(
    loaded_index: VectorIndex, indexed_set: IndexedSet, bm25: Bm25Encoder
) -> None:
    # A consumer-health question: unfiltered, drug labels would not make the top 10.
    dense = indexed_set.points[0].dense
    sparse = bm25.encode_query("symptoms of the disease")
    unfiltered = loaded_index.query(dense, sparse, limit=10)

    drug_hits = loaded_index.query(dense, sparse, limit=10, collections=[DRUG_LABELS])
    consumer_hits = loaded_index.query(dense, sparse, limit=10, collections=[CONSUMER_HEALTH])

    assert DRUG_LABELS not in {hit.payload["collection"] for hit in unfiltered}
    assert sorted(str(hit.payload["set_id"]) for hit in drug_hits) == [
        "set-cough",
        "set-humira",
        "set-lipitor",
        "set-viagra",
    ]
    assert len(consumer_hits) == 10
    assert {hit.payload["collection"] for hit in consumer_hits} == {CONSUMER_HEALTH}


def test_an_empty_collection_list_matches_nothing(
    loaded_index: VectorIndex, indexed_set: IndexedSet
) -> None:
    assert loaded_index.query(indexed_set.points[0].dense, None, limit=5, collections=[]) == []


def test_set_id_filter_returns_only_that_label(
    loaded_index: VectorIndex, bm25: Bm25Encoder, indexed_set: IndexedSet
) -> None:
    hits = loaded_index.query(
        indexed_set.points[0].dense,
        bm25.encode_query("cholesterol infections cough erectile dysfunction"),
        limit=10,
        set_id="set-humira",
    )

    assert [hit.payload["section_key"] for hit in hits] == ["humira-1"]


def test_document_filter_returns_only_those_documents_chunks_in_hybrid_mode(
    loaded_index: VectorIndex, bm25: Bm25Encoder, indexed_set: IndexedSet
) -> None:
    wanted = {str(p.payload["document_id"]) for p in indexed_set.points[:1]}
    wanted.add(str(indexed_set.points[-1].payload["document_id"]))  # a label

    hits = loaded_index.query(
        indexed_set.points[5].dense,
        bm25.encode_query("symptoms treatment cholesterol infections"),
        limit=50,
        document_ids=sorted(wanted),
    )

    assert hits
    assert {str(hit.payload["document_id"]) for hit in hits} <= wanted


def test_sparse_only_finds_a_rare_exact_term_that_dense_ranks_lower(
    loaded_index: VectorIndex, embedder: Embedder, bm25: Bm25Encoder
) -> None:
    sparse = section_keys(loaded_index.query(None, bm25.encode_query(RARE_TERM), limit=10))
    dense = section_keys(loaded_index.query(embedder.encode_query(RARE_TERM), None, limit=10))

    # A sparse match needs a shared term: the one chunk holding the symbol is all it returns.
    assert sparse == [RARE_TERM_SECTION]
    assert dense[0] != RARE_TERM_SECTION


def test_hybrid_returns_the_best_match_of_each_prefetch(
    loaded_index: VectorIndex, indexed_set: IndexedSet, bm25: Bm25Encoder
) -> None:
    dense_target = indexed_set.points[0]
    dense = dense_target.dense
    sparse = bm25.encode_query(RARE_TERM)

    hits = loaded_index.query(dense, sparse, limit=2)

    assert {hit.payload["section_key"] for hit in hits} == {
        dense_target.payload["section_key"],
        RARE_TERM_SECTION,
    }
    assert section_keys(loaded_index.query(dense, None, limit=1)) != [RARE_TERM_SECTION]
    assert hits[0].score >= hits[1].score


def test_query_without_any_vector_is_rejected(loaded_index: VectorIndex) -> None:
    with pytest.raises(ValueError):
        loaded_index.query(None, None, limit=5)


def test_edge_index_persists_across_close_and_reopen(
    tmp_path: Path, indexed_set: IndexedSet
) -> None:
    path = tmp_path / "index"
    with EdgeIndex(path) as index:
        index.upsert(indexed_set.points)
        index.delete_document(str(indexed_set.points[0].payload["document_id"]))
        expected_count = index.count()
        probe = indexed_set.points[-1]
        expected = index.query(probe.dense, None, limit=5)

    with EdgeIndex(path) as reopened:
        assert reopened.count() == expected_count
        assert reopened.query(probe.dense, None, limit=5) == expected


def test_opening_an_open_edge_index_again_in_this_process_raises_index_locked(
    tmp_path: Path,
) -> None:
    path = tmp_path / "index"
    with EdgeIndex(path), pytest.raises(IndexLocked) as locked:
        EdgeIndex(path)

    assert locked.value.path == path
    EdgeIndex(path).close()  # closing the first handle released the lock


def test_opening_an_edge_index_held_by_another_process_raises_index_locked(
    tmp_path: Path,
) -> None:
    path = tmp_path / "index"
    script = (
        "import sys; from pathlib import Path; "
        "from lumen.knowledge.index.edge import EdgeIndex, IndexLocked\n"
        "try:\n    EdgeIndex(Path(sys.argv[1]))\nexcept IndexLocked:\n    sys.exit(3)\n"
    )
    with EdgeIndex(path):
        result = subprocess.run([sys.executable, "-c", script, str(path)], timeout=60)

    assert result.returncode == 3


def test_an_edge_index_with_other_vector_sizes_is_refused(tmp_path: Path) -> None:
    import qdrant_edge as qe

    path = tmp_path / "index"
    small = qe.EdgeConfig(
        vectors={"dense": qe.EdgeVectorParams(size=8, distance=qe.Distance.Cosine)}
    )
    qe.EdgeShard.create(str(path), small).close()

    with pytest.raises(Exception, match="vector size"):
        EdgeIndex(path)


def test_hybrid_scores_are_reciprocal_ranks_with_k_60(
    loaded_index: VectorIndex, indexed_set: IndexedSet, bm25: Bm25Encoder
) -> None:
    # Qdrant's RRF scores 1 / (k + rank), rank from 0: a point first in the dense prefetch and
    # absent from the sparse one scores 1/60 at k=60 (Qdrant's default k, 2, would give 1/2).
    point = indexed_set.points[0]
    hits = loaded_index.query(point.dense, bm25.encode_query(RARE_TERM), limit=3)

    scores = {hit.id: hit.score for hit in hits}
    assert scores[point.id] == pytest.approx(1 / 60, rel=1e-4)


def test_settings_without_a_qdrant_url_open_the_edge_shard_under_the_data_dir(
    tmp_path: Path,
) -> None:
    index = open_index(Settings(data_dir=tmp_path, qdrant_url=None))
    try:
        assert isinstance(index, EdgeIndex)
        assert index.path == tmp_path / "index"
        assert (tmp_path / "index" / "edge_config.json").exists()
    finally:
        index.close()


SEARCH_THREADS_PROBE = """
import os, sys, time
from pathlib import Path
from lumen.knowledge.index.edge import EdgeIndex

def count():
    tasks = os.listdir("/proc/self/task")
    return sum(open(f"/proc/self/task/{t}/comm").read().startswith("edge-search") for t in tasks)

def search_threads():
    # The shard's pool starts its threads in the background: on a loaded machine none may be
    # running yet when the shard opens. Wait for the first, then for any others to follow.
    deadline = time.monotonic() + 10
    while count() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    return count()

created = EdgeIndex(Path(sys.argv[1]))
print(search_threads())
created.close()
loaded = EdgeIndex(Path(sys.argv[1]))
print(search_threads())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts threads in /proc")
def test_a_shard_created_or_loaded_searches_on_one_thread(tmp_path: Path) -> None:
    # qdrant-edge's default pool has a thread per CPU and more, whose hand-offs cost a busy
    # server more than the segment reads they parallelise (bench/results.md section 4b).
    counts = subprocess.run(
        [sys.executable, "-c", SEARCH_THREADS_PROBE, str(tmp_path / "index")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    assert counts == ["1", "1"]


@pytest.mark.filterwarnings("ignore:Failed to obtain server version")
def test_settings_with_a_qdrant_url_use_that_server(tmp_path: Path) -> None:
    # Nothing listens on port 9 (discard): the server index is chosen and fails to connect.
    settings = Settings(data_dir=tmp_path, qdrant_url="http://127.0.0.1:9")
    threads_before = set(threading.enumerate())

    with pytest.raises(ResponseHandlingException):
        open_index(settings)

    assert not (tmp_path / "index").exists()
    # qdrant-client checks the server version on a thread: let its warning land in this test.
    for thread in set(threading.enumerate()) - threads_before:
        thread.join(timeout=10)
