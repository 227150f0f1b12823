"""The channel-agnostic domain: record inbound and outbound messages, ownership and handoff.

Channels call these with plain values; nothing here knows about Mercado Libre's API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mostrador.store import conversations as conversations_store
from mostrador.store import operations as operations_store
from mostrador.store.models import Account, Conversation, Message, utcnow


@dataclass(frozen=True)
class ThreadKey:
    """Identifies a conversation inside an account: e.g. ('questions', 'MLA123:456')."""

    channel: str
    external_key: str


UNNAMED_BUYER = "Comprador "  # a buyer's name until their nickname is known: "Comprador 123456789"


def unnamed_buyer(user_id: str) -> str:
    return f"{UNNAMED_BUYER}{user_id}"


def known_name(name: str | None) -> str | None:
    """The buyer's name when it is one (not the placeholder, whose digits read like a phone number)."""
    return name if name and not name.startswith(UNNAMED_BUYER) else None


def open_thread(
    s: Session,
    account: Account,
    key: ThreadKey,
    contact_external_id: str,
    contact_name: str,
    subject: str = "",
    item_id: str | None = None,
) -> Conversation:
    contact_id = conversations_store.ensure_contact(
        s, account, key.channel, contact_external_id, contact_name
    )
    conv = conversations_store.ensure_conversation(
        s, account, key.channel, key.external_key, contact_id, subject=subject[:300], item_id=item_id
    )
    if subject and conv.subject != subject[:300]:
        conv.subject = subject[:300]
    return conv


def record_inbound(
    s: Session,
    conv: Conversation,
    external_id: str,
    text: str,
    created_at: datetime,
    external_status: str | None = None,
    meta: dict[str, Any] | None = None,
) -> Message:
    msg = conversations_store.upsert_message(
        s,
        conv.id,
        "in",
        external_id,
        author="buyer",
        text=text,
        created_at=created_at,
        external_status=external_status,
        meta=meta,
    )
    if created_at > conv.last_message_at:
        conv.last_message_at = created_at
    operations_store.add_event(
        s,
        conv.workspace_id,
        "message",
        conv.id,
        {"direction": "in", "external_id": external_id, "message_id": msg.id},
    )
    return msg


def record_outbound(
    s: Session,
    conv: Conversation,
    external_id: str,
    text: str,
    author: str,
    status: str,
    agent_id: int | None = None,
    meta: dict[str, Any] | None = None,
    sent_at: datetime | None = None,
) -> Message:
    msg = conversations_store.upsert_message(
        s,
        conv.id,
        "out",
        external_id,
        author=author,
        agent_id=agent_id,
        text=text,
        status=status,
        meta=meta,
        sent_at=sent_at,
        created_at=sent_at or utcnow(),
    )
    conv.last_message_at = max(conv.last_message_at, sent_at or utcnow())
    operations_store.add_event(
        s, conv.workspace_id, "message", conv.id, {"direction": "out", "status": status, "message_id": msg.id}
    )
    return msg


def note_changed(s: Session, conv: Conversation, msg: Message) -> None:
    """A recorded message changed in place (Mercado Libre moderated or re-stated it): the live inbox hears
    of it like of a new one."""
    operations_store.add_event(
        s,
        conv.workspace_id,
        "message",
        conv.id,
        {"direction": msg.direction, "status": "changed", "message_id": msg.id},
    )


def hand_off(s: Session, conv: Conversation, reason: str) -> None:
    """Give the thread to a human; the reason is shown in the inbox."""
    conv.owner = "agent"
    conv.status = "open"
    conv.handoff_reason = reason[:120]
    operations_store.add_event(s, conv.workspace_id, "handoff", conv.id, {"reason": reason})


# ---- state of the thing a conversation is about (a pack's chat status, a claim's stage and deadline) ----
STATE_AUTHOR = "system"


def record_state(s: Session, conv: Conversation, key: str, summary: str, state: dict[str, Any]) -> bool:
    """Keep the current state of what the thread is about as one system message; True if it changed.

    Like Chatwoot's activity messages: it lives with the conversation (so no channel column is needed
    on conversations) and is updated in place, never duplicated (`state:<key>` is its external id).
    """
    external_id = f"state:{key}"
    current = conversations_store.message_by_external_id(s, conv.id, "in", external_id)
    if current is not None and current.meta == state and current.text == summary:
        return False
    conversations_store.upsert_message(
        s,
        conv.id,
        "in",
        external_id,
        author=STATE_AUTHOR,
        text=summary,
        status="state",
        meta=state,
        created_at=conv.created_at,
    )
    operations_store.add_event(s, conv.workspace_id, "state", conv.id, {"key": key})
    return True


def state_of(conv: Conversation, key: str) -> dict[str, Any]:
    """The state recorded by `record_state`, or an empty dict (reads the loaded `conv.messages`)."""
    external_id = f"state:{key}"
    for m in conv.messages:
        if m.direction == "in" and m.external_id == external_id:
            return dict(m.meta or {})
    return {}


def is_state(msg: Message) -> bool:
    return msg.author == STATE_AUTHOR


def close(s: Session, conv: Conversation, reason: str) -> None:
    """Nothing left to do in the thread (a claim closed at Mercado Libre)."""
    if conv.status != "closed":
        conv.status = "closed"
        operations_store.add_event(s, conv.workspace_id, "closed", conv.id, {"reason": reason})
