"""Workspaces, the people who log into them, their sessions and failed logins.

Repositories flush but never commit: the caller's transaction boundary does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from mostrador.store.models import LoginFailure, User, UserSession, Workspace

# ---- workspaces -----------------------------------------------------------------------------


def get_or_create_workspace(s: Session, name: str) -> Workspace:
    ws = workspace_by_name(s, name)
    if ws is None:
        ws = Workspace(name=name)
        s.add(ws)
        s.flush()
    return ws


def workspace_by_name(s: Session, name: str) -> Workspace | None:
    return s.scalars(select(Workspace).where(Workspace.name == name)).first()


def workspace_by_id(s: Session, workspace_id: int) -> Workspace:
    return s.get_one(Workspace, workspace_id)


def workspace_of(s: Session, user: User) -> Workspace:
    return s.get_one(Workspace, user.workspace_id)


def count_users(s: Session, workspace_id: int) -> int:
    return int(s.scalar(select(func.count()).select_from(User).where(User.workspace_id == workspace_id)) or 0)


# ---- users ----------------------------------------------------------------------------------


def user_by_email(s: Session, email: str) -> User | None:
    return s.scalars(select(User).where(User.email == email.strip().lower())).first()


def user_by_id(s: Session, user_id: int) -> User | None:
    return s.get(User, user_id)


def add_user(s: Session, workspace_id: int, email: str, name: str, password_hash: str, role: str) -> User:
    user = User(
        workspace_id=workspace_id,
        email=email.strip().lower(),
        name=name,
        password_hash=password_hash,
        role=role,
    )
    s.add(user)
    s.flush()
    return user


def rejoin(s: Session, user: User, name: str, password_hash: str, role: str) -> None:
    """A removed person comes back (invited again): new name, password and role."""
    user.name, user.password_hash, user.role, user.removed_at = name, password_hash, role, None
    s.flush()


def set_role(s: Session, user_id: int, role: str) -> None:
    s.execute(update(User).where(User.id == user_id).values(role=role))


def mark_removed(s: Session, user_id: int, at: datetime) -> None:
    s.execute(update(User).where(User.id == user_id).values(removed_at=at))


def people_of(s: Session, workspace_id: int) -> Sequence[User]:
    """The workspace's people (removed ones left out), oldest first."""
    stmt = select(User).where(User.workspace_id == workspace_id, User.removed_at.is_(None))
    return list(s.scalars(stmt.order_by(User.id)))


def count_owners(s: Session, workspace_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(User)
        .where(User.workspace_id == workspace_id, User.role == "owner", User.removed_at.is_(None))
    )
    return int(s.scalar(stmt) or 0)


def lock_people_of(s: Session, workspace_id: int) -> None:
    """Serialise role changes and removals in one workspace (the last-owner rule counts owners; two
    owners demoting each other at once must not both pass). SQLite serialises writers already."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"people:{workspace_id}"})


def set_password_hash(s: Session, user_id: int, password_hash: str) -> None:
    s.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))


def set_locale(s: Session, user_id: int, locale: str | None) -> None:
    s.execute(update(User).where(User.id == user_id).values(locale=locale))


def users_with_workspace(s: Session, workspace_id: int | None = None) -> Sequence[tuple[User, str]]:
    """Users and their workspace's name, of one workspace or of all, oldest first."""
    stmt = select(User, Workspace.name).join(Workspace, Workspace.id == User.workspace_id)
    if workspace_id is not None:
        stmt = stmt.where(User.workspace_id == workspace_id)
    return [(user, name) for user, name in s.execute(stmt.order_by(User.workspace_id, User.id))]


# ---- sessions -------------------------------------------------------------------------------


def add_session(
    s: Session, user_id: int, token_hash: str, now: datetime, expires_at: datetime
) -> UserSession:
    row = UserSession(
        user_id=user_id, token_hash=token_hash, created_at=now, last_seen_at=now, expires_at=expires_at
    )
    s.add(row)
    s.flush()
    return row


