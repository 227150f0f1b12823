"""Safety nets: what a lost webhook costs is minutes, not a sale.

- `reconcile_missed_feeds`: Mercado Libre keeps notifications that never got a 200 for two days
  (§4.5); each is fed through the same intake (so duplicates of what did arrive are ignored).
  Every topic of the channel registry is reconciled.
- `sweep_account`: questions still UNANSWERED at Mercado Libre that Mostrador has never seen (a
  webhook dropped, or a topic switched off, §4.4) are recorded as if notified.
- `sweep_unread_packs`: post-sale threads the seller has not read (§8.5, which Mercado Libre offers
  precisely as the safety net behind `messages`) holding buyer messages Mostrador never recorded.
- `sweep_open_claims`: open claims against the seller (§9.2) that Mostrador has never seen, or has
  seen in an older state (a dropped `claims_actions` notification: a buyer message, a dispute).
Each run is recorded in `sync_runs` and shown on the accounts page.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from mostrador.accounts.tokens import AccountUnavailable, TokenRefreshFailed, call_with_token
from mostrador.channels import claims as claims_channel
from mostrador.channels import messages as messages_channel
from mostrador.channels.registry import CHANNELS
from mostrador.context import AppContext
from mostrador.intake.service import accept
from mostrador.meli import errors as meli_errors
from mostrador.meli.models import Claim
from mostrador.meli.models import Notification as NotificationEnvelope
from mostrador.store import accounts as accounts_store
from mostrador.store import conversations as conversations_store
from mostrador.store import notifications as notifications_store
from mostrador.store import operations as operations_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, Message, Notification, SyncRun, utcnow

log = logging.getLogger(__name__)
PAGE = 50
MAX_PAGES = 40  # 2,000 per topic and run; the next run continues
IN_FLIGHT_GRACE = timedelta(minutes=15)
CLAIMS_PAGE = 100  # §9.2: limit at most 100, offset + limit below 10,000
MAX_CLAIMS_OFFSET = 10_000 - CLAIMS_PAGE
# §8.5: each unread thread is named by its path, e.g. /packs/1977056109/sellers/378136913.
_UNREAD_PACK = re.compile(r"/packs/([0-9]{1,20})/sellers?/([0-9]{1,20})", re.ASCII)
CLAIM_TOPICS = tuple(topic for topic, channel in CHANNELS.items() if channel.name == claims_channel.CHANNEL)
SWEEP_ERRORS = (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed)


@dataclass
class _Run:
    id: int
    found: int = 0


@contextlib.asynccontextmanager
async def _recorded_run(ctx: AppContext, kind: str, account_id: int | None) -> AsyncIterator[_Run]:
    """A `sync_runs` row around one safety-net run: what it found, and how it ended.

    A run per account that ends well also stamps the account's last sync.
    """
    run = _Run(await asyncio.to_thread(_start, ctx, kind, account_id))
    try:
        yield run
    except SWEEP_ERRORS as exc:
        await asyncio.to_thread(_finish, ctx, run.id, run.found, "failed", str(exc))
        raise
    await asyncio.to_thread(_finish, ctx, run.id, run.found, "ok", None, account_id)


def reconciled_topics() -> tuple[str, ...]:
    """Every topic a channel handles: what missed feeds must give back (§4.5)."""
    return tuple(CHANNELS)


async def reconcile_missed_feeds(ctx: AppContext) -> int:
    """Feed every missed notification of our topics back through intake; returns how many were new."""
    account_id = await asyncio.to_thread(_any_active_account, ctx)
    if account_id is None:
        return 0
    async with _recorded_run(ctx, "missed_feeds", None) as run:
        for topic in reconciled_topics():
            for page in range(MAX_PAGES):
                feeds = await call_with_token(
                    ctx,
                    account_id,
                    lambda t, topic=topic, page=page: ctx.meli.get_missed_feeds(  # type: ignore[misc]
                        ctx.settings.meli_client_id, t, topic=topic, offset=page * PAGE, limit=PAGE
                    ),
                )
                run.found += await asyncio.to_thread(_feed, ctx, feeds.messages)
                if len(feeds.messages) < PAGE:
                    break
    return run.found


async def sweep_account(ctx: AppContext, account_id: int) -> int:
    """Record unanswered questions we never saw; returns how many were new to us."""
    async with _recorded_run(ctx, "sweep_questions", account_id) as run:
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
            run.found += await asyncio.to_thread(_record_unseen_questions, ctx, seller_id, ids, run.id)
            offset += PAGE
            if len(page.questions) < PAGE:
                break
    return run.found


async def sweep_unread_packs(ctx: AppContext, account_id: int) -> int:
    """Record post-sale threads with buyer messages we never saw; returns how many threads."""
    async with _recorded_run(ctx, "sweep_messages", account_id) as run:
        seller_id = await asyncio.to_thread(_seller_id, ctx, account_id)
        unread = await call_with_token(ctx, account_id, lambda t: ctx.meli.get_unread(t, role="seller"))
        for entry in unread.results:
            match = _UNREAD_PACK.fullmatch(entry.resource)
            if match is None or int(match.group(2)) != seller_id:
                continue
            thread = await messages_channel.read_pack(ctx, account_id, match.group(1), seller_id)
            buyer_messages = [
                m.id
                for m in sorted(thread.messages, key=messages_channel.message_date)
                if m.sender_id != seller_id
            ]
            run.found += await asyncio.to_thread(
                _record_unseen_pack, ctx, account_id, seller_id, buyer_messages, run.id
            )
    return run.found


async def sweep_open_claims(ctx: AppContext, account_id: int) -> int:
    """Record open claims we never saw, or saw in an older state; returns how many claims."""
    async with _recorded_run(ctx, "sweep_claims", account_id) as run:
        seller_id = await asyncio.to_thread(_seller_id, ctx, account_id)
        offset = 0
        while offset <= MAX_CLAIMS_OFFSET:
            page = await call_with_token(
                ctx,
                account_id,
                lambda t, offset=offset: ctx.meli.search_claims(  # type: ignore[misc]
                    t,
                    players_role="respondent",
                    players_user_id=seller_id,
                    status="opened",
                    offset=offset,
                    limit=CLAIMS_PAGE,
                    sort="date_created:asc",
                ),
            )
            run.found += await asyncio.to_thread(
                _record_unseen_claims, ctx, account_id, seller_id, page.data, run.id
            )
            offset += len(page.data)
            if len(page.data) < CLAIMS_PAGE or offset >= page.paging.total:
                break
    return run.found


ACCOUNT_SWEEPS = (sweep_account, sweep_unread_packs, sweep_open_claims)


async def run_all(ctx: AppContext) -> dict[str, int]:
    """One pass of every safety net; a failing account or sweep does not stop the others."""
    totals = {"missed_feeds": 0, "swept": 0, "failed": 0}
    try:
        totals["missed_feeds"] = await reconcile_missed_feeds(ctx)
    except SWEEP_ERRORS:
        totals["failed"] += 1
    await _sweep_accounts(ctx, await asyncio.to_thread(_active_account_ids, ctx, None), totals)
    return totals


async def run_workspace(ctx: AppContext, workspace_id: int) -> dict[str, int]:
    """The sweeps of one workspace's accounts (an admin's "sync now"): never another workspace's, and
    not the application-wide missed feeds, which the schedule reconciles."""
    totals = {"missed_feeds": 0, "swept": 0, "failed": 0}
    await _sweep_accounts(ctx, await asyncio.to_thread(_active_account_ids, ctx, workspace_id), totals)
    return totals


async def _sweep_accounts(ctx: AppContext, account_ids: list[int], totals: dict[str, int]) -> None:
    for account_id in account_ids:
        for sweep in ACCOUNT_SWEEPS:
            try:
                totals["swept"] += await sweep(ctx, account_id)
            except SWEEP_ERRORS as exc:
                log.warning("%s of account %s failed: %s", sweep.__name__, account_id, exc)
                totals["failed"] += 1


# ---- synchronous parts ---------------------------------------------------------------------------
def _any_active_account(ctx: AppContext) -> int | None:
    with transaction(ctx.sessions) as s:
        return s.scalar(select(Account.id).where(Account.status == "active").order_by(Account.id).limit(1))


def _active_account_ids(ctx: AppContext, workspace_id: int | None) -> list[int]:
    with transaction(ctx.sessions) as s:
        return [a.id for a in accounts_store.active_accounts(s, workspace_id)]


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
        new += _inject(ctx, run_id, "questions", f"/questions/{qid}", str(qid), seller_id)
    return new


def _record_unseen_pack(
    ctx: AppContext, account_id: int, seller_id: int, buyer_message_ids: list[str], run_id: int
) -> int:
    """One notification for the newest unseen buyer message (oldest first in the list): its ingest
    records the whole pack."""
    if not buyer_message_ids:
        return 0
    with transaction(ctx.sessions) as s:
        seen = conversations_store.recorded_external_ids(
            s, account_id, messages_channel.CHANNEL, "in", buyer_message_ids
        )
        notified = notifications_store.latest_notifications(
            s, ("messages",), buyer_message_ids, utcnow() - IN_FLIGHT_GRACE
        )
    # A notification on its way (a workflow queued or running) reads the whole pack as it is then, so it
    # covers its own message and every earlier one; counting those would re-queue work merely waiting.
    covered = max((i for i, m in enumerate(buyer_message_ids) if m in notified), default=-1)
    unseen = [m for i, m in enumerate(buyer_message_ids) if i > covered and m not in seen]
    if not unseen:
        return 0
    return _inject(ctx, run_id, "messages", unseen[-1], unseen[-1], seller_id)


def _record_unseen_claims(
    ctx: AppContext, account_id: int, seller_id: int, claims: list[Claim], run_id: int
) -> int:
    if not claims:
        return 0
    ids = [str(c.id) for c in claims]
    with transaction(ctx.sessions) as s:
        states = conversations_store.conversation_states(
            s, account_id, claims_channel.CHANNEL, ids, claims_channel.STATE_KEY
        )
        notified = notifications_store.latest_notifications(s, CLAIM_TOPICS, ids, utcnow() - IN_FLIGHT_GRACE)
    new = 0
    for claim in claims:
        key = str(claim.id)
        state = states.get(key)
        updated = claim.last_updated.isoformat() if claim.last_updated else None
        if state is not None and (state.get("last_updated"), state.get("stage"), state.get("status")) == (
            updated,
            claim.stage,
            claim.status,
        ):
            continue  # recorded as it is now
        at = notified.get(key)
        if at is not None and (claim.last_updated is None or at >= claim.last_updated):
            continue  # notified after its last change: that workflow will record it
        new += _inject(ctx, run_id, "post_purchase", f"/post-purchase/v1/claims/{key}", key, seller_id)
    return new


def _inject(ctx: AppContext, run_id: int, topic: str, resource: str, key: str, seller_id: int) -> int:
    """Feed a notification the webhook never brought through the same intake; 1 if it was new."""
    # One id per run: a resource whose earlier workflow failed before recording it is tried again.
    raw = {
        "_id": f"sweep:{run_id}:{topic}:{key}",
        "resource": resource,
        "user_id": seller_id,
        "topic": topic,
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
        run = s.get(SyncRun, run_id)
        if run is not None:
            run.finished_at, run.found, run.status, run.detail = utcnow(), found, status, detail
        if account_id is not None and status == "ok":
            acc = s.get(Account, account_id)
            if acc is not None:
                acc.last_sync_at = utcnow()
