"""Webhook intake: validate, record once, acknowledge. Never calls Mercado Libre (§4.4: 500 ms budget).

Authority comes later, from re-fetching the resource with the seller's own token; a notification is
only a pointer, and there is no signature to check (§4.4), so anything not clearly ours is dropped
with a counter and never fetched.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine

from mostrador.channels.registry import IGNORED_TOPICS, TOPICS
from mostrador.meli import topics
from mostrador.meli.models import Notification as NotificationModel
from mostrador.store import notifications as notifications_store
from mostrador.store.models import utcnow

log = logging.getLogger(__name__)


class InvalidNotification(ValueError):
    """The body is not a Mercado Libre notification."""


@dataclass(frozen=True)
class IntakeResult:
    outcome: str  # accepted | duplicate | ignored_application | ignored_user | ignored_topic | ...
    notification_id: int | None = None
    topic: str | None = None  # for ignored topics: which one (counted per topic)


def parse(body: bytes, max_bytes: int) -> tuple[NotificationModel, dict[str, Any]]:
    """The validated notification and the raw JSON object (stored as received)."""
    if len(body) > max_bytes:
        raise InvalidNotification(f"body larger than {max_bytes} bytes")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidNotification(f"body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidNotification("body must be a JSON object")
    try:
        return NotificationModel.model_validate(data), data
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors())
        raise InvalidNotification(f"invalid notification fields: {fields}") from exc


@dataclass(frozen=True)
class Candidate:
    """A notification that passed the checks that need no database: ready to be recorded."""

    notification: NotificationModel
    raw: dict[str, Any]
    resource_id: str
    source: str = "webhook"

    @property
    def dedup_key(self) -> str:
        return self.notification.dedupe_key[:200]

    def row(self) -> dict[str, Any]:
        n = self.notification
        return {
            "dedup_key": self.dedup_key,
            "topic": n.topic,
            "resource": n.resource[:200],
            "resource_id": self.resource_id,
            "meli_user_id": n.user_id,
            "application_id": int(n.application_id) if n.application_id is not None else None,
            "attempts": n.attempts or 1,
            "source": self.source,
            "status": "accepted",
            "payload": self.raw,
            "received_at": utcnow(),
        }


def screen(
    n: NotificationModel, raw: dict[str, Any], application_id: str, source: str = "webhook"
) -> Candidate | IntakeResult:
    """The checks that need no database: application, topic registry, resource shape.

    Returns a `Candidate` to record, or the `IntakeResult` of a rejection (counted by `record`).
    """
    if str(n.application_id) != str(application_id):
        return IntakeResult("ignored_application")
    if n.topic not in TOPICS:
        known = n.topic in IGNORED_TOPICS
        if not known:
            log.warning("unsupported notification topic %r", n.topic)
        return IntakeResult("ignored_topic" if known else "unsupported_topic", topic=n.topic)
    resource_id = topics.resource_id(n.topic, n.resource)
    if resource_id is None:
        log.warning("rejected resource %r for topic %s", n.resource[:100], n.topic)
        return IntakeResult("bad_resource")
    return Candidate(n, raw, resource_id, source)


def _counter(result: IntakeResult) -> str:
    if result.outcome == "ignored_topic":
        return f"intake.ignored_topic.{result.topic}"
    return f"intake.{result.outcome}"


def record(conn: Connection, items: Sequence[Candidate | IntakeResult]) -> list[IntakeResult]:
    """Record a batch in the caller's transaction: one multi-row insert-or-ignore, one counter upsert
    per outcome. Results are in the order of `items`; the first of several copies of one delivery in
    the batch is `accepted`, the others `duplicate`."""
    users = {i.notification.user_id for i in items if isinstance(i, Candidate)}
    known = notifications_store.known_account_users(conn, users) if users else set()
    results: list[IntakeResult | None] = []
    rows: dict[str, dict[str, Any]] = {}
    for item in items:
        if isinstance(item, IntakeResult):
            results.append(item)
        elif item.notification.user_id not in known:
            results.append(IntakeResult("ignored_user"))
        else:
            results.append(None)  # decided below, by the insert
            rows.setdefault(item.dedup_key, item.row())
    inserted = notifications_store.record_notifications(conn, list(rows.values())) if rows else {}
    claimed: set[str] = set()
    for index, item in enumerate(items):
        if results[index] is not None or not isinstance(item, Candidate):
            continue
        key = item.dedup_key
        if key in inserted and key not in claimed:
            claimed.add(key)
            results[index] = IntakeResult("accepted", inserted[key])
        else:
            results[index] = IntakeResult("duplicate")
    final = [r for r in results if r is not None]
    tally = Counter(_counter(r) for r in final if r.outcome != "accepted")
    for name, count in sorted(tally.items()):
        notifications_store.bump_counter(conn, name, count)
    return final


def accept(
    engine: Engine, n: NotificationModel, raw: dict[str, Any], application_id: str, source: str = "webhook"
) -> IntakeResult:
    """Screen and record one notification in its own short transaction (safety nets; tests)."""
    with engine.begin() as conn:
        return record(conn, [screen(n, raw, application_id, source)])[0]
