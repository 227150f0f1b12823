"""The dashboards' queries: what the folds read and write (`dashboards.rollups`, `dashboards.sales`) and
what the pages read. Channel names come in as arguments (the registry's); repositories flush, never
commit."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, case, delete, func, insert, literal, or_, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mostrador.store.models import Account, ClaimRecord, ContactIdentity, Conversation, Event, Message
from mostrador.store.models.dashboards import (
    HIST_COLUMNS,
    DashChatDay,
    DashChatTurn,
    DashChatVolume,
    DashClaimDay,
    DashClaimMonth,
    DashQuestion,
    DashQuestionDay,
    DashReputation,
    DashSale,
    DashWatermark,
)

AccountDay = tuple[int, date]
MONTH_KEYS = ("workspace_id", "account_id", "day", "dimension", "value")
Rows = Sequence[Any]  # Core rows: named tuples of the selected columns


# ---- watermarks and the fold's lease ---------------------------------------------------------------
def watermark(s: Session, name: str) -> DashWatermark:
    """The named watermark, created at zero the first time."""
    insert_ignore_watermark(s, name)
    found = s.get(DashWatermark, name, populate_existing=True)
    assert found is not None
    return found


def insert_ignore_watermark(s: Session, name: str) -> None:
    module: Any = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    stmt = module.insert(DashWatermark).values(name=name, position=0, settled=0)
    s.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))


def take_lease(s: Session, name: str, owner: str, now: datetime, until: datetime) -> bool:
    """Hold the named fold until `until`, unless someone else holds it now."""
    insert_ignore_watermark(s, name)
    result = s.execute(
        update(DashWatermark)
        .where(
            DashWatermark.name == name,
            or_(
                DashWatermark.lease_until.is_(None),
                DashWatermark.lease_until < now,
                DashWatermark.lease_owner == owner,
            ),
        )
        .values(lease_owner=owner, lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release_lease(s: Session, name: str, owner: str) -> None:
    s.execute(
        update(DashWatermark)
        .where(DashWatermark.name == name, DashWatermark.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


def watermarks(s: Session, names: Collection[str]) -> dict[str, DashWatermark]:
    return {w.name: w for w in s.scalars(select(DashWatermark).where(DashWatermark.name.in_(list(names))))}


# ---- what changed -----------------------------------------------------------------------------------
def last_event_id(s: Session) -> int:
    return int(s.scalar(select(func.max(Event.id))) or 0)


def changed_conversations(s: Session, after: int, upto: int) -> list[int]:
    """Conversations with an event (a message recorded, sent, handed off…) in (after, upto]."""
    stmt = (
        select(Event.conversation_id)
        .where(Event.id > after, Event.id <= upto, Event.conversation_id.is_not(None))
        .distinct()
    )
    return sorted(int(i) for i in s.scalars(stmt) if i is not None)


def conversations_after(s: Session, after: int, channels: Collection[str], limit: int) -> list[int]:
    """The next `limit` conversation ids of these channels (a first pass over everything)."""
    stmt = (
        select(Conversation.id)
        .where(Conversation.id > after, Conversation.channel.in_(list(channels)))
        .order_by(Conversation.id)
        .limit(limit)
    )
    return list(s.scalars(stmt))


def threads(s: Session, ids: Collection[int], channels: Collection[str]) -> Rows:
    """(id, workspace_id, account_id, channel, item_id, buyer) of these conversations, if of these
    channels; `buyer` is the contact's id in the channel (the buyer's Mercado Libre user id)."""
    stmt = (
        select(
            Conversation.id,
            Conversation.workspace_id,
            Conversation.account_id,
            Conversation.channel,
            Conversation.item_id,
            ContactIdentity.external_id,
        )
        .outerjoin(
            ContactIdentity,
            (ContactIdentity.contact_id == Conversation.contact_id)
            & (ContactIdentity.account_id == Conversation.account_id)
            & (ContactIdentity.channel == Conversation.channel),
        )
        .where(Conversation.id.in_(list(ids)), Conversation.channel.in_(list(channels)))
    )
    return s.execute(stmt).all()


def with_claim_record(s: Session, ids: Collection[int]) -> set[int]:
    """Which of these conversations are claims (they have a claim record)."""
    stmt = select(ClaimRecord.conversation_id).where(ClaimRecord.conversation_id.in_(list(ids)))
    return set(s.scalars(stmt))


def message_rows(s: Session, conversation_ids: Collection[int]) -> Rows:
    stmt = select(
        Message.id,
        Message.conversation_id,
        Message.direction,
        Message.author,
        Message.external_id,
        Message.status,
        Message.meta,
        Message.created_at,
        Message.sent_at,
    ).where(Message.conversation_id.in_(list(conversation_ids)))
    return s.execute(stmt).all()


def account_rows(s: Session, ids: Collection[int] | None = None) -> Rows:
    """(id, workspace_id, site_id, bot_config, nickname, status) of these accounts (all when None)."""
    stmt = select(
        Account.id,
        Account.workspace_id,
        Account.site_id,
        Account.bot_config,
        Account.nickname,
        Account.status,
    )
    if ids is not None:
        stmt = stmt.where(Account.id.in_(list(ids)))
    return s.execute(stmt.order_by(Account.id)).all()


def workspace_accounts(s: Session, workspace_id: int) -> Rows:
    stmt = select(Account.id, Account.workspace_id, Account.site_id, Account.nickname, Account.status)
    return s.execute(stmt.where(Account.workspace_id == workspace_id).order_by(Account.id)).all()


# ---- facts --------------------------------------------------------------------------------------------
def _insert(s: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Many rows in one executemany (Core: the ORM's bulk path would return every new id)."""
    if rows:
        s.connection().execute(insert(table.__table__), rows)


