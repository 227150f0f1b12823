"""Outgoing webhooks' records: endpoints, events owed, deliveries, attempts, and the feed's position.

Repositories flush but never commit: the caller's transaction boundary does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from mostrador.store.models import (
    ClaimRecord,
    Event,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookFeed,
    WebhookMessage,
    utcnow,
)
from mostrador.store.upsert import insert_ignore

FEED_ROW = 1


# ---- endpoints ----------------------------------------------------------------------------------------
def add_endpoint(s: Session, values: dict[str, Any]) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(**values)
    s.add(endpoint)
    s.flush()
    return endpoint


def endpoint_of(
    s: Session, workspace_id: int, endpoint_id: int, *, key_share: bool = False
) -> WebhookEndpoint | None:
    """The endpoint if it is the workspace's (another workspace's id reads as absent); `key_share`
    holds it (PostgreSQL) against a delete until the caller's new deliveries to it are committed."""
    lock = {"read": True, "key_share": True} if key_share else None
    endpoint = s.get(WebhookEndpoint, endpoint_id, with_for_update=lock)
    return endpoint if endpoint is not None and endpoint.workspace_id == workspace_id else None


def endpoint_by_create_key(s: Session, workspace_id: int, create_key: str) -> WebhookEndpoint | None:
    """The endpoint a REST API create with this (hashed) Idempotency-Key made, if any."""
    stmt = select(WebhookEndpoint).where(
        WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.create_key == create_key
    )
    return s.scalars(stmt).first()


def endpoints_of(s: Session, workspace_id: int) -> Sequence[WebhookEndpoint]:
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == workspace_id)
    return s.scalars(stmt.order_by(WebhookEndpoint.id)).all()


def all_endpoints(s: Session) -> Sequence[WebhookEndpoint]:
    """Every endpoint of every workspace, locked (re-encrypting secrets after a key rotation)."""
    return s.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id).with_for_update()).all()


def delete_endpoint(s: Session, endpoint_id: int) -> None:
    """The endpoint with its deliveries and their attempts (explicitly: SQLite ignores ON DELETE unless
    foreign keys are on)."""
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint_id)
    s.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    s.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id))
    s.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))


def subscribers(s: Session, workspace_ids: Collection[int]) -> dict[int, list[tuple[int, list[str]]]]:
    """Enabled endpoints of these workspaces: workspace → [(endpoint id, event types)]."""
    if not workspace_ids:
        return {}
    stmt = (
        select(WebhookEndpoint.workspace_id, WebhookEndpoint.id, WebhookEndpoint.event_types)
        .where(WebhookEndpoint.workspace_id.in_(list(workspace_ids)), WebhookEndpoint.enabled.is_(True))
        # PostgreSQL: FOR KEY SHARE, so an endpoint deleted meanwhile waits for this transaction's new
        # deliveries and then takes them with it, instead of failing their insert's foreign key.
        .with_for_update(read=True, key_share=True)
    )
    found: dict[int, list[tuple[int, list[str]]]] = {}
    for workspace_id, endpoint_id, types in s.execute(stmt):
        found.setdefault(int(workspace_id), []).append((int(endpoint_id), list(types or [])))
    return found


def workspaces_subscribed_to(s: Session, event_type: str) -> list[int]:
    """Workspaces with an enabled endpoint (filtered in Python: JSON lists are not portable SQL)."""
    stmt = select(WebhookEndpoint.workspace_id, WebhookEndpoint.event_types).where(
        WebhookEndpoint.enabled.is_(True)
    )
    return sorted({int(w) for w, types in s.execute(stmt) if event_type in (types or [])})


# ---- the feed ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FeedRow:
    """One row of the `events` feed as the webhooks read it (with its data: ids and codes)."""

    id: int
    workspace_id: int
    kind: str
    conversation_id: int | None
    data: dict[str, Any]


