"""One `Settings` object, built once at the edge (CLI, app factory, tests) and passed in.

Nothing reads the environment at import time: `Settings()` reads `MOSTRADOR_*` variables and an
optional `.env` file when it is constructed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything Mostrador needs to run; see docs/operations.md for each field."""

    model_config = SettingsConfigDict(
        env_prefix="MOSTRADOR_", env_file=".env", extra="ignore", validate_assignment=True
    )

    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: a SQLite file in data_dir. PostgreSQL for scale."
    )
    dbos_database_url: str | None = Field(
        default=None, description="DBOS system database; default: beside database_url."
    )
    cache_dir: Path | None = Field(default=None, description="Trained bot models; default data_dir/cache.")
    public_url: str = "http://127.0.0.1:8000"

    meli_api_url: str = "https://api.mercadolibre.com"
    meli_auth_url: str = "https://auth.mercadolibre.com.ar"
    meli_client_id: str = ""
    meli_client_secret: SecretStr = SecretStr("")

    secret_key: SecretStr | None = Field(default=None, description="Signs sessions and CSRF tokens.")
    token_keys: list[SecretStr] = Field(
        default_factory=list, description="Fernet keys for OAuth tokens at rest; first one encrypts."
    )

    executor_id: str | None = Field(default=None, description="Stable DBOS executor id of this process slot.")
    # Pinned so a deploy does not strand in-flight workflows (DBOS-NOTES edge 4); bumped when workflow
    # code changes incompatibly — then drain the queues before upgrading (docs/operations.md).
    app_version: str = "mostrador-2"
    # How often each process looks for queued work: every poll is a few queries even when idle
    # (0.05 s cost 15 % of a core at rest; 0.1 s adds ~25 ms to a question on average).
    queue_polling_interval_s: float = 0.1
    # Workflows mostly wait (HTTP, back-off between retries), so a slot is cheap; too few slots and
    # retries under Mercado Libre errors starve the queue (bench/soak.py: 8 slots drained ~5 questions/s).
    worker_concurrency: int = 32
    run_workers: bool = True

    # The inbox's live updates (docs/inbox.md): one reader per process reads the `events` table every
    # `inbox_events_poll_s` (at once when this process wrote one) and fans the rows out to every open
    # stream of their workspace. A reconnecting page gets up to `inbox_events_replay_max` missed events,
    # else a "reload". Streams send a comment every `inbox_events_keepalive_s` (proxies close silent
    # connections) and end within `inbox_events_session_check_s` of their session's end. A page whose
    # stream fails polls every `inbox_events_fallback_poll_s`. On PostgreSQL an event id committed out
    # of order is waited for `inbox_events_gap_wait_s`.
    inbox_events_poll_s: float = Field(default=0.5, gt=0, le=60)
    inbox_events_replay_max: int = Field(default=500, ge=0, le=100_000)
    inbox_events_keepalive_s: float = Field(default=15.0, gt=0, le=300)
    inbox_events_session_check_s: float = Field(default=10.0, gt=0, le=600)
    inbox_events_fallback_poll_s: float = Field(default=5.0, gt=0)
    inbox_events_gap_wait_s: float = Field(default=30.0, ge=0, le=3600)
    # Presence (docs/inbox.md, "Working together"): an open conversation says so every
    # `presence_heartbeat_s`; a person counts as viewing for `presence_ttl_s` after their last word and
    # as typing for `presence_typing_ttl_s` after their last key. Kept in the database, not in a process.
    presence_heartbeat_s: float = Field(default=10.0, gt=0, le=300)
    presence_ttl_s: float = Field(default=30.0, gt=0, le=3600)
    presence_typing_ttl_s: float = Field(default=8.0, gt=0, le=600)

    # Outbound budgets per application (§10): messaging has published limits; the rest does not, so
    # the default family is a setting (lower it if Mercado Libre answers 429 often).
    meli_messaging_read_per_minute: int = 500
    meli_messaging_write_per_minute: int = 500
    meli_default_per_minute: int = 3000
    # Mercado Libre's window is undocumented: no `meli_rate_window_s + meli_rate_margin_s` interval holds
    # more than a budget; the margin absorbs request latency and late wake-ups (docs/reliability.md).
    meli_rate_window_s: float = Field(default=60.0, gt=0)
    meli_rate_margin_s: float = Field(default=2.0, ge=0)
    # Where budgets live: "auto" = the database on PostgreSQL (shared by every process and host),
    # memory on SQLite (one process runs everything); "database" forces the table on SQLite too.
    meli_budget_store: Literal["auto", "memory", "database"] = "auto"
    meli_budget_block: int = Field(default=1, ge=1)  # permits taken per round trip to the budget table
    meli_budget_lease_s: float = Field(default=0.25, ge=0)  # how long a taken block stays usable
    meli_breaker_failures: int = 8
    meli_breaker_reset_s: float = 15.0

    # The REST API (docs/api.md): each key may make `api_rate_per_minute` requests a minute, in bursts
    # of up to `api_rate_burst`; past that, 429 with Retry-After. Counted in the database (every process
    # shares the count).
    api_rate_per_minute: int = Field(default=600, ge=1)
    api_rate_burst: int = Field(default=60, ge=1)

    max_notification_bytes: int = 16_384
    token_refresh_margin_s: int = 300
    # The reconciliation schedule (docs/channels.md, "Reconciliation"): a pass every `sweep_interval_s`
    # sweeps the accounts not swept for `sweep_account_every_s`, oldest first, starting none after 80 % of
    # the interval (of the shortest gap its cron leaves, `schedules.shortest_gap_s`); with more accounts
    # than a pass reaches, each is swept as often as the passes allow.
    sweep_interval_s: int = Field(default=120, ge=5)
    sweep_account_every_s: int = Field(default=600, ge=0)
    # The outbox (docs/reliability.md, "Every reply posted once"): a send owns its entry for
    # `outbox_lease_s`; if it never ran (a crash before it was scheduled) the re-drive, looking every
    # `outbox_redrive_interval_s`, sends it then. Transient errors are retried `outbox_quick_tries`
    # times in place, then put off from `outbox_backoff_s` doubling to `outbox_max_backoff_s`, and the
    # reply fails (shown to agents, who can retry) only after `outbox_give_up_after_s` without success.
    outbox_lease_s: float = Field(default=60.0, gt=0)
    outbox_redrive_interval_s: int = Field(default=5, ge=1, le=59)
    outbox_quick_tries: int = Field(default=3, ge=1, le=10)
    outbox_backoff_s: float = Field(default=5.0, gt=0)
    outbox_max_backoff_s: float = Field(default=300.0, gt=0)
    outbox_give_up_after_s: float = Field(default=86_400.0, gt=0)
    # An ingest that failed for longer than its step's retries (~15 s of Mercado Libre errors) runs again
    # after each of these delays; after the last, the reconciliation sweeps find the resource.
    ingest_later_s: list[float] = Field(default_factory=lambda: [30.0, 120.0, 600.0])
    # Housekeeping (workflows/housekeeping.py) deletes live-update events older than `events_keep_days`
    # once every reader of the feed (the dashboards' fold, the outgoing webhooks' feed) is past them, and
    # DBOS's records of workflows that ended well more than `workflow_history_keep_days` ago; failed or
    # unfinished workflows are kept for people to look at.
    events_keep_days: float = Field(default=7.0, gt=0)
    workflow_history_keep_days: float = Field(default=14.0, gt=0)
    # An agent's confirmed example retrains the account's model this long after the last change, so a
    # run of confirmations trains once (docs/bot.md, "Learning from the team").
    bot_retrain_delay_s: float = Field(default=10.0, ge=0, le=3600)
    # Outgoing webhooks (docs/webhooks.md). The feed of events is read every `webhooks_feed_interval_s`;
    # a delivery is tried at once, then after each of `webhooks_retry_delays_s` (Standard Webhooks'
    # suggested schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — about 27.5 h, 8 tries), then it
    # ends `failed` ("gave_up"). Each try waits at most `webhooks_timeout_s` for an answer. Deliveries go
    # only to public addresses unless `webhooks_allow_private_addresses` (an operator's choice: tests,
    # a receiver on the same private network) lets them reach loopback, private and link-local ones.
    webhooks_feed_interval_s: int = Field(default=2, ge=1, le=59)
    webhooks_retry_delays_s: list[float] = Field(
        default_factory=lambda: [5.0, 300.0, 1_800.0, 7_200.0, 18_000.0, 36_000.0, 36_000.0]
    )
    webhooks_timeout_s: float = Field(default=15.0, gt=0, le=120)
    webhooks_allow_private_addresses: bool = False
    webhooks_due_soon_s: float = Field(default=86_400.0, gt=0)  # `claim.due_soon`: due within a day
    webhooks_gap_wait_s: float = Field(default=600.0, ge=0)  # an id skipped in the feed may still commit
    # People (docs/people.md): a login session ends after `session_idle_timeout_s` without a request or
    # `session_lifetime_s` after the login; an invitation link works for `invitation_lifetime_s`, a
    # password-reset link for `password_reset_lifetime_s`, each once.
    session_idle_timeout_s: float = Field(default=12 * 3600.0, gt=0)
    session_lifetime_s: float = Field(default=14 * 86_400.0, gt=0)
    invitation_lifetime_s: float = Field(default=7 * 86_400.0, gt=0)
    password_reset_lifetime_s: float = Field(default=3600.0, gt=0)
    # Crash points for tests that must kill the process at one exact place (see mostrador.failpoints).
    failpoints: str = Field(default="", description="Comma-separated failpoint names; tests only.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    # "json": one object per line with request and workflow ids, for a log collector; "text" for people.
    log_format: Literal["text", "json"] = "text"
    # GET /metrics: with a token, only `Authorization: Bearer <token>`; without one, only clients on
    # this host (loopback, no proxy in between). See docs/operations.md, "Metrics".
    metrics_token: SecretStr | None = None
    # Apply pending migrations when `mostrador serve` starts. With several web processes, turn it off
    # and run `mostrador migrate` once per deploy (docs/deploy.md): /readyz answers 503 until then.
    auto_migrate: bool = True

    # ---- derived values -------------------------------------------------------------------
    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalise_db_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'mostrador.sqlite').resolve()}"

    @property
    def resolved_dbos_url(self) -> str:
        if self.dbos_database_url:
            return self.dbos_database_url
        url = self.resolved_database_url
        if url.startswith("sqlite"):
            return f"sqlite:///{(self.data_dir / 'dbos.sqlite').resolve()}"
        return url.replace("postgresql+psycopg://", "postgresql://")

    @property
    def resolved_cache_dir(self) -> Path:
        return self.cache_dir or self.data_dir / "cache"

    @property
    def is_postgres(self) -> bool:
        return self.resolved_database_url.startswith("postgresql")

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url.rstrip('/')}/oauth/callback"

    @property
    def resolved_executor_id(self) -> str:
        """This process slot's DBOS executor id: `executor_id` when set, else one generated on the first
        start and kept in `data_dir/executor_id`. data_dir is the persistent volume, so a restarted
        container takes its id back and DBOS resumes its pending workflows (a host name would change at
        every container start); `mostrador.workflows.executor` refuses a second live process with it."""
        if self.executor_id:
            return self.executor_id
        return _read_or_create_once(self.data_dir / "executor_id", f"mostrador-{secrets.token_hex(6)}")

    def ensure_secrets(self) -> Settings:
        """Fill missing secrets from files in data_dir (created 0600 on first use), never from the repo.

        Raises InsecureSecretKey for a session key shorter than MIN_SECRET_KEY_BYTES: it signs every
        session cookie, so a short one can be guessed offline from a single cookie.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.secret_key is None:
            path = self.data_dir / "secret_key"
            stored = SecretStr(_read_or_create_once(path, secrets.token_urlsafe(48)))
            _check_secret_key(
                stored,
                f"The file {path}",
                "delete it to have a new key generated at the next start (everyone is logged out), "
                "or set MOSTRADOR_SECRET_KEY",
            )
            self.secret_key = stored
        else:
            _check_secret_key(self.secret_key, "MOSTRADOR_SECRET_KEY", "set a longer one")
        if not self.token_keys:
            key = _read_or_create_once(self.data_dir / "token_key", Fernet.generate_key().decode())
            self.token_keys = [SecretStr(key)]
        return self


MIN_SECRET_KEY_BYTES = 32


class InsecureSecretKey(ValueError):
    """The session signing key is missing or too short."""


def _check_secret_key(key: SecretStr, source: str, fix: str) -> None:
    size = len(key.get_secret_value().encode())
    if size < MIN_SECRET_KEY_BYTES:
        raise InsecureSecretKey(
            f"{source} holds a session key of {size} bytes; it needs at least {MIN_SECRET_KEY_BYTES}. "
            f"To fix it, {fix}; python -c 'import secrets; print(secrets.token_urlsafe(48))' prints one."
        )


def normalise_db_url(url: str) -> str:
    """Accept plain postgresql:// URLs (as pg tools print them) and use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _read_or_create_once(path: Path, fresh: str) -> str:
    """Like `_read_or_create`, safe when several processes start at once on one data_dir: the value is
    written to a private file and linked into place (atomic; the first link wins, the rest read it)."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # private from the first byte
    with os.fdopen(fd, "w") as fh:
        fh.write(fresh + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    except OSError:  # a volume without hard links: exclusive create (a reader may race the writer)
        return _read_or_create(path, fresh)
    finally:
        draft.unlink()
    return path.read_text().strip()


def _read_or_create(path: Path, fresh: str) -> str:
    if path.exists():
        return path.read_text().strip()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(fresh)
    return fresh
