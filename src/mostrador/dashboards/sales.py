"""The seller's recent orders, read from Mercado Libre's order search (§7.2), so the questions dashboard
can tell which questions became sales: a question from buyer B on item I followed, within
`rollups.ATTRIBUTION`, by an order of I by B.

Orders are not a channel (their notifications are acknowledged and ignored, docs/channels.md), so a
scheduled job reads each account's newest orders every `EVERY`: newest first, until it reaches orders
older than the newest one it already has (less an hour of overlap), or `FIRST_REACH` back (on the first
read, or after a long pause), at most `MAX_PAGES` pages a run. An order cancelled after it was read
still counts. Only accounts asked a question within `ATTRIBUTION` are read (no other order can follow a
question), the ones read longest ago first, for at most `BUDGET` a run: with thousands of accounts a run
never outlasts the minute between runs, and the ones it did not reach come first in the next.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from mostrador.accounts.seller_api import SellerApi
from mostrador.accounts.tokens import AccountUnavailable, TokenRefreshFailed
from mostrador.context import AppContext
from mostrador.dashboards import rollups
from mostrador.meli import errors as meli_errors
from mostrador.meli.models import Order
from mostrador.store import accounts as accounts_store
from mostrador.store import dashboards as store
from mostrador.store.db import transaction
from mostrador.store.models import utcnow

log = logging.getLogger(__name__)
PAGE = 50  # §7.2 default
MAX_PAGES = 20
EVERY = timedelta(minutes=10)
BUDGET_S = 40.0  # of the minute between the schedule's runs
FIRST_REACH = rollups.ATTRIBUTION * 2
OVERLAP = timedelta(hours=1)
ERRORS = (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed)


def mark_name(account_id: int) -> str:
    return f"sales:{account_id}"


async def fetch(ctx: AppContext, account_id: int) -> int:
    """Read the account's new orders and store them; returns how many questions became sales."""
    now = utcnow()
    since = await asyncio.to_thread(_newest, ctx, account_id)
    stop = max(since - OVERLAP, now - FIRST_REACH) if since is not None else now - FIRST_REACH
    api = await SellerApi.open(ctx, account_id)
    orders: list[Order] = []
    for page in range(MAX_PAGES):
        found = await api.call(
            api.meli.search_orders, seller_id=api.seller_id, offset=page * PAGE, limit=PAGE
        )
        orders += found.results
        dates = [_when(o) for o in found.results]
        if len(found.results) < PAGE or any(d is not None and d < stop for d in dates):
            break
    return await asyncio.to_thread(_keep, ctx, account_id, orders, now)


async def fetch_due(ctx: AppContext, budget_s: float = BUDGET_S) -> dict[str, int]:
    """The accounts due a read (see the module), read longest ago first, until `budget_s` has passed;
    a failing one is logged and waits `EVERY` like one read."""
    totals = {"accounts": 0, "sold": 0, "failed": 0}
    deadline = time.monotonic() + budget_s
    for account_id in await asyncio.to_thread(due_accounts, ctx, utcnow()):
        if time.monotonic() >= deadline:
            break
        try:
            totals["sold"] += await fetch(ctx, account_id)
            totals["accounts"] += 1
        except ERRORS as exc:
            log.warning("orders of account %s could not be read: %s", account_id, exc)
            totals["failed"] += 1
            # Its turn is spent: otherwise it stays first in every run, and a few slow failures (time-outs
            # retried) would spend each run's budget before any other account. Nothing is lost: the next
            # read still reaches back to the newest order it has.
            await asyncio.to_thread(_tried, ctx, account_id, utcnow())
    return totals


def _when(order: Order) -> datetime | None:
    return order.date_closed or order.date_created


def _newest(ctx: AppContext, account_id: int) -> datetime | None:
    with transaction(ctx.sessions) as s:
        return store.watermark(s, mark_name(account_id)).since


def due_accounts(ctx: AppContext, now: datetime) -> list[int]:
    """Active accounts asked a question within ATTRIBUTION whose orders were last read `EVERY` ago or
    more (never read first, then the oldest read)."""
    with transaction(ctx.sessions) as s:
        ids = accounts_store.active_account_ids(s)
        # Question days are the account's local days (behind UTC on every Mercado Libre site): a question
        # asked within the window early in a UTC day is on the local day before, so one day earlier.
        cutoff = (now - rollups.ATTRIBUTION).date() - timedelta(days=1)
        asked = store.accounts_asked_since(s, ids, cutoff)
        marks = store.watermarks(s, [mark_name(i) for i in asked])
    due: list[tuple[datetime | None, int]] = []
    for account_id in ids:
        if account_id not in asked:
            continue
        mark = marks.get(mark_name(account_id))
        read_at = mark.position_at if mark is not None else None
        if read_at is None or read_at <= now - EVERY:
            due.append((read_at, account_id))
    due.sort(key=lambda d: (d[0] is not None, d[0] or now, d[1]))
    return [account_id for _read_at, account_id in due]


def _tried(ctx: AppContext, account_id: int, now: datetime) -> None:
    with transaction(ctx.sessions) as s:
        store.watermark(s, mark_name(account_id)).position_at = now


def _keep(ctx: AppContext, account_id: int, orders: list[Order], now: datetime) -> int:
    with transaction(ctx.sessions) as s:
        known = store.known_orders(s, account_id, [str(o.id) for o in orders])
        rows: dict[str, dict[str, Any]] = {}
        for order in orders:
            key = str(order.id)
            if key in known or key in rows:
                continue
            rows[key] = {
                "account_id": account_id,
                "order_id": key,
                "item_id": order.order_items[0].item.id if order.order_items else None,
                "buyer_id": str(order.buyer.id) if order.buyer is not None else None,
                "status": order.status,
                "sold_at": order.date_created or _when(order) or now,
            }
        store.add_sales(s, list(rows.values()))
        mark = store.watermark(s, mark_name(account_id))
        newest = max((r["sold_at"] for r in rows.values()), default=None)
        if newest is not None and (mark.since is None or newest > mark.since):
            mark.since = newest
        mark.position_at = now
        buyers = {r["buyer_id"] for r in rows.values() if r["buyer_id"]}
        return rollups.sales_arrived(s, account_id, buyers)
