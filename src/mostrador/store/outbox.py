"""Outgoing texts, recorded with their send before anything is posted.

Every change a send makes is conditional on the entry's `drive` (the fencing token of the workflow
that owns it), so a stale run never overwrites a newer one. Repositories flush but never commit: the
caller's transaction boundary does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mostrador.store.models import Message, OutboxEntry
from mostrador.store.upsert import insert_ignore

PENDING = "pending"


def insert_entry(s: Session, values: dict[str, Any]) -> OutboxEntry:
    """Record the entry for a target once; a second call returns the existing row untouched."""
    insert_ignore(s, OutboxEntry.__table__, values, ["account_id", "channel", "target_id"])  # type: ignore[arg-type]
    entry = entry_for_target(s, values["account_id"], values["channel"], values["target_id"])
    assert entry is not None
    return entry


def entry_for_target(s: Session, account_id: int, channel: str, target_id: str) -> OutboxEntry | None:
    return s.scalars(
        select(OutboxEntry).where(
            OutboxEntry.account_id == account_id,
            OutboxEntry.channel == channel,
            OutboxEntry.target_id == target_id,
        )
    ).first()


def entry_in_conversation(s: Session, conversation_id: int, entry_id: int) -> OutboxEntry | None:
    return s.scalars(
        select(OutboxEntry).where(OutboxEntry.id == entry_id, OutboxEntry.conversation_id == conversation_id)
    ).first()


def update_if_drive(s: Session, entry_id: int, owner: int, **values: Any) -> bool:
    """Change a pending entry only if drive `owner` still owns it; False when a newer drive took over."""
    result = s.execute(
        update(OutboxEntry)
        .where(OutboxEntry.id == entry_id, OutboxEntry.drive == owner, OutboxEntry.status == PENDING)
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def count_attempt(s: Session, entry_id: int, drive: int, lease_until: datetime) -> bool:
    """+1 attempt right before a post (attempts > 0: Mercado Libre may have it); False if not ours now."""
    return update_if_drive(s, entry_id, drive, attempts=OutboxEntry.attempts + 1, next_attempt_at=lease_until)


def take_over(s: Session, entry_id: int, drive: int, lease_until: datetime, **values: Any) -> bool:
    """Start drive `drive + 1` of a pending entry (a re-drive, an agent's retry or edit)."""
    return update_if_drive(s, entry_id, drive, drive=drive + 1, next_attempt_at=lease_until, **values)


def due_entries(s: Session, now: datetime, limit: int) -> Sequence[tuple[int, int]]:
    """(id, drive) of pending entries whose lease or back-off is over, oldest due first."""
    stmt = (
        select(OutboxEntry.id, OutboxEntry.drive)
        .where(OutboxEntry.status == PENDING, OutboxEntry.next_attempt_at <= now)
        .order_by(OutboxEntry.next_attempt_at, OutboxEntry.id)
        .limit(limit)
    )
    return [(row.id, row.drive) for row in s.execute(stmt)]


def earlier_pending(s: Session, conversation_id: int, entry_id: int) -> bool:
    """Whether an older entry of the same conversation is still waiting (chat messages keep their order)."""
    stmt = select(OutboxEntry.id).where(
        OutboxEntry.conversation_id == conversation_id,
        OutboxEntry.id < entry_id,
        OutboxEntry.status == PENDING,
    )
    return s.scalar(stmt.limit(1)) is not None


def entries_of(s: Session, conversation_ids: Sequence[int]) -> Sequence[OutboxEntry]:
    if not conversation_ids:
        return []
    stmt = select(OutboxEntry).where(OutboxEntry.conversation_id.in_(list(conversation_ids)))
    return s.scalars(stmt.order_by(OutboxEntry.id)).all()


def adoptable(
    s: Session, conversation_id: int, text: str, prefix: str
) -> Sequence[tuple[Message, OutboxEntry]]:
    """Our own messages with this text whose post may have gone out without Mercado Libre's id: the
    candidates a remote message with the same text can be (oldest first)."""
    stmt = (
        select(Message, OutboxEntry)
        .join(OutboxEntry, OutboxEntry.message_id == Message.id)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == "out",
            Message.external_id.startswith(prefix),
            Message.text == text,
            OutboxEntry.attempts > 0,
            OutboxEntry.status.in_((PENDING, "sent")),
        )
        .order_by(Message.created_at, Message.id)
    )
    return [(row[0], row[1]) for row in s.execute(stmt)]


def is_ours(s: Session, message_id: int) -> bool:
    """Whether a message has an outbox entry behind it (else it was recorded from Mercado Libre)."""
    return s.scalar(select(OutboxEntry.id).where(OutboxEntry.message_id == message_id)) is not None


def counts_by_status(s: Session, account_ids: Sequence[int]) -> dict[str, int]:
    """How many entries of these accounts are in each status (for the accounts page and operators)."""
    stmt = (
        select(OutboxEntry.status, func.count())
        .where(OutboxEntry.account_id.in_(list(account_ids)))
        .group_by(OutboxEntry.status)
    )
    return {row[0]: int(row[1]) for row in s.execute(stmt)}
