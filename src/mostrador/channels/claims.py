"""Claims and mediations (§9): one conversation per claim, its facts and its messages, for agents only.

Mercado Libre announces claims on the `post_purchase` topic (`actions: claims | claims_actions`, with a
`/post-purchase/v1/claims/{id}` resource) and, on older pages, on a stand-alone `claims` topic with
`/v1/claims/{id}` (§4.2); both point at the same claim, read from `/post-purchase` (the old path is
deprecated, §9). Ingest re-reads the claim, its reason (§9.4), whether it affects the seller's
reputation (§9.3), and its messages (§9.6), and keeps the facts an agent acts on — reason, stage
(claim → dispute), status, reputation, the due date of the mandatory action — as the conversation's
state. Claims are never answered by the bot.

Send writes an agent's message in the claim: to the buyer while the claim is between the two, to the
mediator once it is in dispute (§9.6). The POST answers 201 with no body, so the message is linked
to its `hash` when the next read meets it; a retry re-reads the messages before posting again.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mostrador.accounts.tokens import call_with_token
from mostrador.channels import agent_replies
from mostrador.channels.base import Plan
from mostrador.context import AppContext
from mostrador.conversations import replies
from mostrador.conversations import service as conv
from mostrador.meli import errors as meli_errors
from mostrador.meli.models import Claim, ClaimMessage, ClaimReason, ClaimReputation
from mostrador.store import conversations as conversations_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, utcnow

CHANNEL = "claims"
STATE_KEY = "claim"
# §9.6 documents no length for claim messages; the post-sale 350 (§8.3) keeps us inside whatever applies.
MESSAGE_LIMIT = 350
REFUSED = (
    meli_errors.BadRequest,
    meli_errors.Forbidden,
    meli_errors.NotFound,
    meli_errors.Unprocessable,
    meli_errors.Unavailable,
)
AUTHORS = {"complainant": "buyer", "mediator": "mediator", "respondent": "seller"}


@dataclass(frozen=True)
class ClaimView:
    """Everything read about one claim in one ingest."""

    claim: Claim
    reason: ClaimReason | None
    reputation: ClaimReputation | None
    messages: list[ClaimMessage]


@dataclass(frozen=True)
class Sale:
    title: str
    item_id: str | None


class ClaimsChannel:
    """Registered for both claim topics; `topic` only changes the workflow id."""

    name = CHANNEL

    def __init__(self, topic: str = "post_purchase") -> None:
        self.topic = topic

    def workflow_key(self, resource_id: str) -> str:
        return (
            f"claim:{resource_id}" if self.topic == "post_purchase" else f"claim-{self.topic}:{resource_id}"
        )

    def partition_key(self, account_id: int, resource_id: str) -> str:
        return partition_key(resource_id)

    async def ingest(self, ctx: AppContext, account_id: int, resource_id: str) -> Plan:
        try:
            claim = await call_with_token(ctx, account_id, lambda t: ctx.meli.get_claim(resource_id, t))
        except (meli_errors.NotFound, meli_errors.Forbidden):
            return Plan("skipped", detail="claim not found or not ours")
        seller_id, known = await asyncio.to_thread(_seller_and_state, ctx, account_id, str(claim.id))
        respondent = claim.player("respondent")
        if respondent is None or respondent.user_id != seller_id:
            return Plan("skipped", detail="the account is not the respondent of this claim")
        view = await _read(ctx, account_id, claim, known)
        sale = None if known is not None else await _sale(ctx, account_id, claim)
        return await asyncio.to_thread(_record, ctx, account_id, view, sale)

    async def send(self, ctx: AppContext, reply_id: int) -> str:
        reply = await agent_replies.load(ctx, reply_id)
        if reply.status in ("sent", "superseded", "failed"):
            return reply.status
        claim_id = reply.thread_key

        if reply.attempts > 0:
            # The POST answers 201 with nothing in it; after a crash or timeout the messages tell.
            messages = await call_with_token(
                ctx, reply.account_id, lambda t: ctx.meli.get_claim_messages(claim_id, t)
            )
            if await asyncio.to_thread(_settle_from_messages, ctx, reply, messages):
                return "sent"
        refused = await agent_replies.refused_by_guard(ctx, reply, MESSAGE_LIMIT)
        if refused is not None:
            return refused
        claim = await call_with_token(ctx, reply.account_id, lambda t: ctx.meli.get_claim(claim_id, t))
        receiver = receiver_role(claim)
        if receiver is None:
            detail = f"claim is {claim.status} in stage {claim.stage}: no message action for the seller"
            return await agent_replies.fail(ctx, reply_id, "not_allowed", detail)
        await agent_replies.count_attempt(ctx, reply_id)
        try:
            await call_with_token(
                ctx,
                reply.account_id,
                lambda t: ctx.meli.send_claim_message(claim_id, receiver, reply.text, t),
            )
        except REFUSED as exc:
            return await agent_replies.fail(ctx, reply_id, "rejected", str(exc))
        return await agent_replies.mark_sent(ctx, reply_id)


def partition_key(claim_id: str) -> str:
    """Ingests and sends of one claim never overlap, whichever topic announced it."""
    return f"claim:{claim_id}"


def receiver_role(claim: Claim) -> str | None:
    """Whom the seller may write to now (§9.6): the buyer in stage `claim`, the mediator in `dispute`."""
    if not claim.is_open:
        return None
    for role in ("complainant", "mediator"):
        if claim.can("respondent", f"send_message_to_{role}"):
            return role
    return None


def due_date(claim: Claim, reputation: ClaimReputation | None) -> datetime | None:
    """When the seller must act: its mandatory action's due date, else the reputation window (§9.1, §9.3)."""
    respondent = claim.player("respondent")
    if respondent is not None:
        for action in respondent.available_actions:
            if action.mandatory and action.due_date is not None:
                return action.due_date
    return reputation.due_date if reputation is not None else None


