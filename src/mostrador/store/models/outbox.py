"""Outgoing texts, recorded with their send before anything is posted."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mostrador.store.models.base import Base, UTCDateTime, utcnow


class OutboxStatus(StrEnum):
    """Where an outgoing text stands; only `pending` ones are ever sent."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # refused for good, or no success for too long: shown, an agent can retry
    SUPERSEDED = "superseded"  # nothing to send any more: answered elsewhere, deleted, closed


class OutboxEntry(Base):
    """One outgoing text (a bot or agent answer, a post-sale or claim message, an automatic message).

    One row per target (a question, or a reply key inside a pack or a claim), so a double submit or a
    retried step records it once. `drive` numbers the sends: workflow `outbox:<id>:<drive>` owns the
    entry (`workflow_id` names it), and every change a send makes is conditional on its drive, so a
    stale run can never post or settle after a re-drive or an agent's edit. `next_attempt_at` is when
    the re-drive looks at it again: a lease while a send is queued or running, the back-off after an
    outage, NULL once final.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("account_id", "channel", "target_id"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_message_id", "message_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    channel: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # what the channel needs to post it
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|sent|failed|superseded
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # posts that may have reached Mercado Libre
    drive: Mapped[int] = mapped_column(Integer, default=1)
    workflow_id: Mapped[str | None] = mapped_column(String(200))  # the workflow that owns the drive
    deferrals: Mapped[int] = mapped_column(Integer, default=0)  # sends put off by an outage, since pending
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failure: Mapped[str | None] = mapped_column(String(40))  # why it failed: guard_blocked, rejected …
    last_error: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    pending_since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutgoingFile(Base):
    """A file sent with an outgoing text (a post-sale or claim message), in the order attached.

    Its bytes live in the database until the text is sent, so any worker on any host can upload it and
    nothing an agent attached is lost to a restart; once sent only its description stays (Mercado Libre
    keeps the file). `remote_name` is what Mercado Libre's upload returned, kept so a retried send does
    not upload it again while that upload is still fresh.
    """

    __tablename__ = "outgoing_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(130))  # as uploaded, within Mercado Libre's name rules
    original_name: Mapped[str] = mapped_column(String(255))  # as the agent's file was called
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)  # NULL once sent
    remote_name: Mapped[str | None] = mapped_column(String(200))
    uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
