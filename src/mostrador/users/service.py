"""Agents (inbox users): creation with hashed passwords, and authentication."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session, sessionmaker

from mostrador.security.passwords import hash_password, verify_password
from mostrador.store import people as people_store
from mostrador.store.db import transaction

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Verified when the e-mail is unknown, so a wrong e-mail costs as much time as a wrong password.
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$/nEQ1Bk4ACd/m+7fP0o5JA$+6bqDZqExWOKRsDpEXKT5DJNim60yfykkFpYwljB//w"
)


class AgentExists(ValueError):
    """An agent with this e-mail already exists."""


class InvalidEmail(ValueError):
    """That is not an e-mail address."""


def create_agent(
    sessions: sessionmaker[Session], email: str, password: str, name: str, workspace: str, role: str = "admin"
) -> int:
    if not EMAIL.match(email):
        raise InvalidEmail(InvalidEmail.__doc__)
    hashed = hash_password(password)
    with transaction(sessions) as s:
        if people_store.agent_by_email(s, email) is not None:
            raise AgentExists(AgentExists.__doc__)
        ws = people_store.get_or_create_workspace(s, workspace)
        return people_store.add_agent(s, ws.id, email, name or email.split("@")[0], hashed, role).id


def authenticate(sessions: sessionmaker[Session], email: str, password: str) -> int | None:
    """The agent id for good credentials; verifies a dummy hash otherwise so timing leaks nothing."""
    with transaction(sessions) as s:
        agent = people_store.agent_by_email(s, email.strip())
        stored = agent.password_hash if agent else DUMMY_HASH
        ok = verify_password(stored, password)
        return agent.id if (agent is not None and ok) else None
