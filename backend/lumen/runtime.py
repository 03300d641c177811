"""The long-lived components of one Lumen process, built once and closed once.

The app's lifespan and the CLI both build a ``Runtime``: database, key ring, embedders, vector
index, retrieval, triage, answer engines and the in-process job worker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TypedDict

import anyio
from limits.aio.storage import Storage

from lumen.account.service import AccountService
from lumen.account.tokens import ApiTokenService
from lumen.admin.knowledge.service import KnowledgeAdmin
from lumen.admin.service import BreakGlassService, UserAdminService
from lumen.audit.service import AuditLog, AuditReview, open_audit_log
from lumen.audit.verification import ChainWatch
from lumen.auth.oidc import OidcClient
from lumen.auth.service import AuthService
from lumen.auth.sessions import Sessions, open_session_store
from lumen.auth.throttle import RateLimit, open_storage
from lumen.auth.two_factor import TwoFactorService
from lumen.chat.answers import Answers
from lumen.chat.engines.base import DirectEngine, EngineStarter
from lumen.chat.engines.breaker import CircuitBreaker
from lumen.chat.engines.extractive import ExtractiveEngine
from lumen.chat.engines.openai_compat import OpenAICompatEngine
from lumen.chat.engines.selector import ResilientEngine
from lumen.chat.service import ChatService
from lumen.chat.streams import StreamWatch
from lumen.chat.triage import Triage
from lumen.db import Database
from lumen.fhir.service import FhirService
from lumen.fhir.tasks import export_tasks
from lumen.jobs.celery_app import CeleryRunner, WorkerContext, create_celery
from lumen.jobs.execution import Limits
from lumen.jobs.kinds import EXPORT, JobKind, JobRunner, single
from lumen.jobs.service import JobService
from lumen.jobs.worker import JobWorker
from lumen.knowledge.embeddings import Embedder
from lumen.knowledge.index.base import VectorIndex
from lumen.knowledge.index.factory import open_index
from lumen.knowledge.ingest_process import IngestionProcess
from lumen.knowledge.ingestion import Ingestor
from lumen.knowledge.retrieval import Retriever
from lumen.knowledge.service import KnowledgeService
from lumen.knowledge.sparse import Bm25Encoder
from lumen.knowledge.tasks import ingestion_kinds
from lumen.knowledge.understanding import QuestionAnalyzer
from lumen.knowledge.understanding.repository import load_vocabulary
from lumen.knowledge.uploads.reading import UploadLimits
from lumen.knowledge.uploads.service import UploadService
from lumen.knowledge.uploads.tasks import upload_kinds
from lumen.observability.readiness import ReadinessChecks
from lumen.security.encryption import EncryptionNotConfigured, KeyRing, load_key_ring
from lumen.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(kw_only=True)
class Runtime:
    """The knowledge parts of one process: what the CLI and the benchmarks use."""

    settings: Settings
    db: Database
    embedder: Embedder
    bm25: Bm25Encoder
    index: VectorIndex
    retriever: Retriever
    ingestor: Ingestor
    audit: AuditLog
    closed: bool = field(default=False, repr=False)

    async def aclose(self) -> None:
        """Close the index and the database (idempotent)."""
        if self.closed:
            return
        self.closed = True
        await self._close_parts()
        self.index.close()
        await self.db.dispose()

    async def _close_parts(self) -> None:
        """What a larger runtime closes before the index and the database."""


@dataclass(kw_only=True)
class Server(Runtime):
    """Everything ``lumen serve`` runs, each part built before the server is (no field is
    filled in later). ``llm`` and ``breaker`` are ``None`` when no LLM server is configured
    (``LUMEN_LLM_BASE_URL`` unset): answers then come from the extractive engine; ``oidc`` is
    ``None`` without an organisation sign-in (``LUMEN_OIDC_ISSUER`` unset). ``audit_watch``
    checks the audit chain every ``audit_verify_interval_s`` for ``/metrics``."""

    keys: KeyRing
    triage: Triage
    llm: OpenAICompatEngine | None
    breaker: CircuitBreaker | None
    knowledge: KnowledgeService
    chat: ChatService
    worker: JobRunner
    ingestion_process: IngestionProcess | None
    jobs: JobService
    fhir: FhirService
    audit_review: AuditReview
    sessions: Sessions
    throttle_storage: Storage
    auth: AuthService
    two_factor: TwoFactorService
    oidc: OidcClient | None
    api_tokens: ApiTokenService
    users: UserAdminService
    break_glass: BreakGlassService
    account: AccountService
    uploads: UploadService
    audit_watch: ChainWatch

    async def _close_parts(self) -> None:
        self.worker.stop()
        await anyio.to_thread.run_sync(self.audit_watch.stop)
        if self.ingestion_process is not None:
            await anyio.to_thread.run_sync(self.ingestion_process.close)
        await anyio.to_thread.run_sync(self.audit.sealer.stop)
        if self.llm is not None:
            await self.llm.aclose()
        await self.sessions.aclose()

    def services(self) -> dict[type, object]:
        """The instances request dependencies are resolved to, by type (``lumen.deps.provide``)."""
        parts: list[object] = [
            self.settings,
            self.chat,
            self.sessions,
            self.auth,
            self.two_factor,
            self.api_tokens,
            self.users,
            self.break_glass,
            self.account,
            *([self.oidc] if self.oidc is not None else []),
            self.knowledge,
            self.uploads,
            self.jobs,
            self.fhir,
            self.audit_review,
            KnowledgeAdmin(self.db, self.jobs),
            ReadinessChecks([self.knowledge, self.jobs, self.chat, self.sessions]),
        ]
        return {type(part): part for part in parts}


class _KnowledgeParts(TypedDict):
    settings: Settings
    db: Database
    embedder: Embedder
    bm25: Bm25Encoder
    index: VectorIndex
    retriever: Retriever
    ingestor: Ingestor
    audit: AuditLog


def _knowledge_parts(settings: Settings, embedder: Embedder | None) -> _KnowledgeParts:
    db = Database(settings)
    index = open_index(settings)
    embedder = embedder or Embedder(
        torch_threads=settings.torch_threads,
        batch_size=settings.embedding_batch_size,
        backend=settings.embedding_backend,
        cache_dir=settings.data_dir / "models",
    )
    bm25 = Bm25Encoder()
    return _KnowledgeParts(
        settings=settings,
        db=db,
        embedder=embedder,
        bm25=bm25,
        index=index,
        retriever=Retriever(embedder, bm25, index, QuestionAnalyzer(lambda: load_vocabulary(db))),
        ingestor=Ingestor(db, embedder, bm25, index),
        audit=open_audit_log(settings, db),
    )


def build_knowledge(settings: Settings, embedder: Embedder | None = None) -> Runtime:
    """Database, embedders, index, retrieval and ingestion: what the CLI needs.

    ``embedder`` shares an already loaded model (tests, benchmarks). Raises ``IndexLocked``
    when another process holds the embedded index.
    """
    return Runtime(**_knowledge_parts(settings, embedder))


def build_server(settings: Settings, embedder: Embedder | None = None) -> Server:
    """Everything ``lumen serve`` runs: knowledge, triage, engines, chat, access control and
    the job worker."""
    parts = _knowledge_parts(settings, embedder)
    keys = load_key_ring(settings)
    triage = Triage(parts["embedder"])
    extractive = ExtractiveEngine(parts["embedder"], bm25=parts["bm25"])
    engines: EngineStarter = DirectEngine(extractive)
    llm: OpenAICompatEngine | None = None
    breaker: CircuitBreaker | None = None
    if settings.llm_base_url:
        llm = OpenAICompatEngine(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key.get_secret_value(),
            connect_timeout_s=settings.llm_connect_timeout_s,
            first_token_timeout_s=settings.llm_first_token_timeout_s,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
        )
        breaker = CircuitBreaker(cooldown_s=settings.llm_breaker_cooldown_s)
        engines = ResilientEngine(llm, extractive, breaker)
    storage = open_storage(settings.redis_url, settings.redis_key_prefix, settings.redis_timeout_s)
    answers = Answers(
        db=parts["db"],
        keys=keys,
        retriever=parts["retriever"],
        triage=triage,
        engines=engines,
        retrieval_k=settings.retrieval_k,
        max_message_chars=settings.max_message_chars,
        streams=StreamWatch(
            parts["db"],
            keys,
            heartbeat_s=settings.stream_heartbeat_s,
            orphaned_after_s=settings.stream_orphaned_after_s,
            # SQLite is the embedded default: one serving process (DESIGN.md).
            single_process=parts["db"].url.startswith("sqlite"),
        ),
    )
    chat = ChatService(
        db=parts["db"],
        keys=keys,
        answers=answers,
        rate_limit=RateLimit(storage, "chat", settings.chat_rate_limit),
        audit=parts["audit"],
    )
    sessions = Sessions(
        open_session_store(settings.redis_url, settings.redis_key_prefix, settings.redis_timeout_s),
        settings.session_idle_timeout_s,
        settings.session_absolute_timeout_s,
    )
    auth = AuthService(parts["db"], sessions, storage, parts["audit"], settings.register_rate_limit)
    break_glass = BreakGlassService(
        parts["db"], keys, chat, parts["audit"], settings.break_glass_ttl_min
    )
    background = _ingestion_process(settings, parts["index"])
    kinds = ingestion_kinds(
        parts["ingestor"],
        parts["index"],
        parts["retriever"].analyzer,
        settings.data_dir / "downloads",
        settings.job_batch_size,
        background,
    )
    kinds.update(
        {k: single(EXPORT, t) for k, t in export_tasks(parts["db"], keys, settings).items()}
    )
    upload_limits = UploadLimits.of(settings)
    kinds.update(upload_kinds(parts["db"], keys, parts["ingestor"], upload_limits, background))
    worker = _job_runner(settings, parts["db"], kinds)
    jobs = JobService(parts["db"], worker)
    analyzer = parts["retriever"].analyzer
    users = UserAdminService(parts["db"], sessions, parts["audit"], settings.invitation_ttl_h)
    parts["audit"].sealer.start()
    audit_watch = ChainWatch(parts["audit"], settings.audit_verify_interval_s)
    audit_watch.start()
    return Server(
        **parts,
        keys=keys,
        triage=triage,
        llm=llm,
        breaker=breaker,
        knowledge=KnowledgeService(parts["db"], parts["retriever"], parts["index"]),
        chat=chat,
        worker=worker,
        ingestion_process=background,
        jobs=jobs,
        fhir=FhirService(parts["db"], keys, settings, chat, jobs, parts["audit"]),
        audit_review=AuditReview(parts["audit"], users),
        sessions=sessions,
        throttle_storage=storage,
        auth=auth,
        two_factor=TwoFactorService(parts["db"], keys, sessions, storage, parts["audit"], auth),
        oidc=OidcClient.from_settings(settings, parts["db"], parts["audit"], auth),
        api_tokens=ApiTokenService(parts["db"], parts["audit"]),
        users=users,
        break_glass=break_glass,
        account=AccountService(parts["db"], chat, break_glass, sessions, parts["audit"]),
        uploads=UploadService(
            parts["db"],
            keys,
            jobs,
            parts["index"],
            parts["audit"],
            upload_limits,
            analyzer.refresh if analyzer is not None else None,
        ),
        audit_watch=audit_watch,
    )


class SharedIndexRequired(RuntimeError):
    """Celery workers were asked for, but the index is the embedded Edge shard, which only the
    process holding it can write."""


def _ingestion_process(settings: Settings, index: VectorIndex) -> IngestionProcess | None:
    """The low-priority child process that parses, chunks, embeds and writes the database for
    in-process ingestion jobs, its points going to this process's ``index``; ``None`` for
    Celery (workers do that work on their own machines) or with
    ``LUMEN_INGEST_IN_CHILD_PROCESS=false``."""
    if settings.jobs_runner != "in-process" or not settings.ingest_in_child_process:
        return None
    return IngestionProcess(settings, index)


def _limits(settings: Settings) -> Limits:
    return Limits(stale_after_s=settings.job_stale_after_s, max_attempts=settings.job_max_attempts)


def _job_runner(settings: Settings, db: Database, kinds: dict[str, JobKind]) -> JobRunner:
    """The in-process runner (embedded default) or Celery (``LUMEN_JOBS_RUNNER=celery``).

    Raises ``SharedIndexRequired`` for Celery over the embedded Edge index, ``ValueError``
    for Celery without a broker URL."""
    if settings.jobs_runner == "in-process":
        return JobWorker(db, kinds, _limits(settings))
    if not (settings.qdrant_url or settings.qdrant_path):
        raise SharedIndexRequired(
            "Celery workers write to a shared index: set LUMEN_QDRANT_URL (the embedded Edge "
            "index is written by the serving process, LUMEN_JOBS_RUNNER=in-process)"
        )
    queues = {name: kind.queue for name, kind in kinds.items()}
    return CeleryRunner(db, queues, create_celery(settings, publisher=True), settings)


def build_worker_context(settings: Settings) -> WorkerContext:
    """What a Celery worker process runs jobs with (``lumen worker``): the database, every
    job kind bound to this process's index and embedder, and the delivery limits. Raises
    ``SharedIndexRequired`` over the embedded Edge index, ``EncryptionNotConfigured`` without
    ``LUMEN_ENCRYPTION_KEYS`` (the worker must hold the API's keys)."""
    if not (settings.qdrant_url or settings.qdrant_path):
        raise SharedIndexRequired("lumen worker writes to a shared index: set LUMEN_QDRANT_URL")
    parts = _knowledge_parts(settings, None)
    kinds = ingestion_kinds(
        parts["ingestor"],
        parts["index"],
        None,  # a worker answers no questions: no focus vocabulary to refresh
        settings.data_dir / "downloads",
        settings.job_batch_size,
    )
    if settings.encryption_keys is None:
        # A key generated under this worker's data directory would not open what the API
        # sealed (messages), nor let the API open what this worker seals (exports).
        raise EncryptionNotConfigured(
            "lumen worker needs the API's message keys: set LUMEN_ENCRYPTION_KEYS"
        )
    keys = load_key_ring(settings)
    kinds.update(
        {k: single(EXPORT, t) for k, t in export_tasks(parts["db"], keys, settings).items()}
    )
    kinds.update(upload_kinds(parts["db"], keys, parts["ingestor"], UploadLimits.of(settings)))
    return WorkerContext(db=parts["db"], kinds=kinds, limits=_limits(settings))
