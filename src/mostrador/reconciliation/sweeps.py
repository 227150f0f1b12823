"""Reconciliation: what a lost webhook costs is minutes, not a sale.

- `reconcile_missed_feeds`: Mercado Libre keeps notifications that never got a 200 for two days
  (§4.5); each is fed through the same intake (so duplicates of what did arrive are ignored).
  Every topic of the channel registry is reconciled.
- `sweep_account`: each channel's own sweep (`Channel.sweep`) lists what Mercado Libre shows that
  Mostrador never recorded — unanswered questions, unread post-sale threads, open claims in a newer
  state — and each is fed through intake as if notified.
- `run_due` (the schedule) sweeps a slice: the accounts swept longest ago, each at most once every
  `sweep_account_every_s`, until the pass's time budget is spent — so a pass costs the same with ten
  accounts or ten thousand, never outlasts its interval, and never overlaps the next one's accounts.
  `run_all` and `run_workspace` (an operator's or an admin's "sync now") sweep every account.
Each run is recorded in `sync_runs` and shown on the accounts page.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from mostrador.accounts.seller_api import SellerApi
from mostrador.accounts.tokens import AccountUnavailable, TokenRefreshFailed
from mostrador.channels.base import Channel, Pointer
from mostrador.channels.registry import CHANNELS, TOPICS
from mostrador.context import AppContext
from mostrador.intake.service import accept
from mostrador.meli import errors as meli_errors
from mostrador.meli.models import Notification as NotificationEnvelope
from mostrador.store import accounts as accounts_store
from mostrador.store import operations as operations_store
from mostrador.store.db import transaction
from mostrador.store.models import utcnow

log = logging.getLogger(__name__)
PAGE = 50
MAX_PAGES = 40  # 2,000 per topic and run; the next run continues
SWEEP_ERRORS = (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed)


@dataclass
class _Run:
    id: int
    found: int = 0


@contextlib.asynccontextmanager
async def _recorded_run(ctx: AppContext, kind: str, account_id: int | None) -> AsyncIterator[_Run]:
    """A `sync_runs` row around one run: what it found, and how it ended.

    A run per account that ends well also stamps the account's last sync.
    """
    run = _Run(await asyncio.to_thread(_start, ctx, kind, account_id))
    try:
        yield run
    except SWEEP_ERRORS as exc:
        await asyncio.to_thread(_finish, ctx, run.id, run.found, "failed", str(exc))
        raise
    await asyncio.to_thread(_finish, ctx, run.id, run.found, "ok", None, account_id)


async def reconcile_missed_feeds(ctx: AppContext) -> int:
    """Feed every missed notification of our topics back through intake; returns how many were new."""
    account_id = await asyncio.to_thread(_any_active_account, ctx)
    if account_id is None:
        return 0
    api = await SellerApi.open(ctx, account_id)
    async with _recorded_run(ctx, "missed_feeds", None) as run:
        for topic in TOPICS:
            for page in range(MAX_PAGES):
                feeds = await api.call(
                    api.meli.get_missed_feeds,
                    ctx.settings.meli_client_id,
                    topic=topic,
                    offset=page * PAGE,
                    limit=PAGE,
                )
                run.found += await asyncio.to_thread(_feed, ctx, feeds.messages)
                if len(feeds.messages) < PAGE:
                    break
    return run.found


async def sweep_account(ctx: AppContext, account_id: int, channel: Channel) -> int:
    """One channel's sweep of one account; returns how many resources were new to us."""
    async with _recorded_run(ctx, f"sweep_{channel.name}", account_id) as run:
        api = await SellerApi.open(ctx, account_id)
        pointers = await channel.sweep(ctx, api)
        run.found = await asyncio.to_thread(_inject_all, ctx, run.id, api.seller_id, pointers)
    return run.found


async def run_due(ctx: AppContext, budget_s: float) -> dict[str, int]:
    """The scheduled pass: the missed feeds, then the accounts due a sweep, swept longest ago first,
    until `budget_s` has passed (an account already started is finished). Each account is claimed
    before it is swept, so a pass still running when the next starts never sweeps the same account."""
    totals = {"missed_feeds": 0, "swept": 0, "failed": 0, "accounts": 0}
    deadline = time.monotonic() + budget_s
    try:
        totals["missed_feeds"] = await reconcile_missed_feeds(ctx)
    except SWEEP_ERRORS:
        totals["failed"] += 1
    # Due: last swept before this pass began, less the interval — so a pass takes each account once
    # even with an interval of 0.
    swept_before = utcnow() - timedelta(seconds=ctx.settings.sweep_account_every_s)
    while time.monotonic() < deadline:
        account_id = await asyncio.to_thread(_claim_due, ctx, swept_before)
        if account_id is None:
            break
        totals["accounts"] += 1
        await _sweep_accounts(ctx, [account_id], totals)
    return totals


