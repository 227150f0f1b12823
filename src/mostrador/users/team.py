"""A workspace's people: list them, change a role, remove someone.

Rules (docs/people.md): admins and owners manage people; only an owner changes or removes an owner or
makes someone an owner; the workspace's last owner is never demoted or removed. A removed person's row
stays (their answers still name them) but cannot log in: their sessions end at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from mostrador.store import audit
from mostrador.store import links as links_store
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import User, utcnow
from mostrador.users import sessions as user_sessions
from mostrador.users.errors import LastOwner, OwnerProtected, UnknownUser
from mostrador.users.roles import Role


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    email: str
    role: Role
    since: datetime


def people(sessions: sessionmaker[Session], workspace_id: int) -> list[Person]:
    with transaction(sessions) as s:
        return [
            Person(u.id, u.name, u.email, user_sessions.role_of(u.role), u.created_at)
            for u in people_store.people_of(s, workspace_id)
        ]


def change_role(
    sessions: sessionmaker[Session], by: user_sessions.SessionUser, person_id: int, role: Role
) -> bool:
    """Give the person `role`; False when it already was theirs."""
    with transaction(sessions) as s:
        person = _person(s, by, person_id)
        current = user_sessions.role_of(person.role)
        if current is role:
            return False
        if Role.OWNER in (current, role) and by.role is not Role.OWNER:
            raise OwnerProtected(OwnerProtected.__doc__)
        if current is Role.OWNER and people_store.count_owners(s, by.workspace_id) <= 1:
            raise LastOwner(LastOwner.__doc__)
        people_store.set_role(s, person.id, role.value)
        details = {"from": current.value, "to": role.value}
        audit.record(s, by.workspace_id, by.user_id, "person.role_changed", person.email, details)
        return True


def remove(
    sessions: sessionmaker[Session],
    by: user_sessions.SessionUser,
    person_id: int,
    now: datetime | None = None,
) -> None:
    """Remove the person from the workspace; every session of theirs ends."""
    now = now or utcnow()
    with transaction(sessions) as s:
        person = _person(s, by, person_id)
        if user_sessions.role_of(person.role) is Role.OWNER:
            if by.role is not Role.OWNER:
                raise OwnerProtected(OwnerProtected.__doc__)
            if people_store.count_owners(s, by.workspace_id) <= 1:
                raise LastOwner(LastOwner.__doc__)
        people_store.mark_removed(s, person.id, now)
        people_store.delete_sessions_of(s, person.id)
        links_store.use_resets_of(s, person.id, now)  # a reset link sent before stops working
        audit.record(s, by.workspace_id, by.user_id, "person.removed", person.email, {"role": person.role})


def _person(s: Session, by: user_sessions.SessionUser, person_id: int) -> User:
    """A present person of the caller's workspace, after locking the workspace's people."""
    people_store.lock_people_of(s, by.workspace_id)
    person = people_store.user_by_id(s, person_id)
    if person is None or person.workspace_id != by.workspace_id or person.removed_at is not None:
        raise UnknownUser(UnknownUser.__doc__)
    return person
