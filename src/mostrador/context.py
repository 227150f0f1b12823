"""The services one process shares: built once by the app factory or the CLI and passed in."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mostrador.bot.cache import BotCache
from mostrador.limits import budget_backend
from mostrador.meli import CallRecord, CircuitBreakers, MeliClient, RateLimiter
from mostrador.meli.ratelimit import MESSAGING_READ, MESSAGING_WRITE
from mostrador.observability.metrics import Metrics
from mostrador.security.crypto import TokenCipher
from mostrador.settings import Settings
from mostrador.store.db import WalCheckpointer, make_engine, make_sessionmaker


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    cipher: TokenCipher
    meli: MeliClient
    bots: BotCache
    checkpointer: WalCheckpointer | None = None  # started by long-running processes (serve, worker)
    metrics: Metrics = field(default_factory=Metrics)

    async def aclose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        await self.meli.aclose()
        self.engine.dispose()


def build_context(settings: Settings) -> AppContext:
    settings.ensure_secrets()
    engine = make_engine(settings.resolved_database_url)
    metrics = Metrics()

    def on_call(call: CallRecord) -> None:
        metrics.meli_call(call.family, call.status, call.error, call.seconds)

    cipher = TokenCipher([k.get_secret_value() for k in settings.token_keys])
    meli = MeliClient(
        api_url=settings.meli_api_url,
        auth_url=settings.meli_auth_url,
        client_id=settings.meli_client_id,
        client_secret=settings.meli_client_secret.get_secret_value(),
        limiter=RateLimiter(
            budgets={
                MESSAGING_READ: settings.meli_messaging_read_per_minute,
                MESSAGING_WRITE: settings.meli_messaging_write_per_minute,
            },
            default_budget=settings.meli_default_per_minute,
            window=settings.meli_rate_window_s,
            margin=settings.meli_rate_margin_s,
            backend=budget_backend(settings, engine),
        ),
        breakers=CircuitBreakers(
            failure_threshold=settings.meli_breaker_failures, reset_timeout=settings.meli_breaker_reset_s
        ),
        on_call=on_call,
    )
    return AppContext(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        cipher=cipher,
        meli=meli,
        bots=BotCache(model_dir=settings.resolved_cache_dir),
        checkpointer=WalCheckpointer(engine),
        metrics=metrics,
    )