def _replace(
    s: Session, table: Any, conversation_ids: Collection[int], rows: list[dict[str, Any]]
) -> set[AccountDay]:
    """Replace a fact table's rows of these conversations; returns the (account, day) pairs they had."""
    ids = list(conversation_ids)
    old = s.execute(
        select(table.account_id, table.day).where(table.conversation_id.in_(ids)).distinct()
    ).all()
    s.execute(delete(table).where(table.conversation_id.in_(ids)))
    _insert(s, table, rows)
    return {(int(a), d) for a, d in old}


def replace_questions(
    s: Session, conversation_ids: Collection[int], rows: list[dict[str, Any]]
) -> set[AccountDay]:
    return _replace(s, DashQuestion, conversation_ids, rows)


def replace_turns(
    s: Session, conversation_ids: Collection[int], rows: list[dict[str, Any]]
) -> set[AccountDay]:
    return _replace(s, DashChatTurn, conversation_ids, rows)


def replace_volume(
    s: Session, conversation_ids: Collection[int], rows: list[dict[str, Any]]
) -> set[AccountDay]:
    return _replace(s, DashChatVolume, conversation_ids, rows)


def sales_of_buyers(s: Session, account_id: int, buyers: Collection[str]) -> Rows:
    """(buyer_id, item_id, order_id, sold_at, status) of the account's orders by these buyers."""
    stmt = select(
        DashSale.buyer_id, DashSale.item_id, DashSale.order_id, DashSale.sold_at, DashSale.status
    ).where(DashSale.account_id == account_id, DashSale.buyer_id.in_(list(buyers)))
    return s.execute(stmt).all()


def question_facts_on(s: Session, account_id: int, days: Collection[date]) -> Rows:
    """(day, answered_by, response_s, handoff, sold) of the account's questions asked on these days."""
    stmt = select(
        DashQuestion.day,
        DashQuestion.answered_by,
        DashQuestion.response_s,
        DashQuestion.handoff,
        DashQuestion.sold_order_id.is_not(None),
    ).where(DashQuestion.account_id == account_id, DashQuestion.day.in_(list(days)))
    return s.execute(stmt).all()


def turns_on(s: Session, account_id: int, days: Collection[date]) -> Rows:
    """(day, replied_at, deadline, response_s) of the account's chat turns started on these days."""
    stmt = select(
        DashChatTurn.day, DashChatTurn.replied_at, DashChatTurn.deadline, DashChatTurn.response_s
    ).where(DashChatTurn.account_id == account_id, DashChatTurn.day.in_(list(days)))
    return s.execute(stmt).all()