async def run_all(ctx: AppContext) -> dict[str, int]:
    """Every safety net over every account at once; a failing account or sweep does not stop the
    others."""
    totals = {"missed_feeds": 0, "swept": 0, "failed": 0}
    try:
        totals["missed_feeds"] = await reconcile_missed_feeds(ctx)
    except SWEEP_ERRORS:
        totals["failed"] += 1
    account_ids = await asyncio.to_thread(_active_account_ids, ctx, None)
    await asyncio.to_thread(_mark_swept, ctx, account_ids)
    await _sweep_accounts(ctx, account_ids, totals)
    return totals


async def run_workspace(ctx: AppContext, workspace_id: int) -> dict[str, int]:
    """The sweeps of one workspace's accounts (an admin's "sync now"): never another workspace's, and
    not the application-wide missed feeds, which the schedule reconciles."""
    totals = {"missed_feeds": 0, "swept": 0, "failed": 0}
    account_ids = await asyncio.to_thread(_active_account_ids, ctx, workspace_id)
    await asyncio.to_thread(_mark_swept, ctx, account_ids)
    await _sweep_accounts(ctx, account_ids, totals)
    return totals


async def _sweep_accounts(ctx: AppContext, account_ids: list[int], totals: dict[str, int]) -> None:
    for account_id in account_ids:
        for channel in CHANNELS:
            try:
                totals["swept"] += await sweep_account(ctx, account_id, channel)
            except SWEEP_ERRORS as exc:
                log.warning("%s sweep of account %s failed: %s", channel.name, account_id, exc)
                totals["failed"] += 1


# ---- synchronous parts ---------------------------------------------------------------------------
def _any_active_account(ctx: AppContext) -> int | None:
    with transaction(ctx.sessions) as s:
        return accounts_store.first_active_account_id(s)


def _claim_due(ctx: AppContext, swept_before: datetime) -> int | None:
    with transaction(ctx.sessions) as s:
        return accounts_store.claim_sweep(s, swept_before, utcnow())


def _mark_swept(ctx: AppContext, account_ids: list[int]) -> None:
    with transaction(ctx.sessions) as s:
        accounts_store.mark_swept(s, account_ids, utcnow())


def _active_account_ids(ctx: AppContext, workspace_id: int | None) -> list[int]:
    with transaction(ctx.sessions) as s:
        return accounts_store.active_account_ids(s, workspace_id)


def _feed(ctx: AppContext, entries: Iterable[NotificationEnvelope]) -> int:
    new = 0
    for entry in entries:
        raw = entry.model_dump(mode="json", by_alias=True, exclude={"request", "response"})
        if (
            accept(ctx.engine, entry, raw, ctx.settings.meli_client_id, source="missed_feeds").outcome
            == "accepted"
        ):
            new += 1
    return new


def _inject_all(ctx: AppContext, run_id: int, seller_id: int, pointers: list[Pointer]) -> int:
    return sum(_inject(ctx, run_id, seller_id, p) for p in pointers)


def _inject(ctx: AppContext, run_id: int, seller_id: int, pointer: Pointer) -> int:
    """Feed a notification the webhook never brought through the same intake; 1 if it was new."""
    # One id per run: a resource whose earlier workflow failed before recording it is tried again.
    raw = {
        "_id": f"sweep:{run_id}:{pointer.topic}:{pointer.resource_id}",
        "resource": pointer.resource,
        "user_id": seller_id,
        "topic": pointer.topic,
        "application_id": int(ctx.settings.meli_client_id),
        "received": utcnow().isoformat(),
    }
    n = NotificationEnvelope.model_validate(raw)
    outcome = accept(ctx.engine, n, raw, ctx.settings.meli_client_id, source="sweep").outcome
    return 1 if outcome == "accepted" else 0


def _start(ctx: AppContext, kind: str, account_id: int | None) -> int:
    with transaction(ctx.sessions) as s:
        return operations_store.start_sync_run(s, kind, account_id).id


def _finish(
    ctx: AppContext, run_id: int, found: int, status: str, detail: str | None, account_id: int | None = None
) -> None:
    with transaction(ctx.sessions) as s:
        operations_store.finish_sync_run(s, run_id, found, status, detail, account_id)