def feed_position(s: Session) -> WebhookFeed:
    """The one position row, locked for this transaction on PostgreSQL (one deriver at a time)."""
    row = s.scalars(select(WebhookFeed).where(WebhookFeed.id == FEED_ROW).with_for_update()).one_or_none()
    if row is None:  # a database made without the migration's seed row (create_all in a tool)
        high = int(s.scalar(select(func.max(Event.id))) or 0)
        row = WebhookFeed(id=FEED_ROW, cursor=high, gaps={})
        s.add(row)
        s.flush()
    return row


def feed_needs_from(s: Session) -> int | None:
    """The lowest event id the webhooks' feed may still read (its cursor, or a gap below it), without
    locking; None before the feed has a position."""
    row = s.get(WebhookFeed, FEED_ROW)
    if row is None:
        return None
    return min([row.cursor + 1, *(int(k) for k in (row.gaps or {}))])


def feed_after(s: Session, after: int, also: Collection[int], limit: int) -> list[FeedRow]:
    """Events with an id above `after`, or among `also`, in id order."""
    wanted = Event.id > after if not also else or_(Event.id > after, Event.id.in_(list(also)))
    stmt = (
        select(Event.id, Event.workspace_id, Event.kind, Event.conversation_id, Event.data)
        .where(wanted)
        .order_by(Event.id)
        .limit(limit)
    )
    return [FeedRow(int(i), int(w), str(k), c, dict(d or {})) for i, w, k, c, d in s.execute(stmt)]


# ---- messages and deliveries ---------------------------------------------------------------------------
def insert_message(s: Session, values: dict[str, Any]) -> int | None:
    """A new event once per (workspace, dedup key); None when it was already made."""
    values.setdefault("created_at", utcnow())
    return insert_ignore(s, WebhookMessage.__table__, values, ["workspace_id", "dedup_key"])  # type: ignore[arg-type]


def last_body_about(s: Session, workspace_id: int, subject: str, event_types: Collection[str]) -> str | None:
    """The body of the newest event of these types about `subject` (what a change is compared with)."""
    stmt = (
        select(WebhookMessage.body)
        .where(
            WebhookMessage.workspace_id == workspace_id,
            WebhookMessage.subject == subject,
            WebhookMessage.event_type.in_(list(event_types)),
        )
        .order_by(WebhookMessage.id.desc())
        .limit(1)
    )
    return s.scalar(stmt)


def add_delivery(s: Session, message_id: int, endpoint_id: int) -> int | None:
    values = {
        "message_id": message_id,
        "endpoint_id": endpoint_id,
        "status": "pending",
        "attempts": 0,
        "runs": 1,
        "created_at": utcnow(),
    }
    return insert_ignore(s, WebhookDelivery.__table__, values, ["message_id", "endpoint_id"])  # type: ignore[arg-type]


def unenqueued(s: Session, limit: int) -> list[int]:
    """Pending deliveries whose workflow was never started (or whose start was not recorded)."""
    stmt = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.enqueued_at.is_(None))
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    return list(s.scalars(stmt))


def stalled(s: Session, before: datetime, limit: int) -> list[tuple[int, int]]:
    """Pending deliveries started long ago whose next try is long overdue: (id, runs). Their workflow
    may have ended without settling them (an error in a step); the caller asks DBOS."""
    due = func.coalesce(WebhookDelivery.next_attempt_at, WebhookDelivery.enqueued_at)
    stmt = (
        select(WebhookDelivery.id, WebhookDelivery.runs)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.enqueued_at.is_not(None), due < before)
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    return [(int(i), int(r)) for i, r in s.execute(stmt)]


