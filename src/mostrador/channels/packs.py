"""A pack's post-sale conversation as Mercado Libre shows it, and how it is recorded (§8).

Reading never marks anything read (§8.1 `mark_as_read=false`). Recording keeps each message once, with
its attachments' metadata and moderation, the thread's blocked/active status (§8.6) as the
conversation's state, and — while the buyer has not written — that the seller must start through the
action guide (§8.7, `seller_contact`). When the buyer wrote last, the post-sale bot (`postsale_bot`)
answers or the thread is handed to a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mostrador.accounts.seller_api import SellerApi
from mostrador.bot.postsale import Shipping
from mostrador.channels import postsale_bot, seller_contact
from mostrador.channels.base import Plan
from mostrador.conversations import outgoing
from mostrador.conversations import service as conv
from mostrador.meli import errors as meli_errors
from mostrador.meli.models import ConversationStatus, MessageModeration
from mostrador.meli.models import Message as MeliMessage
from mostrador.store import conversations as conversations_store
from mostrador.store.models import Account, Conversation, utcnow

NAME = "messages"
STATE_KEY = "pack"
PAGE = 50
MAX_PAGES = 40  # 2,000 messages; a pack's chat is far shorter


@dataclass(frozen=True)
class PackThread:
    """A pack's conversation as Mercado Libre shows it to the seller right now."""

    pack_id: str
    messages: list[MeliMessage]
    status: ConversationStatus | None


@dataclass(frozen=True)
class SoldListing:
    """What the agent needs to recognise the sale: the listing's title and id."""

    title: str
    item_id: str | None


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


async def read_sold_listing(api: SellerApi, pack_id: str) -> SoldListing:
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
        return SoldListing("", None)
    if not order.order_items:
        return SoldListing("", None)
    item = order.order_items[0].item
    return SoldListing(item.title or "", item.id)


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


def moderation_of(moderation: MessageModeration | None) -> dict[str, Any] | None:
    """Mercado Libre's verdict on a message's text (§8.1), as the inbox keeps it."""
    return {"status": moderation.status, "reason": moderation.reason} if moderation is not None else None


def _meta(m: MeliMessage) -> dict[str, Any]:
    meta: dict[str, Any] = {"attachments": attachments_meta(m)}
    if m.message_moderation is not None:
        meta["moderation"] = moderation_of(m.message_moderation)
    return meta


def _buyer_of(thread: PackThread, seller_id: int) -> str:
    for m in thread.messages:
        if m.sender_id is not None and m.sender_id != seller_id:
            return str(m.sender_id)
        if m.to is not None and m.to.user_id is not None and m.to.user_id != seller_id:
            return str(m.to.user_id)
    return "unknown"


def buyer_wrote(thread: PackThread, seller_id: int) -> bool:
    return any(m.sender_id is not None and m.sender_id != seller_id for m in thread.messages)


def summary_of(status: ConversationStatus | None) -> tuple[str, dict[str, Any]]:
    """The pack's one-line summary and state from its status (§8.6)."""
    return _pack_state(status)


def subject_of(pack_id: str, sale: SoldListing | None) -> str:
    return f"Venta {pack_id}" + (f" · {sale.title}" if sale and sale.title else "")


def _pack_state(status: ConversationStatus | None) -> tuple[str, dict[str, Any]]:
    if status is None:
        return "Conversación activa", {"status": "active", "substatus": None, "claim_ids": []}
    state = {"status": status.status, "substatus": status.substatus, "claim_ids": status.claim_ids or []}
    if status.is_blocked:
        return f"Conversación bloqueada ({status.substatus or 'sin motivo'})", state
    return "Conversación activa", state


@dataclass
class Recorded:
    """A pack's thread after recording what Mercado Libre showed: what was new, and its state (written
    by the caller, who may add the bot's suggestion first)."""

    conversation: Conversation
    ordered: list[MeliMessage]
    new_inbound: set[str]
    summary: str
    state: dict[str, Any]


def record_pack(
    s: Session,
    account: Account,
    thread: PackThread,
    sale: SoldListing | None,
    *,
    buyer: str | None = None,
    guide: list[dict[str, Any]] | None = None,
) -> Recorded:
    """Record every message of the pack once; `buyer` names the buyer when no message does yet (a
    conversation the seller starts), `guide` the action guide's options read for it."""
    seller_id = account.meli_user_id
    found = _buyer_of(thread, seller_id)
    buyer = found if found != "unknown" or not buyer else buyer
    subject = subject_of(thread.pack_id, sale)
    conversation = conv.open_thread(
        s,
        account,
        conv.ThreadKey(NAME, thread.pack_id),
        buyer,
        conv.unnamed_buyer(buyer),
        subject=subject if sale is not None else "",
        item_id=sale.item_id if sale else None,
    )
    # The thread's row first (two messages of one pack are ingested side by side): see questions._record.
    conversations_store.lock_ownership(s, conversation)
    known = {(m.direction, m.external_id): m for m in conversations_store.messages_of(s, conversation.id)}
    new_inbound: set[str] = set()
    ordered = sorted(thread.messages, key=message_date)
    for m in ordered:
        if m.sender_id == seller_id:
            _record_seller_message(s, conversation, m, known.get(("out", m.id)))
        elif _record_buyer_message(s, conversation, m, known.get(("in", m.id))):
            new_inbound.add(m.id)
    summary, state = _pack_state(thread.status)
    previous = conv.state_of(conversation, STATE_KEY)
    options = guide if guide is not None else previous.get(seller_contact.GUIDE)
    if seller_contact.must_start(thread.status, buyer_wrote(thread, seller_id), options):
        state[seller_contact.SELLER_STARTS] = True
        state[seller_contact.GUIDE] = options
        summary = "Sin mensajes del comprador: se inicia con un motivo de Mercado Libre"
    return Recorded(conversation, ordered, new_inbound, summary, state)


def pack_state(conversation: Conversation) -> dict[str, Any]:
    return conv.state_of(conversation, STATE_KEY)


def record(
    s: Session,
    account: Account,
    thread: PackThread,
    sale: SoldListing | None,
    shipping: Shipping | None = None,
    lease_until: datetime | None = None,
    *,
    guide: list[dict[str, Any]] | None = None,
) -> Plan:
    """A `messages` notification's pack: recorded, then the post-sale bot answers or a person is asked."""
    seller_id = account.meli_user_id
    found = record_pack(s, account, thread, sale, guide=guide)
    conversation, ordered, new_inbound, state = (
        found.conversation,
        found.ordered,
        found.new_inbound,
        found.state,
    )
    buyer = _buyer_of(thread, seller_id)
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
    conv.record_state(s, conversation, STATE_KEY, found.summary, state)
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