def volume_on(s: Session, account_id: int, days: Collection[date]) -> Rows:
    stmt = (
        select(DashChatVolume.day, func.sum(DashChatVolume.received), func.sum(DashChatVolume.sent))
        .where(DashChatVolume.account_id == account_id, DashChatVolume.day.in_(list(days)))
        .group_by(DashChatVolume.day)
    )
    return s.execute(stmt).all()


def put_days(
    s: Session, table: Any, account_id: int, days: Collection[date], rows: list[dict[str, Any]]
) -> None:
    """Replace an aggregate table's rows of the account on these days (a day with nothing left is dropped)."""
    s.execute(delete(table).where(table.account_id == account_id, table.day.in_(list(days))))
    _insert(s, table, rows)


QUESTION_DAYS, CHAT_DAYS, CLAIM_DAYS, CLAIM_MONTHS = (
    DashQuestionDay,
    DashChatDay,
    DashClaimDay,
    DashClaimMonth,
)


@dataclass(frozen=True)
class FactDays:
    questions: set[AccountDay]
    chats: set[AccountDay]


def fact_days(s: Session) -> FactDays:
    """Every (account, day) that has question facts, and every one that has chat facts."""

    def pairs(*tables: Any) -> set[AccountDay]:
        found: set[AccountDay] = set()
        for table in tables:
            found |= {(int(a), d) for a, d in s.execute(select(table.account_id, table.day).distinct())}
        return found

    return FactDays(pairs(DashQuestion), pairs(DashChatTurn, DashChatVolume))


def clear_days(s: Session, table: Any) -> None:
    """Forget an aggregate table (before it is rebuilt from the facts)."""
    s.execute(delete(table))


# ---- claims -------------------------------------------------------------------------------------------
def claims_changed_since(s: Session, since: datetime | None) -> Rows:
    """(account_id, workspace_id, opened_at) of the claim records changed after `since` (all when None)."""
    stmt = select(ClaimRecord.account_id, ClaimRecord.workspace_id, ClaimRecord.opened_at)
    if since is not None:
        stmt = stmt.where(ClaimRecord.updated_at > since)
    return s.execute(stmt).all()


def rebuild_claim_months(s: Session, account_id: int, months: Collection[date]) -> None:
    """Add the account's claim days up into their months (each month replaced as a whole)."""
    counts = [c.name for c in DashClaimDay.__table__.columns if c.name not in MONTH_KEYS and c.name != "id"]
    for month in sorted(months):
        after = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        s.execute(
            delete(DashClaimMonth).where(DashClaimMonth.account_id == account_id, DashClaimMonth.day == month)
        )
        days = DashClaimDay.__table__.c
        added = select(
            days.workspace_id,
            days.account_id,
            literal(month, Date).label("day"),
            days.dimension,
            days.value,
            func.max(days.label).label("label"),
            *[func.sum(days[name]).label(name) for name in counts if name != "label"],
        ).where(days.account_id == account_id, days.day >= month, days.day < after)
        added = added.group_by(days.workspace_id, days.account_id, days.dimension, days.value)
        names = ["workspace_id", "account_id", "day", "dimension", "value", "label"]
        names += [name for name in counts if name != "label"]
        s.execute(insert(DashClaimMonth).from_select(names, added))


def claims_opened(s: Session, workspace_id: int, account_id: int, start: datetime, end: datetime) -> Rows:
    stmt = select(
        ClaimRecord.type,
        ClaimRecord.stage,
        ClaimRecord.status,
        ClaimRecord.reason_id,
        ClaimRecord.reason_name,
        ClaimRecord.category,
        ClaimRecord.affects_reputation,
        ClaimRecord.item_id,
        ClaimRecord.opened_at,
        ClaimRecord.first_response_at,
        ClaimRecord.disputed_at,
        ClaimRecord.benefited,
        ClaimRecord.due_missed_at,
    ).where(
        ClaimRecord.workspace_id == workspace_id,
        ClaimRecord.opened_at >= start,
        ClaimRecord.opened_at < end,
        ClaimRecord.account_id == account_id,
    )
    return s.execute(stmt).all()


