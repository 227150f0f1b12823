"""Sales the seller writes about first: messages on order events, and a person starting a conversation.

`orders_v2` notifications (§4.2) reach the messages channel here. When the account's post-sale bot is
on and has order messages (`order_messages` in the bot settings, bot/order_messages.py), each rule whose
event the sale reached (paid, shipped, delivered) is recorded once per pack through the outbox (target
`<pack>:event:<rule>`): under its action-guide option while the buyer has not written (§8.7), as an
ordinary message once they have (free-text rules only). Like the rest of the post-sale bot, it stays
silent in a conversation a person looks after. Without rules, a notification costs no call at all.

`open_sale` is a person's way in: from an order (the side panel lists the buyer's), the pack's
conversation is recorded — with the guide's options when the seller must start — and opened.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mostrador.accounts.seller_api import SellerApi
from mostrador.bot import order_messages
from mostrador.bot.cache import account_config
from mostrador.bot.claims import shipment_words
from mostrador.bot.order_messages import OrderMessageRule
from mostrador.channels import packs, postsale_bot, seller_contact
from mostrador.channels.base import Plan
from mostrador.channels.sales import Sale, read_order
from mostrador.context import AppContext
from mostrador.conversations import outgoing
from mostrador.conversations import service as conv
from mostrador.conversations.outgoing import Outgoing, ReplyPlan, ReplyRefused
from mostrador.store import conversations as conversations_store
from mostrador.store import outbox as outbox_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, utcnow

TOPIC = "orders_v2"


class SaleNotFound(LookupError):
    """Mercado Libre does not show that order to this seller."""


@dataclass(frozen=True)
class SaleNow:
    """A sale as read for its conversation: the order, the pack's messages, the guide's options."""

    sale: Sale
    thread: packs.PackThread
    guide: list[dict[str, Any]] | None


async def read_sale(api: SellerApi, order_id: str) -> SaleNow:
    sale = await read_order(api, order_id)
    if sale.buyer_id is None:
        raise SaleNotFound(f"order {order_id} not found, or not this seller's")
    pack_id = sale.pack_id if sale.pack_id not in (None, "", "None") else str(sale.order_id or order_id)
    thread = await packs.read_pack(api, pack_id)
    guide = (
        None if packs.buyer_wrote(thread, api.seller_id) else await seller_contact.read_guide(api, pack_id)
    )
    return SaleNow(sale, thread, guide)


# ---- a person opens a sale's conversation --------------------------------------------------------------
async def open_sale(ctx: AppContext, api: SellerApi, order_id: str) -> int:
    """Record the pack's conversation of an order (raises `SaleNotFound`); returns its id."""
    found = await read_sale(api, order_id)
    return await asyncio.to_thread(_record_sale, ctx, api.account_id, found)


async def refresh(ctx: AppContext, api: SellerApi, pack_id: str) -> None:
    """Read a pack the seller must start again (its guide's caps change with every send)."""
    thread = await packs.read_pack(api, pack_id)
    guide = (
        None if packs.buyer_wrote(thread, api.seller_id) else await seller_contact.read_guide(api, pack_id)
    )
    await asyncio.to_thread(_record_sale, ctx, api.account_id, SaleNow(Sale(), thread, guide))


def _record_sale(ctx: AppContext, account_id: int, found: SaleNow) -> int:
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        assert account is not None
        conversation, _ = _record(s, account, found)
        return conversation.id


def _record(s: Any, account: Account, found: SaleNow) -> tuple[Conversation, dict[str, Any]]:
    """The sale's conversation and its state now. While the buyer has not written, the pack is
    recorded here (only the seller's side can be in it). Once they have, their messages are the
    messages channel's to record — its ingest answers or hands off what is new — so here the thread
    is only made sure of and its state left as that ingest wrote it."""
    sold = packs.SoldListing(found.sale.title, found.sale.item_id) if found.sale.title else None
    key = conv.ThreadKey(packs.NAME, found.thread.pack_id)
    existing = conversations_store.conversation_by_key(s, account.id, key.channel, key.external_key)
    buyer = found.sale.buyer_id
    if existing is not None:
        buyer = conversations_store.contact_external_id(s, account.id, packs.NAME, existing.contact_id)
    if packs.buyer_wrote(found.thread, account.meli_user_id):
        conversation = existing or conv.open_thread(
            s,
            account,
            key,
            buyer or "unknown",
            conv.unnamed_buyer(buyer or "unknown"),
            subject=packs.subject_of(found.thread.pack_id, sold),
            item_id=sold.item_id if sold else None,
        )
        state = {**packs.pack_state(conversation), **packs.summary_of(found.thread.status)[1]}
        if state.pop(seller_contact.SELLER_STARTS, None):  # the buyer answered: the guide is over
            state.pop(seller_contact.GUIDE, None)
            summary, _ = packs.summary_of(found.thread.status)
            conv.record_state(s, conversation, packs.STATE_KEY, summary, state)
        return conversation, state
    recorded = packs.record_pack(s, account, found.thread, sold, buyer=buyer, guide=found.guide)
    conv.record_state(s, recorded.conversation, packs.STATE_KEY, recorded.summary, recorded.state)
    return recorded.conversation, recorded.state


