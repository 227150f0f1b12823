"""Contacts, conversations and their messages.

Repositories flush but never commit: the caller's transaction boundary does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, exists, false, func, literal, or_, select, update
from sqlalchemy.orm import Session, aliased, selectinload

from mostrador.store import waiting
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
    waiting.touch(s, conversation_id)
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


@dataclass(frozen=True)
class ThreadFilter:
    """What the inbox list shows; every field narrows it (None: no narrowing)."""

    channel: str | None = None
    account_id: int | None = None
    item_id: str | None = None
    status: str | None = None  # waiting | answered | closed
    owner: str | None = None  # bot | agent
    answered_by: str | None = None  # bot | agent | seller: wrote at least one sent reply
    assignee_id: int | None = None  # assigned to this user
    unassigned: bool = False  # assigned to nobody
    search: str | None = None  # words in a message, the subject, the buyer's name, or an item id
    # overdue: threads waiting since before their account's cutoff, as (account ids, cutoff) groups
    overdue: tuple[tuple[tuple[int, ...], datetime], ...] | None = None
    exclude_ids: tuple[int, ...] = ()


def _filtered(stmt: Select[Any], f: ThreadFilter) -> Select[Any]:
    if f.channel:
        stmt = stmt.where(Conversation.channel == f.channel)
    if f.account_id is not None:
        stmt = stmt.where(Conversation.account_id == f.account_id)
    if f.item_id:
        stmt = stmt.where(Conversation.item_id == f.item_id)
    if f.status == "waiting":
        stmt = stmt.where(Conversation.waiting_count > 0, Conversation.status != "closed")
    elif f.status == "answered":
        stmt = stmt.where(Conversation.waiting_count == 0, Conversation.status != "closed")
    elif f.status == "closed":
        stmt = stmt.where(Conversation.status == "closed")
    if f.owner:
        stmt = stmt.where(Conversation.owner == f.owner)
    if f.assignee_id is not None:
        stmt = stmt.where(Conversation.assignee_id == f.assignee_id)
    elif f.unassigned:
        stmt = stmt.where(Conversation.assignee_id.is_(None))
    if f.answered_by:
        stmt = stmt.where(
            exists().where(
                Message.conversation_id == Conversation.id,
                Message.direction == "out",
                Message.author == f.answered_by,
                Message.status == "sent",
            )
        )
    if f.search:
        words = f.search.strip()
        like = func.lower(Message.text).contains(words.lower(), autoescape=True)
        stmt = stmt.where(
            or_(
                Conversation.item_id == words.upper(),
                func.lower(Conversation.subject).contains(words.lower(), autoescape=True),
                exists().where(
                    Contact.id == Conversation.contact_id,
                    func.lower(Contact.display_name).contains(words.lower(), autoescape=True),
                ),
                exists().where(Message.conversation_id == Conversation.id, Message.author != "system", like),
            )
        )
    if f.overdue is not None:
        groups = [
            and_(Conversation.account_id.in_(ids), Conversation.waiting_since < cutoff)
            for ids, cutoff in f.overdue
            if ids
        ]
        stmt = stmt.where(Conversation.status != "closed", or_(*groups) if groups else false())
    if f.exclude_ids:
        stmt = stmt.where(Conversation.id.not_in(f.exclude_ids))
    return stmt


def threads_page(
    s: Session, workspace_id: int, f: ThreadFilter, offset: int = 0, limit: int = 50
) -> tuple[Sequence[Conversation], int]:
    """One page of the workspace's threads, waiting ones first (the longest waiting first), then the
    most recent; and how many match in all."""
    base = _filtered(select(Conversation).where(Conversation.workspace_id == workspace_id), f)
    total = s.scalar(select(func.count()).select_from(base.with_only_columns(Conversation.id).subquery()))
    waits = case((and_(Conversation.waiting_count > 0, Conversation.status != "closed"), 0), else_=1)
    stmt = (
        base.options(selectinload(Conversation.messages), selectinload(Conversation.contact))
        .order_by(
            waits, Conversation.waiting_since, Conversation.last_message_at.desc(), Conversation.id.desc()
        )
        .offset(offset)
        .limit(limit)
    )
    return s.scalars(stmt).all(), int(total or 0)


def threads_by_id(s: Session, workspace_id: int, ids: Sequence[int]) -> Sequence[Conversation]:
    """These threads of the workspace (the urgent ones shown above the page), in no order."""
    if not ids:
        return []
    stmt = (
        select(Conversation)
        .where(Conversation.workspace_id == workspace_id, Conversation.id.in_(list(ids)))
        .options(selectinload(Conversation.messages), selectinload(Conversation.contact))
    )
    return s.scalars(stmt).all()


def waiting_counts(
    s: Session,
    workspace_id: int,
    overdue: dict[str, tuple[tuple[tuple[int, ...], datetime], ...]] | None = None,
) -> dict[str, tuple[int, int]]:
    """Per channel: (threads waiting, of which overdue) — the tabs' badges. `overdue` holds, per
    channel, (account ids, cutoff) groups: waiting since before its account's cutoff is overdue."""
    waiting = and_(
        Conversation.workspace_id == workspace_id,
        Conversation.waiting_count > 0,
        Conversation.status != "closed",
    )
    groups = [
        and_(
            Conversation.channel == channel,
            Conversation.account_id.in_(ids),
            Conversation.waiting_since < cut,
        )
        for channel, cutoffs in (overdue or {}).items()
        for ids, cut in cutoffs
        if ids
    ]
    late = func.sum(case((or_(*groups), 1), else_=0)) if groups else literal(0)
    stmt = select(Conversation.channel, func.count(), late).where(waiting).group_by(Conversation.channel)
    return {row[0]: (int(row[1]), int(row[2] or 0)) for row in s.execute(stmt)}


