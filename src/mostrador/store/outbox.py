"""Outgoing texts, recorded with their send before anything is posted.

Every transition of a send is one conditional UPDATE (`… WHERE drive = :d AND status = …`) whose row
count says whether it happened, so a stale run — or a read made before another process committed —
can never overwrite a newer one, on SQLite as on PostgreSQL (READ COMMITTED). Repositories flush but
never commit: the caller's transaction boundary does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mostrador.store.models import Message, OutboxEntry, OutboxStatus, OutgoingFile
from mostrador.store.upsert import insert_ignore

PENDING = OutboxStatus.PENDING


def insert_entry(s: Session, values: dict[str, Any]) -> int | None:
    """Insert the entry for a target unless one exists; the new id, or None when another one won."""
    return insert_ignore(s, OutboxEntry.__table__, values, ["account_id", "channel", "target_id"])  # type: ignore[arg-type]


def entry_for_target(s: Session, account_id: int, channel: str, target_id: str) -> OutboxEntry | None:
    return s.scalars(
        select(OutboxEntry).where(
            OutboxEntry.account_id == account_id,
            OutboxEntry.channel == channel,
            OutboxEntry.target_id == target_id,
        )
    ).first()


def targets_recorded(s: Session, account_id: int, channel: str, targets: Sequence[str]) -> bool:
    """Whether every one of these targets already has its entry (a repeated notification: no reads)."""
    found = s.scalar(
        select(func.count()).where(
            OutboxEntry.account_id == account_id,
            OutboxEntry.channel == channel,
            OutboxEntry.target_id.in_(list(targets)),
        )
    )
    return found == len(set(targets))


def entry_in_conversation(s: Session, conversation_id: int, entry_id: int) -> OutboxEntry | None:
    return s.scalars(
        select(OutboxEntry).where(OutboxEntry.id == entry_id, OutboxEntry.conversation_id == conversation_id)
    ).first()


def transition(
    s: Session,
    entry_id: int,
    values: dict[str, Any],
    *,
    drive: int | None = None,
    statuses: Sequence[str] = (PENDING,),
    unattempted: bool = False,
) -> bool:
    """Change the entry only if it is still in one of `statuses` (and owned by `drive`, and never
    attempted, when given); True if it changed. The one way a send's state moves."""
    stmt = update(OutboxEntry).where(OutboxEntry.id == entry_id, OutboxEntry.status.in_(list(statuses)))
    if drive is not None:
        stmt = stmt.where(OutboxEntry.drive == drive)
    if unattempted:
        stmt = stmt.where(OutboxEntry.attempts == 0)
    result = s.execute(stmt.values(**values).execution_options(synchronize_session=False))
    changed = bool(result.rowcount)  # type: ignore[attr-defined]
    if changed:
        entry = s.get(OutboxEntry, entry_id)
        if entry is not None:
            s.refresh(entry)
    return changed


def attempts_plus_one() -> Any:
    return OutboxEntry.attempts + 1


def deferrals_plus_one() -> Any:
    return OutboxEntry.deferrals + 1


def due_entries(s: Session, now: datetime, limit: int) -> Sequence[tuple[int, int]]:
    """(id, drive) of pending entries whose lease or back-off is over, oldest due first."""
    stmt = (
        select(OutboxEntry.id, OutboxEntry.drive)
        .where(OutboxEntry.status == PENDING, OutboxEntry.next_attempt_at <= now)
        .order_by(OutboxEntry.next_attempt_at, OutboxEntry.id)
        .limit(limit)
    )
    return [(row.id, row.drive) for row in s.execute(stmt)]


def earlier_pending(s: Session, conversation_id: int, entry_id: int) -> OutboxEntry | None:
    """The oldest still-pending entry written before this one in the conversation, if any."""
    stmt = select(OutboxEntry).where(
        OutboxEntry.conversation_id == conversation_id,
        OutboxEntry.id < entry_id,
        OutboxEntry.status == PENDING,
    )
    return s.scalars(stmt.order_by(OutboxEntry.id).limit(1)).first()


def later_pending(s: Session, conversation_id: int, entry_id: int) -> Sequence[OutboxEntry]:
    stmt = select(OutboxEntry).where(
        OutboxEntry.conversation_id == conversation_id,
        OutboxEntry.id > entry_id,
        OutboxEntry.status == PENDING,
    )
    return s.scalars(stmt.order_by(OutboxEntry.id)).all()


def entries_of(s: Session, conversation_ids: Sequence[int]) -> Sequence[OutboxEntry]:
    if not conversation_ids:
        return []
    stmt = select(OutboxEntry).where(OutboxEntry.conversation_id.in_(list(conversation_ids)))
    return s.scalars(stmt.order_by(OutboxEntry.id)).all()


def adoptable(s: Session, conversation_id: int, prefix: str) -> Sequence[tuple[Message, OutboxEntry]]:
    """Our own messages whose post may have gone out without Mercado Libre's id (an attempt was made,
    and the message still carries our provisional id): what a remote message can turn out to be."""
    stmt = (
        select(Message, OutboxEntry)
        .join(OutboxEntry, OutboxEntry.message_id == Message.id)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == "out",
            Message.external_id.startswith(prefix),
            OutboxEntry.attempts > 0,
            OutboxEntry.status.in_((PENDING, OutboxStatus.SENT)),
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


# ---- files sent with an entry ---------------------------------------------------------------------
def add_files(s: Session, entry_id: int, files: Sequence[dict[str, Any]]) -> None:
    """Keep the files of a new entry, in the order attached (`files`: OutgoingFile's columns)."""
    for position, values in enumerate(files):
        s.add(OutgoingFile(entry_id=entry_id, position=position, **values))
    s.flush()


def files_of(s: Session, entry_id: int) -> Sequence[OutgoingFile]:
    stmt = select(OutgoingFile).where(OutgoingFile.entry_id == entry_id)
    return s.scalars(stmt.order_by(OutgoingFile.position)).all()


def note_upload(s: Session, file_id: int, remote_name: str, at: datetime) -> None:
    s.execute(
        update(OutgoingFile).where(OutgoingFile.id == file_id).values(remote_name=remote_name, uploaded_at=at)
    )


def drop_file_data(s: Session, entry_id: int) -> None:
    """The entry is at Mercado Libre with its files: keep only their description."""
    s.execute(
        update(OutgoingFile)
        .where(OutgoingFile.entry_id == entry_id, OutgoingFile.data.is_not(None))
        .values(data=None)
    )
