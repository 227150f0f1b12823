"""The audit log: who did what in a workspace (answers, takeovers, settings, connections, people)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mostrador.store.models.base import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    """One thing a person (or the system, `user_id` None) did. `actor` keeps the name and e-mail as they
    were, so the entry still reads right after the person is removed or renamed."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_workspace_at", "workspace_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
