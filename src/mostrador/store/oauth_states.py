"""Pending OAuth connections (state + PKCE verifier), single use and short-lived.

Repositories flush but never commit: the caller's transaction boundary does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from mostrador.store.models import OAuthState


def add_state(s: Session, state: str, workspace_id: int, user_id: int | None, code_verifier: str) -> None:
    s.add(OAuthState(state=state, workspace_id=workspace_id, agent_id=user_id, code_verifier=code_verifier))
    s.flush()


def take_state(s: Session, state: str, workspace_id: int, user_id: int) -> OAuthState | None:
    """The pending connection started by this user of this workspace, deleted in the same transaction
    (single use whatever happens next); another's state is left alone, so it cannot be burnt."""
    row = s.get(OAuthState, state)
    if row is None or row.workspace_id != workspace_id or row.agent_id != user_id:
        return None
    s.delete(row)
    s.flush()
    return row


def delete_states_before(s: Session, before: datetime) -> int:
    return int(s.execute(delete(OAuthState).where(OAuthState.created_at < before)).rowcount or 0)  # type: ignore[attr-defined]
