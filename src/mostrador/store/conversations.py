"""Contacts, conversations and their messages.

Repositories flush but never commit: the caller's transaction boundary does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mostrador.store.models import (
    Account,
    Contact,
    ContactIdentity,
    Conversation,
    Message,
    utcnow,
)
from mostrador.store.upsert import insert_ignore


def ensure_contact(s: Session, account: Account, channel: str, external_id: str, display_name: str) -> int:
    identity = s.scalars(
        select(ContactIdentity).where(
            ContactIdentity.account_id == account.id,
            ContactIdentity.channel == channel,
            ContactIdentity.external_id == external_id,
        )
    ).first()
    if identity is not None:
        return identity.contact_id
    contact = Contact(workspace_id=account.workspace_id, display_name=display_name)
    s.add(contact)
    s.flush()
    values = {
        "contact_id": contact.id,
        "account_id": account.id,
        "channel": channel,
        "external_id": external_id,
    }
    if insert_ignore(s, ContactIdentity.__table__, values, ["account_id", "channel", "external_id"]) is None:  # type: ignore[arg-type]
        s.delete(contact)  # a concurrent writer won: use its contact
        s.flush()
        return ensure_contact(s, account, channel, external_id, display_name)
    return contact.id


def ensure_conversation(
    s: Session, account: Account, channel: str, external_key: str, contact_id: int, **fields: Any
) -> Conversation:
    values = {
        "workspace_id": account.workspace_id,
        "account_id": account.id,
        "channel": channel,
        "external_key": external_key,
        "contact_id": contact_id,
        "created_at": utcnow(),
        "last_message_at": utcnow(),
        "status": "open",
        "owner": "bot",
        "subject": "",
        **fields,
    }
    insert_ignore(s, Conversation.__table__, values, ["account_id", "channel", "external_key"])  # type: ignore[arg-type]
    conv = s.scalars(
        select(Conversation).where(
            Conversation.account_id == account.id,
            Conversation.channel == channel,
            Conversation.external_key == external_key,
        )
    ).one()
    return conv


def upsert_message(
    s: Session, conversation_id: int, direction: str, external_id: str, **fields: Any
) -> Message:
    """Insert a message once per (conversation, direction, external id); update mutable fields after."""
    values = {
        "conversation_id": conversation_id,
        "direction": direction,
        "external_id": external_id,
        **fields,
    }
    values.setdefault("created_at", utcnow())
    values.setdefault("text", "")
    values.setdefault("status", "received")
    new_id = insert_ignore(s, Message.__table__, values, ["conversation_id", "direction", "external_id"])  # type: ignore[arg-type]
    msg = s.scalars(
        select(Message).where(
            Message.conversation_id == conversation_id,
            Message.direction == direction,
            Message.external_id == external_id,
        )
    ).one()
    if new_id is None:
        for key in ("external_status", "text", "status", "meta", "sent_at", "author", "agent_id"):
            if key in fields and fields[key] is not None:
                setattr(msg, key, fields[key])
        s.flush()
    return msg


def conversation_exists(s: Session, account_id: int, channel: str, external_key: str) -> bool:
    stmt = select(Conversation.id).where(
        Conversation.account_id == account_id,
        Conversation.channel == channel,
        Conversation.external_key == external_key,
    )
    return s.scalar(stmt) is not None


def conversations_page(
    s: Session, workspace_id: int, channel: str | None = None, status: str | None = None, limit: int = 100
) -> Sequence[Conversation]:
    stmt = (
        select(Conversation)
        .where(Conversation.workspace_id == workspace_id)
        .options(selectinload(Conversation.messages), selectinload(Conversation.contact))
        .order_by(Conversation.last_message_at.desc())
        .limit(limit)
    )
    if channel:
        stmt = stmt.where(Conversation.channel == channel)
    if status:
        stmt = stmt.where(Conversation.status == status)
    return s.scalars(stmt).all()


def conversation_in_workspace(s: Session, workspace_id: int, conversation_id: int) -> Conversation | None:
    return s.scalars(
        select(Conversation)
        .where(Conversation.id == conversation_id, Conversation.workspace_id == workspace_id)
        .options(selectinload(Conversation.messages), selectinload(Conversation.contact))
    ).first()


def message_by_external_id(
    s: Session, conversation_id: int, direction: str, external_id: str
) -> Message | None:
    return s.scalars(
        select(Message).where(
            Message.conversation_id == conversation_id,
            Message.direction == direction,
            Message.external_id == external_id,
        )
    ).first()


def messages_of(s: Session, conversation_id: int) -> Sequence[Message]:
    stmt = select(Message).where(Message.conversation_id == conversation_id)
    return s.scalars(stmt.order_by(Message.created_at, Message.id)).all()


def conversation_by_key(s: Session, account_id: int, channel: str, external_key: str) -> Conversation | None:
    return s.scalars(
        select(Conversation).where(
            Conversation.account_id == account_id,
            Conversation.channel == channel,
            Conversation.external_key == external_key,
        )
    ).first()


def contact_external_id(s: Session, account_id: int, channel: str, contact_id: int) -> str | None:
    """The contact's id in one channel of one account (e.g. the buyer's Mercado Libre user id)."""
    return s.scalar(
        select(ContactIdentity.external_id).where(
            ContactIdentity.account_id == account_id,
            ContactIdentity.channel == channel,
            ContactIdentity.contact_id == contact_id,
        )
    )


def recorded_external_ids(
    s: Session, account_id: int, channel: str, direction: str, external_ids: Sequence[str]
) -> set[str]:
    """Which of these channel message ids are already recorded for the account."""
    if not external_ids:
        return set()
    stmt = (
        select(Message.external_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Conversation.account_id == account_id,
            Conversation.channel == channel,
            Message.direction == direction,
            Message.external_id.in_(list(external_ids)),
        )
    )
    return set(s.scalars(stmt))


def conversation_states(
    s: Session, account_id: int, channel: str, external_keys: Sequence[str], key: str
) -> dict[str, dict[str, Any]]:
    """The `state:<key>` system message's data per conversation external key (see conversations.service)."""
    if not external_keys:
        return {}
    stmt = (
        select(Conversation.external_key, Message.meta)
        .join(Message, Message.conversation_id == Conversation.id)
        .where(
            Conversation.account_id == account_id,
            Conversation.channel == channel,
            Conversation.external_key.in_(list(external_keys)),
            Message.direction == "in",
            Message.external_id == f"state:{key}",
        )
    )
    return {external_key: dict(meta or {}) for external_key, meta in s.execute(stmt)}
