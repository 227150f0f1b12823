"""Folding what changed into the dashboards' facts and daily aggregates, so a page over a million
questions adds up a few hundred rows instead of reading a million.

- **Conversations.** Every change to a conversation leaves an event (`events`: a message recorded,
  sent, failed; a handoff). A fold reads the conversations named by events after its watermark,
  recomputes their facts from their messages (`dashboards.facts`), and recomputes the daily
  aggregates of every (account, day) those facts had or have. Recomputing, never adding, makes a
  fold idempotent: reading an event twice costs time, not correctness. Events are read again from a
  position that was already visible `LOOKBACK` ago, because on PostgreSQL a transaction can commit
  after one with a higher event id. The first fold walks every conversation by id (a backfill that
  may span several runs; events meanwhile are read after it).
- **Claims.** Claim records carry `updated_at`; a fold takes the records changed since its last run
  (less `LOOKBACK`) and recomputes the (account, day) aggregates they fall on.

One fold runs at a time across processes (a lease on a watermark row). `refresh` is called by the
dashboards' schedule (`workflows/dashboards.py`) and by tests.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from mostrador.channels.registry import CHANNELS
from mostrador.context import AppContext
from mostrador.conversations import calendar
from mostrador.dashboards import aggregate, facts
from mostrador.store import dashboards as store
from mostrador.store.db import transaction
from mostrador.store.models import utcnow

log = logging.getLogger(__name__)
ANSWERS, CHAT = "answers", "chat"  # channels.base.Presentation.layout
LOOKBACK = timedelta(minutes=5)
LEASE = timedelta(minutes=5)
BATCH = 1_000  # conversations per transaction
BUDGET = timedelta(seconds=45)  # a run stops taking new batches after this; the next one continues
LOCK, CONVERSATIONS, CLAIMS = "fold", "conversations", "claim_records"


def channels_with(layout: str) -> list[str]:
    """The registry's channels shown with a layout: `answers` (questions), `chat` (post-sale, claims)."""
    return [c.name for c in CHANNELS if c.presentation.layout == layout]


@dataclass
class FoldReport:
    """What one run did (a DBOS step's recorded result)."""

    ran: bool = True
    conversations: int = 0
    claim_days: int = 0
    backfilling: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class AccountInfo:
    workspace_id: int
    zone: ZoneInfo
    hours: calendar.Hours


class Accounts:
    """Each account's local zone and business hours, read once per run."""

    def __init__(self) -> None:
        self._known: dict[int, AccountInfo] = {}

    def load(self, s: Session, ids: Iterable[int]) -> None:
        missing = set(ids) - self._known.keys()
        for account_id, workspace_id, site_id, bot_config, *_ in (
            store.account_rows(s, missing) if missing else []
        ):
            self._known[account_id] = AccountInfo(
                workspace_id, calendar.site_zone(site_id), calendar.business_hours(bot_config, site_id)
            )

    def __getitem__(self, account_id: int) -> AccountInfo:
        return self._known[account_id]


def refresh(ctx: AppContext, budget: timedelta = BUDGET, batch: int = BATCH) -> FoldReport:
    """Fold what changed since the last run; a run already under way elsewhere makes this one a no-op.
    A first pass stops taking batches of `batch` conversations once `budget` is spent (one at least)."""
    began = time.monotonic()
    started = utcnow()
    owner = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    with transaction(ctx.sessions) as s:
        if not store.take_lease(s, LOCK, owner, started, started + LEASE):
            return FoldReport(ran=False)
    try:
        report = FoldReport()
        accounts = Accounts()
        report.conversations, report.backfilling = _fold_conversations(
            ctx, accounts, started, began + budget.total_seconds(), owner, batch
        )
        report.claim_days = _fold_claims(ctx, accounts, started, owner)
    finally:
        with transaction(ctx.sessions) as s:
            store.release_lease(s, LOCK, owner)
    report.seconds = round(time.monotonic() - began, 3)
    log.info("dashboards fold: %s", report.to_dict())
    return report


