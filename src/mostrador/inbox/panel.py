"""The buyer beside a conversation: their Mercado Libre nickname, what else they asked or wrote to this
seller, and the orders they placed with the seller — which is also how a question is seen to have
become a sale.

The conversations come from our own database; the nickname and the orders are read live from Mercado
Libre (bounded by a short wait and cached a minute per buyer by the caller), and the page still works
without them. A nickname read replaces the placeholder name ("Comprador 123") the channels record, so
the list shows it from then on.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from mostrador import i18n
from mostrador.accounts.seller_api import SellerApi
from mostrador.accounts.tokens import AccountUnavailable, TokenRefreshFailed
from mostrador.channels.registry import PACK_CHANNEL_NAME, channel_named
from mostrador.context import AppContext
from mostrador.conversations import service as conv_service
from mostrador.meli import errors as meli_errors
from mostrador.store import conversations as conversations_store
from mostrador.store.db import transaction
from mostrador.store.models import Account

ORDERS_SHOWN = 10


@dataclass(frozen=True)
class EarlierThread:
    id: int
    channel_label: str
    subject: str
    last_message_at: datetime
    waiting: int
    closed: bool


@dataclass(frozen=True)
class BuyerOrder:
    order_id: int
    created: datetime | None
    status: str | None
    title: str
    item_id: str | None
    total: float | None
    currency_id: str | None
    conversation_id: int | None  # our post-sale conversation of its pack, when there is one


@dataclass
class BuyerPanel:
    buyer_id: str | None
    name: str  # as recorded (the nickname once known)
    seller_nickname: str
    seller_id: int
    earlier: list[EarlierThread] = field(default_factory=list)
    nickname: str | None = None  # read from Mercado Libre now; None when it could not be
    orders: list[BuyerOrder] | None = None  # None: Mercado Libre could not be read now
    orders_partial: bool = False  # only the newest matches were read: an older order may be missing
    item_id: str | None = None  # the conversation's listing

    @property
    def bought_this(self) -> list[BuyerOrder]:
        """Orders of the conversation's listing: a question that became a sale."""
        return [o for o in self.orders or [] if self.item_id and o.item_id == self.item_id]


@dataclass(frozen=True)
class LiveBuyer:
    """What Mercado Libre says about the buyer now (cached by the caller)."""

    nickname: str | None
    orders: (
        list[tuple[int, datetime | None, str | None, str, str | None, float | None, str | None, int]] | None
    )
    partial: bool = False  # Mercado Libre matched more orders than were read: older ones may be missing


def local_panel(
    ctx: AppContext, workspace_id: int, conversation_id: int
) -> tuple[BuyerPanel, Account] | None:
    """The panel from our database alone (no Mercado Libre call)."""
    with transaction(ctx.sessions) as s:
        thread = conversations_store.conversation_in_workspace(s, workspace_id, conversation_id)
        if thread is None:
            return None
        account = s.get(Account, thread.account_id)
        assert account is not None
        buyer_id = (
            conversations_store.contact_external_id(s, account.id, thread.channel, thread.contact_id)
            if thread.contact_id
            else None
        )
        if buyer_id is not None and not buyer_id.isdigit():
            buyer_id = None  # recorded without a Mercado Libre user ("unknown"): nobody to look up
        earlier = []
        if buyer_id:
            for other in conversations_store.buyer_threads(s, account.id, buyer_id, thread.id):
                earlier.append(
                    EarlierThread(
                        other.id,
                        i18n.gettext(channel_named(other.channel).presentation.label),
                        other.subject or other.item_id or "",
                        other.last_message_at,
                        other.waiting_count,
                        other.status == "closed",
                    )
                )
        panel = BuyerPanel(
            buyer_id=buyer_id,
            name=thread.contact.display_name if thread.contact else "",
            seller_nickname=account.nickname,
            seller_id=account.meli_user_id,
            earlier=earlier,
            item_id=thread.item_id,
        )
        s.expunge(account)
        return panel, account


async def read_buyer(
    ctx: AppContext, account_id: int, seller_id: int, buyer_id: str, wait_s: float
) -> LiveBuyer:
    """The buyer's nickname and their orders with this seller, newest first; parts Mercado Libre does
    not give within `wait_s` are None."""
    try:
        api = await SellerApi.open(ctx, account_id)
        user = await asyncio.wait_for(api.call(api.meli.get_user, buyer_id), wait_s)
    except (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed, TimeoutError):
        return LiveBuyer(None, None)
    nickname = user.nickname
    if not nickname:
        return LiveBuyer(None, None)
    try:
        found = await asyncio.wait_for(
            api.call(api.meli.search_orders, seller_id=seller_id, q=nickname, limit=ORDERS_SHOWN * 2), wait_s
        )
    except (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed, TimeoutError):
        return LiveBuyer(nickname, None)
    orders = []
    for order in found.results:
        if order.buyer is None or str(order.buyer.id) != buyer_id:
            continue  # `q` also matches titles: keep the buyer's own
        item = order.order_items[0].item if order.order_items else None
        orders.append(
            (
                order.id,
                order.date_created,
                order.status,
                (item.title or "") if item is not None else "",
                item.id if item is not None else None,
                order.total_amount,
                order.currency_id,
                order.conversation_pack_id,
            )
        )
    orders.sort(key=lambda o: (o[1] is not None, o[1]), reverse=True)
    partial = (found.paging.total or 0) > len(found.results)
    return LiveBuyer(nickname, orders[:ORDERS_SHOWN], partial)


def complete(ctx: AppContext, panel: BuyerPanel, account_id: int, live: LiveBuyer) -> BuyerPanel:
    """The panel with what was read live: orders linked to our post-sale conversations, and the
    nickname given to the buyer's placeholder-named contacts."""
    panel.nickname = live.nickname
    panel.orders_partial = live.partial
    with transaction(ctx.sessions) as s:
        if live.nickname and panel.buyer_id and not conv_service.known_name(panel.name):
            conversations_store.name_buyer(
                s, account_id, panel.buyer_id, live.nickname, conv_service.UNNAMED_BUYER
            )
            panel.name = live.nickname
        if live.orders is not None:
            panel.orders = []
            for order_id, created, status, title, item_id, total, currency, pack_id in live.orders:
                chat = conversations_store.conversation_by_key(s, account_id, PACK_CHANNEL_NAME, str(pack_id))
                panel.orders.append(
                    BuyerOrder(
                        order_id, created, status, title, item_id, total, currency, chat.id if chat else None
                    )
                )
    return panel