def session_with_user(s: Session, token_hash: str) -> tuple[UserSession, User] | None:
    row = s.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == token_hash)
    ).first()
    return (row[0], row[1]) if row is not None else None


def touch_session(s: Session, session_id: int, now: datetime, unless_after: datetime) -> None:
    """Record activity, at most once per interval (a polling inbox must not write on every request)."""
    s.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.last_seen_at < unless_after)
        .values(last_seen_at=now)
    )


def live_session_ids(
    s: Session, session_ids: Collection[int], now: datetime, idle_since: datetime
) -> set[int]:
    """Which of these sessions still exist, inside their lifetime and not idle since before `idle_since`."""
    if not session_ids:
        return set()
    stmt = select(UserSession.id).where(
        UserSession.id.in_(list(session_ids)),
        UserSession.expires_at > now,
        UserSession.last_seen_at >= idle_since,
    )
    return {int(i) for i in s.scalars(stmt)}


def touch_sessions(s: Session, session_ids: Collection[int], now: datetime, unless_after: datetime) -> None:
    """`touch_session` for many sessions in one statement (the open event streams of a process)."""
    if session_ids:
        s.execute(
            update(UserSession)
            .where(UserSession.id.in_(list(session_ids)), UserSession.last_seen_at < unless_after)
            .values(last_seen_at=now)
        )


def delete_session(s: Session, token_hash: str) -> None:
    s.execute(delete(UserSession).where(UserSession.token_hash == token_hash))


def delete_sessions_of(s: Session, user_id: int, keep_session_id: int | None = None) -> int:
    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_session_id is not None:
        stmt = stmt.where(UserSession.id != keep_session_id)
    return int(s.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def delete_expired_sessions(s: Session, now: datetime, idle_since: datetime) -> int:
    """Sessions past their absolute lifetime or idle since before `idle_since`."""
    stmt = delete(UserSession).where(
        or_(UserSession.expires_at <= now, UserSession.last_seen_at < idle_since)
    )
    return int(s.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


# ---- failed logins --------------------------------------------------------------------------


def add_login_failure(s: Session, email: str, client: str, at: datetime) -> int:
    failure = LoginFailure(email=email, client=client, failed_at=at)
    s.add(failure)
    s.flush()
    return failure.id


def delete_login_failure(s: Session, failure_id: int) -> None:
    s.execute(delete(LoginFailure).where(LoginFailure.id == failure_id))


def lock_logins_of(s: Session, email: str) -> None:
    """Serialise login attempts for one e-mail until the transaction ends, so concurrent attempts are
    counted one after the other (PostgreSQL: a transaction-level advisory lock; SQLite serialises every
    writer already, and the attempt is written before it is counted)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"login:{email}"})


def recent_failures(
    s: Session,
    since: datetime,
    limit: int,
    *,
    email: str | None = None,
    client: str | None = None,
    excluding: int | None = None,
) -> list[datetime]:
    """When the newest `limit` failures since `since` happened (newest first), for an e-mail or a client
    (leaving out the failure `excluding`, an attempt in progress)."""
    stmt = select(LoginFailure.failed_at).where(LoginFailure.failed_at > since)
    if excluding is not None:
        stmt = stmt.where(LoginFailure.id != excluding)
    if email is not None:
        stmt = stmt.where(LoginFailure.email == email)
    if client is not None:
        stmt = stmt.where(LoginFailure.client == client)
    return list(s.scalars(stmt.order_by(LoginFailure.failed_at.desc()).limit(limit)))


def delete_login_failures_of(s: Session, email: str) -> None:
    s.execute(delete(LoginFailure).where(LoginFailure.email == email))


def delete_login_failures_before(s: Session, before: datetime) -> int:
    return int(s.execute(delete(LoginFailure).where(LoginFailure.failed_at < before)).rowcount or 0)  # type: ignore[attr-defined]
