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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from mostrador.accounts.seller_api import SellerApi
from mostrador.bot.postsale import Shipping
from mostrador.channels import postsale_bot
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
from mostrador.meli import errors as meli_errors
from mostrador.meli.api_messaging import MESSAGE_FILE_MAX_BYTES, MESSAGE_FILE_TYPES
from mostrador.meli.models import ConversationStatus
from mostrador.meli.models import Message as MeliMessage
from mostrador.store import conversations as conversations_store
from mostrador.store import notifications as notifications_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, utcnow

NAME = "messages"
TOPIC = "messages"
STATE_KEY = "pack"
SELLER_LIMIT = 350  # §8.3 seller_max_message_length
PAGE = 50
MAX_PAGES = 40  # 2,000 messages; a pack's chat is far shorter
BLOCKED_LABELS = {
    "blocked_by_mediation": "hay una mediación abierta",
    "blocked_by_buyer": "el comprador bloqueó los mensajes",
    "blocked_by_time": "pasaron 30 días sin mensajes",
    "blocked_by_fulfillment": "la venta Full todavía no se entregó",
    "blocked_by_payment": "la venta todavía no está pagada",
}
# §8.5: each unread thread is named by its path, e.g. /packs/1977056109/sellers/378136913.
_UNREAD_PACK = re.compile(r"/packs/([0-9]{1,20})/sellers?/([0-9]{1,20})", re.ASCII)


@dataclass(frozen=True)
class PackThread:
    """A pack's conversation as Mercado Libre shows it to the seller right now."""

    pack_id: str
    messages: list[MeliMessage]
    status: ConversationStatus | None


@dataclass(frozen=True)
class Sale:
    """What the agent needs to recognise the sale: the listing's title and id."""

    title: str
    item_id: str | None


