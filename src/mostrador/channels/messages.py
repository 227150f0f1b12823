"""Post-sale messages (§8): one conversation per pack, every message of both sides, answered by agents.

A `messages` notification carries a bare message id (§4.2). Ingest reads that message with the
seller's own token, finds its pack, and reads the whole thread without marking it read (§8.1: a plain
GET marks it read; a background sync must not hide unread messages from the seller). Each message is
recorded once, with its attachments' metadata and its moderation; the thread's blocked/active status
(§8.6) is kept as the conversation's state. There is no bot after the sale: when the buyer wrote
last, the thread is handed to an agent.

Send posts an agent's reply (350 characters, §8.3), recorded before sending. A 5xx or a timeout on
the POST is never retried blindly (the message may be out): the next attempt re-reads the thread first.
"""

from __future__ import annotations

import asyncio
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
from mostrador.meli.models import ConversationStatus
from mostrador.meli.models import Message as MeliMessage
from mostrador.store import conversations as conversations_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, utcnow

CHANNEL = "messages"
SELLER_LIMIT = 350  # §8.3 seller_max_message_length
PAGE = 50
MAX_PAGES = 40  # 2,000 messages; a pack's chat is far shorter
# Refusals after which nothing was posted: blocked thread, open mediation, buyer gone (§8.3, §8.6).
REFUSED = (
    meli_errors.BadRequest,
    meli_errors.Forbidden,
    meli_errors.NotFound,
    meli_errors.Unprocessable,
    meli_errors.Unavailable,
)


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
    topic = "messages"
    name = CHANNEL

    def workflow_key(self, resource_id: str) -> str:
        return f"message:{resource_id}"

    def partition_key(self, account_id: int, resource_id: str) -> str:
        # The pack is unknown until the message is read; every ingest re-reads the whole pack and
        # records idempotently, so two messages of one pack may be ingested side by side.
        return f"message:{resource_id}"

    async def ingest(self, ctx: AppContext, account_id: int, resource_id: str) -> Plan:
        try:
            message = await call_with_token(ctx, account_id, lambda t: ctx.meli.get_message(resource_id, t))
        except (meli_errors.NotFound, meli_errors.Forbidden):
            return Plan("skipped", detail="message not found, or not this seller's")
        seller_id = await asyncio.to_thread(_seller_id, ctx, account_id)
        pack_id = message.pack_id
        recipient = message.to.user_id if message.to is not None else None
        if pack_id is None or seller_id not in (message.sender_id, recipient):
            return Plan("skipped", detail="message is not in a pack of this account")
        thread = await read_pack(ctx, account_id, pack_id, seller_id)
        sale = None
        if not await asyncio.to_thread(_known, ctx, account_id, pack_id):
            sale = await _sale(ctx, account_id, pack_id)
        return await asyncio.to_thread(_record, ctx, account_id, thread, sale)

    async def send(self, ctx: AppContext, reply_id: int) -> str:
        reply = await agent_replies.load(ctx, reply_id)
        if reply.status in ("sent", "superseded", "failed"):
            return reply.status
        pack_id = reply.thread_key
        if reply.attempts > 0:
            # An earlier attempt may have reached Mercado Libre before we crashed: look before posting.
            thread = await read_pack(ctx, reply.account_id, pack_id, reply.seller_id)
            if await asyncio.to_thread(_settle_from_thread, ctx, reply, thread):
                return "sent"
        refused = await agent_replies.refused_by_guard(ctx, reply, SELLER_LIMIT)
        if refused is not None:
            return refused
        buyer = reply.meta.get("to_user_id")
        if not buyer:
            return await agent_replies.fail(ctx, reply_id, "no_recipient", "buyer unknown")
        await agent_replies.count_attempt(ctx, reply_id)
        try:
            sent = await call_with_token(
                ctx,
                reply.account_id,
                lambda t: ctx.meli.send_message(pack_id, reply.seller_id, buyer, reply.text, t),
            )
        except REFUSED as exc:
            return await agent_replies.fail(ctx, reply_id, "rejected", str(exc))
        return await agent_replies.mark_sent(ctx, reply_id, sent.id, sent.status)


