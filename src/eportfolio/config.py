"""Settings, read from the environment with the prefix ``EPORTFOLIO_``.

Outside development the app refuses to start with the placeholder secret.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105 - a known placeholder, refused outside development
DEVELOPMENT_URL = "http://127.0.0.1:8000"
BASE_URL_VARIABLE = "EPORTFOLIO_BASE_URL"
# One machine has several names; a page opened under any of them is the same site in development.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
# Addresses that mean "every network interface": a browser never opens a page under them.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", "[::]", ""})  # noqa: S104 - names them, binds nothing


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EPORTFOLIO_", extra="ignore")

    env: Environment = Environment.development
    secret_key: str = DEVELOPMENT_SECRET
    database_url: str = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'eportfolio.db'}"
    redis_url: str | None = None
    # The address people open: invitation links and QR codes point here, and it is the Origin
    # allowed for chat sockets and forms. Required in production (https, the proxy's public
    # address). Left unset in development, `eportfolio serve` makes it the address it serves on.
    base_url: str = DEVELOPMENT_URL
    # Origins allowed for WebSocket handshakes and state-changing requests, besides base_url.
    extra_origins: list[str] = Field(default_factory=list)
    blob_dir: Path = PROJECT_ROOT / "var" / "blobs"
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=24 * 30)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    # Rate limits of what anyone may try without logging in, per window of this many minutes:
    # wrong invitation or reset codes from one address, looks at one code (right or wrong), and
    # requests to recover an account on a new phone, from one address and for one login name.
    limit_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    code_failures_per_address: int = Field(default=10, ge=1, le=10_000)
    code_tries_per_code: int = Field(default=20, ge=1, le=10_000)
    device_requests_per_address: int = Field(default=10, ge=1, le=10_000)
    device_requests_per_login: int = Field(default=3, ge=1, le=10_000)
    # Open chat sockets per login session (per server process); the next one is refused (4429).
    chat_sockets_per_session: int = Field(default=5, ge=1, le=100)
    # Per chat socket: frames per second with bursts up to chat_burst (more get too_many_requests),
    # and refusals in a row before the socket is closed (4029).
    chat_frames_per_second: float = Field(default=20.0, gt=0, le=10_000)
    chat_burst: int = Field(default=40, ge=1, le=100_000)
    chat_flood_strikes: int = Field(default=100, ge=1, le=100_000)
    # The longest frame read (characters; the server reads no frame over 64 KiB at all).
    chat_max_frame_chars: int = Field(default=48 * 1024, ge=1024, le=48 * 1024)
    # Frames waiting for one socket before it counts as too slow (4008), and how long one send may take.
    chat_queue_size: int = Field(default=500, ge=10, le=100_000)
    chat_send_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # How long the server waits for a socket's resume frame, and how often an open socket's session is checked.
    chat_resume_wait_seconds: float = Field(default=10.0, gt=0, le=300)
    chat_session_check_seconds: float = Field(default=60.0, ge=0, le=3600)
    # How long a checked membership is used by the socket's sends without asking the database
    # (changes that emit an event drop it at once on every process).
    chat_membership_cache_seconds: float = Field(default=30.0, ge=0, le=3600)
    # The group commit of the socket's sends: at most this many per transaction, this many under way.
    chat_commit_batch: int = Field(default=100, ge=1, le=10_000)
    chat_parallel_commits: int = Field(default=3, ge=1, le=64)
    log_level: str = "INFO"
    # Bearer token a Prometheus scraper sends for GET /metrics. Unset: only a client on this
    # machine may read them, and only outside production (kit/metrics.py).
    metrics_token: str | None = None
    # Where "quick exit" sends her: a neutral, common site that draws no attention on a shared phone.
    quick_exit_url: str = "https://www.weeronline.nl/"
    vapid_private_key: str | None = None
    vapid_public_key: str | None = None
    vapid_subject: str = "mailto:privacy@example.org"
    # How often unanswered messages are passed on (seconds) when the app or `eportfolio periodic`
    # runs the periodic jobs; with a timer, its schedule (deploy/systemd/eportfolio-escalate.timer).
    escalation_sweep_seconds: float = Field(default=30.0, gt=0, le=3600)
    # Whether the app runs the periodic jobs (`eportfolio.jobs`) itself, in every worker. Unset:
    # outside production only; in production a timer runs them once (`eportfolio escalate`).
    periodic_jobs_in_app: bool | None = None
    # Development only: where the key pair made at the first start is kept (never in the repository).
    vapid_key_file: Path = PROJECT_ROOT / "var" / "vapid-development.json"

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not (value.startswith("sqlite+aiosqlite://") or value.startswith("postgresql+asyncpg://")):
            raise ValueError("EPORTFOLIO_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @property
    def is_development(self) -> bool:
        return self.env is Environment.development

    @property
    def is_test(self) -> bool:
        return self.env is Environment.test

    @property
    def runs_periodic_jobs(self) -> bool:
        if self.periodic_jobs_in_app is not None:
            return self.periodic_jobs_in_app
        return self.env is not Environment.production

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def allowed_origins(self) -> set[str]:
        origins = {self.base_url.rstrip("/"), *(o.rstrip("/") for o in self.extra_origins)}
        if self.env is not Environment.production:
            origins |= {alias for origin in origins for alias in _loopback_aliases(origin)}
        return origins

    def problems(self) -> list[str]:
        """Every misconfiguration, one plain sentence each (used by `eportfolio check` and startup)."""
        found: list[str] = []
        if self.env is Environment.production:
            if self.secret_key == DEVELOPMENT_SECRET:
                found.append(
                    "EPORTFOLIO_SECRET_KEY is the development placeholder; set a random value of 32+ characters."
                )
            elif len(self.secret_key) < 32:
                found.append("EPORTFOLIO_SECRET_KEY is shorter than 32 characters.")
            if "base_url" not in self.model_fields_set:
                found.append(
                    "EPORTFOLIO_BASE_URL is not set; set it to the address people open, "
                    "for example https://portfolio.example.nl."
                )
            elif not self.base_url.startswith("https://"):
                found.append("EPORTFOLIO_BASE_URL must start with https:// in production.")
        return found


def served_url(host: str, port: int) -> str:
    """The address of `eportfolio serve --host --port` as a browser on this machine opens it."""
    if host in WILDCARD_HOSTS:
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{port}"


def _loopback_aliases(origin: str) -> set[str]:
    """The same origin under this machine's other loopback names (only for a loopback origin)."""
    parts = urlsplit(origin)
    if parts.hostname is None or parts.scheme not in ("http", "https"):
        return set()
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if host not in LOOPBACK_HOSTS:
        return set()
    port = f":{parts.port}" if parts.port else ""
    return {f"{parts.scheme}://{name}{port}" for name in LOOPBACK_HOSTS}


@lru_cache
def get_settings() -> Settings:
    return Settings()
