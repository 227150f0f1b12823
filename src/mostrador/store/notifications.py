"""Notifications as received, and named counters (the intake hot path: Core statements built once,
no ORM unit of work).

Repositories flush but never commit: the caller's transaction boundary does.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, bindparam, func, or_, select, update
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


def pending_notifications(s: Session, now: datetime, limit: int = 500) -> Sequence[Notification]:
    """Accepted rows due for dispatch (never tried, or their back-off is over), oldest first."""
    stmt = select(Notification).where(
        Notification.status == "accepted",
        or_(Notification.next_dispatch_at.is_(None), Notification.next_dispatch_at <= now),
    )
    return s.scalars(stmt.order_by(Notification.id).limit(limit)).all()


def account_for_user(s: Session, meli_user_id: int | None) -> int | None:
    """The connected account of this Mercado Libre user, if any."""
    if meli_user_id is None:
        return None
    return s.scalar(_ACCOUNT_BY_USER, {"user_id": meli_user_id})


def resource_sequence(s: Session, topic: str, resource_id: str, up_to_id: int) -> int:
    """How many notifications about this resource were recorded up to row `up_to_id` — the n of its
    n-th workflow id (`ix_notifications_resource` makes it one short range scan). Every row that is or
    was work counts, a row given up on (`dispatch_failed`) too, so a number is never reused."""
    stmt = select(func.count()).where(
        Notification.topic == topic,
        Notification.resource_id == resource_id,
        Notification.id <= up_to_id,
        Notification.status.in_(("accepted", "dispatched", "dispatch_failed")),
    )
    return int(s.scalar(stmt) or 0)


def mark_dispatched(s: Session, notification_ids: list[int], workflow_id: str) -> None:
    s.execute(
        update(Notification)
        .where(Notification.id.in_(notification_ids))
        .values(status="dispatched", workflow_id=workflow_id, next_dispatch_at=None)
    )


@dataclass(frozen=True)
class DispatchFailure:
    """One row's failed enqueue: retry at `retry_at`, or give up (`dispatch_failed`) when it is None."""

    notification_id: int
    attempts: int
    retry_at: datetime | None
    error: str


_RECORD_FAILURE = (
    update(Notification)
    .where(Notification.id == bindparam("row_id"), Notification.status == "accepted")
    .values(
        dispatch_attempts=bindparam("failed_attempts"),
        next_dispatch_at=bindparam("retry_at"),
        dispatch_error=bindparam("failure"),
        status=bindparam("new_status"),
    )
)


def record_dispatch_failures(s: Session, failures: Sequence[DispatchFailure]) -> None:
    if not failures:
        return
    s.connection().execute(
        _RECORD_FAILURE,
        [
            {
                "row_id": f.notification_id,
                "failed_attempts": f.attempts,
                "retry_at": f.retry_at,
                "failure": f.error[:500],
                "new_status": "accepted" if f.retry_at is not None else "dispatch_failed",
            }
            for f in failures
        ],
    )


def failed_notifications(s: Session, limit: int = 1000) -> Sequence[Notification]:
    """Rows whose workflow could not be enqueued after every attempt, oldest first."""
    stmt = select(Notification).where(Notification.status == "dispatch_failed")
    return s.scalars(stmt.order_by(Notification.id).limit(limit)).all()


def redispatch(s: Session, notification_ids: Sequence[int] | None = None) -> int:
    """Hand `dispatch_failed` rows (all, or these ids) back to the dispatcher with fresh attempts;
    returns how many. A row in any other state is left alone."""
    stmt = (
        update(Notification)
        .where(Notification.status == "dispatch_failed")
        .values(status="accepted", dispatch_attempts=0, next_dispatch_at=None, dispatch_error=None)
    )
    if notification_ids is not None:
        stmt = stmt.where(Notification.id.in_(list(notification_ids)))
    result = cast(CursorResult[Any], s.execute(stmt))
    return int(result.rowcount or 0)


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
