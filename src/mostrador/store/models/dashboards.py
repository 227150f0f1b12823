"""What the dashboards read: per-row facts folded from conversations and claims, daily aggregates of
those facts (with histogram buckets for percentiles), the seller's orders read from Mercado Libre and
each account's reputation as last read. Everything here is derived and can be rebuilt from the
conversations, messages and claim records (`dashboards.rollups`); nothing else reads it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mostrador.store.models.base import Base, UTCDateTime
from mostrador.store.models.claims import ClaimRecord

# The claims fold reads the records changed since its last run (see dashboards.rollups).
Index("ix_claim_records_updated", ClaimRecord.__table__.c.updated_at)

# Response times are counted per bucket (dashboards.histogram), one column each, so a period's
# percentiles are sums the database adds up (GROUP BY) instead of rows the application reads.
HIST_BUCKETS = 31
HIST_COLUMNS = tuple(f"h{i:02d}" for i in range(HIST_BUCKETS))
Histogram: type = type(
    "Histogram",
    (),
    {
        "__doc__": "A response-time histogram: how many fell in each bucket (h00 the fastest).",
        **{name: mapped_column(Integer, default=0, nullable=False) for name in HIST_COLUMNS},
    },
)


class DashWatermark(Base):
    """How far a fold has read, and who holds it now (one fold at a time, across processes).

    `position` is the last change folded (an event id); `settled` the position that was already
    visible `LOOKBACK` ago, from where each fold reads again so that a transaction that committed late
    is never skipped; `since` the time-based equivalent for the claim records; `backfill` the last
    conversation id of a first pass still under way.
    """

    __tablename__ = "dash_watermarks"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    position_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    settled: Mapped[int] = mapped_column(BigInteger, default=0)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    backfill: Mapped[int | None] = mapped_column(BigInteger)
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    folded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DashQuestion(Base):
    """One buyer question (an inbound message of an `answers` channel) and what became of it."""

    __tablename__ = "dash_questions"
    __table_args__ = (
        Index("ix_dash_questions_account_day", "account_id", "day"),
        Index("ix_dash_questions_buyer_item", "account_id", "buyer_id", "item_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    conversation_id: Mapped[int] = mapped_column(Integer, index=True)
    message_id: Mapped[int] = mapped_column(Integer, unique=True)
    day: Mapped[date] = mapped_column(Date)  # the account's local day it was asked
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    item_id: Mapped[str | None] = mapped_column(String(40))
    buyer_id: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by: Mapped[str | None] = mapped_column(String(10))  # bot | agent | seller
    response_s: Mapped[int | None] = mapped_column(Integer)
    handoff: Mapped[str | None] = mapped_column(String(120))  # why a person got it (a reason code)
    sold_order_id: Mapped[str | None] = mapped_column(String(32))  # the order of the item by the buyer


class DashQuestionDay(Histogram, Base):
    """The questions of one account asked on one local day: counts, handoff reasons with their counts,
    and the histogram of the answered ones' response times."""

    __tablename__ = "dash_question_days"
    __table_args__ = (
        UniqueConstraint("account_id", "day"),
        Index("ix_dash_question_days_workspace_day", "workspace_id", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    day: Mapped[date] = mapped_column(Date)
    asked: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    by_bot: Mapped[int] = mapped_column(Integer, default=0)
    by_agent: Mapped[int] = mapped_column(Integer, default=0)
    by_seller: Mapped[int] = mapped_column(Integer, default=0)
    sold: Mapped[int] = mapped_column(Integer, default=0)
    handoffs: Mapped[dict[str, Any]] = mapped_column(JSON)


class DashChatTurn(Base):
    """One buyer turn in a post-sale chat: from the first buyer message after the seller's side last
    wrote, to the next message the seller's side sent."""

    __tablename__ = "dash_chat_turns"
    __table_args__ = (
        Index("ix_dash_chat_turns_account_day", "account_id", "day"),
        # Covers the turns still waiting, counted per day against their deadline, without the rows.
        Index("ix_dash_chat_turns_open", "account_id", "replied_at", "day", "deadline", "workspace_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    conversation_id: Mapped[int] = mapped_column(Integer, index=True)
    message_id: Mapped[int] = mapped_column(Integer, unique=True)  # the turn's first buyer message
    day: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())  # the reply window's end
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_by: Mapped[str | None] = mapped_column(String(10))
    response_s: Mapped[int | None] = mapped_column(Integer)


class DashChatVolume(Base):
    """Messages of one post-sale chat on one local day: received from the buyer, sent by the seller's side."""

    __tablename__ = "dash_chat_volume"
    __table_args__ = (
        UniqueConstraint("conversation_id", "day"),
        Index("ix_dash_chat_volume_account_day", "account_id", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    conversation_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    received: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)


class DashChatDay(Histogram, Base):
    """The post-sale chats of one account on one local day: volume, turns by their start day, replies
    within and outside the window, and a response-time histogram of the replied turns."""

    __tablename__ = "dash_chat_days"
    __table_args__ = (
        UniqueConstraint("account_id", "day"),
        Index("ix_dash_chat_days_workspace_day", "workspace_id", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    day: Mapped[date] = mapped_column(Date)
    received: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    turns: Mapped[int] = mapped_column(Integer, default=0)
    replied: Mapped[int] = mapped_column(Integer, default=0)
    in_window: Mapped[int] = mapped_column(Integer, default=0)


class ClaimCounts(Histogram):
    """What the claims of one group add up to: counted once in total (`dimension` "all") and once per
    value of each dimension they are grouped by (reason, category, type, stage, item); the histogram
    is of the time to the first response."""

    dimension: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(80))
    label: Mapped[str | None] = mapped_column(String(80))
    opened: Mapped[int] = mapped_column(Integer, default=0)
    responded: Mapped[int] = mapped_column(Integer, default=0)
    disputed: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    for_seller: Mapped[int] = mapped_column(Integer, default=0)
    for_buyer: Mapped[int] = mapped_column(Integer, default=0)
    affected: Mapped[int] = mapped_column(Integer, default=0)
    missed: Mapped[int] = mapped_column(Integer, default=0)  # a due date passed on the seller (§9.1)
    met: Mapped[int] = mapped_column(Integer, default=0)  # closed without a missed due date


class DashClaimDay(ClaimCounts, Base):
    """The claims of one account opened on one local day."""

    __tablename__ = "dash_claim_days"
    __table_args__ = (
        UniqueConstraint("account_id", "day", "dimension", "value"),
        # Covers "which values had most claims" without reading the rows (the items' top).
        Index(
            "ix_dash_claim_days_lookup", "workspace_id", "dimension", "day", "account_id", "value", "opened"
        ),
        Index("ix_dash_claim_days_value", "workspace_id", "dimension", "value", "day"),  # some values' rows
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    day: Mapped[date] = mapped_column(Date)


class DashClaimMonth(ClaimCounts, Base):
    """The claims of one account opened in one local month (`day` is its first day): the days' rows
    added up, so a year grouped by reason or item reads twelve months instead of 365 days."""

    __tablename__ = "dash_claim_months"
    __table_args__ = (
        UniqueConstraint("account_id", "day", "dimension", "value"),
        Index(
            "ix_dash_claim_months_lookup", "workspace_id", "dimension", "day", "account_id", "value", "opened"
        ),
        Index("ix_dash_claim_months_value", "workspace_id", "dimension", "value", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    day: Mapped[date] = mapped_column(Date)


class DashSale(Base):
    """An order of the seller as read from Mercado Libre's order search (§7.2): which buyer bought which
    item, and when — what tells a question that became a sale."""

    __tablename__ = "dash_sales"
    __table_args__ = (
        UniqueConstraint("account_id", "order_id"),
        Index("ix_dash_sales_buyer_item", "account_id", "buyer_id", "item_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    order_id: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[str | None] = mapped_column(String(40))
    buyer_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(30))
    sold_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DashReputation(Base):
    """The account's `seller_reputation` as last read from `/users/{id}` (§3.2), kept an hour."""

    __tablename__ = "dash_reputations"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the last read that worked
    level_id: Mapped[str | None] = mapped_column(String(30))
    power_seller_status: Mapped[str | None] = mapped_column(String(30))
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
