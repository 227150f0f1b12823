"""Webhook intake: validate, record once, acknowledge. Never calls Mercado Libre (§4.4: 500 ms budget).

Authority comes later, from re-fetching the resource with the seller's own token; a notification is
only a pointer, and there is no signature to check (§4.4), so anything not clearly ours is dropped
with a counter and never fetched.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine

from mostrador.channels.registry import CHANNELS, IGNORED_TOPICS
from mostrador.meli import topics
from mostrador.meli.models import Notification as NotificationModel
from mostrador.store import repositories as repo
from mostrador.store.models import utcnow

log = logging.getLogger(__name__)


class InvalidNotification(ValueError):
    """The body is not a Mercado Libre notification."""


@dataclass(frozen=True)
class IntakeResult:
    outcome: str  # accepted | duplicate | ignored_application | ignored_user | ignored_topic | ...
    notification_id: int | None = None


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


def accept(
    engine: Engine, n: NotificationModel, raw: dict[str, Any], application_id: str, source: str = "webhook"
) -> IntakeResult:
    """Decide what to do with a parsed notification and record it if it is ours (one short transaction)."""
    with engine.begin() as s:
        if str(n.application_id) != str(application_id):
            repo.bump_counter(s, "intake.ignored_application")
            return IntakeResult("ignored_application")
        if n.topic not in CHANNELS:
            known = n.topic in IGNORED_TOPICS
            repo.bump_counter(s, f"intake.ignored_topic.{n.topic}" if known else "intake.unsupported_topic")
            if not known:
                log.warning("unsupported notification topic %r", n.topic)
            return IntakeResult("ignored_topic" if known else "unsupported_topic")
        resource_id = topics.resource_id(n.topic, n.resource)
        if resource_id is None:
            repo.bump_counter(s, "intake.bad_resource")
            log.warning("rejected resource %r for topic %s", n.resource[:100], n.topic)
            return IntakeResult("bad_resource")
        if repo.account_id_for_user(s, n.user_id) is None:
            repo.bump_counter(s, "intake.ignored_user")
            return IntakeResult("ignored_user")
        new_id = repo.record_notification(
            s,
            {
                "dedup_key": n.dedupe_key[:200],
                "topic": n.topic,
                "resource": n.resource[:200],
                "resource_id": resource_id,
                "meli_user_id": n.user_id,
                "application_id": int(n.application_id) if n.application_id is not None else None,
                "attempts": n.attempts or 1,
                "source": source,
                "status": "accepted",
                "payload": raw,
                "received_at": utcnow(),
            },
        )
        if new_id is None:
            repo.bump_counter(s, "intake.duplicate")
            return IntakeResult("duplicate")
        return IntakeResult("accepted", new_id)
