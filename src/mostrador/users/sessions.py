"""Server-side login sessions: the signed cookie carries a random token, the database its SHA-256.

A session ends at logout, when its user's password changes or is reset (every session of the user),
when the user is removed, after its lifetime whatever happens (`session_lifetime_s`, 14 days by
default), or after `session_idle_timeout_s` without a request (12 hours by default): both are settings,
read into a `SessionPolicy` by the callers. An open inbox keeps its event stream open (`still_live`
counts that as activity) or, when it cannot, polls every few seconds, so a tab left open counts as
activity until the absolute limit; a laptop closed over lunch does not log anyone out, one left closed
from one day to the next does. Expired rows are deleted when seen and by housekeeping.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from mostrador.settings import Settings
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import utcnow
from mostrador.users.errors import UnknownRole
from mostrador.users.roles import Role

log = logging.getLogger(__name__)

ABSOLUTE_LIFETIME = timedelta(days=14)  # the defaults of the settings; the cookie's max-age follows
IDLE_TIMEOUT = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often per session


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: at most `lifetime` after the login, `idle` after the last request."""

    idle: timedelta = IDLE_TIMEOUT
    lifetime: timedelta = ABSOLUTE_LIFETIME

    @classmethod
    def of(cls, settings: Settings) -> SessionPolicy:
        return cls(
            idle=timedelta(seconds=settings.session_idle_timeout_s),
            lifetime=timedelta(seconds=settings.session_lifetime_s),
        )


DEFAULT_POLICY = SessionPolicy()


@dataclass(frozen=True)
class SessionUser:
    """Who is behind a request, as the session found them."""

    session_id: int
    user_id: int
    workspace_id: int
    email: str
    name: str
    role: Role
    locale: str | None = None  # the language they chose for their pages (None: the browser's)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(
    s: Session, user_id: int, now: datetime | None = None, policy: SessionPolicy = DEFAULT_POLICY
) -> str:
    """A new session for the user, inside the caller's transaction; returns the token for the cookie."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    people_store.add_session(s, user_id, token_hash(token), now, now + policy.lifetime)
    return token


def resume(
    sessions: sessionmaker[Session],
    token: str,
    now: datetime | None = None,
    policy: SessionPolicy = DEFAULT_POLICY,
) -> SessionUser | None:
    """The user of a live session, or None (unknown, expired, idle or of a removed user: the row is
    deleted)."""
    now = now or utcnow()
    with transaction(sessions) as s:
        found = people_store.session_with_user(s, token_hash(token))
        if found is None:
            return None
        row, user = found
        if row.expires_at <= now or row.last_seen_at < now - policy.idle or user.removed_at is not None:
            people_store.delete_session(s, row.token_hash)
            return None
        people_store.touch_session(s, row.id, now, unless_after=now - TOUCH_EVERY)
        return SessionUser(
            row.id, user.id, user.workspace_id, user.email, user.name, role_of(user.role), user.locale
        )


def still_live(
    sessions: sessionmaker[Session],
    session_ids: Collection[int],
    now: datetime | None = None,
    policy: SessionPolicy = DEFAULT_POLICY,
) -> set[int]:
    """Which of these sessions are still live; those are touched as `resume` would touch them.

    The inbox's open event streams ask this for all their sessions at once: a page open on a stream
    sends no requests, yet counts as activity, as the polling page it replaced did.
    """
    now = now or utcnow()
    with transaction(sessions) as s:
        live = people_store.live_session_ids(s, session_ids, now, idle_since=now - policy.idle)
        people_store.touch_sessions(s, live, now, unless_after=now - TOUCH_EVERY)
        return live


def end(sessions: sessionmaker[Session], token: str) -> None:
    with transaction(sessions) as s:
        people_store.delete_session(s, token_hash(token))


def purge_expired(
    sessions: sessionmaker[Session], now: datetime | None = None, policy: SessionPolicy = DEFAULT_POLICY
) -> int:
    """Delete sessions past their lifetime or idle timeout (housekeeping); returns how many."""
    now = now or utcnow()
    with transaction(sessions) as s:
        return people_store.delete_expired_sessions(s, now, idle_since=now - policy.idle)


def role_of(stored: str) -> Role:
    """The stored role; an unknown value (never written by this code) gets the least privilege."""
    try:
        return Role.parse(stored)
    except UnknownRole:
        log.warning("user with unknown role %r treated as viewer", stored)
        return Role.VIEWER
