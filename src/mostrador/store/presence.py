"""Presence rows: who has a conversation open or is typing in it (the only SQL about them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mostrador.store.models import Presence, User
from mostrador.store.models.base import utcnow
from mostrador.store.upsert import insert_ignore


def row_of(s: Session, conversation_id: int, user_id: int) -> Presence | None:
    return s.scalars(
        select(Presence).where(Presence.conversation_id == conversation_id, Presence.user_id == user_id)
    ).first()


def touch(
    s: Session, workspace_id: int, conversation_id: int, user_id: int, state: str, now: datetime
) -> Presence:
    """The person's row for the conversation, created or refreshed to `state` at `now`."""
    insert_ignore(
        s,
        Presence.__table__,  # type: ignore[arg-type]
        {
            "workspace_id": workspace_id,
            "conversation_id": conversation_id,
            "user_id": user_id,
            "state": state,
            "seen_at": now,
        },
        ["conversation_id", "user_id"],
    )
    row = row_of(s, conversation_id, user_id)
    assert row is not None
    row.state, row.seen_at = state, now
    return row


def leave(s: Session, conversation_id: int, user_id: int) -> bool:
    """The person closed the page: their row goes; True when there was one."""
    gone = s.execute(
        delete(Presence).where(Presence.conversation_id == conversation_id, Presence.user_id == user_id)
    )
    return bool(getattr(gone, "rowcount", 0))


def present(s: Session, conversation_id: int, since: datetime) -> Sequence[tuple[int, str, str, datetime]]:
    """(user id, name, state, seen at) of everyone seen in the conversation after `since`, by name."""
    stmt = (
        select(Presence.user_id, User.name, Presence.state, Presence.seen_at)
        .join(User, User.id == Presence.user_id)
        .where(Presence.conversation_id == conversation_id, Presence.seen_at > since)
        .order_by(User.name, Presence.user_id)
    )
    return [tuple(r) for r in s.execute(stmt)]  # type: ignore[misc]


def delete_before(s: Session, before: datetime | None = None) -> int:
    """Housekeeping: rows nobody refreshed since `before` (stale pages, crashed browsers)."""
    gone = s.execute(delete(Presence).where(Presence.seen_at < (before or utcnow())))
    return int(getattr(gone, "rowcount", 0) or 0)


def workspace_people(s: Session, workspace_id: int) -> Sequence[tuple[int, str, str]]:
    """(id, name, role) of the workspace's users, by name: whom a conversation may be assigned to."""
    stmt = select(User.id, User.name, User.role).where(User.workspace_id == workspace_id).order_by(User.name)
    return [tuple(r) for r in s.execute(stmt)]  # type: ignore[misc]
