"""Webhook notifications as received, and named counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mostrador.store.models.base import Base, UTCDateTime, utcnow


class Notification(Base):
    """Every webhook we accepted, stored once (insert-or-ignore on `dedup_key`) before any work."""

    __tablename__ = "notifications"
    # The dispatcher reads `status = 'accepted'` in id order and skips rows whose next attempt is not
    # due yet: rows backing off are few (enqueues that failed), so (status, id) stays the right index.
    # It also numbers each resource's notifications (the workflow id's `:n`): without the second index
    # that count scanned every older row, once per resource, and starved the dispatcher under load.
    __table_args__ = (
        Index("ix_notifications_pending", "status", "id"),
        Index("ix_notifications_resource", "topic", "resource_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    topic: Mapped[str] = mapped_column(String(60))
    resource: Mapped[str] = mapped_column(String(200))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    meli_user_id: Mapped[int | None] = mapped_column(BigInteger)
    application_id: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    source: Mapped[str] = mapped_column(String(20), default="webhook")  # webhook | missed_feeds | sweep
    # accepted | dispatched | dispatch_failed | ignored_* | unsupported_topic
    status: Mapped[str] = mapped_column(String(30))
    workflow_id: Mapped[str | None] = mapped_column(String(200))
    # Failed enqueues of this row's workflow; it is retried at `next_dispatch_at` (None: due now) and
    # becomes `dispatch_failed` after a bounded number (`mostrador notifications redispatch` re-drives).
    dispatch_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_dispatch_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatch_error: Mapped[str | None] = mapped_column(String(500))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Counter(Base):
    """Named counters (e.g. notifications dropped per reason) without a metrics server."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
