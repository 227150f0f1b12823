"""Reads for readiness, metrics and `mostrador doctor`: is a database there, and DBOS's queue depth.

DBOS's tables are its own (`workflow_status`, in schema `dbos` on PostgreSQL, unprefixed on SQLite);
we only count rows in them, never write.
"""

from __future__ import annotations

from sqlalchemy import Engine, text


def ping(engine: Engine) -> None:
    """One round trip; raises the driver's error when the database cannot be reached."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def _workflow_table(engine: Engine) -> str:
    return "dbos.workflow_status" if engine.dialect.name == "postgresql" else "workflow_status"


def dbos_ready(engine: Engine) -> bool:
    """Whether DBOS has created its system tables in this database (it does at its first launch)."""
    with engine.connect() as conn:
        try:
            conn.execute(text(f"SELECT 1 FROM {_workflow_table(engine)} LIMIT 1"))  # noqa: S608 - a constant
        except Exception:
            return False
    return True


def queue_depth(engine: Engine) -> dict[tuple[str, str], int]:
    """(queue, status) → workflows not finished, from DBOS's system database."""
    statement = text(
        f"SELECT queue_name, status, count(*) FROM {_workflow_table(engine)} "  # noqa: S608 - a constant
        # DBOS 3.4's statuses of unfinished work: waiting for its delay, for a slot, running.
        "WHERE status IN ('DELAYED', 'ENQUEUED', 'PENDING') AND queue_name IS NOT NULL "
        "GROUP BY queue_name, status"
    )
    with engine.connect() as conn:
        return {(str(q), str(s)): int(n) for q, s, n in conn.execute(statement)}
