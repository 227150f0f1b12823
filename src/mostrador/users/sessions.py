"""Server-side login sessions: the signed cookie carries a random token, the database its SHA-256.

A session ends at logout, when its user's password changes (every session of the user), after
ABSOLUTE_LIFETIME whatever happens, or after IDLE_TIMEOUT without a request. An open inbox keeps its
event stream open (`still_live` counts that as activity) or, when it cannot, polls every few seconds,
so a tab left open counts as activity until the absolute limit; a laptop closed over lunch does not
log anyone out, one left overnight does.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import utcnow
from mostrador.users.errors import UnknownRole
from mostrador.users.roles import Role

log = logging.getLogger(__name__)

ABSOLUTE_LIFETIME = timedelta(hours=12)  # a working day; the cookie's own max-age is the same
IDLE_TIMEOUT = timedelta(hours=2)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often per session


@dataclass(frozen=True)
class SessionUser:
    """Who is behind a request, as the session found them."""

    session_id: int
    user_id: int
    workspace_id: int
    email: str
    name: str
    role: Role


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(s: Session, user_id: int, now: datetime | None = None) -> str:
    """A new session for the user, inside the caller's transaction; returns the token for the cookie."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    people_store.add_session(s, user_id, token_hash(token), now, now + ABSOLUTE_LIFETIME)
    return token


def resume(sessions: sessionmaker[Session], token: str, now: datetime | None = None) -> SessionUser | None:
    """The user of a live session, or None (unknown, expired or idle: an expired row is deleted)."""
    now = now or utcnow()
    with transaction(sessions) as s:
        found = people_store.session_with_user(s, token_hash(token))
        if found is None:
            return None
        row, user = found
        if row.expires_at <= now or row.last_seen_at < now - IDLE_TIMEOUT:
            people_store.delete_session(s, row.token_hash)
            return None
        people_store.touch_session(s, row.id, now, unless_after=now - TOUCH_EVERY)
        return SessionUser(row.id, user.id, user.workspace_id, user.email, user.name, role_of(user.role))


def still_live(
    sessions: sessionmaker[Session], session_ids: Collection[int], now: datetime | None = None
) -> set[int]:
    """Which of these sessions are still live; those are touched as `resume` would touch them.

    The inbox's open event streams ask this for all their sessions at once: a page open on a stream
    sends no requests, yet counts as activity, as the polling page it replaced did.
    """
    now = now or utcnow()
    with transaction(sessions) as s:
        live = people_store.live_session_ids(s, session_ids, now, idle_since=now - IDLE_TIMEOUT)
        people_store.touch_sessions(s, live, now, unless_after=now - TOUCH_EVERY)
        return live


def end(sessions: sessionmaker[Session], token: str) -> None:
    with transaction(sessions) as s:
        people_store.delete_session(s, token_hash(token))


def purge_expired(sessions: sessionmaker[Session], now: datetime | None = None) -> int:
    """Delete sessions past their lifetime or idle timeout (housekeeping); returns how many."""
    now = now or utcnow()
    with transaction(sessions) as s:
        return people_store.delete_expired_sessions(s, now, idle_since=now - IDLE_TIMEOUT)


def role_of(stored: str) -> Role:
    """The stored role; an unknown value (never written by this code) gets the least privilege."""
    try:
        return Role.parse(stored)
    except UnknownRole:
        log.warning("user with unknown role %r treated as viewer", stored)
        return Role.VIEWER
