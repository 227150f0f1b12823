"""Safety nets: what a lost webhook costs is minutes, not a sale.

- `reconcile_missed_feeds`: Mercado Libre keeps notifications that never got a 200 for two days
  (§4.5); each is fed through the same intake (so duplicates of what did arrive are ignored).
- `sweep_account`: questions still UNANSWERED at Mercado Libre that Mostrador has never seen (a
  webhook dropped, or a topic switched off, §4.4) are recorded as if notified.
Each run is recorded in `sync_runs` and shown on the accounts page.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select

from mostrador.accounts.tokens import AccountUnavailable, TokenRefreshFailed, call_with_token
from mostrador.context import AppContext
from mostrador.intake.service import accept
from mostrador.meli import errors as meli_errors
from mostrador.meli.models import Notification as NotificationEnvelope
from mostrador.store import repositories as repo
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, Message, Notification, SyncRun, utcnow

log = logging.getLogger(__name__)
RECONCILED_TOPICS = ("questions",)
PAGE = 50
MAX_PAGES = 40  # 2,000 per topic and run; the next run continues
IN_FLIGHT_GRACE = timedelta(minutes=15)


async def reconcile_missed_feeds(ctx: AppContext) -> int:
    """Feed every missed notification of our topics back through intake; returns how many were new."""
    account_id = await asyncio.to_thread(_any_active_account, ctx)
    if account_id is None:
        return 0
    run_id = await asyncio.to_thread(_start, ctx, "missed_feeds", None)
    found = 0
    try:
        for topic in RECONCILED_TOPICS:
            for page in range(MAX_PAGES):
                feeds = await call_with_token(
                    ctx,
                    account_id,
                    lambda t, topic=topic, page=page: ctx.meli.get_missed_feeds(  # type: ignore[misc]
                        ctx.settings.meli_client_id, t, topic=topic, offset=page * PAGE, limit=PAGE
                    ),
                )
                found += await asyncio.to_thread(_feed, ctx, feeds.messages)
                if len(feeds.messages) < PAGE:
                    break
    except (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed) as exc:
        await asyncio.to_thread(_finish, ctx, run_id, found, "failed", str(exc))
        raise
    await asyncio.to_thread(_finish, ctx, run_id, found, "ok", None)
    return found


async def sweep_account(ctx: AppContext, account_id: int) -> int:
    """Record unanswered questions we never saw; returns how many were new to us."""
    run_id = await asyncio.to_thread(_start, ctx, "sweep_questions", account_id)
    found = 0
    try:
        seller_id = await asyncio.to_thread(_seller_id, ctx, account_id)
        offset = 0
        while offset < 1000:  # the search cannot page past 1,000 results (§5.1)
            page = await call_with_token(
                ctx,
                account_id,
                lambda t, offset=offset: ctx.meli.search_questions(  # type: ignore[misc]
                    t,
                    seller_id=seller_id,
                    status="UNANSWERED",
                    offset=offset,
                    limit=PAGE,
                    sort_fields="date_created",
                    sort_types="ASC",
                ),
            )
            ids = [q.id for q in page.questions]
            found += await asyncio.to_thread(_record_unseen_questions, ctx, seller_id, ids, run_id)
            offset += PAGE
            if len(page.questions) < PAGE:
                break
    except (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed) as exc:
        await asyncio.to_thread(_finish, ctx, run_id, found, "failed", str(exc))
        raise
    await asyncio.to_thread(_finish, ctx, run_id, found, "ok", None, account_id)
    return found


async def run_all(ctx: AppContext) -> dict[str, int]:
    """One pass of every safety net; a failing account does not stop the others."""
    totals = {"missed_feeds": 0, "swept": 0, "failed": 0}
    try:
        totals["missed_feeds"] = await reconcile_missed_feeds(ctx)
    except (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed):
        totals["failed"] += 1
    for account_id in await asyncio.to_thread(_active_account_ids, ctx):
        try:
            totals["swept"] += await sweep_account(ctx, account_id)
        except (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed) as exc:
            log.warning("sweep of account %s failed: %s", account_id, exc)
            totals["failed"] += 1
    return totals


# ---- synchronous parts ---------------------------------------------------------------------------
def _any_active_account(ctx: AppContext) -> int | None:
    with transaction(ctx.sessions) as s:
        return s.scalar(select(Account.id).where(Account.status == "active").order_by(Account.id).limit(1))


def _active_account_ids(ctx: AppContext) -> list[int]:
    with transaction(ctx.sessions) as s:
        return [a.id for a in repo.active_accounts(s)]


def _seller_id(ctx: AppContext, account_id: int) -> int:
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        if acc is None:
            raise AccountUnavailable(f"unknown account {account_id}")
        return acc.meli_user_id


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


def _record_unseen_questions(ctx: AppContext, seller_id: int, question_ids: list[int], run_id: int) -> int:
    if not question_ids:
        return 0
    with transaction(ctx.sessions) as s:
        seen = set(
            s.scalars(
                select(Message.external_id)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .join(Account, Account.id == Conversation.account_id)
                .where(
                    Account.meli_user_id == seller_id,
                    Conversation.channel == "questions",
                    Message.direction == "in",
                    Message.external_id.in_([str(i) for i in question_ids]),
                )
            )
        )
        # A notification already on its way (a workflow queued or running) is not "unseen": counting it
        # would re-queue work that is merely waiting, and a backlog would feed itself.
        seen |= set(
            s.scalars(
                select(Notification.resource_id).where(
                    Notification.topic == "questions",
                    Notification.resource_id.in_([str(i) for i in question_ids]),
                    Notification.received_at > utcnow() - IN_FLIGHT_GRACE,
                )
            )
        )
    new = 0
    for qid in question_ids:
        if str(qid) in seen:
            continue
        # One key per run: a question whose earlier workflow failed before recording it is tried again.
        raw = {
            "_id": f"sweep:{run_id}:questions:{qid}",
            "resource": f"/questions/{qid}",
            "user_id": seller_id,
            "topic": "questions",
            "application_id": int(ctx.settings.meli_client_id),
            "received": utcnow().isoformat(),
        }
        n = NotificationEnvelope.model_validate(raw)
        if accept(ctx.engine, n, raw, ctx.settings.meli_client_id, source="sweep").outcome == "accepted":
            new += 1
    return new


def _start(ctx: AppContext, kind: str, account_id: int | None) -> int:
    with transaction(ctx.sessions) as s:
        return repo.start_sync_run(s, kind, account_id).id


def _finish(
    ctx: AppContext, run_id: int, found: int, status: str, detail: str | None, account_id: int | None = None
) -> None:
    with transaction(ctx.sessions) as s:
        run = s.get(SyncRun, run_id)
        if run is not None:
            run.finished_at, run.found, run.status, run.detail = utcnow(), found, status, detail
        if account_id is not None and status == "ok":
            acc = s.get(Account, account_id)
            if acc is not None:
                acc.last_sync_at = utcnow()
