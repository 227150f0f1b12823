"""One registry: which notification topics Mostrador handles, and which it ignores on purpose.

Adding a channel means one module and one line here. Topics that are known but not used get a quiet
200 (counted); anything else is logged as unsupported (Zulip's habit).
"""

from __future__ import annotations

from mostrador.channels.base import Channel
from mostrador.channels.questions import QuestionsChannel

CHANNELS: dict[str, Channel] = {
    "questions": QuestionsChannel(),
}

# Known Mercado Libre topics (§4.2) that this product does not act on yet: acknowledged and counted.
IGNORED_TOPICS: frozenset[str] = frozenset(
    {
        "items",
        "items_prices",
        "orders_v2",
        "orders",
        "created_orders",
        "shipments",
        "payments",
        "invoices",
        "user_products",
        "user_products_families",
        "stock-location",
        "price_suggestion",
        "catalog_item_competition_status",
        "catalog_suggestions",
        "fbm_stock_operations",
        "flex-handshakes",
        "public_offers",
        "public_candidates",
        "vis_leads",
        "leads-credits",
        "quotations",
        "pictures",
        "messages",
        "post_purchase",
        "claims",
    }
)


def channel_for(topic: str) -> Channel | None:
    return CHANNELS.get(topic)
