"""Repositories: the only place that writes SQL. They flush but never commit (the caller's boundary does)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from mostrador.store.models import (
    Account,
    Agent,
    Contact,
    ContactIdentity,
    Conversation,
    Counter,
    Event,
    Message,
    Notification,
    Reply,
    SyncRun,
    Workspace,
    utcnow,
)
from mostrador.store.upsert import insert_ignore


# ---- workspaces and agents ----------------------------------------------------------------------
def get_or_create_workspace(s: Session, name: str) -> Workspace:
    ws = s.scalars(select(Workspace).where(Workspace.name == name)).first()
    if ws is None:
        ws = Workspace(name=name)
        s.add(ws)
        s.flush()
    return ws


def agent_by_email(s: Session, email: str) -> Agent | None:
    return s.scalars(select(Agent).where(Agent.email == email.lower())).first()


def add_agent(s: Session, workspace_id: int, email: str, name: str, password_hash: str, role: str) -> Agent:
    agent = Agent(
        workspace_id=workspace_id, email=email.lower(), name=name, password_hash=password_hash, role=role
    )
    s.add(agent)
    s.flush()
    return agent


# ---- accounts -------------------------------------------------------------------------------------
def account_by_meli_user(s: Session, meli_user_id: int) -> Account | None:
    return s.scalars(select(Account).where(Account.meli_user_id == meli_user_id)).first()


def accounts_of(s: Session, workspace_id: int) -> Sequence[Account]:
    return s.scalars(select(Account).where(Account.workspace_id == workspace_id).order_by(Account.id)).all()


def active_accounts(s: Session) -> Sequence[Account]:
    return s.scalars(select(Account).where(Account.status.in_(("active", "refresh_failing")))).all()


def touch_account_notification(s: Session, account_id: int, at: datetime) -> None:
    s.execute(update(Account).where(Account.id == account_id).values(last_notification_at=at))


# ---- notifications (the intake hot path: Core statements built once, no ORM unit of work) ------------
@functools.cache
def _insert_notifications(dialect: str) -> Any:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    table = Notification.__table__
    return (
        module.insert(table)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(table.c.id, table.c.dedup_key)
    )


_ACCOUNT_BY_USER = select(Account.id).where(Account.meli_user_id == bindparam("user_id"))


def known_account_users(conn: Connection, meli_user_ids: set[int]) -> set[int]:
    """Which of these Mercado Libre users are connected accounts (a batch holds few distinct sellers;
    one prepared equality lookup each is cheaper than compiling an IN list per batch)."""
    return {
        user
        for user in meli_user_ids
        if conn.execute(_ACCOUNT_BY_USER, {"user_id": user}).first() is not None
    }


def record_notifications(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Store notifications once each (one multi-row insert-or-ignore); returns {dedup_key: id} of the new
    ones — a key missing from the result was a duplicate delivery."""
    result = conn.execute(_insert_notifications(conn.dialect.name), rows)  # executemany, "insertmanyvalues"
    return {key: row_id for row_id, key in result}


def pending_notifications(s: Session, limit: int = 500) -> Sequence[Notification]:
    stmt = select(Notification).where(Notification.status == "accepted")
    return s.scalars(stmt.order_by(Notification.id).limit(limit)).all()


def mark_dispatched(s: Session, notification_ids: list[int], workflow_id: str) -> None:
    s.execute(
        update(Notification)
        .where(Notification.id.in_(notification_ids))
        .values(status="dispatched", workflow_id=workflow_id)
    )


def bump_counter(s: Session | Connection, name: str, by: int = 1) -> None:
    """Atomic upsert-increment (INSERT … ON CONFLICT DO UPDATE on both dialects)."""
    bind = s if isinstance(s, Connection) else s.get_bind()
    module: Any = postgresql if bind.dialect.name == "postgresql" else sqlite
    stmt = module.insert(Counter.__table__).values(name=name, value=by)
    increment = {"value": Counter.value + stmt.excluded.value}
    stmt = stmt.on_conflict_do_update(index_elements=["name"], set_=increment)
    s.execute(stmt)


def counters(s: Session) -> dict[str, int]:
    return {c.name: c.value for c in s.scalars(select(Counter))}


# ---- contacts and conversations -------------------------------------------------------------------
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


# ---- replies (outbound, recorded before sending) ---------------------------------------------------
def claim_reply(
    s: Session, account_id: int, channel: str, target_id: str, text: str, message_id: int
) -> Reply:
    """Record the reply for a target once; a second call returns the existing row untouched."""
    values = {
        "account_id": account_id,
        "channel": channel,
        "target_id": target_id,
        "text": text,
        "message_id": message_id,
        "status": "pending",
        "attempts": 0,
        "created_at": utcnow(),
    }
    insert_ignore(s, Reply.__table__, values, ["account_id", "channel", "target_id"])  # type: ignore[arg-type]
    return reply_for(s, account_id, channel, target_id)  # type: ignore[return-value]


def reply_for(s: Session, account_id: int, channel: str, target_id: str) -> Reply | None:
    return s.scalars(
        select(Reply).where(
            Reply.account_id == account_id, Reply.channel == channel, Reply.target_id == target_id
        )
    ).first()


# ---- events and sync runs --------------------------------------------------------------------------
def add_event(
    s: Session, workspace_id: int, kind: str, conversation_id: int | None, data: dict[str, Any]
) -> None:
    s.add(Event(workspace_id=workspace_id, kind=kind, conversation_id=conversation_id, data=data))


def start_sync_run(s: Session, kind: str, account_id: int | None) -> SyncRun:
    run = SyncRun(kind=kind, account_id=account_id)
    s.add(run)
    s.flush()
    return run


def recent_sync_runs(s: Session, account_ids: Sequence[int], limit: int = 20) -> Sequence[SyncRun]:
    scope = (
        or_(SyncRun.account_id.in_(account_ids), SyncRun.account_id.is_(None))
        if account_ids
        else SyncRun.account_id.is_(None)
    )
    stmt = select(SyncRun).where(scope).order_by(SyncRun.id.desc()).limit(limit)
    return s.scalars(stmt).all()


# ---- post-sale channels and their sweeps -----------------------------------------------------------
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


def latest_notifications(
    s: Session, topics: Sequence[str], resource_ids: Sequence[str], since: datetime
) -> dict[str, datetime]:
    """When each resource was last notified (any of `topics`), for notifications received after `since`."""
    if not resource_ids:
        return {}
    stmt = (
        select(Notification.resource_id, Notification.received_at)
        .where(
            Notification.topic.in_(list(topics)),
            Notification.resource_id.in_(list(resource_ids)),
            Notification.received_at > since,
        )
        .order_by(Notification.received_at)
    )
    return {resource_id: at for resource_id, at in s.execute(stmt) if resource_id is not None}