# ---- conversations ----------------------------------------------------------------------------------
@dataclass
class Dirty:
    """The (account, day) aggregates a batch of facts touched."""

    questions: set[store.AccountDay] = field(default_factory=set)
    chats: set[store.AccountDay] = field(default_factory=set)


def _renew(s: Session, owner: str) -> None:
    """Keep the lease while a long fold (a backfill) goes on."""
    now = utcnow()
    store.take_lease(s, LOCK, owner, now, now + LEASE)


def _fold_conversations(
    ctx: AppContext, accounts: Accounts, started: datetime, stop_at: float, owner: str, batch: int
) -> tuple[int, bool]:
    answers, chats = channels_with(ANSWERS), channels_with(CHAT)
    with transaction(ctx.sessions) as s:
        mark = store.watermark(s, CONVERSATIONS)
        top = store.last_event_id(s)
        if mark.folded_at is None and mark.backfill is None:
            # First run: walk every conversation; events from now on are read after it.
            mark.backfill, mark.position, mark.settled, mark.position_at = 0, top, top, started
        backfill, settled = mark.backfill, mark.settled
    folded = 0
    if backfill is not None:
        # The facts first, batch by batch (every batch touches days all over the year), then every
        # day once: a run that stops half-way leaves the cursor, and the last one rebuilds all days.
        while backfill is not None:
            with transaction(ctx.sessions) as s:
                _renew(s, owner)
                ids = store.conversations_after(s, backfill, answers + chats, batch)
                folded += fold_conversations(s, ids, accounts, answers, chats, Dirty())
                backfill = ids[-1] if ids else None
                store.watermark(s, CONVERSATIONS).backfill = backfill
            if backfill is not None and time.monotonic() > stop_at:
                return folded, True
        _rebuild_all_days(ctx, accounts, owner)
    with transaction(ctx.sessions) as s:
        changed = store.changed_conversations(s, settled, top)
    for start in range(0, len(changed), batch):
        with transaction(ctx.sessions) as s:
            _renew(s, owner)
            dirty = Dirty()
            folded += fold_conversations(s, changed[start : start + batch], accounts, answers, chats, dirty)
            rebuild_question_days(s, dirty.questions, accounts)
            rebuild_chat_days(s, dirty.chats, accounts)
    with transaction(ctx.sessions) as s:
        mark = store.watermark(s, CONVERSATIONS)
        if mark.position_at is None or mark.position_at <= started - LOOKBACK:
            mark.settled, mark.position, mark.position_at = mark.position, top, started
        mark.folded_at = started
    return folded, False


def fold_conversations(
    s: Session, ids: Sequence[int], accounts: Accounts, answers: list[str], chats: list[str], dirty: Dirty
) -> int:
    """Recompute the facts of these conversations, adding the (account, day) pairs they had or have to
    `dirty`; returns how many conversations were of a dashboard's channels."""
    if not ids:
        return 0
    rows = store.threads(s, ids, answers + chats)
    claims = store.with_claim_record(s, [r.id for r in rows if r.channel in chats])
    question_threads = [_thread(r) for r in rows if r.channel in answers]
    # Post-sale chats: the chat channels' threads that are not claims (claims have their own dashboard).
    chat_threads = [_thread(r) for r in rows if r.channel in chats and r.id not in claims]
    wanted = [t.id for t in question_threads + chat_threads]
    by_conversation: dict[int, list[facts.MessageRow]] = defaultdict(list)
    for m in store.message_rows(s, wanted) if wanted else []:
        by_conversation[m.conversation_id].append(facts.MessageRow(*m))
    accounts.load(s, {t.account_id for t in question_threads + chat_threads})
    if question_threads:
        dirty.questions |= _fold_questions(s, question_threads, by_conversation, accounts)
    if chat_threads:
        dirty.chats |= _fold_chats(s, chat_threads, by_conversation, accounts)
    return len(wanted)


def _thread(row: Any) -> facts.Thread:
    return facts.Thread(row.id, row.workspace_id, row.account_id, row.item_id, row.external_id)