def open_affecting_claims(s: Session, workspace_id: int) -> Sequence[ClaimRecord]:
    """The workspace's open claims that count against reputation if they end against the seller (§9.3)."""
    stmt = (
        select(ClaimRecord)
        .where(
            ClaimRecord.workspace_id == workspace_id,
            ClaimRecord.status == "opened",
            ClaimRecord.affects_reputation == "affected",
        )
        .order_by(ClaimRecord.due_date.is_(None), ClaimRecord.due_date, ClaimRecord.opened_at)
    )
    return s.scalars(stmt).all()


# ---- what the pages read ------------------------------------------------------------------------------
GROUPABLE = ("account_id", "day", "value")


def full_months(start: date, end: date) -> tuple[date, date] | None:
    """The first days of the first and last whole months inside [start, end], if there are any."""
    first = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    after = end + timedelta(days=1)
    last_end = after.replace(day=1)  # the first day not in a whole month at the end
    if first >= last_end:
        return None
    return first, (last_end - timedelta(days=1)).replace(day=1)


def _rows_of(table: Any, keys: Sequence[str], counts: Sequence[str], where: Any) -> Any:
    cols = [table.__table__.c[name] for name in (*keys, *counts, *HIST_COLUMNS)]
    labels = [table.__table__.c.label] if "value" in keys else []
    return select(*cols, *labels).where(where)


def sums(
    s: Session,
    table: Any,
    workspace_id: int,
    account_ids: Collection[int],
    start: date,
    end: date,
    counts: Sequence[str],
    by: Sequence[str],
    *,
    dimension: str | None = None,
    values: Collection[str] | None = None,
    months: Any | None = None,
) -> Rows:
    """An aggregate table's counts and histogram columns added up over the period, grouped `by` some of
    (account_id, day, value); `value` rows also carry a `label`. With `months` (the table of the same
    rows by month) and no grouping by day, the whole months of the period are read from it."""
    if any(key not in GROUPABLE for key in by):
        raise ValueError(f"cannot group by {by}")

    def scope(t: Any, lo: date, hi: date) -> Any:
        cond = (
            (t.workspace_id == workspace_id)
            & t.account_id.in_(list(account_ids))
            & (t.day >= lo)
            & (t.day <= hi)
        )
        if dimension is not None:
            cond &= t.dimension == dimension
        if values is not None:
            cond &= t.value.in_(list(values))
        return cond

    whole = full_months(start, end) if months is not None and "day" not in by else None
    if whole is None:
        parts = [_rows_of(table, by, counts, scope(table, start, end))]
    else:
        first, last = whole
        after_last = (last.replace(day=28) + timedelta(days=4)).replace(day=1)
        parts = [
            _rows_of(table, by, counts, scope(table, start, first - timedelta(days=1))),
            _rows_of(months, by, counts, scope(months, first, last)),
            _rows_of(table, by, counts, scope(table, after_last, end)),
        ]
    rows = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    keys = [rows.c[key] for key in by]
    labels = [func.max(rows.c.label).label("label")] if "value" in by else []
    added = [func.sum(rows.c[name]).label(name) for name in (*counts, *HIST_COLUMNS)]
    return s.execute(select(*keys, *labels, *added).group_by(*keys)).all()


def top_values(
    s: Session,
    workspace_id: int,
    account_ids: Collection[int],
    start: date,
    end: date,
    dimension: str,
    limit: int,
) -> list[str]:
    """The values of a claims dimension with most claims opened in the period (read from the covering
    index of days and months alone)."""
    whole = full_months(start, end)
    sources: list[tuple[Any, date, date]] = [(DashClaimDay, start, end)]
    if whole is not None:
        first, last = whole
        after_last = (last.replace(day=28) + timedelta(days=4)).replace(day=1)
        sources = [
            (DashClaimDay, start, first - timedelta(days=1)),
            (DashClaimMonth, first, last),
            (DashClaimDay, after_last, end),
        ]
    parts = [
        select(t.value, t.opened).where(
            t.workspace_id == workspace_id,
            t.dimension == dimension,
            t.day >= lo,
            t.day <= hi,
            t.account_id.in_(list(account_ids)),
        )
        for t, lo, hi in sources
    ]
    rows = union_all(*parts).subquery()
    stmt = (
        select(rows.c.value)
        .group_by(rows.c.value)
        .order_by(func.sum(rows.c.opened).desc(), rows.c.value)
        .limit(limit)
    )
    return list(s.scalars(stmt))


