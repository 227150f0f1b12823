"""The audit log: `record` what a person did, `page_of` what a workspace's admins read.

`record` is the one function every other module calls, inside its own transaction, right where the
thing is done (an answer recorded, a takeover, a setting saved, an account connected, a person invited):

    audit.record(s, workspace_id, user_id, "conversation.taken_over", f"conversation:{cid}", {...})

It adds a row and flushes; the caller's transaction commits it with the change it describes. Entries
are read only by workspace: one workspace never sees another's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mostrador.store.models import AuditEntry, User, utcnow

SYSTEM = "sistema"  # the actor of what no person did (the page shows it in the reader's language)


def record(
    s: Session,
    workspace_id: int,
    user_id: int | None,
    action: str,
    target: str,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
    actor: str | None = None,
) -> AuditEntry:
    """Add an entry in the caller's transaction. `user_id` None means the system did it — or, with
    `actor`, someone who is not a person of the workspace (a REST API key)."""
    actor = actor or SYSTEM
    if user_id is not None:
        user = s.get(User, user_id)
        actor = f"{user.name} <{user.email}>" if user is not None else f"usuario {user_id}"
    entry = AuditEntry(
        workspace_id=workspace_id,
        user_id=user_id,
        actor=actor[:300],
        action=action[:60],
        target=target[:200],
        details=details or {},
        at=at or utcnow(),
    )
    s.add(entry)
    s.flush()
    return entry


@dataclass(frozen=True)
class AuditFilter:
    """What the page filters by: who (a user id), what (an action), when (from, to: inclusive dates)."""

    user_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def page_of(
    s: Session, workspace_id: int, where: AuditFilter, *, before_id: int | None, limit: int
) -> list[AuditEntry]:
    """The newest `limit` entries of the workspace matching `where`, older than `before_id` (paging by
    id: an entry written while someone reads does not shift the pages)."""
    stmt = select(AuditEntry).where(AuditEntry.workspace_id == workspace_id)
    if where.user_id is not None:
        stmt = stmt.where(AuditEntry.user_id == where.user_id)
    if where.action:
        stmt = stmt.where(AuditEntry.action == where.action)
    if where.since is not None:
        stmt = stmt.where(AuditEntry.at >= where.since)
    if where.until is not None:
        stmt = stmt.where(AuditEntry.at < where.until)
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    return list(s.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit)))
