"""Outgoing webhooks: a workspace's endpoints, the events owed to them, each delivery and its attempts.

An event (`WebhookMessage`) is derived once from the `events` feed (or made by "send test event"); it
gets one `WebhookDelivery` per endpoint that subscribed to its type when it was derived, and every HTTP
try of a delivery is a `WebhookAttempt`. The message's `msg_id` is the `webhook-id` header of every
attempt of every delivery of it, so a receiver can deduplicate retries (Standard Webhooks).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from mostrador.store.models.base import Base, UTCDateTime, utcnow


class WebhookEndpoint(Base):
    """Where a workspace wants its events: a URL, the event types it subscribed to, its signing secret
    (encrypted like OAuth tokens; shown once when made), and whether it is on."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_create_key", "workspace_id", "create_key", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    event_types: Mapped[list[str]] = mapped_column(JSON)
    secret_enc: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Made through the REST API with an Idempotency-Key: its hash with the API key's id (a repeat of the
    # same create finds this endpoint instead of making another).
    create_key: Mapped[str | None] = mapped_column(String(64))


class WebhookMessage(Base):
    """One event owed to a workspace's endpoints, with the exact body every attempt sends.

    `dedup_key` names what happened (`question.received:<message>`), unique per workspace: deriving the
    same change twice, from a re-read or a replayed feed row, makes no second event."""

    __tablename__ = "webhook_messages"
    __table_args__ = (UniqueConstraint("workspace_id", "dedup_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    msg_id: Mapped[str] = mapped_column(String(40), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    dedup_key: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(80))  # what it is about, e.g. conversation:12
    body: Mapped[str] = mapped_column(Text)  # the JSON sent, byte for byte on every attempt
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


Index("ix_webhook_messages_subject", WebhookMessage.workspace_id, WebhookMessage.subject, WebhookMessage.id)


class WebhookDelivery(Base):
    """One message to one endpoint: pending until a 2xx (`succeeded`) or until it ends `failed` (the
    retry budget spent, the address refused, the endpoint disabled or gone); `failure` says which."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("message_id", "endpoint_id"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
        Index("ix_webhook_deliveries_pending", "status", "enqueued_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("webhook_messages.id", ondelete="CASCADE"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | succeeded | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    failure: Mapped[str | None] = mapped_column(String(40))  # gave_up | address_refused | endpoint_disabled
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # its workflow was started
    runs: Mapped[int] = mapped_column(Integer, default=1)  # workflow webhook:<id>[:<runs>] owns it
    # A failed delivery sent again by a person ("recover"): its retry budget counts from `budget_from`
    # attempts (the ones it had then), so it gets every delay again.
    budget_from: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    recovered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookAttempt(Base):
    """One HTTP try of a delivery, for the delivery log."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (UniqueConstraint("delivery_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)


class WebhookFeed(Base):
    """How far the webhooks have read the `events` feed: the highest id read and, on PostgreSQL, ids
    skipped over that may still commit (`gaps`: id → when first missed, ISO), so none is lost."""

    __tablename__ = "webhook_feed"
    id: Mapped[int] = mapped_column(primary_key=True)  # one row, id 1
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    gaps: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
