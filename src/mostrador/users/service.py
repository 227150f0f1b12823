"""Inbox users: creation, login (throttled, server-side session), password changes, listing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from mostrador.security.passwords import hash_password, verify_password
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import utcnow
from mostrador.users import sessions as user_sessions
from mostrador.users import throttle
from mostrador.users.errors import (
    BadCredentials,
    InvalidEmail,
    LoginThrottled,
    PasswordsDiffer,
    UnknownUser,
    UnknownWorkspace,
    UserExists,
    WrongPassword,
)
from mostrador.users.roles import Role

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Verified when the e-mail is unknown, so a wrong e-mail costs as much time as a wrong password.
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$/nEQ1Bk4ACd/m+7fP0o5JA$+6bqDZqExWOKRsDpEXKT5DJNim60yfykkFpYwljB//w"
)


@dataclass(frozen=True)
class UserInfo:
    id: int
    email: str
    name: str
    role: Role
    workspace: str


def create_user(
    sessions: sessionmaker[Session],
    email: str,
    password: str,
    name: str,
    workspace: str,
    role: Role | None = None,
) -> int:
    """Create a login and return its id. A workspace is created with its first user, who is its owner
    unless `role` says otherwise; later users are agents unless `role` says otherwise."""
    email = _normal_email(email)
    if not EMAIL.match(email):
        raise InvalidEmail(InvalidEmail.__doc__)
    hashed = hash_password(password)
    with transaction(sessions) as s:
        if people_store.user_by_email(s, email) is not None:
            raise UserExists(UserExists.__doc__)
        ws = people_store.get_or_create_workspace(s, workspace)
        if role is None:
            role = Role.OWNER if people_store.count_users(s, ws.id) == 0 else Role.AGENT
        return people_store.add_user(s, ws.id, email, name or email.split("@")[0], hashed, role.value).id


def log_in(
    sessions: sessionmaker[Session],
    email: str,
    password: str,
    client: str,
    now: datetime | None = None,
    policy: user_sessions.SessionPolicy = user_sessions.DEFAULT_POLICY,
) -> str:
    """Check the credentials and open a session; returns its token (for the cookie).

    Raises LoginThrottled before any password check when the e-mail or the client address failed too
    often (users.throttle), BadCredentials otherwise; neither says whether the e-mail exists.
    """
    now = now or utcnow()
    email, client = _normal_email(email)[:254], (client or "unknown")[:64]
    with transaction(sessions) as s:
        attempt = throttle.begin_attempt(s, email, client, now)
        if attempt is None:
            wait = throttle.retry_after_s(s, email, client, now) or 1
        user = people_store.user_by_email(s, email) if attempt is not None else None
        if user is not None and user.removed_at is not None:
            user = None  # a removed person is told what an unknown e-mail is told
        user_id, stored = (user.id, user.password_hash) if user is not None else (None, DUMMY_HASH)
    if attempt is None:
        raise LoginThrottled(wait)
    ok = verify_password(stored, password) and user_id is not None  # Argon2: outside any transaction
    if not ok or user_id is None:
        raise BadCredentials(BadCredentials.__doc__)  # the attempt stays recorded as a failure
    with transaction(sessions) as s:
        throttle.clear(s, email)
        return user_sessions.start(s, user_id, now, policy)


def change_password(
    sessions: sessionmaker[Session],
    who: user_sessions.SessionUser,
    current: str,
    new: str,
    again: str,
    client: str,
    now: datetime | None = None,
    policy: user_sessions.SessionPolicy = user_sessions.DEFAULT_POLICY,
) -> str:
    """Change the logged-in user's password and end every session of theirs (a copied cookie stops
    working, the one that made the change included); returns the token of a new session for the caller.

    A wrong current password counts as a failed login for the user's e-mail.
    """
    now = now or utcnow()
    if new != again:
        raise PasswordsDiffer(PasswordsDiffer.__doc__)
    client = (client or "unknown")[:64]
    with transaction(sessions) as s:
        wait = throttle.retry_after_s(s, who.email, client, now)
        user = people_store.user_by_id(s, who.user_id)
        stored = user.password_hash if user is not None else None
    if wait is not None:
        raise LoginThrottled(wait)
    if stored is None:
        raise UnknownUser(UnknownUser.__doc__)
    if not verify_password(stored, current):
        with transaction(sessions) as s:
            throttle.record_failure(s, who.email, client, now)
        raise WrongPassword(WrongPassword.__doc__)
    hashed = hash_password(new)  # raises WeakPassword
    with transaction(sessions) as s:
        people_store.set_password_hash(s, who.user_id, hashed)
        # Every session ends, this one too: a stolen copy of the very cookie that made the change must
        # stop working. The caller gives the browser the new session's token.
        people_store.delete_sessions_of(s, who.user_id)
        return user_sessions.start(s, who.user_id, now, policy)


def choose_language(sessions: sessionmaker[Session], user_id: int, locale: str | None) -> None:
    """The language of one's own pages; None gives the choice back to the browser's Accept-Language."""
    with transaction(sessions) as s:
        people_store.set_locale(s, user_id, locale)


def set_password(sessions: sessionmaker[Session], email: str, password: str) -> int:
    """An operator sets a user's password (CLI); every session of the user ends. Returns how many."""
    hashed = hash_password(password)
    with transaction(sessions) as s:
        user = people_store.user_by_email(s, email)
        if user is None:
            raise UnknownUser(UnknownUser.__doc__)
        people_store.set_password_hash(s, user.id, hashed)
        return people_store.delete_sessions_of(s, user.id)


def user_info(sessions: sessionmaker[Session], email: str) -> UserInfo:
    with transaction(sessions) as s:
        user = people_store.user_by_email(s, email)
        if user is None:
            raise UnknownUser(UnknownUser.__doc__)
        ws = people_store.workspace_of(s, user)
        return UserInfo(user.id, user.email, user.name, user_sessions.role_of(user.role), ws.name)


def list_users(sessions: sessionmaker[Session], workspace: str | None = None) -> list[UserInfo]:
    with transaction(sessions) as s:
        workspace_id = None
        if workspace is not None:
            ws = people_store.workspace_by_name(s, workspace)
            if ws is None:
                raise UnknownWorkspace(UnknownWorkspace.__doc__)
            workspace_id = ws.id
        return [
            UserInfo(u.id, u.email, u.name, user_sessions.role_of(u.role), ws_name)
            for u, ws_name in people_store.users_with_workspace(s, workspace_id)
        ]


def _normal_email(email: str) -> str:
    return email.strip().lower()