def message_key(m: ClaimMessage) -> str:
    """`hash` is the documented unique key (§9.6); without it, sender + date + text."""
    if m.hash:
        return m.hash[:64]
    date = m.date_created or m.message_date
    when = date.isoformat() if date is not None else ""
    digest = hashlib.sha256(f"{m.sender_role}|{when}|{m.message}".encode()).hexdigest()[:40]
    return f"msg:{digest}"


async def _read(ctx: AppContext, account_id: int, claim: Claim, known: dict[str, Any] | None) -> ClaimView:
    reason = None
    if claim.reason_id and (known is None or known.get("reason_id") != claim.reason_id):
        reason_id = claim.reason_id
        try:
            reason = await call_with_token(ctx, account_id, lambda t: ctx.meli.get_claim_reason(reason_id, t))
        except meli_errors.NotFound:
            reason = None  # an unknown reason id still shows as its code
    reputation = None
    try:
        reputation = await call_with_token(
            ctx, account_id, lambda t: ctx.meli.get_claim_reputation(claim.id, t)
        )
    except (meli_errors.NotFound, meli_errors.Forbidden):
        reputation = None
    messages = await call_with_token(ctx, account_id, lambda t: ctx.meli.get_claim_messages(claim.id, t))
    return ClaimView(claim, reason, reputation, messages)


async def _sale(ctx: AppContext, account_id: int, claim: Claim) -> Sale:
    if claim.resource != "order" or claim.resource_id is None:
        return Sale("", None)
    order_id = claim.resource_id
    try:
        order = await call_with_token(ctx, account_id, lambda t: ctx.meli.get_order(order_id, t))
    except (meli_errors.NotFound, meli_errors.Forbidden):
        return Sale("", None)
    if not order.order_items:
        return Sale("", None)
    item = order.order_items[0].item
    return Sale(item.title or "", item.id)


# ---- synchronous parts -------------------------------------------------------------------------
def _seller_and_state(ctx: AppContext, account_id: int, claim_id: str) -> tuple[int, dict[str, Any] | None]:
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        if acc is None:
            raise LookupError(f"unknown account {account_id}")
        states = conversations_store.conversation_states(s, account_id, CHANNEL, [claim_id], STATE_KEY)
        exists = conversations_store.conversation_exists(s, account_id, CHANNEL, claim_id)
        return acc.meli_user_id, (states.get(claim_id, {}) if exists else None)


def facts(view: ClaimView, known: dict[str, Any]) -> dict[str, Any]:
    """The claim's facts as JSON; the reason's texts are kept from an earlier read when not re-read."""
    claim, reputation = view.claim, view.reputation
    respondent = claim.player("respondent")
    mandatory = [a.action for a in (respondent.available_actions if respondent else []) if a.mandatory]
    due = due_date(claim, reputation)
    reason = view.reason
    return {
        "claim_id": claim.id,
        "type": claim.type,
        "stage": claim.stage,
        "status": claim.status,
        "reason_id": claim.reason_id,
        "reason_name": reason.name if reason else known.get("reason_name"),
        "reason_detail": reason.detail if reason else known.get("reason_detail"),
        "affects_reputation": reputation.affects_reputation if reputation else None,
        "has_incentive": reputation.has_incentive if reputation else None,
        "due_date": due.isoformat() if due else None,
        "mandatory_actions": mandatory,
        "available_actions": [a.action for a in (respondent.available_actions if respondent else [])],
        "resolution": claim.resolution.model_dump(mode="json") if claim.resolution else None,
        "resource": claim.resource,
        "resource_id": claim.resource_id,
        "fulfilled": claim.fulfilled,
        "date_created": claim.date_created.isoformat() if claim.date_created else None,
        "last_updated": claim.last_updated.isoformat() if claim.last_updated else None,
    }


