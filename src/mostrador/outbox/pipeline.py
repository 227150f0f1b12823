"""The one send pipeline: every outgoing text is posted here, once.

    load → final, or owned by a newer drive? stop
         → an earlier attempt may have reached Mercado Libre? ask the channel what is there
         → guard (one formatter for what it refuses)
         → chat replies keep their order: an earlier pending one goes first
         → count the attempt → channel.post → settle

A channel supplies only `post` and `find_posted`. Trouble before the post (network, 429, 5xx, an open
breaker, a failed token refresh) is retried a few times in place. Trouble after the post started means
the outcome is unknown — Mercado Libre may have the text — so the entry is deferred for at least
`outbox_backoff_s` and looked for before any new post. Deferrals grow, and the re-drive schedule
(`workflows/outbox.py`) sends the entry when it is due, under a new drive: an outage of any length ends
with every reply posted once, with no agent action. A reply is never left pending silently: it is
sent, superseded (someone else answered), or `failed` with a reason the inbox shows and an agent can
retry — refused by the guard or by Mercado Libre (any answer that is not transient), the account
disconnected, or no success for `outbox_give_up_after_s`.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from mostrador.accounts.seller_api import SellerApi
from mostrador.accounts.tokens import AccountUnavailable, TokenRefreshFailed
from mostrador.bot.guard import explain, guard
from mostrador.channels.base import Channel, Posted, PostRefused, Settled
from mostrador.channels.registry import channel_named
from mostrador.context import AppContext
from mostrador.conversations import outgoing
from mostrador.conversations.outgoing import Outgoing
from mostrador.meli import errors as meli_errors
from mostrador.store.db import transaction
from mostrador.store.models import utcnow

# What may succeed later; any other answer from Mercado Libre is a refusal for good.
TRANSIENT = (
    meli_errors.TransportError,  # includes CircuitOpen
    meli_errors.RateLimited,
    meli_errors.ServerError,
    meli_errors.InvalidResponse,
    TokenRefreshFailed,
)


@dataclass(frozen=True)
class Delivery:
    """How one run of the pipeline ended (a DBOS step result: plain values)."""

    status: str  # sent | superseded | failed | deferred | waiting | stale
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


class _OutcomeUnknown(Exception):
    """A transient error once the post had started: Mercado Libre may have the text."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


async def deliver(ctx: AppContext, entry_id: int, drive: int, workflow_id: str | None = None) -> Delivery:
    """Post the entry if drive `drive` still owns it; safe to repeat after a crash at any point.

    `workflow_id` is the workflow running this drive, noted on the entry so the re-drive can tell a
    send that is still running from one that ended (a bot answer is delivered by its ingest workflow).
    """
    owner = (drive, workflow_id) if workflow_id is not None else None
    quick = max(1, ctx.settings.outbox_quick_tries)
    error: BaseException | None = None
    for attempt in range(quick):
        try:
            return await _attempt(ctx, entry_id, drive, owner)
        except _OutcomeUnknown as unknown:
            error = unknown.cause
            break  # never re-post within seconds of a post whose outcome is unknown
        except TRANSIENT as exc:
            error = exc
            if attempt + 1 < quick:
                await asyncio.sleep(_quick_pause(attempt, exc))
    assert error is not None
    return await asyncio.to_thread(_defer, ctx, entry_id, drive, error)


async def _attempt(
    ctx: AppContext, entry_id: int, drive: int, owner: tuple[int, str] | None = None
) -> Delivery:
    reply = await asyncio.to_thread(_load, ctx, entry_id, owner)
    if reply.final:
        return Delivery(reply.status)
    if reply.drive != drive:
        return Delivery("stale", f"drive {reply.drive} owns it now")
    channel = channel_named(reply.channel)
    try:
        api = await SellerApi.open(ctx, reply.account_id)
        return await _send(ctx, channel, api, reply)
    except AccountUnavailable as exc:
        detail = f"la cuenta no puede usar Mercado Libre ({exc}); reconectala y reintentá"
        return await asyncio.to_thread(_fail, ctx, reply, "account_unavailable", detail)
    except meli_errors.MeliError as exc:
        if isinstance(exc, TRANSIENT):
            raise
        # Not transient and not a refusal the channel knew: Mercado Libre said no, for good.
        return await asyncio.to_thread(_fail, ctx, reply, "rejected", f"{type(exc).__name__}: {exc}")


async def _send(ctx: AppContext, channel: Channel, api: SellerApi, reply: Outgoing) -> Delivery:
    if reply.attempts > 0:
        # An earlier attempt may have reached Mercado Libre before we learnt the outcome: look first.
        found = await channel.find_posted(api, reply)
        if found is not None:
            return await asyncio.to_thread(_settle, ctx, reply, found)
    # `allow`: facts read from Mercado Libre that the text may quote (a tracking number, an order id).
    checked = guard(reply.text, limit=channel.reply_limit, allow=tuple(reply.params.get("allow") or ()))
    if not checked.ok:
        detail = explain(checked, channel.reply_limit)
        return await asyncio.to_thread(_fail, ctx, reply, "guard_blocked", detail)
    if channel.ordered_replies and await asyncio.to_thread(_wait_for_earlier, ctx, reply):
        return Delivery("waiting", "an earlier reply of the thread goes first")
    lease_until = utcnow() + timedelta(seconds=ctx.settings.outbox_lease_s)
    if not await asyncio.to_thread(_count_attempt, ctx, reply, lease_until):
        return Delivery("stale", "a newer drive took over")
    try:
        posted = await channel.post(api, reply)
    except meli_errors.InvalidResponse:
        posted = Posted()  # a 2xx whose body we could not read: Mercado Libre took it
    except PostRefused as refused:
        return await _refused(ctx, channel, api, reply, refused.reason, refused.detail)
    except TRANSIENT as exc:
        if _never_sent(exc):
            raise  # refused before anything reached Mercado Libre: retrying in place is safe
        raise _OutcomeUnknown(exc) from exc
    except meli_errors.MeliError as exc:
        return await _refused(ctx, channel, api, reply, "rejected", f"{type(exc).__name__}: {exc}")
    return await asyncio.to_thread(_settle, ctx, reply, posted)


