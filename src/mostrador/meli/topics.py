"""Notification topics (§4.2) and the one function that turns a ``resource`` into an id.

A notification is only a pointer and arrives unauthenticated (§4.4), so its ``resource`` is
never used as a URL: ``resource_id`` checks the documented shape for the topic and returns the
bare id, which the client then places in a path it builds itself.
"""

from __future__ import annotations

import re

__all__ = [
    "ALL_TOPICS",
    "CLAIMS",
    "INVOICES",
    "ITEMS",
    "ITEMS_PRICES",
    "MESSAGES",
    "ORDERS",
    "ORDERS_V2",
    "OTHER_TOPICS",
    "PAYMENTS",
    "POST_PURCHASE",
    "QUESTIONS",
    "SHIPMENTS",
    "STOCK_LOCATION",
    "USER_PRODUCTS",
    "resource_id",
]

ORDERS_V2 = "orders_v2"
MESSAGES = "messages"
QUESTIONS = "questions"
ITEMS = "items"
ITEMS_PRICES = "items_prices"
SHIPMENTS = "shipments"
PAYMENTS = "payments"
POST_PURCHASE = "post_purchase"
INVOICES = "invoices"
USER_PRODUCTS = "user_products"
STOCK_LOCATION = "stock-location"
# Older pages: orders v1 and the stand-alone claims topic with /v1/claims/{id} (§4.2).
ORDERS = "orders"
CLAIMS = "claims"

OTHER_TOPICS = frozenset(
    {
        "created_orders",
        "pictures",
        "user_products_families",
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
    }
)
"""Topics listed in §4.2 that a seller-support tool does not act on."""

MAX_RESOURCE_LENGTH = 128

_DIGITS = r"([0-9]{1,20})"
_HEX_ID = r"([0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
_ITEM_ID = r"([A-Z]{3}[0-9]{1,20})"
_USER_PRODUCT_ID = r"([A-Z]{3}U[0-9]{1,20})"

_SHAPES: dict[str, re.Pattern[str]] = {
    topic: re.compile(pattern, re.ASCII)
    for topic, pattern in {
        QUESTIONS: rf"/questions/{_DIGITS}",
        ITEMS: rf"/items/{_ITEM_ID}",
        ITEMS_PRICES: rf"/items/{_ITEM_ID}",
        ORDERS_V2: rf"/orders/{_DIGITS}",
        ORDERS: rf"/orders/{_DIGITS}",
        "created_orders": rf"/orders/{_DIGITS}",
        SHIPMENTS: rf"/shipments/{_DIGITS}",
        PAYMENTS: rf"/collections/{_DIGITS}",
        # A bare message id: 32 lowercase hex, or a UUID in some samples (§4.2, §1).
        MESSAGES: _HEX_ID,
        # Official samples show it with and without the leading slash (§4.2).
        POST_PURCHASE: rf"/?post-purchase/v1/claims/{_DIGITS}",
        CLAIMS: rf"/v1/claims/{_DIGITS}",
        INVOICES: r"/users/[0-9]{1,20}/invoices/([A-Za-z0-9_\-]{1,64})",
        USER_PRODUCTS: rf"/user-products/{_USER_PRODUCT_ID}",
        STOCK_LOCATION: rf"/user-products/{_USER_PRODUCT_ID}/stock",
    }.items()
}

ALL_TOPICS = frozenset(_SHAPES) | OTHER_TOPICS
"""Every topic name Mercado Libre documents (§4.2)."""


def resource_id(topic: str, resource: object) -> str | None:
    """The id inside ``resource`` if it has the documented shape for ``topic``, else None.

    Anything else (unknown topic, path traversal, query strings, absolute URLs, whitespace,
    overlong or non-text values) gives None, so a hostile notification cannot steer a request.
    """
    if not isinstance(topic, str) or not isinstance(resource, str) or len(resource) > MAX_RESOURCE_LENGTH:
        return None
    shape = _SHAPES.get(topic)
    if shape is None:
        return None
    match = shape.fullmatch(resource)
    return match.group(1) if match else None
