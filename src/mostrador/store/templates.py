"""Reply templates of a workspace (the only SQL for them)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from mostrador.store.models import ReplyTemplate


def templates_of(s: Session, workspace_id: int, channel: str | None = None) -> Sequence[ReplyTemplate]:
    """The workspace's templates, by name; with `channel`, those for it and those for any channel."""
    stmt = select(ReplyTemplate).where(ReplyTemplate.workspace_id == workspace_id)
    if channel:
        stmt = stmt.where(or_(ReplyTemplate.channel == channel, ReplyTemplate.channel.is_(None)))
    return s.scalars(stmt.order_by(ReplyTemplate.name)).all()


def add_template(
    s: Session, workspace_id: int, user_id: int | None, name: str, channel: str | None, text: str
) -> ReplyTemplate:
    row = ReplyTemplate(workspace_id=workspace_id, created_by=user_id, name=name, channel=channel, text=text)
    s.add(row)
    s.flush()
    return row


def template_in_workspace(s: Session, workspace_id: int, template_id: int) -> ReplyTemplate | None:
    return s.scalars(
        select(ReplyTemplate).where(
            ReplyTemplate.id == template_id, ReplyTemplate.workspace_id == workspace_id
        )
    ).first()


def template_named(s: Session, workspace_id: int, name: str) -> ReplyTemplate | None:
    return s.scalars(
        select(ReplyTemplate).where(ReplyTemplate.workspace_id == workspace_id, ReplyTemplate.name == name)
    ).first()


def delete_template(s: Session, workspace_id: int, template_id: int) -> bool:
    result = s.execute(
        delete(ReplyTemplate).where(
            ReplyTemplate.id == template_id, ReplyTemplate.workspace_id == workspace_id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
