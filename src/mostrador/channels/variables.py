"""The variables agents' replies may name, per kind of thread, and their values now.

Questions quote the live listing (read when the reply is sent, the same facts the bot answers from);
post-sale messages and claims quote the purchase (order and shipment). Shipping states are said in
words, in the thread's language.
"""

from __future__ import annotations

from typing import Any

from mostrador.accounts.seller_api import SellerApi
from mostrador.bot.answers import format_price
from mostrador.bot.listing import ItemFacts
from mostrador.channels.base import ThreadRef
from mostrador.channels.sales import Sale
from mostrador.conversations.service import known_name
from mostrador.i18n import N_
from mostrador.meli import errors as meli_errors

# What each variable is (shown to agents, translated where shown); the values themselves go to buyers
# as they are.
LISTING_VARIABLES = {
    "title": N_("título de la publicación"),
    "price": N_("precio actual"),
    "stock": N_("unidades disponibles"),
    "free_shipping": N_("si el envío es gratis"),
    "warranty": N_("garantía"),
    "permalink": N_("enlace a la publicación"),
    "buyer": N_("nombre del comprador"),
}
SALE_VARIABLES = {
    "title": N_("producto comprado"),
    "order_id": N_("número de venta"),
    "shipping_status": N_("estado del envío"),
    "tracking_number": N_("código de seguimiento"),
    "carrier": N_("transporte"),
    "buyer": N_("nombre del comprador"),
}
# Values Mercado Libre itself gives that look like contact data to the guard (long digit runs, its own
# listing links): a reply quoting them through a variable lets the guard know they are not.
QUOTED_IDS = frozenset({"order_id", "tracking_number", "claim_id", "permalink"})
SHIPPING_WORDS = {
    "pending": "pendiente",
    "handling": "en preparación",
    "ready_to_ship": "listo para despachar",
    "shipped": "en camino",
    "delivered": "entregado",
    "not_delivered": "no entregado",
    "cancelled": "cancelado",
}


async def listing_values(api: SellerApi, thread: ThreadRef) -> dict[str, str | None]:
    """The listing's facts now; what Mercado Libre does not say is None."""
    values: dict[str, str | None] = {"buyer": known_name(thread.buyer)}
    if not thread.item_id:
        return values
    try:
        item = await api.call(api.meli.get_item, thread.item_id)
    except (meli_errors.NotFound, meli_errors.Forbidden):
        return values
    raw: dict[str, Any] = item.model_dump(mode="json", by_alias=True)
    facts = ItemFacts.from_item(raw)
    warranty = facts.warranty_text or " ".join(x for x in (facts.warranty_type, facts.warranty_time) if x)
    values.update(
        title=facts.title,
        price=format_price(facts.price, facts.currency_id) if facts.price is not None else None,
        stock=str(facts.total_stock()) if facts.available_quantity is not None or facts.variations else None,
        free_shipping=None
        if facts.free_shipping is None
        else "con envío gratis"
        if facts.free_shipping
        else "con envío a cargo del comprador",
        warranty=warranty or None,
        permalink=raw.get("permalink"),
    )
    return values


def sale_values(sale: Sale, buyer: str) -> dict[str, str | None]:
    return {
        "title": sale.title or None,
        "order_id": sale.order_id,
        "shipping_status": SHIPPING_WORDS.get(sale.shipment_status or "", sale.shipment_status),
        "tracking_number": sale.tracking_number,
        "carrier": sale.carrier,
        "buyer": sale.buyer_nickname or known_name(buyer),
    }
