"""Buyers, their conversations and every message of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mostrador.store.models.base import Base, UTCDateTime, utcnow


class Contact(Base):
    """A buyer as one person across channels; identities hold the per-channel ids."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ContactIdentity(Base):
    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("account_id", "channel", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(64))


class Conversation(Base):
    """A thread: questions per buyer per item, a pack's chat, or a claim."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("account_id", "channel", "external_key"),
        Index("ix_conversations_workspace_last", "workspace_id", "last_message_at"),
        Index("ix_conversations_workspace_waiting", "workspace_id", "channel", "waiting_since"),
        Index("ix_conversations_workspace_assignee", "workspace_id", "assignee_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    channel: Mapped[str] = mapped_column(String(20))  # questions | messages | claims
    external_key: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(300), default="")
    item_id: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | pending | closed
    owner: Mapped[str] = mapped_column(String(10), default="bot")  # bot | agent
    handoff_reason: Mapped[str | None] = mapped_column(String(120))
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Buyer texts waiting for an answer and when the oldest arrived (store/waiting.py keeps them).
    waiting_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Who works on it (conversations/ownership.py): the agent it is assigned to, the agent who took it
    # over from the bot (the bots stay silent while set), and when it was last handed back to the bot.
    # Users' ids without a foreign key: adding one would rebuild `conversations` on SQLite, which the
    # rows pointing at it forbid inside a migration's transaction; an id that matches nobody reads as none.
    assignee_id: Mapped[int | None] = mapped_column(Integer)
    taken_by_id: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bot_resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.created_at, Message.id"
    )
    contact: Mapped[Contact] = relationship()


class Message(Base):
    """One inbound or outbound message; `external_id` is the channel's id (loop prevention, dedup)."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("conversation_id", "direction", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    author: Mapped[str] = mapped_column(String(10))  # buyer | bot | agent | seller
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    external_id: Mapped[str] = mapped_column(String(64))
    external_status: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="received")
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class Presence(Base):
    """Who is viewing or typing in a conversation now: one row per person and conversation, refreshed by
    the open page's heartbeat and read only while fresh (a short TTL), so every web process agrees."""

    __tablename__ = "presence"
    __table_args__ = (UniqueConstraint("conversation_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(10))  # viewing | typing
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
