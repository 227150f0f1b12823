"""Post-sale messages (§8): one conversation per pack, every message of both sides, answered by agents.

A `messages` notification carries a bare message id (§4.2). Ingest reads that message with the
seller's own token, finds its pack, and reads the whole thread without marking it read (§8.1: a plain
GET marks it read; a background sync must not hide unread messages from the seller). Each message is
recorded once, with its attachments' metadata and its moderation; the thread's blocked/active status
(§8.6) is kept as the conversation's state. When the buyer wrote last, the post-sale bot
(`postsale_bot.py`, if the account turned it on) answers "where is my purchase" from the live
shipment, or the thread is handed to an agent.

Replies (350 characters, §8.3) go to the buyer of the pack. A 5xx or a timeout on the POST is never
retried blindly (the message may be out): after such an attempt the thread is read first, and a seller
message with the same text posted since the reply was recorded is that reply.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from mostrador.accounts.seller_api import SellerApi
from mostrador.bot.postsale import Shipping
from mostrador.channels import order_events, packs, postsale_bot, seller_contact
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
from mostrador.channels.sales import read_pack_sale
from mostrador.channels.uploads import uploaded_names
from mostrador.channels.variables import SALE_VARIABLES, sale_values
from mostrador.context import AppContext
from mostrador.conversations import outgoing
from mostrador.conversations import service as conv
from mostrador.conversations.outgoing import Outgoing, ReplyPlan, ReplyRefused
from mostrador.i18n import N_, gettext
from mostrador.meli import errors as meli_errors
from mostrador.meli.api_messaging import MESSAGE_FILE_MAX_BYTES, MESSAGE_FILE_TYPES
from mostrador.store import conversations as conversations_store
from mostrador.store import notifications as notifications_store
from mostrador.store import outbox as outbox_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, utcnow

NAME = packs.NAME
TOPIC = "messages"
STATE_KEY = packs.STATE_KEY
SELLER_LIMIT = 350  # §8.3 seller_max_message_length
BLOCKED_LABELS = {
    "blocked_by_mediation": N_("hay una mediación abierta"),
    "blocked_by_buyer": N_("el comprador bloqueó los mensajes"),
    "blocked_by_time": N_("pasaron 30 días sin mensajes"),
    "blocked_by_fulfillment": N_("la venta Full todavía no se entregó"),
    "blocked_by_payment": N_("la venta todavía no está pagada"),
    "blocked_by_conversation_initiated_by_seller_limited": N_(
        "en esta venta con Mercado Envíos el vendedor solo inicia la conversación con un motivo de la guía"
    ),
}
# §8.5: each unread thread is named by its path, e.g. /packs/1977056109/sellers/378136913.
_UNREAD_PACK = re.compile(r"/packs/([0-9]{1,20})/sellers?/([0-9]{1,20})", re.ASCII)


class MessagesChannel:
    name = NAME
    # `orders_v2`: the sale's events, for the messages the seller writes first (order_events.py).
    topics: tuple[str, ...] = (TOPIC, order_events.TOPIC)
    reply_limit = SELLER_LIMIT
    ordered_replies = True
    presentation = Presentation(
        label=N_("Mensajes"),
        empty=N_(
            "Todavía no hay mensajes de compradores. Cuando un comprador escriba después de comprar, "
            "aparece acá."
        ),
        layout="chat",
        state_key=STATE_KEY,
        reply_label=N_("Mensaje al comprador"),
        handoff_reasons={"post_sale_message": N_("el comprador escribió"), **postsale_bot.HANDOFF_REASONS},
        files=FileRules(
            kinds=MESSAGE_FILE_TYPES,
            max_bytes=MESSAGE_FILE_MAX_BYTES,
            max_files=5,  # Mercado Libre allows 25 (§8.4); five keep one reply's files to a sane size
            max_total_bytes=MESSAGE_FILE_MAX_BYTES,
        ),
        template_variables=SALE_VARIABLES,
        reply_window_s=8 * 3600,  # Mercado Libre's post-sale reply window: 8 business hours
    )

    def workflow_key(self, topic: str, resource_id: str) -> str:
        if topic == order_events.TOPIC:
            return f"order:{resource_id}"
        return f"message:{resource_id}"

    def partition_key(self, account_id: int, resource_id: str) -> str:
        # The pack is unknown until the message is read; every ingest re-reads the whole pack and
        # records idempotently, so two messages of one pack may be ingested side by side. An order's
        # events reach the same pack's entries through the outbox's unique targets.
        return f"message:{resource_id}"

    def send_partition(self, reply: Outgoing) -> str:
        return f"pack:{reply.conversation_key}"

    def due_date(self, state: dict[str, Any]) -> datetime | None:
        return None

    def own_echo(self, s: Session, account_id: int, resource_id: str, received_at: datetime) -> bool:
        return False  # a message notification may carry the buyer's next message: always ingested

    # ---- ingest -------------------------------------------------------------------------------------
    async def ingest(self, ctx: AppContext, api: SellerApi, topic: str, resource_id: str) -> Plan:
        if topic == order_events.TOPIC:
            return await order_events.on_order(ctx, api, resource_id)
        try:
            message = await api.call(api.meli.get_message, resource_id)
        except (meli_errors.NotFound, meli_errors.Forbidden):
            return Plan("skipped", detail="message not found, or not this seller's")
        pack_id = message.pack_id
        recipient = message.to.user_id if message.to is not None else None
        if pack_id is None or api.seller_id not in (message.sender_id, recipient):
            return Plan("skipped", detail="message is not in a pack of this account")
        thread = await packs.read_pack(api, pack_id)
        sale = None
        if not await asyncio.to_thread(_known, ctx, api.account_id, pack_id):
            sale = await packs.read_sold_listing(api, pack_id)
        shipping = await _shipping_for_bot(ctx, api, thread)
        # Only the seller's side has written (a message sent through the guide): its options, caps left.
        guide = None
        if not packs.buyer_wrote(thread, api.seller_id):
            guide = await seller_contact.read_guide(api, pack_id)
        lease_until = utcnow() + timedelta(seconds=ctx.settings.outbox_lease_s)
        return await asyncio.to_thread(
            _record, ctx, api.account_id, thread, sale, shipping, lease_until, guide
        )

    # ---- replies ------------------------------------------------------------------------------------
    def reply_refusal(self, state: dict[str, Any]) -> str | None:
        starts = seller_contact.refusal(state)
        if starts:
            return starts
        if state.get("status") != "blocked":
            return None
        substatus = state.get("substatus") or ""
        why = (
            gettext(BLOCKED_LABELS[substatus])
            if substatus in BLOCKED_LABELS
            else substatus or gettext("sin motivo")
        )
        return gettext("Mercado Libre no deja escribir en esta conversación ahora: %(why)s.") % {"why": why}

    def plan_reply(
        self, s: Session, thread: Conversation, text: str, in_reply_to: str | None, reply_key: str
    ) -> ReplyPlan:
        refusal = self.reply_refusal(conv.state_of(thread, STATE_KEY))
        if refusal:
            raise ReplyRefused(refusal)
        buyer = conversations_store.contact_external_id(s, thread.account_id, NAME, thread.contact_id)
        if not buyer or buyer == "unknown":
            raise ReplyRefused(gettext("Todavía no sabemos quién es el comprador de esta venta."))
        return ReplyPlan(
            target_id=f"{thread.external_key}:{reply_key}",
            external_id=f"{outgoing.REPLY_PREFIX}{reply_key}",
            params={"to_user_id": buyer},
        )

    async def post(self, api: SellerApi, reply: Outgoing) -> Posted:
        if reply.params.get("guide_option"):
            return await seller_contact.post(api, reply)
        buyer = reply.params.get("to_user_id")
        if not buyer:
            raise PostRefused("no_recipient", "buyer unknown")
        site = api.account.site_id

        async def upload(name: str, data: bytes, content_type: str) -> str:
            return await api.call(api.meli.upload_attachment, name, data, content_type, site_id=site)

        files = await uploaded_names(api, reply, upload)
        try:
            sent = await api.call(
                api.meli.send_message,
                reply.conversation_key,
                api.seller_id,
                buyer,
                reply.text,
                attachments=files or None,
            )
        except REFUSALS as exc:
            raise PostRefused("rejected", str(exc)) from exc
        return Posted(sent.id, sent.status, packs.moderation_of(sent.message_moderation))

    async def download(self, api: SellerApi, thread_key: str, filename: str) -> bytes:
        return await api.call(api.meli.download_attachment, filename, site_id=api.account.site_id)

    async def mark_read(self, api: SellerApi, thread_key: str) -> bool:
        # Reading one message with mark_as_read=true marks the whole conversation read (§8.1): the one
        # read Mostrador makes on purpose, when a person opened it.
        await api.call(api.meli.get_pack_messages, thread_key, api.seller_id, mark_as_read=True, limit=1)
        return True

    async def template_values(self, api: SellerApi, thread: ThreadRef) -> dict[str, str | None]:
        return sale_values(await read_pack_sale(api, thread.key), thread.buyer)

    async def find_posted(self, api: SellerApi, reply: Outgoing) -> Posted | Settled | None:
        if reply.params.get("guide_option"):
            return await _find_guide_send(api, reply)
        thread = await packs.read_pack(api, reply.conversation_key)
        linked, twins = await asyncio.to_thread(_linked_ids, api.ctx, reply)
        earliest = reply.created_at - outgoing.CLOCK_SLACK
        candidates = [
            m
            for m in sorted(thread.messages, key=packs.message_date)
            if m.sender_id == api.seller_id
            and m.id not in linked
            and outgoing.same_text(m.text, reply.text)
            and packs.message_date(m) >= earliest
        ]
        if len(candidates) <= twins:
            return None
        return Posted(candidates[twins].id, candidates[twins].status)

    def actions(self, state: dict[str, Any]) -> list[ActionOffer]:
        return seller_contact.offers(state)

    def urgent(self, s: Session, workspace_id: int, before: datetime) -> list[Urgent]:
        return []

    def plan_action(
        self, s: Session, thread: Conversation, name: str, form: dict[str, str]
    ) -> tuple[ReplyPlan, str]:
        if not name.startswith(seller_contact.ACTION_PREFIX):
            raise ReplyRefused(gettext("Esta conversación no tiene esa acción."))
        return seller_contact.plan(s, thread, conv.state_of(thread, STATE_KEY), name, form)

    # ---- safety net -----------------------------------------------------------------------------------
    async def sweep(self, ctx: AppContext, api: SellerApi) -> list[Pointer]:
        """Threads the seller has not read (§8.5, which Mercado Libre offers precisely as the safety net
        behind `messages`) holding buyer messages Mostrador never recorded: one pointer per thread."""
        unread = await api.call(api.meli.get_unread, role="seller")
        found: list[Pointer] = []
        for entry in unread.results:
            match = _UNREAD_PACK.fullmatch(entry.resource)
            if match is None or int(match.group(2)) != api.seller_id:
                continue
            thread = await packs.read_pack(api, match.group(1))
            buyer_messages = [
                m.id for m in sorted(thread.messages, key=packs.message_date) if m.sender_id != api.seller_id
            ]
            newest = await asyncio.to_thread(_newest_unseen, ctx, api.account_id, buyer_messages)
            if newest is not None:
                found.append(Pointer(TOPIC, newest, newest))
        return found


async def _find_guide_send(api: SellerApi, reply: Outgoing) -> Posted | None:
    """After an attempt whose outcome is unknown (or a refusal): did the action guide option go? Among
    the seller messages since the reply was recorded that our outbox did not send: a template by its
    spent cap (seller_contact.template_spent), a free text by its words."""
    ours = await asyncio.to_thread(_ours, api.ctx, reply)
    thread = await packs.read_pack(api, reply.conversation_key)
    earliest = reply.created_at - outgoing.CLOCK_SLACK
    mine = [
        m
        for m in sorted(thread.messages, key=packs.message_date)
        if m.sender_id == api.seller_id and m.id not in ours and packs.message_date(m) >= earliest
    ]
    if reply.params.get("template_id"):
        if not await seller_contact.template_spent(api, reply):
            return None
        return Posted(mine[0].id, mine[0].status, text=mine[0].text) if mine else Posted()
    same = [m for m in mine if outgoing.same_text(m.text, reply.text)]
    return Posted(same[0].id, same[0].status) if same else None


async def _shipping_for_bot(ctx: AppContext, api: SellerApi, thread: packs.PackThread) -> Shipping | None:
    """The shipment now, read only when the post-sale bot will answer a new buyer message with it (reads
    stay outside the recording transaction)."""
    ordered = sorted(thread.messages, key=packs.message_date)
    turn = postsale_bot.buyer_turn(ordered, api.seller_id)
    if turn is None or not postsale_bot.is_on(api.account):
        return None
    seen = await asyncio.to_thread(_recorded, ctx, api.account_id, turn.message_ids)
    new = postsale_bot.buyer_turn(ordered, api.seller_id, set(turn.message_ids) - seen)
    if new is None or new.last_id != turn.last_id or not postsale_bot.asks_where(api.account, new):
        return None  # nothing new from the buyer (a repeated notification), or not about the shipment
    return await postsale_bot.read_shipping(api, thread.pack_id)


# ---- synchronous parts -------------------------------------------------------------------------
def _recorded(ctx: AppContext, account_id: int, message_ids: list[str]) -> set[str]:
    with transaction(ctx.sessions) as s:
        return conversations_store.recorded_external_ids(s, account_id, NAME, "in", message_ids)


def _record(
    ctx: AppContext,
    account_id: int,
    thread: packs.PackThread,
    sale: packs.SoldListing | None,
    shipping: Shipping | None,
    lease_until: datetime,
    guide: list[dict[str, Any]] | None,
) -> Plan:
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        assert account is not None
        return packs.record(s, account, thread, sale, shipping, lease_until, guide=guide)


def _known(ctx: AppContext, account_id: int, pack_id: str) -> bool:
    with transaction(ctx.sessions) as s:
        return conversations_store.conversation_exists(s, account_id, NAME, pack_id)


def _linked_ids(ctx: AppContext, reply: Outgoing) -> tuple[set[str], int]:
    """Mercado Libre ids already linked to an outbound message of the conversation, and how many earlier
    identical replies were sent without one."""
    with transaction(ctx.sessions) as s:
        messages = conversations_store.messages_of(s, reply.conversation_id)
        linked = {m.external_id for m in messages if m.direction == "out"}
        return linked, outgoing.sent_twins_without_id(s, reply)


def _ours(ctx: AppContext, reply: Outgoing) -> set[str]:
    """Mercado Libre ids of the conversation's messages our own outbox sent (an ingest may have recorded
    one of ours as the seller's before the send was linked: that one is not excluded)."""
    with transaction(ctx.sessions) as s:
        return {
            m.external_id
            for m in conversations_store.messages_of(s, reply.conversation_id)
            if m.direction == "out" and outbox_store.is_ours(s, m.id)
        }


def _newest_unseen(ctx: AppContext, account_id: int, buyer_message_ids: list[str]) -> str | None:
    """The newest buyer message never recorded nor on its way (oldest first in the list): its ingest
    records the whole pack."""
    if not buyer_message_ids:
        return None
    with transaction(ctx.sessions) as s:
        seen = conversations_store.recorded_external_ids(s, account_id, NAME, "in", buyer_message_ids)
        notified = notifications_store.latest_notifications(
            s, (TOPIC,), buyer_message_ids, utcnow() - IN_FLIGHT_GRACE
        )
    # A notification on its way (a workflow queued or running) reads the whole pack as it is then, so it
    # covers its own message and every earlier one; counting those would re-queue work merely waiting.
    covered = max((i for i, m in enumerate(buyer_message_ids) if m in notified), default=-1)
    unseen = [m for i, m in enumerate(buyer_message_ids) if i > covered and m not in seen]
    return unseen[-1] if unseen else None
