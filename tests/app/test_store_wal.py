"""SQLite checkpoints run in a background thread, so no request pays for one inside its commit."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine, text

from mostrador.store.db import AUTOCHECKPOINT_PAGES, WalCheckpointer, make_engine
from tests.waiting import wait_for


def _write_rows(engine: Engine, rows: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)"))
        for _ in range(rows):
            conn.execute(text("INSERT INTO t (body) VALUES (:b)"), {"b": "x" * 1000})


def test_commits_leave_checkpoints_to_the_checkpointer(tmp_path: Path) -> None:
    db = tmp_path / "wal.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == AUTOCHECKPOINT_PAGES
        _write_rows(engine, 2000)  # ~2 MB: in the WAL only, the database file has not grown
        assert db.stat().st_size < 100_000
        checkpointer = WalCheckpointer(engine, interval_s=0.05)
        checkpointer.start()
        try:
            wait_for(lambda: db.stat().st_size > 1_000_000, timeout=10)
        finally:
            checkpointer.stop()
    finally:
        engine.dispose()


def test_checkpointer_is_a_no_op_off_sqlite() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    checkpointer = WalCheckpointer(engine)
    checkpointer.start()
    assert not [t for t in threading.enumerate() if t.name == "mostrador-wal-checkpoint"]
    engine.dispose()