async def _refused(
    ctx: AppContext, channel: Channel, api: SellerApi, reply: Outgoing, reason: str, detail: str
) -> Delivery:
    """Refused because it is already answered (or closed) is not a failure: look before saying so."""
    try:
        found = await channel.find_posted(api, reply)
    except meli_errors.MeliError:
        found = None  # the refusal stands; an agent sees it and can retry
    if found is not None:
        return await asyncio.to_thread(_settle, ctx, reply, found)
    return await asyncio.to_thread(_fail, ctx, reply, reason, detail)


def _never_sent(exc: BaseException) -> bool:
    """A failure that certainly left nothing at Mercado Libre: a 429 (refused before any work), an open
    breaker, an exhausted or unreachable budget, a connection never made, a token never obtained."""
    if isinstance(exc, meli_errors.RateLimited | TokenRefreshFailed):
        return True
    return isinstance(exc, meli_errors.TransportError) and not exc.request_sent


def _quick_pause(attempt: int, exc: BaseException) -> float:
    wait = 0.5 * (2**attempt) * random.uniform(0.8, 1.2)
    return max(wait, min(server_wait(exc), 5.0))


def server_wait(exc: BaseException) -> float:
    """How long Mercado Libre (a 429) or our breaker asked us to wait, if at all."""
    if isinstance(exc, meli_errors.RateLimited):
        return float(exc.retry_after)
    if isinstance(exc, meli_errors.CircuitOpen):
        return float(exc.retry_after or 0.0)
    return 0.0


def backoff(ctx: AppContext, deferrals: int, exc: BaseException) -> float:
    """Seconds before the next try after `deferrals` earlier ones: doubling, capped, never shorter than
    what Mercado Libre or the breaker asked for."""
    s = ctx.settings
    wait = min(s.outbox_max_backoff_s, s.outbox_backoff_s * (2 ** min(deferrals, 20)))
    wait *= random.uniform(0.9, 1.1)
    return max(wait, server_wait(exc))


def given_up(ctx: AppContext, reply: Outgoing, now: datetime) -> str | None:
    """Why the entry must fail now, if it has been pending longer than the give-up age."""
    waited = now - reply.pending_since
    if waited <= timedelta(seconds=ctx.settings.outbox_give_up_after_s):
        return None
    hours = waited.total_seconds() / 3600
    last = f" (último error: {reply.last_error})" if reply.last_error else ""
    return f"Mercado Libre no aceptó el envío durante {hours:.0f} h{last}"


# ---- synchronous parts (one transaction each) ------------------------------------------------------
def _load(ctx: AppContext, entry_id: int, owner: tuple[int, str] | None = None) -> Outgoing:
    """The entry as committed now; with `owner` (drive, workflow id), first note which workflow runs
    that drive (one transaction for both: a send costs one fewer)."""
    with transaction(ctx.sessions) as s:
        if owner is not None:
            outgoing.owned_by(s, entry_id, *owner)
        return outgoing.load(s, entry_id)


def _count_attempt(ctx: AppContext, reply: Outgoing, lease_until: datetime) -> bool:
    with transaction(ctx.sessions) as s:
        return outgoing.count_attempt(s, reply.id, reply.drive, lease_until)


def _wait_for_earlier(ctx: AppContext, reply: Outgoing) -> bool:
    with transaction(ctx.sessions) as s:
        return outgoing.wait_for_earlier(s, reply)


def _settle(ctx: AppContext, reply: Outgoing, found: Posted | Settled) -> Delivery:
    author = None
    with transaction(ctx.sessions) as s:
        status = outgoing.settle_remote(s, reply.id, found)
        if status == "sent" and reply.status != "sent":
            author = outgoing.author_of(s, reply)
    if author is not None:
        ctx.metrics.answer(reply.channel, author)
    return Delivery(status, found.why if isinstance(found, Settled) else "")


def _fail(ctx: AppContext, reply: Outgoing, failure: str, detail: str) -> Delivery:
    with transaction(ctx.sessions) as s:
        return Delivery(outgoing.fail(s, reply.id, reply.drive, failure, detail), detail)


def _defer(ctx: AppContext, entry_id: int, drive: int, exc: BaseException) -> Delivery:
    """Put the send off until Mercado Libre takes it again, or give up after the configured age."""
    error = f"{type(exc).__name__}: {exc}"
    now = utcnow()
    with transaction(ctx.sessions) as s:
        reply = outgoing.load(s, entry_id)
        if reply.final or reply.drive != drive:
            return Delivery(reply.status if reply.final else "stale")
        why = given_up(ctx, reply, now)
        if why is not None:
            return Delivery(outgoing.fail(s, entry_id, drive, "gave_up", why), why)
        retry_at = now + timedelta(seconds=backoff(ctx, reply.deferrals, exc))
        outgoing.defer(s, entry_id, drive, error, retry_at)
        return Delivery("deferred", error)
