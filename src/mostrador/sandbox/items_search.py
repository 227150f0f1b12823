"""`GET /users/{id}/items/search` (§6.4): a seller's listing ids with their filters, orders and scan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mostrador.sandbox import searches
from mostrador.sandbox.errors import BadRequest
from mostrador.sandbox.state import Item, SandboxState

ORDERS = {
    "start_time_desc": ("created_ts", True),
    "start_time_asc": ("created_ts", False),
    "price_asc": ("price", False),
    "price_desc": ("price", True),
    "last_updated_desc": ("updated_ts", True),
    "last_updated_asc": ("updated_ts", False),
    "available_quantity_asc": ("available_quantity", False),
    "available_quantity_desc": ("available_quantity", True),
}
# §6.4 filters the sandbox honours (paging, `orders` and scan come on top).
FILTERS = ("status", "sku", "seller_sku", "listing_type_id")
# Filters of the items search page that need data the sandbox does not keep.
UNEMULATED = {
    "missing_product_identifiers": "items carry no product identifiers (GTIN) in the sandbox",
    "reputation_health_gauge": "listing health is not emulated",
}
# §6.4: offset + limit cannot reach past 1000; beyond that, search_type=scan.
WINDOW = 1000

DOCUMENTED = {
    "status": "§6.4: active, paused, closed, ... (comma list)",
    "sku": "§6.4: the item's (or a variation's) seller_custom_field",
    "seller_sku": "§6.4: the SELLER_SKU attribute of the item or of a variation",
    "listing_type_id": "§6.4: gold_special, gold_pro, ... (comma list)",
    "orders": f"§6.4: one of {', '.join(ORDERS)}",
    "offset": "§6.4: offset + limit at most 1000",
    "limit": "§6.4: default 50, at most 100",
    "search_type": "§6.4/§5.1: scan, to read past 1000 results with scroll_id",
    "scroll_id": "§5.1: the cursor of a scan; send the same one until it comes back null",
}


def _seller_sku(item: Item) -> set[str]:
    attributes = [*item.body["attributes"], *(a for v in item.variations for a in v.get("attributes") or [])]
    return {str(a.get("value_name")) for a in attributes if a.get("id") == "SELLER_SKU"}


def _custom_fields(item: Item) -> set[str]:
    """§6.4 `sku=`: the item's `seller_custom_field` or one of its variations'."""
    values = [item.body.get("seller_custom_field"), *(v.get("seller_custom_field") for v in item.variations)]
    return {str(value) for value in values if value}


def _matches(item: Item, params: Mapping[str, str]) -> bool:
    statuses = searches.csv(params.get("status"))
    return (
        (not statuses or item.status in statuses)
        and (not params.get("sku") or params["sku"] in _custom_fields(item))
        and (not params.get("seller_sku") or params["seller_sku"] in _seller_sku(item))
        and (
            not params.get("listing_type_id")
            or item.body["listing_type_id"] in searches.csv(params["listing_type_id"])
        )
    )


def search_items(state: SandboxState, seller_id: int, params: Mapping[str, str]) -> dict[str, Any]:
    """§6.4: ids only (follow with the multiget)."""
    searches.refuse_unemulated(params, UNEMULATED)
    orders = params.get("orders") or "start_time_desc"
    if orders not in ORDERS:
        raise BadRequest(f"invalid orders value: {orders}", error="bad_request")
    limit = searches.integer(params, "limit", 50, minimum=1)
    found = [i for i in state.items.values() if i.seller_id == seller_id and _matches(i, params)]
    field, descending = ORDERS[orders]
    found.sort(key=lambda i: getattr(i, field), reverse=descending)
    names = {key: f"Order by {key.replace('_', ' ')}" for key in ORDERS}
    body: dict[str, Any] = {"seller_id": str(seller_id), "query": None}
    if params.get("search_type") == "scan":
        page = searches.scan(state, f"items:{seller_id}", params, lambda: [i.id for i in found], limit)
        body.update(
            paging={"limit": limit, "offset": page.offset, "total": page.total},
            results=page.ids,
            scroll_id=page.scroll_id,
        )
    elif params.get("search_type") not in (None, ""):
        raise BadRequest("search_type can only be scan", error="bad_request")
    else:
        offset = searches.integer(params, "offset", 0)
        if limit > 100 or offset + limit > WINDOW:
            raise BadRequest("offset + limit cannot exceed 1000; use search_type=scan", error="bad_request")
        body.update(
            paging={"limit": limit, "offset": offset, "total": len(found)},
            results=[i.id for i in found[offset : offset + limit]],
        )
    body.update(
        orders=[{"id": orders, "name": names[orders]}],
        available_orders=[{"id": key, "name": name} for key, name in names.items()],
    )
    return body
