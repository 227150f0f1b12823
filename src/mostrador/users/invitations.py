"""Invitations by one-time link: an admin invites an e-mail with a role; the person opens the link, sets
their name and password, and is logged in. A link works once, until it expires or is revoked; a newer
invitation for the same e-mail replaces the older one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from mostrador.security.passwords import hash_password
from mostrador.store import audit
from mostrador.store import links as links_store
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import Invitation, utcnow
from mostrador.users import links
from mostrador.users import sessions as user_sessions
from mostrador.users.errors import (
    InvalidEmail,
    LinkExpired,
    LinkInvalid,
    OwnerProtected,
    PasswordsDiffer,
    UserExists,
)
from mostrador.users.roles import Role
from mostrador.users.service import EMAIL


@dataclass(frozen=True)
class PendingInvitation:
    id: int
    email: str
    role: Role
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class InvitationView:
    """What the invitation page shows the person who opened the link."""

    email: str
    role: Role
    workspace: str


def invite(
    sessions: sessionmaker[Session],
    by: user_sessions.SessionUser,
    email: str,
    role: Role,
    public_url: str,
    lifetime: timedelta,
    now: datetime | None = None,
) -> str:
    """Invite `email` into the inviter's workspace; returns the link (also written to the log)."""
    now = now or utcnow()
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        raise InvalidEmail(InvalidEmail.__doc__)
    if role is Role.OWNER and by.role is not Role.OWNER:
        raise OwnerProtected(OwnerProtected.__doc__)
    token = links.new_token()
    with transaction(sessions) as s:
        existing = people_store.user_by_email(s, email)
        if existing is not None and not _may_rejoin(
            existing.workspace_id, existing.removed_at, by.workspace_id
        ):
            raise UserExists(UserExists.__doc__)
        links_store.revoke_pending_for(s, by.workspace_id, email, now)
        row = links_store.add_invitation(
            s, by.workspace_id, email, role.value, links.token_hash(token), by.user_id, now, now + lifetime
        )
        audit.record(
            s, by.workspace_id, by.user_id, "person.invited", email, {"role": role.value, "id": row.id}
        )
    url = f"{public_url.rstrip('/')}/invite/{token}"
    links.announce("INVITE", email, url)
    return url


def pending(
    sessions: sessionmaker[Session], workspace_id: int, now: datetime | None = None
) -> list[PendingInvitation]:
    with transaction(sessions) as s:
        return [
            PendingInvitation(i.id, i.email, user_sessions.role_of(i.role), i.created_at, i.expires_at)
            for i in links_store.pending_invitations(s, workspace_id, now or utcnow())
        ]


def revoke(
    sessions: sessionmaker[Session],
    by: user_sessions.SessionUser,
    invitation_id: int,
    now: datetime | None = None,
) -> bool:
    """Revoke a pending invitation of the workspace; False when it was no longer pending."""
    with transaction(sessions) as s:
        row = links_store.revoke_pending(s, by.workspace_id, invitation_id, now or utcnow())
        if row is not None:
            audit.record(s, by.workspace_id, by.user_id, "invitation.revoked", row.email, {"id": row.id})
        return row is not None


def look_up(sessions: sessionmaker[Session], token: str, now: datetime | None = None) -> InvitationView:
    """What the link invites to; LinkInvalid / LinkExpired when it cannot be used."""
    with transaction(sessions) as s:
        row = _usable(s, token, now or utcnow())
        ws_name = people_store.workspace_by_id(s, row.workspace_id).name
        return InvitationView(row.email, user_sessions.role_of(row.role), ws_name)


def accept(
    sessions: sessionmaker[Session],
    token: str,
    name: str,
    password: str,
    again: str,
    now: datetime | None = None,
    policy: user_sessions.SessionPolicy = user_sessions.DEFAULT_POLICY,
) -> str:
    """Create the invited person (or bring back a removed one of the same workspace), use the link up
    and open a session; returns the session's token."""
    now = now or utcnow()
    with transaction(sessions) as s:
        _usable(s, token, now)  # a dead link is refused before any password is asked about
    if password != again:
        raise PasswordsDiffer(PasswordsDiffer.__doc__)
    hashed = hash_password(password)  # raises WeakPassword; Argon2 outside any transaction
    with transaction(sessions) as s:
        if not links_store.use_invitation(s, links.token_hash(token), now):
            _usable(s, token, now)  # says why: used (a second submit racing this one), revoked or expired
            raise LinkInvalid(LinkInvalid.__doc__)
        row = links_store.invitation_by_token(s, links.token_hash(token))
        assert row is not None
        name = " ".join(name.split())[:200] or row.email.split("@")[0]
        user = people_store.user_by_email(s, row.email)
        if user is None:
            user = people_store.add_user(s, row.workspace_id, row.email, name, hashed, row.role)
        elif _may_rejoin(user.workspace_id, user.removed_at, row.workspace_id):
            people_store.rejoin(s, user, name, hashed, row.role)
        else:
            raise UserExists(UserExists.__doc__)
        audit.record(s, row.workspace_id, user.id, "invitation.accepted", row.email, {"role": row.role}, now)
        return user_sessions.start(s, user.id, now, policy)


def _usable(s: Session, token: str, now: datetime) -> Invitation:
    row = links_store.invitation_by_token(s, links.token_hash(token))
    if row is None or row.accepted_at is not None or row.revoked_at is not None:
        raise LinkInvalid(LinkInvalid.__doc__)
    if row.expires_at <= now:
        raise LinkExpired(LinkExpired.__doc__)
    return row


def _may_rejoin(user_workspace: int, removed_at: datetime | None, workspace_id: int) -> bool:
    """An e-mail names one login: only a person removed from this same workspace may come back."""
    return removed_at is not None and user_workspace == workspace_id
