"""Invitations and password resets: one-time links whose rows keep only the token's SHA-256.

Repositories flush but never commit: the caller's transaction boundary does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from mostrador.store.models import Invitation, PasswordReset

# ---- invitations ----------------------------------------------------------------------------


def add_invitation(
    s: Session,
    workspace_id: int,
    email: str,
    role: str,
    token_hash: str,
    by: int,
    now: datetime,
    until: datetime,
) -> Invitation:
    row = Invitation(
        workspace_id=workspace_id,
        email=email,
        role=role,
        token_hash=token_hash,
        invited_by=by,
        created_at=now,
        expires_at=until,
    )
    s.add(row)
    s.flush()
    return row


def invitation_by_token(s: Session, token_hash: str) -> Invitation | None:
    stmt = select(Invitation).where(Invitation.token_hash == token_hash)
    return s.scalars(stmt).first()


def pending_invitations(s: Session, workspace_id: int, now: datetime) -> Sequence[Invitation]:
    """Not accepted, not revoked, not expired; newest first."""
    return list(
        s.scalars(
            select(Invitation)
            .where(
                Invitation.workspace_id == workspace_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.id.desc())
        )
    )


def revoke_pending(s: Session, workspace_id: int, invitation_id: int, now: datetime) -> Invitation | None:
    """Revoke one pending invitation of the workspace; None when there is none to revoke."""
    row = s.get(Invitation, invitation_id)
    if row is None or row.workspace_id != workspace_id or row.accepted_at or row.revoked_at:
        return None
    row.revoked_at = now
    s.flush()
    return row


def revoke_pending_for(s: Session, workspace_id: int, email: str, now: datetime) -> None:
    """A new invitation for an e-mail replaces the pending ones (only the last link works)."""
    s.execute(
        update(Invitation)
        .where(
            Invitation.workspace_id == workspace_id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


# ---- password resets ------------------------------------------------------------------------


def add_reset(
    s: Session,
    email: str,
    client: str,
    user_id: int | None,
    token_hash: str | None,
    now: datetime,
    until: datetime,
) -> PasswordReset:
    row = PasswordReset(
        email=email, client=client, user_id=user_id, token_hash=token_hash, requested_at=now, expires_at=until
    )
    s.add(row)
    s.flush()
    return row


def count_resets(s: Session, since: datetime, *, email: str | None = None, client: str | None = None) -> int:
    stmt = select(func.count()).select_from(PasswordReset).where(PasswordReset.requested_at > since)
    if email is not None:
        stmt = stmt.where(PasswordReset.email == email)
    if client is not None:
        stmt = stmt.where(PasswordReset.client == client)
    return int(s.scalar(stmt) or 0)


def reset_by_token(s: Session, token_hash: str) -> PasswordReset | None:
    stmt = select(PasswordReset).where(PasswordReset.token_hash == token_hash)
    return s.scalars(stmt).first()


def use_resets_of(s: Session, user_id: int, now: datetime) -> None:
    """A reset used (or a password changed otherwise) voids every other link of the user."""
    s.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )


def delete_resets_before(s: Session, before: datetime) -> int:
    stmt = delete(PasswordReset).where(PasswordReset.expires_at < before)
    return int(s.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def use_invitation(s: Session, token_hash: str, now: datetime) -> bool:
    """Mark the invitation accepted if it is still usable: True when this call did.

    A write before any read: on SQLite the transaction takes the write lock first (waiting its turn), so
    two browsers submitting one link at once queue up and the second finds it used."""
    stmt = (
        update(Invitation)
        .where(
            Invitation.token_hash == token_hash,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(accepted_at=now)
    )
    return bool(s.execute(stmt).rowcount)  # type: ignore[attr-defined]


def use_reset(s: Session, token_hash: str, now: datetime) -> bool:
    """Mark the reset used if it is still usable: True when this call did (written first, as above)."""
    stmt = update(PasswordReset).where(
        PasswordReset.token_hash == token_hash,
        PasswordReset.used_at.is_(None),
        PasswordReset.expires_at > now,
    )
    return bool(s.execute(stmt.values(used_at=now)).rowcount)  # type: ignore[attr-defined]
