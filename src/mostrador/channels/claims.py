"""Claims and mediations (§9): one conversation per claim, its facts and its messages, for agents only.

Mercado Libre announces claims on the `post_purchase` topic (`actions: claims | claims_actions`, with a
`/post-purchase/v1/claims/{id}` resource) and, on older pages, on a stand-alone `claims` topic with
`/v1/claims/{id}` (§4.2); both point at the same claim, read from `/post-purchase` (the old path is
deprecated, §9). Ingest re-reads the claim, its reason (§9.4), whether it affects the seller's
reputation (§9.3), and its messages (§9.6), and keeps the facts an agent acts on — reason, stage
(claim → dispute), status, reputation, the due date of the mandatory action — as the conversation's
state. Claims are never answered by the bot.

Replies are an agent's messages in the claim: to the buyer while the claim is between the two, to the
mediator once it is in dispute (§9.6). The POST answers 201 with no body, so the message is linked to
its `hash` when the next read meets it; after an attempt whose outcome is unknown the claim's messages
are read before posting again.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from mostrador.accounts.seller_api import SellerApi
from mostrador.channels.base import (
    IN_FLIGHT_GRACE,
    REFUSALS,
    Plan,
    Pointer,
    Posted,
    PostRefused,
    Presentation,
    Settled,
)
from mostrador.context import AppContext
from mostrador.conversations import outgoing
from mostrador.conversations import service as conv
from mostrador.conversations.outgoing import Outgoing, ReplyPlan, ReplyRefused
from mostrador.meli import errors as meli_errors
from mostrador.meli.models import Claim, ClaimMessage, ClaimReason, ClaimReputation
from mostrador.store import conversations as conversations_store
from mostrador.store import notifications as notifications_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, utcnow

NAME = "claims"
TOPICS = ("post_purchase", "claims")  # the older stand-alone claims topic announces the same claims (§4.2)
STATE_KEY = "claim"
# §9.6 documents no length for claim messages; the post-sale 350 (§8.3) keeps us inside whatever applies.
MESSAGE_LIMIT = 350
AUTHORS = {"complainant": "buyer", "mediator": "mediator", "respondent": "seller"}
SEARCH_PAGE = 100  # §9.2: limit at most 100, offset + limit below 10,000
MAX_SEARCH_OFFSET = 10_000 - SEARCH_PAGE


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
    name = NAME
    topics: tuple[str, ...] = TOPICS
    reply_limit = MESSAGE_LIMIT
    ordered_replies = True
    presentation = Presentation(
        label="Reclamos",
        empty="No hay reclamos. Cuando un comprador abra uno, aparece acá con su plazo.",
        layout="chat",
        state_key=STATE_KEY,
        facts_template="_claim_facts.html",
        reply_label="Mensaje en el reclamo",
        handoff_reasons={
            "claim_opened": "reclamo nuevo",
            "claim_update": "novedades en el reclamo",
            "claim_dispute": "en mediación de Mercado Libre",
        },
    )

    def workflow_key(self, topic: str, resource_id: str) -> str:
        return f"claim:{resource_id}" if topic == TOPICS[0] else f"claim-{topic}:{resource_id}"

    def partition_key(self, account_id: int, resource_id: str) -> str:
        # Ingests and sends of one claim never overlap, whichever topic announced it.
        return f"claim:{resource_id}"

    def send_partition(self, reply: Outgoing) -> str:
        return f"claim:{reply.conversation_key}"

    def due_date(self, state: dict[str, Any]) -> datetime | None:
        """When the seller must act (§9.1 mandatory action, §9.3 reputation window), while open."""
        raw = state.get("due_date")
        if state.get("status") == "closed" or not isinstance(raw, str):
            return None
        return datetime.fromisoformat(raw)

    # ---- ingest -------------------------------------------------------------------------------------
    async def ingest(self, ctx: AppContext, api: SellerApi, topic: str, resource_id: str) -> Plan:
        try:
            claim = await api.call(api.meli.get_claim, resource_id)
        except (meli_errors.NotFound, meli_errors.Forbidden):
            return Plan("skipped", detail="claim not found or not ours")
        respondent = claim.player("respondent")
        if respondent is None or respondent.user_id != api.seller_id:
            return Plan("skipped", detail="the account is not the respondent of this claim")
        known = await asyncio.to_thread(_known_state, ctx, api.account_id, str(claim.id))
        view = await _read(api, claim, known)
        sale = None if known is not None else await _sale(api, claim)
        return await asyncio.to_thread(_record, ctx, api.account_id, view, sale)

    # ---- replies ------------------------------------------------------------------------------------
    def reply_refusal(self, state: dict[str, Any]) -> str | None:
        if state.get("status") == "closed":
            return "El reclamo está cerrado: ya no admite mensajes."
        return None

    def plan_reply(
        self, s: Session, thread: Conversation, text: str, in_reply_to: str | None, reply_key: str
    ) -> ReplyPlan:
        refusal = self.reply_refusal(conv.state_of(thread, STATE_KEY))
        if refusal:
            raise ReplyRefused(refusal)
        return ReplyPlan(
            target_id=f"{thread.external_key}:{reply_key}",
            external_id=f"{outgoing.REPLY_PREFIX}{reply_key}",
            params={},
        )

    async def post(self, api: SellerApi, reply: Outgoing) -> Posted:
        claim_id = reply.conversation_key
        try:
            claim = await api.call(api.meli.get_claim, claim_id)
        except REFUSALS as exc:
            raise PostRefused("not_allowed", f"the claim cannot be read: {exc}") from exc
        receiver = receiver_role(claim)
        if receiver is None:
            detail = f"claim is {claim.status} in stage {claim.stage}: no message action for the seller"
            raise PostRefused("not_allowed", detail)
        try:
            await api.call(api.meli.send_claim_message, claim_id, receiver, reply.text)
        except REFUSALS as exc:
            raise PostRefused("rejected", str(exc)) from exc
        return Posted()  # 201 with no body: linked to its hash when a read meets it

    async def find_posted(self, api: SellerApi, reply: Outgoing) -> Posted | Settled | None:
        messages = await api.call(api.meli.get_claim_messages, reply.conversation_key)
        linked, twins = await asyncio.to_thread(_linked_ids, api.ctx, reply)
        earliest = reply.created_at - outgoing.CLOCK_SLACK
        candidates = [
            m
            for m in sorted(messages, key=_message_when)
            if m.sender_role == "respondent"
            and message_key(m) not in linked
            and outgoing.same_text(m.message, reply.text)
            and _message_when(m) >= earliest
        ]
        if len(candidates) <= twins:  # the earlier identical replies own the first ones
            return None
        return Posted(message_key(candidates[twins]), candidates[twins].status)

    # ---- safety net -----------------------------------------------------------------------------------
    async def sweep(self, ctx: AppContext, api: SellerApi) -> list[Pointer]:
        """Open claims against the seller (§9.2) never recorded, or recorded in an older state (a dropped
        `claims_actions` notification: a buyer message, a dispute)."""
        found: list[Pointer] = []
        offset = 0
        while offset <= MAX_SEARCH_OFFSET:
            page = await api.call(
                api.meli.search_claims,
                players_role="respondent",
                players_user_id=api.seller_id,
                status="opened",
                offset=offset,
                limit=SEARCH_PAGE,
                sort="date_created:asc",
            )
            stale = await asyncio.to_thread(_stale_claims, ctx, api.account_id, page.data)
            found.extend(Pointer(TOPICS[0], f"/post-purchase/v1/claims/{key}", key) for key in stale)
            offset += len(page.data)
            if len(page.data) < SEARCH_PAGE or offset >= page.paging.total:
                break
        return found


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


async def _read(api: SellerApi, claim: Claim, known: dict[str, Any] | None) -> ClaimView:
    reason = None
    if claim.reason_id and (known is None or known.get("reason_id") != claim.reason_id):
        try:
            reason = await api.call(api.meli.get_claim_reason, claim.reason_id)
        except meli_errors.NotFound:
            reason = None  # an unknown reason id still shows as its code
    reputation = None
    try:
        reputation = await api.call(api.meli.get_claim_reputation, claim.id)
    except (meli_errors.NotFound, meli_errors.Forbidden):
        reputation = None
    messages = await api.call(api.meli.get_claim_messages, claim.id)
    return ClaimView(claim, reason, reputation, messages)


async def _sale(api: SellerApi, claim: Claim) -> Sale:
    if claim.resource != "order" or claim.resource_id is None:
        return Sale("", None)
    try:
        order = await api.call(api.meli.get_order, claim.resource_id)
    except (meli_errors.NotFound, meli_errors.Forbidden):
        return Sale("", None)
    if not order.order_items:
        return Sale("", None)
    item = order.order_items[0].item
    return Sale(item.title or "", item.id)


# ---- synchronous parts -------------------------------------------------------------------------
def _known_state(ctx: AppContext, account_id: int, claim_id: str) -> dict[str, Any] | None:
    """The claim's recorded facts, {} for a thread without them yet, None for a claim never seen."""
    with transaction(ctx.sessions) as s:
        if not conversations_store.conversation_exists(s, account_id, NAME, claim_id):
            return None
        return conversations_store.conversation_states(s, account_id, NAME, [claim_id], STATE_KEY).get(
            claim_id, {}
        )