class MessagesChannel:
    name = NAME
    topics: tuple[str, ...] = (TOPIC,)
    reply_limit = SELLER_LIMIT
    ordered_replies = True
    presentation = Presentation(
        label="Mensajes",
        empty=(
            "Todavía no hay mensajes de compradores. Cuando un comprador escriba después de comprar, "
            "aparece acá."
        ),
        layout="chat",
        state_key=STATE_KEY,
        reply_label="Mensaje al comprador",
        handoff_reasons={"post_sale_message": "el comprador escribió", **postsale_bot.HANDOFF_REASONS},
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
        return f"message:{resource_id}"

    def partition_key(self, account_id: int, resource_id: str) -> str:
        # The pack is unknown until the message is read; every ingest re-reads the whole pack and
        # records idempotently, so two messages of one pack may be ingested side by side.
        return f"message:{resource_id}"

    def send_partition(self, reply: Outgoing) -> str:
        return f"pack:{reply.conversation_key}"

    def due_date(self, state: dict[str, Any]) -> datetime | None:
        return None

    def own_echo(self, s: Session, account_id: int, resource_id: str, received_at: datetime) -> bool:
        return False  # a message notification may carry the buyer's next message: always ingested

    # ---- ingest -------------------------------------------------------------------------------------
    async def ingest(self, ctx: AppContext, api: SellerApi, topic: str, resource_id: str) -> Plan:
        try:
            message = await api.call(api.meli.get_message, resource_id)
        except (meli_errors.NotFound, meli_errors.Forbidden):
            return Plan("skipped", detail="message not found, or not this seller's")
        pack_id = message.pack_id
        recipient = message.to.user_id if message.to is not None else None
        if pack_id is None or api.seller_id not in (message.sender_id, recipient):
            return Plan("skipped", detail="message is not in a pack of this account")
        thread = await read_pack(api, pack_id)
        sale = None
        if not await asyncio.to_thread(_known, ctx, api.account_id, pack_id):
            sale = await _sale(api, pack_id)
        shipping = await _shipping_for_bot(ctx, api, thread)
        lease_until = utcnow() + timedelta(seconds=ctx.settings.outbox_lease_s)
        return await asyncio.to_thread(_record, ctx, api.account_id, thread, sale, shipping, lease_until)

    # ---- replies ------------------------------------------------------------------------------------
    def reply_refusal(self, state: dict[str, Any]) -> str | None:
        if state.get("status") != "blocked":
            return None
        substatus = state.get("substatus") or ""
        why = BLOCKED_LABELS.get(substatus, substatus or "sin motivo")
        return f"Mercado Libre no deja escribir en esta conversación ahora: {why}."

    def plan_reply(
        self, s: Session, thread: Conversation, text: str, in_reply_to: str | None, reply_key: str
    ) -> ReplyPlan:
        refusal = self.reply_refusal(conv.state_of(thread, STATE_KEY))
        if refusal:
            raise ReplyRefused(refusal)
        buyer = conversations_store.contact_external_id(s, thread.account_id, NAME, thread.contact_id)
        if not buyer or buyer == "unknown":
            raise ReplyRefused("Todavía no sabemos quién es el comprador de esta venta.")
        return ReplyPlan(
            target_id=f"{thread.external_key}:{reply_key}",
            external_id=f"{outgoing.REPLY_PREFIX}{reply_key}",
            params={"to_user_id": buyer},
        )

    async def post(self, api: SellerApi, reply: Outgoing) -> Posted:
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
        return Posted(sent.id, sent.status)

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
        thread = await read_pack(api, reply.conversation_key)
        linked, twins = await asyncio.to_thread(_linked_ids, api.ctx, reply)
        earliest = reply.created_at - outgoing.CLOCK_SLACK
        candidates = [
            m
            for m in sorted(thread.messages, key=message_date)
            if m.sender_id == api.seller_id
            and m.id not in linked
            and outgoing.same_text(m.text, reply.text)
            and message_date(m) >= earliest
        ]
        if len(candidates) <= twins:
            return None
        return Posted(candidates[twins].id, candidates[twins].status)

    def actions(self, state: dict[str, Any]) -> list[ActionOffer]:
        return []

    def urgent(self, s: Session, workspace_id: int, before: datetime) -> list[Urgent]:
        return []

    def plan_action(
        self, s: Session, thread: Conversation, name: str, form: dict[str, str]
    ) -> tuple[ReplyPlan, str]:
        raise ReplyRefused("Esta conversación no tiene acciones.")

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
            thread = await read_pack(api, match.group(1))
            buyer_messages = [
                m.id for m in sorted(thread.messages, key=message_date) if m.sender_id != api.seller_id
            ]
            newest = await asyncio.to_thread(_newest_unseen, ctx, api.account_id, buyer_messages)
            if newest is not None:
                found.append(Pointer(TOPIC, newest, newest))
        return found


async def read_pack(api: SellerApi, pack_id: str | int) -> PackThread:
    """Every message of a pack, without marking anything read (§8.1 `mark_as_read=false`)."""
    messages: list[MeliMessage] = []
    status: ConversationStatus | None = None
    for page in range(MAX_PAGES):
        got = await api.call(
            api.meli.get_pack_messages,
            pack_id,
            api.seller_id,
            mark_as_read=False,
            offset=page * PAGE,
            limit=PAGE,
        )
        status = status or got.conversation_status
        messages.extend(got.messages)
        total = got.paging.total if got.paging is not None else None
        if len(got.messages) < PAGE or (total is not None and len(messages) >= total):
            break
    return PackThread(str(pack_id), messages, status)


def message_date(m: MeliMessage) -> datetime:
    d = m.message_date
    when = (d.created or d.received or d.available) if d is not None else None
    return when or utcnow()


async def _sale(api: SellerApi, pack_id: str) -> Sale:
    """The sold listing, read once per thread; the thread works without it if Mercado Libre says no."""
    order_id: str | int = pack_id
    try:
        pack = await api.call(api.meli.get_pack, pack_id)
        if pack.orders:
            order_id = pack.orders[0].id
    except (meli_errors.NotFound, meli_errors.Forbidden):
        pass  # §8: an order without a pack puts the order id in the pack slot
    try:
        order = await api.call(api.meli.get_order, order_id)
    except (meli_errors.NotFound, meli_errors.Forbidden):
        return Sale("", None)
    if not order.order_items:
        return Sale("", None)
    item = order.order_items[0].item
    return Sale(item.title or "", item.id)


async def _shipping_for_bot(ctx: AppContext, api: SellerApi, thread: PackThread) -> Shipping | None:
    """The shipment now, read only when the post-sale bot will answer a new buyer message with it (reads
    stay outside the recording transaction)."""
    ordered = sorted(thread.messages, key=message_date)
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


def attachments_meta(m: MeliMessage) -> list[dict[str, Any]]:
    """What the inbox lists for each attachment: never the file, only its description (§8.4)."""
    return [
        {
            "filename": a.filename,
            "name": a.original_filename or a.filename,
            "type": a.type,
            "size": a.size,
            "threat": bool(a.potential_security_threat),
        }
        for a in m.message_attachments
    ]


def _meta(m: MeliMessage) -> dict[str, Any]:
    meta: dict[str, Any] = {"attachments": attachments_meta(m)}
    if m.message_moderation is not None:
        meta["moderation"] = {"status": m.message_moderation.status, "reason": m.message_moderation.reason}
    return meta


def _buyer_of(thread: PackThread, seller_id: int) -> str:
    for m in thread.messages:
        if m.sender_id is not None and m.sender_id != seller_id:
            return str(m.sender_id)
        if m.to is not None and m.to.user_id is not None and m.to.user_id != seller_id:
            return str(m.to.user_id)
    return "unknown"


def _pack_state(status: ConversationStatus | None) -> tuple[str, dict[str, Any]]:
    if status is None:
        return "Conversación activa", {"status": "active", "substatus": None, "claim_ids": []}
    state = {"status": status.status, "substatus": status.substatus, "claim_ids": status.claim_ids or []}
    if status.is_blocked:
        return f"Conversación bloqueada ({status.substatus or 'sin motivo'})", state
    return "Conversación activa", state


def _record(
    ctx: AppContext,
    account_id: int,
    thread: PackThread,
    sale: Sale | None,
    shipping: Shipping | None = None,
    lease_until: datetime | None = None,
) -> Plan:
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        assert account is not None
        seller_id = account.meli_user_id
        buyer = _buyer_of(thread, seller_id)
        subject = f"Venta {thread.pack_id}" + (f" · {sale.title}" if sale and sale.title else "")
        conversation = conv.open_thread(
            s,
            account,
            conv.ThreadKey(NAME, thread.pack_id),
            buyer,
            conv.unnamed_buyer(buyer),
            subject=subject if sale is not None else "",
            item_id=sale.item_id if sale else None,
        )
        known = {(m.direction, m.external_id): m for m in conversations_store.messages_of(s, conversation.id)}
        new_inbound: set[str] = set()
        ordered = sorted(thread.messages, key=message_date)
        for m in ordered:
            if m.sender_id == seller_id:
                _record_seller_message(s, conversation, m, known.get(("out", m.id)))
            elif _record_buyer_message(s, conversation, m, known.get(("in", m.id))):
                new_inbound.add(m.id)
        summary, state = _pack_state(thread.status)
        turn = postsale_bot.buyer_turn(ordered, seller_id)
        kept = postsale_bot.kept_suggestion(conv.state_of(conversation, STATE_KEY), turn)
        if kept is not None:
            state["suggested_reply"] = kept
        new_turn = postsale_bot.buyer_turn(ordered, seller_id, new_inbound)
        plan = None
        if new_turn is not None and turn is not None and new_turn.last_id == turn.last_id:
            plan = postsale_bot.respond(
                s, account, conversation, new_turn, buyer, shipping, state, lease_until or utcnow(), utcnow()
            )
        conv.record_state(s, conversation, STATE_KEY, summary, state)
        if plan is not None:
            return plan
        last = ordered[-1] if ordered else None
        buyer_wrote_last = last is not None and last.sender_id != seller_id
        if (
            buyer_wrote_last
            and not postsale_bot.answered(s, conversation, turn)
            and (
                (last is not None and last.id in new_inbound)
                or conversation.owner != "agent"
                or conversation.status == "closed"
            )
        ):
            # A person replies within the 350-character rule (the bot was off, or stays out now).
            conv.hand_off(s, conversation, "post_sale_message")
            return Plan("handed_off", detail=f"{len(new_inbound)} new buyer message(s)")
        if conversation.owner != "agent" and postsale_bot.person_wrote(s, conversation):
            conversation.owner = "agent"
        return Plan("recorded", detail=f"{len(new_inbound)} new buyer message(s)")


def _record_buyer_message(s: Any, conversation: Conversation, m: MeliMessage, row: Any) -> bool:
    """Record a buyer's message once; later reads only refresh its status. True if it was new."""
    meta = _meta(m)
    if row is None:
        conv.record_inbound(
            s, conversation, m.id, m.text, message_date(m), external_status=m.status, meta=meta
        )
        return True
    if row.external_status != m.status or row.meta != meta or row.text != m.text:
        row.external_status, row.meta, row.text = m.status, meta, m.text
        conv.note_changed(s, conversation, row)
    return False


def _record_seller_message(s: Any, conversation: Conversation, m: MeliMessage, row: Any) -> None:
    """The seller's side: ours (already linked, or adopted now) or written in Mercado Libre's own UI."""
    meta = _meta(m)
    if row is None:
        row = outgoing.adopt_posted(s, conversation, m.text, m.id, message_date(m))
    if row is None:  # a send may have linked it since this ingest read the thread
        row = conversations_store.message_by_external_id(s, conversation.id, "out", m.id)
    if row is None:
        conv.record_outbound(
            s, conversation, m.id, m.text, "seller", "sent", meta=meta, sent_at=message_date(m)
        )
        return
    merged = {**(row.meta or {}), **meta}
    if row.external_status != m.status or row.meta != merged:
        row.external_status, row.meta = m.status, merged
        conv.note_changed(s, conversation, row)
