"""API keys of a workspace (the only SQL for them).

Repositories flush but never commit: the caller's transaction boundary does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mostrador.store.models import ApiKey


def add_key(
    s: Session,
    workspace_id: int,
    name: str,
    prefix: str,
    secret_hash: str,
    scope: str,
    created_by: int | None,
) -> ApiKey:
    row = ApiKey(
        workspace_id=workspace_id,
        name=name,
        prefix=prefix,
        secret_hash=secret_hash,
        scope=scope,
        created_by=created_by,
    )
    s.add(row)
    s.flush()
    return row


def key_by_prefix(s: Session, prefix: str) -> ApiKey | None:
    return s.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()


def keys_of(s: Session, workspace_id: int) -> Sequence[ApiKey]:
    """The workspace's keys, revoked ones included, oldest first."""
    return s.scalars(select(ApiKey).where(ApiKey.workspace_id == workspace_id).order_by(ApiKey.id)).all()


def revoke_key(s: Session, workspace_id: int, key_id: int, at: datetime) -> bool:
    """Revoke a live key of the workspace; False when there is none (unknown, another's, or revoked)."""
    result = s.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.workspace_id == workspace_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def note_use(s: Session, key_id: int, at: datetime, not_since: datetime) -> None:
    """Remember when the key was last used, at most once per minute or so (`not_since`): every request
    writing a row would serialise the API's readers on SQLite."""
    s.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id)
        .where((ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < not_since))
        .values(last_used_at=at)
    )