def _linked_ids(ctx: AppContext, reply: Outgoing) -> tuple[set[str], int]:
    """Claim message keys already linked to an outbound message of the conversation, and how many
    earlier identical replies were sent without one (the POST answers 201 with no body)."""
    with transaction(ctx.sessions) as s:
        messages = conversations_store.messages_of(s, reply.conversation_id)
        linked = {m.external_id for m in messages if m.direction == "out"}
        return linked, outgoing.sent_twins_without_id(s, reply)


def _message_when(m: ClaimMessage) -> datetime:
    return m.date_created or m.message_date or datetime.min.replace(tzinfo=UTC)


def _stale_claims(ctx: AppContext, account_id: int, claims: list[Claim]) -> list[str]:
    if not claims:
        return []
    ids = [str(c.id) for c in claims]
    with transaction(ctx.sessions) as s:
        states = conversations_store.conversation_states(s, account_id, NAME, ids, STATE_KEY)
        notified = notifications_store.latest_notifications(s, TOPICS, ids, utcnow() - IN_FLIGHT_GRACE)
    stale = []
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
        stale.append(key)
    return stale


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
            conv.ThreadKey(NAME, key),
            buyer,
            f"Comprador {buyer}",
            subject=subject if sale is not None else "",
            item_id=sale.item_id if sale else None,
        )
        known_state = conversations_store.conversation_states(s, account_id, NAME, [key], STATE_KEY).get(
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
            row = (
                known.get(("out", key))
                or outgoing.adopt_posted(s, conversation, m.message, key, when)
                # a send may have linked it since this ingest read the claim
                or conversations_store.message_by_external_id(s, conversation.id, "out", key)
            )
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
