"""The claims channel (§9): one conversation per claim, with its cockpit of facts, the bot's first
response by claim type, a person's messages and actions, and the sweep of open claims."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from mostrador.accounts.seller_api import SellerApi
from mostrador.channels.base import (
    IN_FLIGHT_GRACE,
    REFUSALS,
    ActionOffer,
    FileRules,
    Plan,
    Pointer,
    Posted,
    PostRefused,
    Presentation,
    Settled,
    ThreadRef,
    Urgent,
)
from mostrador.channels.claims import actions
from mostrador.channels.claims.reading import ClaimView, Sale, read_claim, read_sale
from mostrador.channels.claims.recording import NAME, STATE_KEY, message_key, receiver_role, record
from mostrador.channels.sales import read_order
from mostrador.channels.uploads import uploaded_names
from mostrador.channels.variables import SALE_VARIABLES, sale_values
from mostrador.context import AppContext
from mostrador.conversations import outgoing
from mostrador.conversations import service as conv
from mostrador.conversations.outgoing import Outgoing, ReplyPlan, ReplyRefused
from mostrador.i18n import N_, gettext
from mostrador.meli import errors as meli_errors
from mostrador.meli.api_post_purchase import CLAIM_FILE_MAX_BYTES, CLAIM_FILE_TYPES
from mostrador.meli.models import Claim, ClaimMessage
from mostrador.store import claims as claims_store
from mostrador.store import conversations as conversations_store
from mostrador.store import notifications as notifications_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, utcnow

TOPICS = ("post_purchase", "claims")  # the older stand-alone claims topic announces the same claims (§4.2)
# §9.6 documents no length for claim messages; the post-sale 350 (§8.3) keeps us inside whatever applies.
MESSAGE_LIMIT = 350
SEARCH_PAGE = 100  # §9.2: limit at most 100, offset + limit below 10,000
MAX_SEARCH_OFFSET = 10_000 - SEARCH_PAGE


class ClaimsChannel:
    name = NAME
    topics: tuple[str, ...] = TOPICS
    reply_limit = MESSAGE_LIMIT
    ordered_replies = True
    presentation = Presentation(
        label=N_("Reclamos"),
        empty=N_("No hay reclamos. Cuando un comprador abra uno, aparece acá con su plazo."),
        layout="chat",
        state_key=STATE_KEY,
        facts_template="_claim_facts.html",
        reply_label=N_("Mensaje en el reclamo"),
        handoff_reasons={
            "claim_opened": N_("reclamo nuevo"),
            "claim_update": N_("novedades en el reclamo"),
            "claim_dispute": N_("en mediación de Mercado Libre"),
        },
        files=FileRules(
            kinds=CLAIM_FILE_TYPES,
            max_bytes=CLAIM_FILE_MAX_BYTES,
            max_files=5,  # §9.6 gives no count; five is what one reply keeps
            max_total_bytes=5 * CLAIM_FILE_MAX_BYTES,
        ),
        template_variables={"claim_id": N_("número de reclamo"), **SALE_VARIABLES},
    )

    def workflow_key(self, topic: str, resource_id: str) -> str:
        return f"claim:{resource_id}" if topic == TOPICS[0] else f"claim-{topic}:{resource_id}"

    def partition_key(self, account_id: int, resource_id: str) -> str:
        # Ingests and sends of one claim never overlap, whichever topic announced it.
        return f"claim:{resource_id}"

    def send_partition(self, reply: Outgoing) -> str:
        return f"claim:{reply.conversation_key}"

    def own_echo(self, s: Session, account_id: int, resource_id: str, received_at: datetime) -> bool:
        return False  # a claim moves on its own (stages, deadlines): every notification is ingested

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
        view = await read_claim(api, claim, known)
        sale = await read_sale(api, claim) if known is None or not known.get("sale") else None
        offers = await _partial_refund_offers(api, claim)
        lease_until = utcnow() + timedelta(seconds=ctx.settings.outbox_lease_s)
        return await asyncio.to_thread(_record, ctx, api.account_id, view, sale, offers, lease_until)

    # ---- replies and actions ------------------------------------------------------------------------
    def reply_refusal(self, state: dict[str, Any]) -> str | None:
        if state.get("status") == "closed":
            return gettext("El reclamo está cerrado: ya no admite mensajes.")
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

    def actions(self, state: dict[str, Any]) -> list[ActionOffer]:
        return actions.offers(state)

    def plan_action(
        self, s: Session, thread: Conversation, name: str, form: dict[str, str]
    ) -> tuple[ReplyPlan, str]:
        return actions.plan(thread.external_key, conv.state_of(thread, STATE_KEY), name, form)

    def urgent(self, s: Session, workspace_id: int, before: datetime) -> list[Urgent]:
        return [
            Urgent(
                r.conversation_id,
                r.due_date,
                gettext("Reclamo %(claim)s: %(action)s")
                % {"claim": r.claim_id, "action": r.due_action or gettext("actuar")},
            )
            for r in claims_store.due_soon(s, workspace_id, before)
            if r.due_date is not None
        ]

    async def post(self, api: SellerApi, reply: Outgoing) -> Posted:
        if reply.params.get("action"):
            return await actions.post(api, reply)
        claim_id = reply.conversation_key
        try:
            claim = await api.call(api.meli.get_claim, claim_id)
        except REFUSALS as exc:
            raise PostRefused("not_allowed", f"the claim cannot be read: {exc}") from exc
        receiver = receiver_role(claim)
        if receiver is None:
            detail = f"claim is {claim.status} in stage {claim.stage}: no message action for the seller"
            raise PostRefused("not_allowed", detail)
        if reply.params.get("rule") and receiver != "complainant":
            raise PostRefused("not_allowed", "the claim went to a dispute: a person writes to the mediator")

        async def upload(name: str, data: bytes, content_type: str) -> str:
            return await api.call(api.meli.upload_claim_attachment, claim_id, name, data, content_type)

        files = await uploaded_names(api, reply, upload)
        try:
            await api.call(
                api.meli.send_claim_message, claim_id, receiver, reply.text, attachments=files or None
            )
        except REFUSALS as exc:
            raise PostRefused("rejected", str(exc)) from exc
        return Posted()  # 201 with no body: linked to its hash when a read meets it

    async def download(self, api: SellerApi, thread_key: str, filename: str) -> bytes:
        return await api.call(api.meli.download_claim_attachment, thread_key, filename)

    async def mark_read(self, api: SellerApi, thread_key: str) -> bool:
        return False  # Mercado Libre keeps no read mark here

    async def template_values(self, api: SellerApi, thread: ThreadRef) -> dict[str, str | None]:
        recorded = Sale.from_dict(thread.state.get("sale"))
        sale = await read_order(api, recorded.order_id) if recorded.order_id else recorded
        return {"claim_id": thread.key, **sale_values(sale, thread.buyer)}

    async def find_posted(self, api: SellerApi, reply: Outgoing) -> Posted | Settled | None:
        if reply.params.get("action"):
            return await actions.find_done(api, reply)
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
        `claims_actions` notification: a buyer message, a dispute); and due dates that passed while the
        action was the seller's are recorded as missed."""
        await asyncio.to_thread(_mark_missed, ctx, api.account_id)
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


async def _partial_refund_offers(api: SellerApi, claim: Claim) -> list[float] | None:
    """The percentages Mercado Libre lets the seller offer now (§9.7), when a partial refund is possible."""
    if not claim.is_open or not claim.can("respondent", "allow_partial_refund"):
        return None
    try:
        offers = await api.call(api.meli.get_partial_refund_offers, claim.id)
    except REFUSALS:
        return None
    return [o.percentage for o in offers.available_offers]


# ---- synchronous parts -------------------------------------------------------------------------
def _record(
    ctx: AppContext,
    account_id: int,
    view: ClaimView,
    sale: Sale | None,
    offers: list[float] | None,
    lease_until: datetime,
) -> Plan:
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        assert account is not None
        return record(s, account, view, sale, lease_until, utcnow(), offers)


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


def _mark_missed(ctx: AppContext, account_id: int) -> int:
    with transaction(ctx.sessions) as s:
        return claims_store.mark_missed_due_dates(s, account_id, utcnow())


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