def take_over(s: Session, delivery_id: int, runs: int) -> bool:
    """Hand a stalled delivery to a new workflow run (compare-and-set on `runs`)."""
    result = s.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.runs == runs,
            WebhookDelivery.status == "pending",
        )
        .values(runs=runs + 1, enqueued_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def reopen_failed(s: Session, endpoint_id: int, since: datetime, now: datetime) -> int:
    """Put the endpoint's failed deliveries made since `since` back to pending, each with a fresh retry
    budget and a new workflow run (started by the feed schedule, as any delivery not yet started);
    returns how many. Succeeded and pending ones are left alone, so nothing is delivered twice."""
    result = s.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.status == "failed",
            WebhookDelivery.created_at >= since,
        )
        .values(
            status="pending",
            failure=None,
            finished_at=None,
            next_attempt_at=None,
            budget_from=WebhookDelivery.attempts,
            runs=WebhookDelivery.runs + 1,
            enqueued_at=None,
            recovered_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def runs_of(s: Session, delivery_ids: Collection[int]) -> dict[int, int]:
    stmt = select(WebhookDelivery.id, WebhookDelivery.runs).where(WebhookDelivery.id.in_(list(delivery_ids)))
    return {int(i): int(r) for i, r in s.execute(stmt)}


def mark_enqueued(s: Session, delivery_ids: Collection[int], at: datetime) -> None:
    if delivery_ids:
        s.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(list(delivery_ids)), WebhookDelivery.enqueued_at.is_(None))
            .values(enqueued_at=at)
            .execution_options(synchronize_session=False)
        )


def delivery_with(
    s: Session, delivery_id: int
) -> tuple[WebhookDelivery, WebhookMessage, WebhookEndpoint] | None:
    """A delivery with its message and endpoint, the delivery's row locked on PostgreSQL."""
    stmt = (
        select(WebhookDelivery, WebhookMessage, WebhookEndpoint)
        .join(WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id == delivery_id)
        .with_for_update(of=WebhookDelivery)
    )
    row = s.execute(stmt).one_or_none()
    return (row[0], row[1], row[2]) if row is not None else None


def add_attempt(s: Session, values: dict[str, Any]) -> None:
    s.add(WebhookAttempt(**values))
    s.flush()


def deliveries_of(s: Session, endpoint_id: int, limit: int) -> list[tuple[WebhookDelivery, WebhookMessage]]:
    """The endpoint's newest deliveries with their messages (the delivery log)."""
    stmt = (
        select(WebhookDelivery, WebhookMessage)
        .join(WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    return [(d, m) for d, m in s.execute(stmt)]


def deliveries_after(
    s: Session,
    endpoint_id: int,
    after: int,
    limit: int,
    *,
    status: str | None = None,
    event_type: str | None = None,
) -> list[tuple[WebhookDelivery, WebhookMessage]]:
    """The endpoint's deliveries with an id above `after`, oldest first (a page of the log)."""
    stmt = (
        select(WebhookDelivery, WebhookMessage)
        .join(WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.id > after)
    )
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    if event_type is not None:
        stmt = stmt.where(WebhookMessage.event_type == event_type)
    return [(d, m) for d, m in s.execute(stmt.order_by(WebhookDelivery.id).limit(limit))]


def attempts_of(s: Session, delivery_ids: Collection[int]) -> dict[int, list[WebhookAttempt]]:
    if not delivery_ids:
        return {}
    stmt = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(list(delivery_ids)))
        .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)
    )
    found: dict[int, list[WebhookAttempt]] = {}
    for attempt in s.scalars(stmt):
        found.setdefault(attempt.delivery_id, []).append(attempt)
    return found


# ---- claims due soon -----------------------------------------------------------------------------------
def claims_due_between(
    s: Session, workspace_ids: Collection[int], start: datetime, end: datetime
) -> Sequence[ClaimRecord]:
    """Open claims of these workspaces whose seller's due date falls in [start, end)."""
    if not workspace_ids:
        return []
    stmt = select(ClaimRecord).where(
        ClaimRecord.workspace_id.in_(list(workspace_ids)),
        ClaimRecord.status == "opened",
        and_(ClaimRecord.due_date >= start, ClaimRecord.due_date < end),
    )
    return s.scalars(stmt.order_by(ClaimRecord.due_date)).all()
