"""Configuration from environment variables, validated once at start."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from moderation.web.addresses import parse_networks


class Config(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore",
                                      frozen=True)

    database_url: str | None = Field(default=None, description=(
        "PostgreSQL URL; unset means the embedded server with its data in DATA_DIR"))
    database_direct_url: str | None = Field(default=None, description=(
        "PostgreSQL itself when DATABASE_URL is a pooler (PgBouncer): LISTEN, migrations and "
        "the cleanup's lock need a session of their own; unset: DATABASE_URL"))
    database_pool_mode: Literal["session", "transaction"] = Field(default="session", description=(
        "transaction: DATABASE_URL is a transaction pooler (PgBouncer pool_mode=transaction), "
        "so no prepared statement is kept between statements; needs DATABASE_DIRECT_URL"))
    database_replica_url: str | None = Field(default=None, description=(
        "a streaming replica of DATABASE_URL: public reads (thread pages, counts, ratings) go "
        "to it while it is within REPLICA_MAX_LAG_S"))
    replica_max_lag_s: float = Field(default=5.0, gt=0, le=3600, description=(
        "a replica further behind than this gets no reads until it catches up"))
    replica_check_s: float = Field(default=1.0, gt=0, le=600, description=(
        "how often the replica's lag is measured"))
    data_dir: Path = Field(default=Path(".data"), description="embedded PostgreSQL data and local secret")
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    worker_port: int = Field(default=8081, ge=1, le=65535, description=(
        "`moderation worker` serves /healthz, /readyz and /metrics on this port"))
    workers: int = Field(default=2, ge=0, le=64, description="rule workers inside `serve`")
    event_loop: Literal["uvloop", "asyncio"] = Field(default="uvloop", description=(
        "event loop of `serve` and `worker`: uvloop (faster sockets, for HTTP and PostgreSQL) "
        "or the standard library's"))
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = Field(default="json",
                                               description="one JSON object per line, or text")
    access_log: bool = Field(default=True, description="one log line per request, with its request id")
    secret_key: str | None = Field(default=None, min_length=16, description=(
        "hashes IP addresses, signs edit tokens and cursors; required with DATABASE_URL"))
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024,
                                description="largest request body; larger ones get 413")
    max_json_depth: int = Field(default=32, ge=2, le=200, description=(
        "deepest nesting of arrays and objects in a JSON body; deeper ones get 400"))
    max_line_bytes: int = Field(default=24 * 1024, ge=1024, le=65536, description=(
        "longest request line (method, path and query; 100 thread keys fit); longer ones get 414"))
    max_header_bytes: int = Field(default=8190, ge=1024, le=65536, description=(
        "longest single header (name and value); longer ones get 431"))
    max_headers: int = Field(default=100, ge=16, le=1000, description=(
        "most headers in one request; more get 431"))
    header_timeout_s: float = Field(default=10.0, gt=0, le=600, description=(
        "a client must send a request's line and headers within this, else it is disconnected"))
    body_timeout_s: float = Field(default=15.0, gt=0, le=600, description=(
        "a client must send a request's body within this, else it gets 408"))
    keepalive_timeout_s: float = Field(default=75.0, ge=0, le=3600, description=(
        "an idle keep-alive connection is closed after this"))
    pool_min_size: int = Field(default=2, ge=0, le=100)
    pool_max_size: int = Field(default=10, ge=1, le=200)
    db_timeout_s: float = Field(default=5.0, gt=0, le=120,
                                description="connect and pool-acquire timeout; past it a request gets 503")
    batch_size: int = Field(default=100, ge=1, le=1000, description="jobs a worker claims at once")
    lease_s: float = Field(default=30.0, gt=0, le=3600,
                           description="a claimed job returns to the queue after this")
    poll_interval_s: float = Field(default=2.0, gt=0, le=600,
                                   description="fallback poll when no NOTIFY arrives")
    max_attempts: int = Field(default=5, ge=1, le=100, description="tries before a job goes to dead")
    retry_base_s: float = Field(default=1.0, gt=0, le=3600)
    retry_max_s: float = Field(default=300.0, gt=0, le=86400)
    queue_max_age_s: float = Field(default=60.0, ge=0, le=86_400, description=(
        "once a site's oldest claimable rule job has waited longer than this, its new comments, "
        "edits and ratings get 503 with Retry-After until the workers catch up (0: never)"))
    queue_age_check_s: float = Field(default=0.5, gt=0, le=60, description=(
        "how often each API process measures the queue's age for QUEUE_MAX_AGE_S"))
    site_cache_s: float = Field(default=5.0, ge=0, le=3600,
                                description="how long an API process trusts a site's origins and settings")
    rating_prior_weight: float = Field(default=5.0, ge=0, le=10_000, description=(
        "how many ratings at the site's mean a bayesian average starts from"))
    rating_max_age_s: int = Field(default=30, ge=0, le=86400,
                                  description="Cache-Control max-age of rating reads")
    rating_cache_s: float = Field(default=1.0, ge=0, le=60, description=(
        "how long a process reuses a rendered rating answer (0 turns it off)"))
    replies_per_comment: int = Field(default=100, ge=1, le=1000, description=(
        "replies shown under each comment of a thread page; the rest are paged from "
        "GET /v1/sites/{site}/comments/{id}/replies"))
    page_max_replies: int = Field(default=300, ge=1, le=10_000, description=(
        "replies a thread page carries in all, its first comments' first; the answer says "
        "replies_truncated and each comment cut short has its replies_cursor"))
    metrics_token: str | None = Field(default=None, min_length=16, description=(
        "when set, GET /metrics needs 'Authorization: Bearer <this>'; unset, restrict it at the proxy"))
    page_cache_s: float = Field(default=1.0, ge=0, le=60, description=(
        "how long a process reuses a rendered thread page (0 turns it off)"))
    trusted_proxies: str = Field(default="", description=(
        "comma-separated CIDRs of your own reverse proxies; X-Forwarded-For is read from the "
        "right past them (empty: the peer address is the client)"))
    address_retention_days: int = Field(default=30, ge=2, le=3650, description=(
        "days the keyed hashes of client addresses are kept with comments and ratings; then "
        "they are cleared (the rules look back a day at most)"))
    cleanup_interval_s: float = Field(default=3600, gt=0, le=86_400, description=(
        "how often serve and worker clear expired address hashes, rate-limit windows and bans"))
    demo_site: bool = Field(default=True, description=(
        "create the `demo` site on start (allowing this server's own origin) so /demo works"))
    public_url: str | None = Field(default=None, pattern=r"^https?://", description=(
        "the URL readers reach this server at, when behind a proxy; allowed on the demo site"))
    smtp_url: str | None = Field(default=None, pattern=r"^smtps?://", description=(
        "where email goes: smtp://[user:password@]host[:port] (STARTTLS when offered) or "
        "smtps://… (TLS from the start); unset: no email, the widget offers none"))
    sse_per_address: int = Field(default=20, ge=0, le=100_000, description=(
        "event streams one client address may hold open on one API process (0: no limit)"))
    mail_from: str = Field(default="comments@localhost", min_length=3, max_length=254,
                           description="the From address of the emails")

    import_max_bytes: int = Field(default=1 << 30, ge=1 << 20, le=1 << 40, description=(
        "largest file POST /v1/sites/{site}/imports takes; larger ones go through the CLI"))
    webhook_allowed_hosts: str = Field(default="", description=(
        "comma-separated hosts (names, addresses or CIDRs) webhooks may reach over plain http "
        "and at private or loopback addresses; for tests and intranets"))
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=60, description=(
        "a webhook endpoint must answer within this, else the attempt failed"))
    webhook_max_attempts: int = Field(default=8, ge=1, le=100, description=(
        "tries of one webhook delivery before it is dead"))
    webhook_pause_after: int = Field(default=20, ge=1, le=10_000, description=(
        "failed attempts in a row after which an endpoint is paused until an admin resumes it"))
    webhook_poll_interval_s: float = Field(default=30.0, gt=0, le=3600, description=(
        "webhook senders look for due deliveries this often when no NOTIFY wakes them"))
    webhook_retry_base_s: float = Field(default=30.0, gt=0, le=86_400)
    webhook_retry_max_s: float = Field(default=6 * 3600.0, gt=0, le=7 * 86_400)
    webhook_secret_overlap_s: float = Field(default=86_400.0, ge=0, le=30 * 86_400, description=(
        "after a secret rotation, how long deliveries are signed with the old secret too"))

    @field_validator("trusted_proxies")
    @classmethod
    def proxy_networks(cls, text: str) -> str:
        parse_networks(text)
        return text

    @field_validator("webhook_allowed_hosts")
    @classmethod
    def webhook_hosts(cls, text: str) -> str:
        from moderation.webhooks.addresses import AllowedHosts

        AllowedHosts.parse(text)
        return text

    @field_validator("database_pool_mode")
    @classmethod
    def pooler_needs_direct_url(cls, mode: str, info: ValidationInfo) -> str:
        if mode == "transaction" and not info.data.get("database_direct_url"):
            raise ValueError("transaction pooling needs DATABASE_DIRECT_URL (PostgreSQL itself, "
                             "for LISTEN and migrations)")
        return mode

    @field_validator("database_url", "database_direct_url", "database_replica_url")
    @classmethod
    def postgres_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("postgres://", "postgresql://")):
            raise ValueError("must start with postgresql://")
        return url or None

    def require_secret_key(self) -> str:
        if not self.secret_key:
            raise ConfigError("SECRET_KEY is not set (Config.with_secret fills it in)")
        return self.secret_key

    def with_secret(self) -> Config:
        """Fills in SECRET_KEY: a remote database needs one set; the embedded one keeps its own."""
        if self.secret_key:
            return self
        if self.database_url:
            raise ConfigError("SECRET_KEY must be set (16+ characters) when DATABASE_URL is set")
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return self.model_copy(update={"secret_key": path.read_text().strip()})


class ConfigError(Exception):
    """Raised with one line that tells the operator what to fix."""


# Settings that were replaced: set, they would be silently ignored, so the process refuses to start.
REPLACED = {"TRUST_FORWARDED_FOR": "TRUSTED_PROXIES (the CIDRs of your own proxies)"}


def load_config(**overrides) -> Config:
    for old, new in REPLACED.items():
        if old in os.environ:
            raise ConfigError(f"{old} is no longer read: set {new} instead, and unset {old}")
    try:
        return Config(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]).upper()
        raise ConfigError(f"invalid configuration: {field}: {first['msg']}") from None
