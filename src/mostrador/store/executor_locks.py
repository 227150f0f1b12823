"""PostgreSQL session advisory locks that hold a DBOS executor id for one live process (the SQL of
`mostrador.workflows.executor`). Every function runs on the one dedicated autocommit connection
that holds the lock: a session lock lives exactly as long as that session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

# Advisory locks taken with one bigint key show up in pg_locks split in two 32-bit halves.
_HOLDER = text(
    "SELECT a.pid, a.client_addr, a.backend_start FROM pg_locks l"
    " JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND l.classid::bigint = :hi AND l.objid::bigint = :lo"
)
_HELD_HERE = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND objsubid = 1 AND classid::bigint = :hi AND objid::bigint = :lo"
)


def _halves(key: int) -> dict[str, int]:
    return {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF}


def prepare_lock_session(conn: Connection) -> None:
    """Notice a vanished peer in ~25 s instead of the OS default of two hours, and never let an
    idle-session timeout end the session that holds the lock."""
    conn.exec_driver_sql("SET tcp_keepalives_idle = 10")
    conn.exec_driver_sql("SET tcp_keepalives_interval = 5")
    conn.exec_driver_sql("SET tcp_keepalives_count = 3")
    if int(conn.exec_driver_sql("SHOW server_version_num").scalar_one()) >= 140000:
        conn.exec_driver_sql("SET idle_session_timeout = 0")


def try_lock(conn: Connection, key: int) -> bool:
    return bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one())


def unlock(conn: Connection, key: int) -> None:
    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


def held_by_this_session(conn: Connection, key: int) -> bool:
    return bool(conn.execute(_HELD_HERE, _halves(key)).scalar_one())


def holder(conn: Connection, key: int) -> Any | None:
    """The session holding `key` in this database (pid, client_addr, backend_start), if visible."""
    return conn.execute(_HOLDER, _halves(key)).first()