def items_of(s: Session, workspace_id: int, channel: str | None, limit: int = 200) -> list[tuple[str, str]]:
    """(item id, subject) of the workspace's threads about a listing, for the item filter."""
    stmt = select(Conversation.item_id, func.max(Conversation.subject)).where(
        Conversation.workspace_id == workspace_id, Conversation.item_id.is_not(None)
    )
    if channel:
        stmt = stmt.where(Conversation.channel == channel)
    stmt = (
        stmt.group_by(Conversation.item_id)
        .order_by(func.max(Conversation.last_message_at).desc())
        .limit(limit)
    )
    return [(str(row[0]), str(row[1] or "")) for row in s.execute(stmt)]


def lock_ownership(s: Session, conv: Conversation) -> None:
    """Re-read who owns the conversation, locking its row until the transaction ends (PostgreSQL's
    `FOR UPDATE`; SQLite has one writer at a time anyway). What this transaction changed is written first,
    so the re-read never drops it."""
    s.flush()
    s.refresh(
        conv, attribute_names=["owner", "taken_by_id", "taken_at", "bot_resumed_at"], with_for_update=True
    )


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


def buyer_threads(
    s: Session, account_id: int, buyer_id: str, exclude_id: int, limit: int = 10
) -> Sequence[Conversation]:
    """The account's other conversations with the buyer whose Mercado Libre id is `buyer_id` (any
    channel), newest first."""
    contacts = select(ContactIdentity.contact_id).where(
        ContactIdentity.account_id == account_id, ContactIdentity.external_id == buyer_id
    )
    return s.scalars(
        select(Conversation)
        .where(
            Conversation.account_id == account_id,
            Conversation.contact_id.in_(contacts),
            Conversation.id != exclude_id,
        )
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .limit(limit)
    ).all()


def name_buyer(s: Session, account_id: int, buyer_id: str, nickname: str, placeholder_prefix: str) -> int:
    """Give the buyer's contacts of this account their Mercado Libre nickname where they still carry a
    placeholder name; how many changed."""
    contacts = select(ContactIdentity.contact_id).where(
        ContactIdentity.account_id == account_id, ContactIdentity.external_id == buyer_id
    )
    changed = s.execute(
        update(Contact)
        .where(Contact.id.in_(contacts), Contact.display_name.startswith(placeholder_prefix, autoescape=True))
        .values(display_name=nickname)
    )
    return int(changed.rowcount or 0)  # type: ignore[attr-defined]


# ---- the REST API's pages: keyset (cursor) order by id, so a walk sees every row once ------------------
def threads_after(
    s: Session, workspace_id: int, f: ThreadFilter, after: int, limit: int
) -> Sequence[Conversation]:
    """The workspace's threads matching `f` with an id above `after`, lowest id first."""
    base = _filtered(
        select(Conversation).where(Conversation.workspace_id == workspace_id, Conversation.id > after), f
    )
    stmt = (
        base.options(selectinload(Conversation.messages), selectinload(Conversation.contact))
        .order_by(Conversation.id)
        .limit(limit)
    )
    return s.scalars(stmt).all()


@dataclass(frozen=True)
class TextFilter:
    """Which buyer texts (inbound messages) of one channel a page lists."""

    channel: str
    account_id: int | None = None
    conversation_id: int | None = None
    item_id: str | None = None
    status: str | None = None  # waiting | answered (see store.waiting for the rule)


def texts_after(s: Session, workspace_id: int, f: TextFilter, after: int, limit: int) -> Sequence[Message]:
    """Inbound buyer texts of the workspace's threads of one channel with an id above `after`, lowest
    id first; `status` follows store.waiting's rule (answered: by the outgoing text naming it)."""
    reply = aliased(Message)
    answered = exists().where(
        reply.conversation_id == Message.conversation_id,
        reply.direction == "out",
        reply.external_id == literal(waiting.ANSWER_PREFIX) + Message.external_id,
        reply.status.in_(sorted(waiting.ANSWERED)),
    )
    stmt = (
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.channel == f.channel,
            Message.direction == "in",
            Message.author != waiting.STATE_AUTHOR,
            Message.id > after,
        )
    )
    if f.account_id is not None:
        stmt = stmt.where(Conversation.account_id == f.account_id)
    if f.conversation_id is not None:
        stmt = stmt.where(Conversation.id == f.conversation_id)
    if f.item_id:
        stmt = stmt.where(Conversation.item_id == f.item_id)
    if f.status == "answered":
        stmt = stmt.where(answered)
    elif f.status == "waiting":
        stmt = stmt.where(
            ~answered,
            Conversation.status != "closed",
            or_(Message.external_status.is_(None), Message.external_status.not_in(sorted(waiting.WITHDRAWN))),
        )
    return s.scalars(stmt.order_by(Message.id).limit(limit)).all()


def threads_with_messages(s: Session, ids: Sequence[int]) -> Sequence[Conversation]:
    """These threads with their messages and buyer loaded (no workspace check: ids come from a query
    that made it)."""
    if not ids:
        return []
    stmt = (
        select(Conversation)
        .where(Conversation.id.in_(list(ids)))
        .options(selectinload(Conversation.messages), selectinload(Conversation.contact))
    )
    return s.scalars(stmt).all()


def thread_of_text(s: Session, workspace_id: int, channel: str, external_id: str) -> int | None:
    """The id of the workspace's thread of `channel` holding the inbound text `external_id`."""
    return s.scalar(
        select(Conversation.id)
        .join(Message, Message.conversation_id == Conversation.id)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.channel == channel,
            Message.direction == "in",
            Message.external_id == external_id,
        )
        .limit(1)
    )
