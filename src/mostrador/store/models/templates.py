"""Reply templates: texts a team writes once and inserts in answers and messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mostrador.store.models.base import Base, UTCDateTime, utcnow


class ReplyTemplate(Base):
    """One template of a workspace, for one channel's replies (or any, when `channel` is NULL).

    Its text may name variables (`{price}`, `{tracking_number}` …) that are filled from the live
    listing or order when the reply is sent."""

    __tablename__ = "reply_templates"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    channel: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
