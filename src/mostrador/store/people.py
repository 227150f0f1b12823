"""Workspaces and the people who log into them.

Repositories flush but never commit: the caller's transaction boundary does.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mostrador.store.models import (
    Agent,
    Workspace,
)


def get_or_create_workspace(s: Session, name: str) -> Workspace:
    ws = s.scalars(select(Workspace).where(Workspace.name == name)).first()
    if ws is None:
        ws = Workspace(name=name)
        s.add(ws)
        s.flush()
    return ws


def agent_by_email(s: Session, email: str) -> Agent | None:
    return s.scalars(select(Agent).where(Agent.email == email.lower())).first()


def add_agent(s: Session, workspace_id: int, email: str, name: str, password_hash: str, role: str) -> Agent:
    agent = Agent(
        workspace_id=workspace_id, email=email.lower(), name=name, password_hash=password_hash, role=role
    )
    s.add(agent)
    s.flush()
    return agent