def _fold_questions(
    s: Session, threads: list[facts.Thread], messages: dict[int, list[facts.MessageRow]], accounts: Accounts
) -> set[store.AccountDay]:
    found = [
        q for t in threads for q in facts.questions_of(t, messages.get(t.id, []), accounts[t.account_id].zone)
    ]
    rows = [dict(q.__dict__, sold_order_id=None) for q in found]
    link_questions(s, rows)
    dirty = store.replace_questions(s, [t.id for t in threads], rows)
    return dirty | {(r["account_id"], r["day"]) for r in rows}


def _fold_chats(
    s: Session, threads: list[facts.Thread], messages: dict[int, list[facts.MessageRow]], accounts: Accounts
) -> set[store.AccountDay]:
    turns, volume = [], []
    for t in threads:
        info = accounts[t.account_id]
        found = messages.get(t.id, [])
        turns += [dict(turn.__dict__) for turn in facts.turns_of(t, found, info.zone, info.hours)]
        volume += [
            {"account_id": t.account_id, "conversation_id": t.id, "day": day, "received": r, "sent": n}
            for day, (r, n) in facts.volume_of(found, info.zone).items()
        ]
    ids = [t.id for t in threads]
    dirty = store.replace_turns(s, ids, turns) | store.replace_volume(s, ids, volume)
    return dirty | {(r["account_id"], r["day"]) for r in turns + volume}


def rebuild_question_days(s: Session, dirty: set[store.AccountDay], accounts: Accounts) -> None:
    accounts.load(s, {account_id for account_id, _day in dirty})
    for account_id, days in _by_account(dirty).items():
        workspace_id = accounts[account_id].workspace_id
        rows = aggregate.question_days(account_id, workspace_id, store.question_facts_on(s, account_id, days))
        store.put_days(s, store.QUESTION_DAYS, account_id, days, rows)


def rebuild_chat_days(s: Session, dirty: set[store.AccountDay], accounts: Accounts) -> None:
    accounts.load(s, {account_id for account_id, _day in dirty})
    for account_id, days in _by_account(dirty).items():
        workspace_id = accounts[account_id].workspace_id
        rows = aggregate.chat_days(
            account_id,
            workspace_id,
            store.turns_on(s, account_id, days),
            store.volume_on(s, account_id, days),
        )
        store.put_days(s, store.CHAT_DAYS, account_id, days, rows)


def _rebuild_all_days(ctx: AppContext, accounts: Accounts, owner: str) -> None:
    """Every question and chat day of every account, from the facts (after a backfill)."""
    with transaction(ctx.sessions) as s:
        found = store.fact_days(s)
        accounts.load(s, {account_id for account_id, _day in found.questions | found.chats})
        store.clear_days(s, store.QUESTION_DAYS)
        store.clear_days(s, store.CHAT_DAYS)
    for rebuild, dirty in ((rebuild_question_days, found.questions), (rebuild_chat_days, found.chats)):
        for account_id, days in _by_account(dirty).items():
            for window in _windows(days):
                with transaction(ctx.sessions) as s:
                    _renew(s, owner)
                    rebuild(s, {(account_id, day) for day in window}, accounts)


# ---- questions that became sales --------------------------------------------------------------------
ATTRIBUTION = timedelta(days=30)  # an order of the item by the buyer this long after the question
NOT_SALES = frozenset({"cancelled", "invalid"})  # §7.1 order statuses that are no sale


def _sold(asked_at: datetime, sales: list[Any]) -> str | None:
    """The first order (sold_at, order_id, status) placed from the question until ATTRIBUTION after."""
    for sold_at, order_id, status in sales:
        if asked_at <= sold_at <= asked_at + ATTRIBUTION and status not in NOT_SALES:
            return str(order_id)
    return None


def _sales_index(s: Session, account_id: int, buyers: set[str]) -> dict[tuple[str, str], list[Any]]:
    index: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for buyer, item, order_id, sold_at, status in store.sales_of_buyers(s, account_id, buyers):
        index[(buyer, item)].append((sold_at, order_id, status))
    for sales in index.values():
        sales.sort()
    return index


