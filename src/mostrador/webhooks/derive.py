"""From the `events` feed to events owed: read every new row once, in a transaction with the position.

Each pass locks the feed's position row (`webhook_feed`), reads the rows after it, turns each into the
facts its channel says it stands for (`channels.webhook_events`), records each fact once (a unique
`dedup_key` per workspace) with one delivery per enabled endpoint that subscribed to its type, and moves
the position — all in one transaction, so a crash either keeps all of it or none, and a row is never
read into two events nor skipped.

**Ids committed out of order (PostgreSQL).** An id skipped over may belong to a transaction that has
not committed yet; it is kept as a gap in the position row and read again at every pass until it shows
up or `webhooks_gap_wait_s` passes (a rolled-back insert leaves a gap for ever). On SQLite writers
commit one at a time, in id order, so there are no such gaps.

Facts are recorded only for workspaces with at least one enabled endpoint; their deliveries go only to
endpoints subscribed to the type. `claim.due_soon` has no feed row (time passes, nothing is written):
each pass also looks for open claims due within `webhooks_due_soon_s` in workspaces that want it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from mostrador.channels import webhook_events
from mostrador.channels.webhook_events import Fact
from mostrador.settings import Settings
from mostrador.store import webhooks as store
from mostrador.webhooks.signing import new_message_id

BATCH = 500
MAX_GAPS = 1_000


def body_of(event_type: str, at: datetime, data: dict[str, Any]) -> str:
    """The JSON every attempt sends (Standard Webhooks' suggested envelope: type, timestamp, data)."""
    envelope = {"type": event_type, "timestamp": at.isoformat(), "data": data}
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def record_fact(
    s: Session, workspace_id: int, fact: Fact, endpoints: Sequence[tuple[int, list[str]]], now: datetime
) -> int | None:
    """Record the fact once, with a delivery per subscribed endpoint; its message id, or None when it
    was recorded before (or is a claim's re-statement with nothing an integrator tracks changed)."""
    if fact.compare_with:
        previous = store.last_body_about(s, workspace_id, fact.subject, fact.compare_with)
        if previous is None or not webhook_events.claim_changed(json.loads(previous)["data"], fact.data):
            return None
    message_id = store.insert_message(
        s,
        {
            "workspace_id": workspace_id,
            "msg_id": new_message_id(),
            "event_type": fact.event_type,
            "dedup_key": fact.dedup_key[:200],
            "subject": fact.subject,
            "body": body_of(fact.event_type, now, fact.data),
            "created_at": now,
        },
    )
    if message_id is None:
        return None
    for endpoint_id, types in endpoints:
        if fact.event_type in types:
            store.add_delivery(s, message_id, endpoint_id)
    return message_id


def derive_pass(s: Session, settings: Settings, now: datetime) -> tuple[int, bool]:
    """One batch of the feed: (events recorded, whether more rows may be waiting)."""
    position = store.feed_position(s)
    cursor = position.cursor
    gaps: dict[int, float] = {int(k): float(v) for k, v in (position.gaps or {}).items()}
    rows = store.feed_after(s, cursor, list(gaps), BATCH)
    clock = now.timestamp()
    fresh = []
    for row in rows:
        if row.id in gaps:
            del gaps[row.id]
        elif row.id > cursor:
            for missing in range(cursor + 1, min(row.id, cursor + 1 + MAX_GAPS)):
                if len(gaps) < MAX_GAPS:
                    gaps[missing] = clock
            cursor = row.id
        else:
            continue
        fresh.append(row)
    gaps = {i: since for i, since in gaps.items() if clock - since < settings.webhooks_gap_wait_s}
    subscribers = store.subscribers(s, {row.workspace_id for row in fresh})
    made = 0
    for row in fresh:
        endpoints = subscribers.get(row.workspace_id)
        if not endpoints:
            continue
        for fact in webhook_events.facts_for(s, row):
            made += record_fact(s, row.workspace_id, fact, endpoints, now) is not None
    saved_gaps = {str(i): since for i, since in gaps.items()}
    if position.cursor != cursor or (position.gaps or {}) != saved_gaps:  # no write when idle
        position.cursor, position.gaps = cursor, saved_gaps
    return made, len(rows) == BATCH


def derive_due_soon(s: Session, settings: Settings, now: datetime) -> int:
    """`claim.due_soon` for open claims due within the window, once per claim and due date."""
    workspaces = store.workspaces_subscribed_to(s, "claim.due_soon")
    if not workspaces:
        return 0
    subscribers = store.subscribers(s, workspaces)
    end = now + timedelta(seconds=settings.webhooks_due_soon_s)
    made = 0
    for record in store.claims_due_between(s, workspaces, now, end):
        fact = webhook_events.due_soon_fact(s, record)
        made += (
            record_fact(s, record.workspace_id, fact, subscribers.get(record.workspace_id, []), now)
            is not None
        )
    return made
