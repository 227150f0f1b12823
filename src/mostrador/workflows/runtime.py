"""DBOS set-up for one process: configuration, launch, queue, and the context workflows use.

DBOS keeps one instance per process; workflows are module-level functions, so the services they
need are bound here at launch (never at import time). See docs/architecture.md for the sharp edges
this works around (DBOS-NOTES: executor ids, pinned application version, polling interval).
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from typing import Any

from dbos import DBOS, DBOSConfig, Queue
from sqlalchemy import Engine, event

from mostrador.context import AppContext
from mostrador.settings import Settings
from mostrador.store.db import make_engine
from mostrador.workflows import executor

CONVERSATIONS_QUEUE = "conversations"
WEBHOOKS_QUEUE = "webhooks"  # deliveries to integrators' endpoints (workflows/webhooks.py)
LEARNING_QUEUE = "bot-learning"  # one model training at a time per process (workflows/learning.py)

_state: dict[str, object] = {}


class RuntimeNotStarted(RuntimeError):
    """Workflows ran before `launch()` bound the application context."""


def context() -> AppContext:
    ctx = _state.get("ctx")
    if ctx is None:
        raise RuntimeNotStarted(RuntimeNotStarted.__doc__)
    return ctx  # type: ignore[return-value]


def queue() -> Queue:
    q = _state.get("queue")
    if q is None:
        raise RuntimeNotStarted(RuntimeNotStarted.__doc__)
    return q  # type: ignore[return-value]


def learning_queue() -> Queue:
    q = _state.get("learning_queue")
    if q is None:
        raise RuntimeNotStarted(RuntimeNotStarted.__doc__)
    return q  # type: ignore[return-value]


def webhooks_queue() -> Queue:
    q = _state.get("webhooks_queue")
    if q is None:
        raise RuntimeNotStarted(RuntimeNotStarted.__doc__)
    return q  # type: ignore[return-value]


def check_platform(dbos_url: str) -> None:
    """DBOS-NOTES edge 2: Python ≥ 3.12 with SQLite < 3.42 fails inside DBOS with an obscure error."""
    if (
        dbos_url.startswith("sqlite")
        and sys.version_info >= (3, 12)
        and sqlite3.sqlite_version_info < (3, 42)
    ):
        raise RuntimeError(
            f"SQLite {sqlite3.sqlite_version} is too old for DBOS on Python {sys.version.split()[0]}: "
            "use Python 3.11, a newer SQLite, or PostgreSQL (MOSTRADOR_DATABASE_URL)."
        )


def sqlite_system_engine(url: str) -> Engine:
    """DBOS's own SQLite engine keeps the rollback journal with full sync: every commit fsyncs, and a
    writer blocks the 50 ms queue pollers, whose busy handler then sleeps. The same file in WAL mode
    with `synchronous=NORMAL` (what our own database uses) is several times cheaper per workflow;
    a SIGKILL still loses nothing, a power cut may lose the last commits (PostgreSQL for that)."""
    engine = make_engine(url, pool_size=20, max_overflow=0, pool_timeout=30, pool_pre_ping=True)

    @event.listens_for(engine, "connect")
    def _immediate(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = "IMMEDIATE"  # as DBOS's own engine: serialise writers up front

    return engine


def claim_executor(settings: Settings) -> executor.ExecutorLock:
    """Claim this process's executor id (held until `shutdown`); raises `executor.ExecutorIdInUse` if
    another live process holds it. `launch` calls it; a CLI calls it first to fail before serving."""
    executor_id = settings.resolved_executor_id
    held = _state.get("executor_lock")
    if held is not None:
        assert isinstance(held, executor.FileExecutorLock | executor.PostgresExecutorLock)
        if held.executor_id == executor_id:
            return held
        raise executor.ExecutorLockError(
            f"this process already holds executor id {held.executor_id!r}, not {executor_id!r}"
        )
    lock = executor.claim(executor_id, settings.resolved_dbos_url)
    _state["executor_lock"] = lock
    return lock


async def launch(ctx: AppContext, *, consume: bool = True) -> None:
    """Claim the executor id, start DBOS for this process and register the queue; call once per process.

    `consume=False` makes a web-only process that records and enqueues but leaves the work to
    `mostrador worker` processes (PostgreSQL mode).
    """
    s = ctx.settings
    check_platform(s.resolved_dbos_url)
    claim_executor(s)
    try:
        await _launch(ctx, consume=consume)
    except BaseException:
        shutdown()
        raise


async def _launch(ctx: AppContext, *, consume: bool) -> None:
    s = ctx.settings
    config: DBOSConfig = {
        "name": "mostrador",
        "system_database_url": s.resolved_dbos_url,
        "executor_id": s.resolved_executor_id,
        "application_version": s.app_version,
        "log_level": s.log_level,
        "notification_listener_polling_interval_sec": 0.05,
    }
    if s.resolved_dbos_url.startswith("sqlite"):
        engine = sqlite_system_engine(s.resolved_dbos_url)
        _state["engine"] = engine
        config["system_database_engine"] = engine
    for name in ("dbos", "dbos._core", "dbos._sys_db"):
        logging.getLogger(name).setLevel(s.log_level)
    _state["ctx"] = ctx
    DBOS(config=config)
    if not consume:
        DBOS.listen_queues([])
    DBOS.launch()
    _state["queue"] = await DBOS.register_queue_async(
        CONVERSATIONS_QUEUE,
        partition_concurrency=1,
        worker_concurrency=s.worker_concurrency,
        polling_interval_sec=s.queue_polling_interval_s,
        on_conflict="always_update",
    )
    _state["learning_queue"] = await DBOS.register_queue_async(
        LEARNING_QUEUE,
        worker_concurrency=1,
        polling_interval_sec=max(s.queue_polling_interval_s, 1.0),
        on_conflict="always_update",
    )
    _state["webhooks_queue"] = await DBOS.register_queue_async(
        WEBHOOKS_QUEUE,
        worker_concurrency=s.worker_concurrency,
        polling_interval_sec=s.queue_polling_interval_s,
        on_conflict="always_update",
    )
    from mostrador.workflows import housekeeping, learning, schedules, webhooks

    await schedules.install(s.sweep_interval_s)
    await housekeeping.install()
    await learning.install()
    await webhooks.install(s.webhooks_feed_interval_s)


def shutdown() -> None:
    """DBOS.destroy() must be the very last DBOS call at shutdown (DBOS-NOTES); the executor id is
    released after it, once no workflow of this process can run any more."""
    engine = _state.get("engine")
    lock = _state.get("executor_lock")
    _state.clear()
    DBOS.destroy(destroy_registry=False)
    if isinstance(engine, Engine):
        engine.dispose()
    if isinstance(lock, executor.FileExecutorLock | executor.PostgresExecutorLock):
        lock.release()
