"""Claims as queryable records: what the cockpit sorts by, alerts on and counts (the claim's full facts
stay with its conversation, see conversations.service.record_state)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mostrador.store.models.base import Base, UTCDateTime, utcnow


class ClaimRecord(Base):
    """One claim against a connected seller, as last read from Mercado Libre, plus what happened to it
    on our side: when it was first answered and by whom, when it went to a dispute, how it ended, and a
    due date that passed while it was the seller's turn (§9.1, §9.3)."""

    __tablename__ = "claim_records"
    __table_args__ = (
        UniqueConstraint("account_id", "claim_id"),
        Index("ix_claim_records_workspace_opened", "workspace_id", "opened_at"),
        Index("ix_claim_records_workspace_due", "workspace_id", "status", "due_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), unique=True)
    claim_id: Mapped[str] = mapped_column(String(32))
    type: Mapped[str | None] = mapped_column(String(30))
    stage: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str | None] = mapped_column(String(20))  # opened | closed
    reason_id: Mapped[str | None] = mapped_column(String(20))
    reason_name: Mapped[str | None] = mapped_column(String(80))
    category: Mapped[str | None] = mapped_column(String(20))  # bot.claims.category
    affects_reputation: Mapped[str | None] = mapped_column(
        String(20)
    )  # affected | not_affected | not_applies
    has_incentive: Mapped[bool | None] = mapped_column(Boolean)
    item_id: Mapped[str | None] = mapped_column(String(40))
    order_id: Mapped[str | None] = mapped_column(String(32))
    buyer_id: Mapped[str | None] = mapped_column(String(32))
    due_date: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the seller's mandatory action's
    due_action: Mapped[str | None] = mapped_column(String(40))
    due_missed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a due date passed on the seller
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_by: Mapped[str | None] = mapped_column(String(10))  # bot | agent | seller
    disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str | None] = mapped_column(String(40))  # resolution.reason (§9.1)
    benefited: Mapped[str | None] = mapped_column(String(40))  # complainant | respondent | both
    closed_by: Mapped[str | None] = mapped_column(String(20))
    auto_rule: Mapped[str | None] = mapped_column(String(40))  # the rule whose first response was recorded
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
