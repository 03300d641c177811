"""Open the vector index the settings select: a Qdrant server if ``qdrant_url`` is set,
qdrant-client's local mode on ``qdrant_path`` (the server's code path, one process at a time),
else the embedded Qdrant Edge shard under ``data_dir``."""

from __future__ import annotations

from qdrant_client import QdrantClient

from lumen.knowledge.index.base import VectorIndex
from lumen.knowledge.index.edge import EdgeIndex, IndexLocked
from lumen.knowledge.index.qdrant_server import QdrantServerIndex
from lumen.settings import Settings

__all__ = ["IndexLocked", "open_index"]


def open_index(settings: Settings) -> VectorIndex:
    """The index for ``settings``; the caller closes it.

    Raises ``IndexLocked`` if the Edge shard is open in another process, and qdrant-client's
    errors if the server cannot be reached.
    """
    if settings.qdrant_url:
        api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        client = QdrantClient(url=settings.qdrant_url, api_key=api_key)
        return QdrantServerIndex(client, settings.qdrant_collection)
    if settings.qdrant_path:
        local = QdrantClient(path=str(settings.qdrant_path))
        return QdrantServerIndex(local, settings.qdrant_collection)
    return EdgeIndex(settings.index_dir)