# ---- order messages ------------------------------------------------------------------------------------
async def on_order(ctx: AppContext, api: SellerApi, order_id: str) -> Plan:
    """An `orders_v2` notification: record the order messages whose event the sale reached, once each."""
    config = account_config(api.account.bot_config)
    rules = [r for r in config.order_messages if r.enabled] if config.post_sale else []
    if not rules:
        return Plan("skipped", detail="no order messages configured")
    sale = await read_order(api, order_id)
    due = order_messages.due_rules(
        rules, order_messages.events_reached(sale.order_status, sale.shipment_status)
    )
    if sale.buyer_id is None or not due:
        return Plan("skipped", detail="no order message due for this sale now")
    pack_id = sale.pack_id if sale.pack_id not in (None, "", "None") else str(order_id)
    targets = [event_target(pack_id, r) for r in due]
    if await asyncio.to_thread(_recorded, ctx, api.account_id, targets):
        return Plan("skipped", detail="order messages already recorded")
    thread = await packs.read_pack(api, pack_id)
    guide = (
        None if packs.buyer_wrote(thread, api.seller_id) else await seller_contact.read_guide(api, pack_id)
    )
    lease_until = utcnow() + timedelta(seconds=ctx.settings.outbox_lease_s)
    found = SaleNow(sale, thread, guide)
    return await asyncio.to_thread(_record_order_messages, ctx, api.account_id, found, due, lease_until)


def event_target(pack_id: str, rule: OrderMessageRule) -> str:
    return f"{pack_id}:event:{rule.id}"


def _recorded(ctx: AppContext, account_id: int, targets: list[str]) -> bool:
    with transaction(ctx.sessions) as s:
        return outbox_store.targets_recorded(s, account_id, packs.NAME, targets)


def _record_order_messages(
    ctx: AppContext, account_id: int, found: SaleNow, due: list[OrderMessageRule], lease_until: datetime
) -> Plan:
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        assert account is not None
        thread, state = _record(s, account, found)
        if thread.owner == "agent" or postsale_bot.person_wrote(s, thread):
            return Plan("skipped", detail="a person looks after this sale's conversation")
        lang = postsale_bot.language(account.site_id)
        sale = found.sale
        buyer_wrote = packs.buyer_wrote(found.thread, account.meli_user_id)
        values = {
            "buyer": sale.buyer_nickname,
            "order_id": sale.order_id,
            "item_title": sale.title,
            "shipment_status": shipment_words(sale.shipment_status, lang),
            "tracking_number": sale.tracking_number,
            "carrier": sale.carrier,
        }
        first: Outgoing | None = None
        notes = []
        for rule in due:
            text = order_messages.render(rule, lang, values) or ""
            try:
                plan, shown = _rule_plan(s, thread, state, rule, text, sale, buyer_wrote)
            except ReplyRefused as exc:
                notes.append(f"{rule.id}: {exc}")
                continue
            entry, must_schedule = outgoing.record(s, thread, plan, shown, "bot", lease_until)
            if must_schedule and first is None:
                first = entry
            notes.append(f"{rule.id}: recorded")
    detail = "; ".join(notes)
    if first is None:
        return Plan("skipped", detail=detail or "nothing to send")
    # Several rules due at once: the first goes now, the others are pending entries the outbox sweep
    # delivers (in order: a pack's sends share one partition).
    return Plan("reply_pending", reply_id=first.id, drive=first.drive, detail=detail)


def _rule_plan(
    s: Any,
    thread: Conversation,
    state: dict[str, Any],
    rule: OrderMessageRule,
    text: str,
    sale: Sale,
    buyer_wrote: bool,
) -> tuple[ReplyPlan, str]:
    """Under the guide while the seller must start; an ordinary message once the buyer wrote and the
    conversation is open; nothing otherwise (blocked, or Mercado Libre offers no way now)."""
    target = event_target(thread.external_key, rule)
    # Values read from Mercado Libre the text may quote although they look like contact data to the
    # guard (a tracking number, a nickname or a title with digits).
    quoted = tuple(
        v for v in (sale.tracking_number, sale.order_id, sale.buyer_nickname, sale.title, sale.carrier) if v
    )
    if seller_contact.option_in_use(s, thread, rule.option, target):
        raise ReplyRefused(f"{rule.option} is already being sent (or was) in this sale")
    if state.get(seller_contact.SELLER_STARTS):
        option = next((o for o in state.get(seller_contact.GUIDE) or [] if o.get("id") == rule.option), None)
        if option is None or not option.get("enabled"):
            raise ReplyRefused(f"Mercado Libre does not offer {rule.option} for this sale now")
        if option.get("cap") is not None and option["cap"] <= 0:
            raise ReplyRefused(f"{rule.option} already used: waiting for the buyer")
        plan, shown = seller_contact.guide_plan(thread, rule.option, option, text, target, quoted)
    else:
        if not buyer_wrote or state.get("status") == "blocked":
            why = state.get("substatus") or "the seller may not write first here"
            raise ReplyRefused(f"the conversation is not open to the seller now ({why})")
        if rule.option not in order_messages.FREE_TEXT_OPTIONS or not text:
            raise ReplyRefused(f"{rule.option} is sent only through the guide, and the buyer already wrote")
        buyer = conversations_store.contact_external_id(s, thread.account_id, packs.NAME, thread.contact_id)
        if not buyer or buyer == "unknown":
            raise ReplyRefused("the buyer of this sale is not known yet")
        plan = ReplyPlan(target, f"{outgoing.REPLY_PREFIX}{target}", {"to_user_id": buyer})
        shown = text
    return ReplyPlan(plan.target_id, plan.external_id, {**plan.params, "allow": list(quoted)}), shown
