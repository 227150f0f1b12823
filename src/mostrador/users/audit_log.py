"""Reading the audit log for the admins' page: one workspace's entries, filtered and paged.

Writing is `mostrador.store.audit.record`, called where each thing is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from mostrador.store import audit
from mostrador.store import people as people_store
from mostrador.store.db import transaction

PAGE_SIZE = 50


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str
    action: str
    label: str
    target: str
    details: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    entries: list[Entry]
    older: int | None  # the `before` of the next page, None on the last one
    people: list[tuple[int, str]]  # everyone who ever was in the workspace: the "who" filter


def read(
    sessions: sessionmaker[Session],
    workspace_id: int,
    where: audit.AuditFilter,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> AuditPage:
    with transaction(sessions) as s:
        rows = audit.page_of(s, workspace_id, where, before_id=before, limit=limit + 1)
        people = [
            (u.id, f"{u.name} <{u.email}>") for u, _ in people_store.users_with_workspace(s, workspace_id)
        ]
    entries = [
        Entry(r.id, r.at, r.actor, r.action, audit.ACTIONS.get(r.action, r.action), r.target, dict(r.details))
        for r in rows[:limit]
    ]
    older = entries[-1].id if len(rows) > limit else None
    return AuditPage(entries, older, people)
