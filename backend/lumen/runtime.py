"""The long-lived components of one Lumen process, built once and closed once.

The app's lifespan and the CLI both build a ``Runtime``: database, key ring, embedders, vector
index, retrieval, triage, answer engines and the in-process job worker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from lumen.audit.service import AuditLog
from lumen.auth.components import Access, build_access
from lumen.chat.engines.base import DirectEngine, EngineStarter
from lumen.chat.engines.breaker import CircuitBreaker
from lumen.chat.engines.extractive import ExtractiveEngine
from lumen.chat.engines.openai_compat import OpenAICompatEngine
from lumen.chat.engines.selector import ResilientEngine
from lumen.chat.service import ChatService
from lumen.chat.triage import Triage
from lumen.db import Database
from lumen.jobs.worker import JobWorker
from lumen.knowledge.embeddings import Embedder
from lumen.knowledge.index.base import VectorIndex
from lumen.knowledge.index.factory import open_index
from lumen.knowledge.ingestion import Ingestor
from lumen.knowledge.retrieval import Retriever
from lumen.knowledge.sparse import Bm25Encoder
from lumen.knowledge.tasks import ingestion_tasks
from lumen.knowledge.understanding import QuestionAnalyzer
from lumen.knowledge.understanding.repository import load_vocabulary
from lumen.security.encryption import KeyRing, load_key_ring
from lumen.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Components shared by requests, jobs and CLI commands of one process."""

    settings: Settings
    db: Database
    embedder: Embedder
    bm25: Bm25Encoder
    index: VectorIndex
    retriever: Retriever
    ingestor: Ingestor
    audit: AuditLog
    keys: KeyRing | None = None
    triage: Triage | None = None
    llm: OpenAICompatEngine | None = None
    breaker: CircuitBreaker | None = None
    chat: ChatService | None = None
    worker: JobWorker | None = None
    access: Access | None = None
    closed: bool = field(default=False, repr=False)

    async def aclose(self) -> None:
        """Stop the worker, close the LLM pool, the index and the database."""
        if self.closed:
            return
        self.closed = True
        if self.worker is not None:
            self.worker.stop()
        if self.llm is not None:
            await self.llm.aclose()
        if self.access is not None:
            await self.access.aclose()
        self.index.close()
        await self.db.dispose()


def build_knowledge(settings: Settings, embedder: Embedder | None = None) -> Runtime:
    """Database, embedders, index, retrieval and ingestion: what the CLI needs.

    ``embedder`` shares an already loaded model (tests, benchmarks). Raises ``IndexLocked``
    when another process holds the embedded index.
    """
    db = Database(settings)
    index = open_index(settings)
    embedder = embedder or Embedder(
        torch_threads=settings.torch_threads, batch_size=settings.embedding_batch_size
    )
    bm25 = Bm25Encoder()
    return Runtime(
        settings=settings,
        db=db,
        embedder=embedder,
        bm25=bm25,
        index=index,
        retriever=Retriever(embedder, bm25, index, QuestionAnalyzer(lambda: load_vocabulary(db))),
        ingestor=Ingestor(db, embedder, bm25, index),
        audit=AuditLog(db),
    )


def build_server(settings: Settings, embedder: Embedder | None = None) -> Runtime:
    """Everything ``lumen serve`` runs: knowledge, triage, engines, chat, access control and
    the job worker."""
    runtime = build_knowledge(settings, embedder)
    runtime.keys = load_key_ring(settings)
    runtime.triage = Triage(runtime.embedder)
    extractive = ExtractiveEngine(runtime.embedder, bm25=runtime.bm25)
    engines: EngineStarter = DirectEngine(extractive)
    if settings.llm_base_url:
        runtime.llm = OpenAICompatEngine(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key.get_secret_value(),
            connect_timeout_s=settings.llm_connect_timeout_s,
            first_token_timeout_s=settings.llm_first_token_timeout_s,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
        )
        runtime.breaker = CircuitBreaker(cooldown_s=settings.llm_breaker_cooldown_s)
        engines = ResilientEngine(runtime.llm, extractive, runtime.breaker)
    runtime.chat = ChatService(
        db=runtime.db,
        keys=runtime.keys,
        retriever=runtime.retriever,
        triage=runtime.triage,
        engines=engines,
        retrieval_k=settings.retrieval_k,
        max_message_chars=settings.max_message_chars,
        audit=runtime.audit,
    )
    runtime.access = build_access(settings, runtime.db, runtime.keys, runtime.chat, runtime.audit)
    runtime.worker = JobWorker(runtime.db, ingestion_tasks(runtime), runtime.audit)
    return runtime
