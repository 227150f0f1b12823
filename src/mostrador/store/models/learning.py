"""What the bot learns from the team: questions whose intents an agent confirmed, per account, and
where the account's retraining stands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mostrador.store.models.base import Base, UTCDateTime, utcnow


class BotExample(Base):
    """One buyer question with the intents an agent confirmed for it: a training example for its
    account's model only. One per question (confirming again replaces the intents)."""

    __tablename__ = "bot_examples"
    __table_args__ = (UniqueConstraint("account_id", "question_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    question_id: Mapped[str] = mapped_column(String(64))  # the inbound message's external id
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(2))
    intents: Mapped[list[str]] = mapped_column(JSON)
    bot_intents: Mapped[list[str] | None] = mapped_column(JSON)  # what the bot had said, for the record
    confirmed_by: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BotLearning(Base):
    """Per account: `revision` grows with every change to its examples; `trained_revision` is the last
    one a retraining finished (the retraining schedule catches up whatever is behind)."""

    __tablename__ = "bot_learning"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    trained_revision: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    trained_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # examples used, seconds, last error