async def read_pack(ctx: AppContext, account_id: int, pack_id: str | int, seller_id: int) -> PackThread:
    """Every message of a pack, without marking anything read (§8.1 `mark_as_read=false`)."""
    messages: list[MeliMessage] = []
    status: ConversationStatus | None = None
    for page in range(MAX_PAGES):
        got = await call_with_token(
            ctx,
            account_id,
            lambda t, page=page: ctx.meli.get_pack_messages(  # type: ignore[misc]
                pack_id, seller_id, t, mark_as_read=False, offset=page * PAGE, limit=PAGE
            ),
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


async def _sale(ctx: AppContext, account_id: int, pack_id: str) -> Sale:
    """The sold listing, read once per thread; the thread works without it if Mercado Libre says no."""
    order_id: str | int = pack_id
    try:
        pack = await call_with_token(ctx, account_id, lambda t: ctx.meli.get_pack(pack_id, t))
        if pack.orders:
            order_id = pack.orders[0].id
    except (meli_errors.NotFound, meli_errors.Forbidden):
        pass  # §8: an order without a pack puts the order id in the pack slot
    try:
        order = await call_with_token(ctx, account_id, lambda t: ctx.meli.get_order(order_id, t))
    except (meli_errors.NotFound, meli_errors.Forbidden):
        return Sale("", None)
    if not order.order_items:
        return Sale("", None)
    item = order.order_items[0].item
    return Sale(item.title or "", item.id)


# ---- synchronous parts -------------------------------------------------------------------------
def _seller_id(ctx: AppContext, account_id: int) -> int:
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        if acc is None:
            raise LookupError(f"unknown account {account_id}")
        return acc.meli_user_id


def _known(ctx: AppContext, account_id: int, pack_id: str) -> bool:
    with transaction(ctx.sessions) as s:
        return conversations_store.conversation_exists(s, account_id, CHANNEL, pack_id)


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


def _record(ctx: AppContext, account_id: int, thread: PackThread, sale: Sale | None) -> Plan:
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        assert account is not None
        seller_id = account.meli_user_id
        buyer = _buyer_of(thread, seller_id)
        subject = f"Venta {thread.pack_id}" + (f" · {sale.title}" if sale and sale.title else "")
        conversation = conv.open_thread(
            s,
            account,
            conv.ThreadKey(CHANNEL, thread.pack_id),
            buyer,
            f"Comprador {buyer}",
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
        conv.record_state(s, conversation, "pack", summary, state)
        last = ordered[-1] if ordered else None
        buyer_wrote_last = last is not None and last.sender_id != seller_id
        if buyer_wrote_last and (
            (last is not None and last.id in new_inbound)
            or conversation.owner != "agent"
            or conversation.status == "closed"
        ):
            # §8: no bot answers after the sale; a person replies within the 350-character rule.
            conv.hand_off(s, conversation, "post_sale_message")
            return Plan("handed_off", detail=f"{len(new_inbound)} new buyer message(s)")
        if conversation.owner != "agent":
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
    return False


def _record_seller_message(s: Any, conversation: Conversation, m: MeliMessage, row: Any) -> None:
    """The seller's side: ours (already linked, or adopted now) or written in Mercado Libre's own UI."""
    meta = _meta(m)
    if row is None:
        row = replies.adopt_posted(s, conversation, m.text, m.id, message_date(m))
    if row is None:
        conv.record_outbound(
            s, conversation, m.id, m.text, "seller", "sent", meta=meta, sent_at=message_date(m)
        )
        return
    merged = {**(row.meta or {}), **meta}
    if row.external_status != m.status or row.meta != merged:
        row.external_status, row.meta = m.status, merged


def _settle_from_thread(ctx: AppContext, reply: replies.PendingReply, thread: PackThread) -> bool:
    """True if the thread already holds this reply (then it is marked sent, never posted again)."""
    with transaction(ctx.sessions) as s:
        conversation = conversations_store.conversation_by_key(s, reply.account_id, CHANNEL, thread.pack_id)
        if conversation is None:
            return False
        linked = {
            m.external_id for m in conversations_store.messages_of(s, conversation.id) if m.direction == "out"
        }
        for m in sorted(thread.messages, key=message_date):
            if m.sender_id != reply.seller_id or m.id in linked or m.text != reply.text:
                continue
            replies.adopt_posted(s, conversation, m.text, m.id, message_date(m))
            if _is_sent(s, reply.reply_id):
                return True
        return False


def _is_sent(s: Any, reply_id: int) -> bool:
    return bool(replies.load(s, reply_id).status == "sent")
