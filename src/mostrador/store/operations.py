"""The live-update event feed and the reconciliation runs.

Repositories flush but never commit: the caller's transaction boundary does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from mostrador.store.models import Account, Event, SyncRun, utcnow


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
