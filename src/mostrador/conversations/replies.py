"""Agent replies on post-sale threads: recorded before sending, settled once, never posted twice.

A reply is a `replies` row (unique per account, channel and target) plus its outbound message, whose
external id is `reply:<key>` until Mercado Libre tells us the real id. When a send may have reached
Mercado Libre but we never learnt the outcome (a crash, a timeout), the channel re-reads the thread:
a seller message with the same text, posted since shortly before the reply was recorded and not yet
linked to anything, *is* that reply (`adopt_posted`). The same adoption runs when a later ingest meets
the message first, so a thread never shows it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mostrador.conversations import service as conv
from mostrador.store import conversations as conversations_store
from mostrador.store import operations as operations_store
from mostrador.store import outbox as outbox_store
from mostrador.store.models import Account, Conversation, Message, Reply, utcnow

REPLY_PREFIX = "reply:"
# Mercado Libre's clock and ours differ; a posted reply is looked for from a little before it was recorded.
CLOCK_SLACK = timedelta(minutes=10)


@dataclass(frozen=True)
class PendingReply:
    """What a channel needs to send a recorded reply (plain values, usable outside the session)."""

    reply_id: int
    account_id: int
    seller_id: int
    channel: str
    target_id: str
    text: str
    status: str
    attempts: int
    created_at: datetime
    conversation_id: int | None
    meta: dict[str, Any]

    @property
    def thread_key(self) -> str:
        """The conversation's external key: the part of the target before `:<reply key>`."""
        return self.target_id.rsplit(":", 1)[0]


def record_agent_reply(
    s: Session, thread: Conversation, reply_key: str, text: str, agent_id: int, meta: dict[str, Any]
) -> tuple[Reply, Message]:
    """Record an agent's reply once per `reply_key` (a double submit returns the first one)."""
    target_id = f"{thread.external_key}:{reply_key}"
    existing = outbox_store.reply_for(s, thread.account_id, thread.channel, target_id)
    if existing is not None and existing.message_id is not None:
        msg = s.get(Message, existing.message_id)
        assert msg is not None
        return existing, msg
    out = conv.record_outbound(
        s, thread, f"{REPLY_PREFIX}{reply_key}", text, "agent", "pending_send", agent_id=agent_id, meta=meta
    )
    reply = outbox_store.claim_reply(s, thread.account_id, thread.channel, target_id, text, out.id)
    thread.owner = "agent"
    return reply, out


def load(s: Session, reply_id: int) -> PendingReply:
    reply = s.get(Reply, reply_id)
    if reply is None:
        raise LookupError(f"unknown reply {reply_id}")
    account = s.get(Account, reply.account_id)
    assert account is not None
    msg = s.get(Message, reply.message_id) if reply.message_id is not None else None
    return PendingReply(
        reply_id=reply.id,
        account_id=reply.account_id,
        seller_id=account.meli_user_id,
        channel=reply.channel,
        target_id=reply.target_id,
        text=reply.text,
        status=reply.status,
        attempts=reply.attempts,
        created_at=reply.created_at,
        conversation_id=msg.conversation_id if msg is not None else None,
        meta=dict(msg.meta or {}) if msg is not None else {},
    )


def count_attempt(s: Session, reply_id: int) -> None:
    """Called before every post: an attempt > 0 means Mercado Libre may already have it."""
    reply = s.get(Reply, reply_id)
    assert reply is not None
    reply.attempts += 1


def mark_sent(s: Session, reply_id: int, remote_id: str | None, remote_status: str | None = None) -> str:
    """The reply is out; link its message to Mercado Libre's id when we know it."""
    reply = s.get(Reply, reply_id)
    assert reply is not None
    reply.status, reply.sent_at = "sent", reply.sent_at or utcnow()
    msg = s.get(Message, reply.message_id) if reply.message_id is not None else None
    if msg is None:
        return "sent"
    if remote_id and msg.external_id != remote_id:
        twin = conversations_store.message_by_external_id(s, msg.conversation_id, "out", remote_id)
        if twin is not None and _unowned(s, twin):
            s.delete(twin)  # an ingest recorded the same message before we knew it was ours
            s.flush()
            twin = None
        if twin is None:
            msg.external_id = remote_id
    msg.status, msg.sent_at = "sent", msg.sent_at or utcnow()
    if remote_status:
        msg.external_status = remote_status
    operations_store.add_event(
        s, msg.conversation.workspace_id, "message", msg.conversation_id, {"status": "sent"}
    )
    return "sent"


def fail(s: Session, reply_id: int, reason: str, detail: str) -> str:
    """Mercado Libre refused the reply (or the guard did): show it and give the thread to a person."""
    reply = s.get(Reply, reply_id)
    assert reply is not None
    reply.status, reply.last_error = "failed", f"{reason}: {detail}"[:1000]
    msg = s.get(Message, reply.message_id) if reply.message_id is not None else None
    if msg is not None:
        msg.status = "failed"
        msg.meta = {**(msg.meta or {}), "error": f"{reason}: {detail}"[:300]}
        conv.hand_off(s, msg.conversation, f"send_failed:{reason}")
    return "failed"


def adopt_posted(
    s: Session, thread: Conversation, text: str, remote_id: str, remote_at: datetime | None
) -> Message | None:
    """Our reply (outcome unknown, or sent without an id) if this remote message is it; else None."""
    candidates = s.scalars(
        select(Message)
        .join(Reply, Reply.message_id == Message.id)
        .where(
            Message.conversation_id == thread.id,
            Message.direction == "out",
            Message.external_id.startswith(REPLY_PREFIX),
            Message.text == text,
            Reply.attempts > 0,
            Reply.status.in_(("pending", "sent")),
        )
        .order_by(Message.created_at, Message.id)
    ).all()
    for msg in candidates:
        if remote_at is not None and remote_at < msg.created_at - CLOCK_SLACK:
            continue  # posted before we even recorded this reply: someone else's identical text
        reply = s.scalars(select(Reply).where(Reply.message_id == msg.id)).one()
        mark_sent(s, reply.id, remote_id)
        return msg
    return None


def _unowned(s: Session, msg: Message) -> bool:
    """A message recorded from Mercado Libre with no reply of ours behind it."""
    return s.scalar(select(Reply.id).where(Reply.message_id == msg.id)) is None