def link_questions(s: Session, rows: list[dict[str, Any]]) -> None:
    """Mark each question fact (as a row to insert) with the order that followed it, if one did."""
    by_account: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["buyer_id"] and row["item_id"]:
            by_account[row["account_id"]].append(row)
    for account_id, found in by_account.items():
        index = _sales_index(s, account_id, {r["buyer_id"] for r in found})
        for row in found:
            row["sold_order_id"] = _sold(row["asked_at"], index.get((row["buyer_id"], row["item_id"]), []))


def sales_arrived(s: Session, account_id: int, buyers: set[str]) -> int:
    """Orders of these buyers were just stored: link their questions again and recompute the days that
    changed; returns how many questions became sales."""
    if not buyers:
        return 0
    index = _sales_index(s, account_id, buyers)
    dirty: set[store.AccountDay] = set()
    became = 0
    for question in store.questions_of_buyers(s, account_id, buyers):
        sold = _sold(question.asked_at, index.get((question.buyer_id or "", question.item_id or ""), []))
        if sold != question.sold_order_id:
            became += int(question.sold_order_id is None)
            question.sold_order_id = sold
            dirty.add((account_id, question.day))
    s.flush()
    rebuild_question_days(s, dirty, Accounts())
    return became


# ---- claims -----------------------------------------------------------------------------------------
def _fold_claims(ctx: AppContext, accounts: Accounts, started: datetime, owner: str) -> int:
    with transaction(ctx.sessions) as s:
        mark = store.watermark(s, CLAIMS)
        since = mark.since - LOOKBACK if mark.since is not None else None
        changed = store.claims_changed_since(s, since)
        accounts.load(s, {account_id for account_id, _ws, _at in changed})
        dirty = {
            (account_id, calendar.local_day(opened_at, accounts[account_id].zone))
            for account_id, _ws, opened_at in changed
        }
    for account_id, days in _by_account(dirty).items():
        for window in _windows(days):
            with transaction(ctx.sessions) as s:
                _renew(s, owner)
                rebuild_claim_days(s, account_id, window, accounts[account_id])
    with transaction(ctx.sessions) as s:
        mark = store.watermark(s, CLAIMS)
        mark.since = mark.folded_at = started
    return len(dirty)


def rebuild_claim_days(s: Session, account_id: int, days: list[date], info: AccountInfo) -> None:
    """Recompute the account's claim aggregates of these days (one read of the days they span)."""
    begins, _ = calendar.day_bounds(days[0], info.zone)
    _, ends = calendar.day_bounds(days[-1], info.zone)
    by_day: dict[date, list[aggregate.ClaimRow]] = defaultdict(list)
    for row in store.claims_opened(s, info.workspace_id, account_id, begins, ends):
        claim = aggregate.ClaimRow(*row)
        by_day[calendar.local_day(claim.opened_at, info.zone)].append(claim)
    rows = [
        r
        for day in days
        for r in aggregate.claim_days(account_id, info.workspace_id, day, by_day.get(day, []))
    ]
    store.put_days(s, store.CLAIM_DAYS, account_id, days, rows)
    store.rebuild_claim_months(s, account_id, {day.replace(day=1) for day in days})


def _windows(days: list[date], span: int = 31) -> list[list[date]]:
    """Sorted days cut into runs no longer than `span` days (each read as one range)."""
    windows: list[list[date]] = []
    for day in days:
        if windows and (day - windows[-1][0]).days < span:
            windows[-1].append(day)
        else:
            windows.append([day])
    return windows


# ---- helpers ----------------------------------------------------------------------------------------
def _by_account(pairs: Iterable[store.AccountDay]) -> dict[int, list[date]]:
    grouped: dict[int, list[date]] = defaultdict(list)
    for account_id, day in sorted(pairs):
        grouped[account_id].append(day)
    return grouped