def _summary(f: dict[str, Any]) -> str:
    reason = f.get("reason_detail") or f.get("reason_name") or f.get("reason_id") or ""
    return f"Reclamo {f['claim_id']} · {f.get('stage')} · {f.get('status')} · {reason}"[:500]


def _record(ctx: AppContext, account_id: int, view: ClaimView, sale: Sale | None) -> Plan:
    claim = view.claim
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        assert account is not None
        complainant = claim.player("complainant")
        buyer = str(complainant.user_id) if complainant and complainant.user_id else "unknown"
        key = str(claim.id)
        subject = f"Reclamo {claim.id}" + (f" · {sale.title}" if sale and sale.title else "")
        conversation = conv.open_thread(
            s,
            account,
            conv.ThreadKey(CHANNEL, key),
            buyer,
            f"Comprador {buyer}",
            subject=subject if sale is not None else "",
            item_id=sale.item_id if sale else None,
        )
        known_state = conversations_store.conversation_states(s, account_id, CHANNEL, [key], STATE_KEY).get(
            key, {}
        )
        is_new = not known_state
        new_inbound = _record_messages(s, conversation, view.messages)
        state = facts(view, known_state)
        conv.record_state(s, conversation, STATE_KEY, _summary(state), state)
        if not claim.is_open:
            conv.close(s, conversation, f"claim_{claim.status}")
            return Plan("recorded", detail=f"claim {claim.status}")
        moved = known_state.get("stage") != claim.stage or known_state.get("status") != claim.status
        if is_new or new_inbound or moved or conversation.owner != "agent" or conversation.status == "closed":
            # Claims are never answered by the bot: a person acts before the due date (§9.1).
            reason = (
                "claim_dispute" if claim.stage == "dispute" else "claim_opened" if is_new else "claim_update"
            )
            conv.hand_off(s, conversation, reason)
            return Plan("handed_off", detail=reason)
        return Plan("recorded", detail="no change")


def _record_messages(s: Any, conversation: Conversation, messages: list[ClaimMessage]) -> int:
    """Record each claim message once; returns how many new ones came from the buyer or the mediator."""
    known = {(m.direction, m.external_id): m for m in conversations_store.messages_of(s, conversation.id)}
    new_inbound = 0
    for m in sorted(messages, key=lambda m: m.date_created or m.message_date or utcnow()):
        key = message_key(m)
        when = m.date_created or m.message_date or utcnow()
        meta = {
            "sender_role": m.sender_role,
            "receiver_role": m.receiver_role,
            "stage": m.stage,
            "attachments": [
                {
                    "filename": a.filename,
                    "name": a.original_filename or a.filename,
                    "type": a.type,
                    "size": a.size,
                }
                for a in m.attachments
            ],
            "moderation": {
                "status": (m.message_moderation or {}).get("status"),
                "reason": (m.message_moderation or {}).get("reason") or None,
            },
        }
        if m.sender_role == "respondent":
            row = known.get(("out", key)) or replies.adopt_posted(s, conversation, m.message, key, when)
            if row is None:
                conv.record_outbound(
                    s, conversation, key, m.message, "seller", "sent", meta=meta, sent_at=when
                )
            elif row.external_status != m.status or row.meta != {**(row.meta or {}), **meta}:
                row.external_status, row.meta = m.status, {**(row.meta or {}), **meta}
            continue
        row = known.get(("in", key))
        if row is None:
            msg = conv.record_inbound(
                s, conversation, key, m.message, when, external_status=m.status, meta=meta
            )
            msg.author = AUTHORS.get(m.sender_role, "buyer")
            new_inbound += 1
        elif row.external_status != m.status or row.meta != meta:
            row.external_status, row.meta = m.status, meta
    return new_inbound


def _settle_from_messages(ctx: AppContext, reply: replies.PendingReply, messages: list[ClaimMessage]) -> bool:
    """True if the claim already holds this reply (then it is marked sent, never posted again)."""
    with transaction(ctx.sessions) as s:
        conversation = conversations_store.conversation_by_key(s, reply.account_id, CHANNEL, reply.thread_key)
        if conversation is None:
            return False
        linked = {
            m.external_id for m in conversations_store.messages_of(s, conversation.id) if m.direction == "out"
        }
        for m in messages:
            key = message_key(m)
            if m.sender_role != "respondent" or key in linked or m.message != reply.text:
                continue
            replies.adopt_posted(s, conversation, m.message, key, m.date_created or m.message_date)
            if replies.load(s, reply.reply_id).status == "sent":
                return True
        return False
