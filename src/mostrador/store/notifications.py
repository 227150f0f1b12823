"""Notifications as received, and named counters (the intake hot path: Core statements built once,
no ORM unit of work).

Repositories flush but never commit: the caller's transaction boundary does.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mostrador.store.models import (
    Account,
    Counter,
    Notification,
)


@functools.cache
def _insert_notifications(dialect: str) -> Any:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    table = Notification.__table__
    return (
        module.insert(table)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(table.c.id, table.c.dedup_key)
    )


_ACCOUNT_BY_USER = select(Account.id).where(Account.meli_user_id == bindparam("user_id"))


def known_account_users(conn: Connection, meli_user_ids: set[int]) -> set[int]:
    """Which of these Mercado Libre users are connected accounts (a batch holds few distinct sellers;
    one prepared equality lookup each is cheaper than compiling an IN list per batch)."""
    return {
        user
        for user in meli_user_ids
        if conn.execute(_ACCOUNT_BY_USER, {"user_id": user}).first() is not None
    }


def record_notifications(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Store notifications once each (one multi-row insert-or-ignore); returns {dedup_key: id} of the new
    ones — a key missing from the result was a duplicate delivery."""
    result = conn.execute(_insert_notifications(conn.dialect.name), rows)  # executemany, "insertmanyvalues"
    return {key: row_id for row_id, key in result}


def pending_notifications(s: Session, limit: int = 500) -> Sequence[Notification]:
    stmt = select(Notification).where(Notification.status == "accepted")
    return s.scalars(stmt.order_by(Notification.id).limit(limit)).all()


def mark_dispatched(s: Session, notification_ids: list[int], workflow_id: str) -> None:
    s.execute(
        update(Notification)
        .where(Notification.id.in_(notification_ids))
        .values(status="dispatched", workflow_id=workflow_id)
    )


def bump_counter(s: Session | Connection, name: str, by: int = 1) -> None:
    """Atomic upsert-increment (INSERT … ON CONFLICT DO UPDATE on both dialects)."""
    bind = s if isinstance(s, Connection) else s.get_bind()
    module: Any = postgresql if bind.dialect.name == "postgresql" else sqlite
    stmt = module.insert(Counter.__table__).values(name=name, value=by)
    increment = {"value": Counter.value + stmt.excluded.value}
    stmt = stmt.on_conflict_do_update(index_elements=["name"], set_=increment)
    s.execute(stmt)


def counters(s: Session) -> dict[str, int]:
    return {c.name: c.value for c in s.scalars(select(Counter))}


def latest_notifications(
    s: Session, topics: Sequence[str], resource_ids: Sequence[str], since: datetime
) -> dict[str, datetime]:
    """When each resource was last notified (any of `topics`), for notifications received after `since`."""
    if not resource_ids:
        return {}
    stmt = (
        select(Notification.resource_id, Notification.received_at)
        .where(
            Notification.topic.in_(list(topics)),
            Notification.resource_id.in_(list(resource_ids)),
            Notification.received_at > since,
        )
        .order_by(Notification.received_at)
    )
    return {resource_id: at for resource_id, at in s.execute(stmt) if resource_id is not None}
