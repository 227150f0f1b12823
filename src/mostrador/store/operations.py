"""The live-update event feed and the reconciliation runs.

Repositories flush but never commit: the caller's transaction boundary does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from mostrador.store.models import Account, Conversation, Event, SyncRun, utcnow


def add_event(
    s: Session, workspace_id: int, kind: str, conversation_id: int | None, data: dict[str, Any]
) -> None:
    s.add(Event(workspace_id=workspace_id, kind=kind, conversation_id=conversation_id, data=data))


# The feed's columns the live inbox reads: never `data`, which may one day hold more than ids and codes.
_FEED = (Event.id, Event.workspace_id, Event.kind, Event.conversation_id, Conversation.channel)


def events_after(
    s: Session, after: int, also: Collection[int], limit: int
) -> Sequence[tuple[int, int, str, int | None, str | None]]:
    """Events with an id above `after`, or among `also` (ids seen missing earlier), in id order:
    (id, workspace, kind, conversation, its channel)."""
    wanted = Event.id > after if not also else or_(Event.id > after, Event.id.in_(list(also)))
    stmt = (
        select(*_FEED)
        .outerjoin(Conversation, Conversation.id == Event.conversation_id)
        .where(wanted)
        .order_by(Event.id)
        .limit(limit)
    )
    return [tuple(row) for row in s.execute(stmt)]  # type: ignore[misc]


def workspace_events_after(
    s: Session, workspace_id: int, after: int, limit: int
) -> Sequence[tuple[int, int, str, int | None, str | None]]:
    """One workspace's events with an id above `after`, in id order, at most `limit`."""
    stmt = (
        select(*_FEED)
        .outerjoin(Conversation, Conversation.id == Event.conversation_id)
        .where(Event.workspace_id == workspace_id, Event.id > after)
        .order_by(Event.id)
        .limit(limit)
    )
    return [tuple(row) for row in s.execute(stmt)]  # type: ignore[misc]


def delete_events(s: Session, before: datetime, upto_id: int | None, limit: int) -> int:
    """Delete up to `limit` of the oldest events made before `before` (and with an id at most
    `upto_id`, when given); returns how many went."""
    oldest = select(Event.id).where(Event.created_at < before)
    if upto_id is not None:
        oldest = oldest.where(Event.id <= upto_id)
    ids = list(s.scalars(oldest.order_by(Event.id).limit(limit)))
    if ids:
        s.execute(delete(Event).where(Event.id.in_(ids)).execution_options(synchronize_session=False))
    return len(ids)


def event_id_bounds(s: Session) -> tuple[int, int]:
    """The lowest and highest event id (0, 0 for an empty feed)."""
    low, high = s.execute(select(func.min(Event.id), func.max(Event.id))).one()
    return int(low or 0), int(high or 0)


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


def finish_sync_run(
    s: Session, run_id: int, found: int, status: str, detail: str | None, account_id: int | None
) -> None:
    """Close a run; a run of one account that ended well also stamps the account's last sync."""
    run = s.get(SyncRun, run_id)
    now = utcnow()
    if run is not None:
        run.finished_at, run.found, run.status, run.detail = now, found, status, detail
    if account_id is not None and status == "ok":
        s.execute(update(Account).where(Account.id == account_id).values(last_sync_at=now))
