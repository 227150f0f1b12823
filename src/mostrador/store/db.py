"""Engine and session factories: SQLite (WAL, generous busy timeout) or PostgreSQL."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from mostrador.store import waiting

log = logging.getLogger(__name__)
AUTOCHECKPOINT_PAGES = 10_000  # 40 MB


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Build the engine; SQLite gets WAL and a 30 s busy timeout (DBOS-NOTES §10: 5 s lost writes)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # Checkpoints run in WalCheckpointer's thread, not inside whichever commit crosses the
            # threshold (on the event loop that stalled every request for 5-7 ms, bench/intake.py);
            # this bound only applies when no checkpointer runs (CLI commands, tests).
            cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
            cur.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class WalCheckpointer:
    """Copies SQLite's WAL into the database file from a background thread, every `interval_s`.

    PASSIVE checkpoints never block readers or writers; they copy what no reader still needs.
    """

    def __init__(self, engine: Engine, interval_s: float = 0.5) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.engine.dialect.name == "sqlite" and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="mostrador-wal-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                with self.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # a busy moment; the next tick tries again
                log.debug("WAL checkpoint failed", exc_info=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(engine, expire_on_commit=False)
    waiting.install(factory)
    return factory


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """The unit-of-work boundary: commit on success, roll back on error. Services never commit."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