def question_handoffs(
    s: Session, workspace_id: int, account_ids: Collection[int], start: date, end: date
) -> Rows:
    """(account_id, day, handoffs) of the period's question days (handoffs: reason → count)."""
    stmt = select(DashQuestionDay.account_id, DashQuestionDay.day, DashQuestionDay.handoffs).where(
        DashQuestionDay.workspace_id == workspace_id,
        DashQuestionDay.account_id.in_(list(account_ids)),
        DashQuestionDay.day >= start,
        DashQuestionDay.day <= end,
    )
    return s.execute(stmt).all()


def unreplied_turns(
    s: Session, workspace_id: int, account_ids: Collection[int], start: date, end: date, now: datetime
) -> Rows:
    """(account_id, day, overdue, waiting) of the period's turns still waiting for the seller's side:
    those whose reply window is over, and those still within it."""
    late = func.sum(case((DashChatTurn.deadline < now, 1), else_=0))
    stmt = (
        select(
            DashChatTurn.account_id,
            DashChatTurn.day,
            late.label("overdue"),
            (func.count() - late).label("waiting"),
        )
        .where(
            DashChatTurn.workspace_id == workspace_id,
            DashChatTurn.account_id.in_(list(account_ids)),
            DashChatTurn.day >= start,
            DashChatTurn.day <= end,
            DashChatTurn.replied_at.is_(None),
        )
        .group_by(DashChatTurn.account_id, DashChatTurn.day)
    )
    return s.execute(stmt).all()


# ---- the seller's orders ------------------------------------------------------------------------------
def accounts_asked_since(s: Session, account_ids: Collection[int], day: date) -> set[int]:
    """Which of these accounts had a question asked on `day` or later (by the folded question days)."""
    stmt = select(DashQuestionDay.account_id).where(DashQuestionDay.day >= day, DashQuestionDay.asked > 0)
    wanted = set(account_ids)
    return {a for a in s.scalars(stmt.distinct()) if a in wanted}


def known_orders(s: Session, account_id: int, order_ids: Iterable[str]) -> set[str]:
    stmt = select(DashSale.order_id).where(
        DashSale.account_id == account_id, DashSale.order_id.in_(list(order_ids))
    )
    return set(s.scalars(stmt))


def add_sales(s: Session, rows: list[dict[str, Any]]) -> None:
    """New orders; one another run stored meanwhile (two runs of the orders job overlapping, a read
    slower than the minute) is skipped instead of failing the run on the unique key."""
    if rows:
        module: Any = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
        stmt = module.insert(DashSale).on_conflict_do_nothing(index_elements=["account_id", "order_id"])
        s.connection().execute(stmt, rows)


def questions_of_buyers(s: Session, account_id: int, buyers: Collection[str]) -> Sequence[DashQuestion]:
    """The account's questions by these buyers (to link them to their later orders)."""
    stmt = select(DashQuestion).where(
        DashQuestion.account_id == account_id, DashQuestion.buyer_id.in_(list(buyers))
    )
    return s.scalars(stmt).all()


# ---- reputation -----------------------------------------------------------------------------------------
def reputations(s: Session, account_ids: Collection[int]) -> dict[int, DashReputation]:
    stmt = select(DashReputation).where(DashReputation.account_id.in_(list(account_ids)))
    return {r.account_id: r for r in s.scalars(stmt)}


def keep_reputation(s: Session, account_id: int, values: dict[str, Any]) -> None:
    """Store what was read (or why it could not be) for the account."""
    found = s.get(DashReputation, account_id)
    if found is None:
        s.add(DashReputation(account_id=account_id, **values))
    else:
        for key, value in values.items():
            setattr(found, key, value)
    s.flush()
