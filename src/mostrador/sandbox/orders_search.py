"""`GET /orders/search` (§7.2): a seller's or buyer's orders with every documented filter.

Filters: `order.status`, `item`, `tags`, `tags.not`, `q` (order id, item id, item title, the other
party's nickname), `order.date_created|date_closed|date_last_updated.from|to`, `mediations.stage`,
`mediations.status`, `feedback.status`, `feedback.sale|purchase.rating`, `feedback.sale|purchase.fulfilled`,
`pack_id`; also `shipping.status` and `shipping.substatus` from the search's own `available_filters`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mostrador.sandbox import searches
from mostrador.sandbox.errors import BadRequest, Forbidden
from mostrador.sandbox.orders import order_tags, order_view
from mostrador.sandbox.records import Claim, Order
from mostrador.sandbox.state import SandboxState

SORTS = {"date_asc": "Date ascending", "date_desc": "Date descending"}
# §7.2 date filters: order.<field>.from|to, each compared with this timestamp of the order.
DATE_FIELDS: dict[str, Callable[[Order], float]] = {
    "date_created": lambda o: o.created_ts,
    # The sandbox confirms (closes) an order the moment it is paid, i.e. when it is created.
    "date_closed": lambda o: o.created_ts,
    "date_last_updated": lambda o: o.updated_ts,
}
RATINGS = ("positive", "neutral", "negative")
FEEDBACK_STATUSES = ("pending", "waiting_buyer")
UNEMULATED = {"shipping.service_id": "shipments carry no shipping service in the sandbox"}
PAGE_MAX = 51  # the 2022 capture pages by 51 when asked for more

DOCUMENTED = {
    "seller": "§7.2: the caller's user id, as seller (or use buyer)",
    "buyer": "§7.2: the caller's user id, as buyer",
    "order.status": "§7.2: comma list of order statuses (any of)",
    "item": "§7.2: item id (comma list: any of)",
    "tags": "§7.2: comma list of order tags (all of)",
    "tags.not": "§7.2: comma list of order tags (none of)",
    "q": "§7.2: order id, item id, part of the item title, or the other party's nickname",
    **{
        f"order.{field}.{end}": f"§7.2: ISO date-time with offset; only its hour counts ({end})"
        for field in DATE_FIELDS
        for end in ("from", "to")
    },
    "mediations.stage": "§7.2: claim or dispute (comma list)",
    "mediations.status": "§7.2: claim_opened, claim_closed, dispute_opened, seller_dispute_opened, ...",
    "feedback.status": "§7.2: pending (every sandbox order) or waiting_buyer (none)",
    "feedback.sale.rating": "§7.2: positive, neutral, negative (no sandbox order is rated)",
    "feedback.purchase.rating": "§7.2: positive, neutral, negative (no sandbox order is rated)",
    "feedback.sale.fulfilled": "§7.2: true/false (no sandbox order is rated)",
    "feedback.purchase.fulfilled": "§7.2: true/false (no sandbox order is rated)",
    "pack_id": "§7.2: pack id (comma list: any of)",
    "shipping.status": "the search's available_filters: shipment status (comma list)",
    "shipping.substatus": "the search's available_filters: shipment substatus (comma list)",
    "sort": "§7.2: date_asc (default) or date_desc",
    "offset": "§7.2: default 0",
    "limit": f"§7.2: default 50, at most {PAGE_MAX}",
}


def _hour_window(params: Mapping[str, str], field: str) -> tuple[float | None, float | None]:
    """§7.2: only the hour of a date filter is honoured, so `to` covers the whole of its hour."""
    bounds: list[float | None] = []
    for end in ("from", "to"):
        name = f"order.{field}.{end}"
        raw = params.get(name)
        if not raw:
            bounds.append(None)
            continue
        hour = searches.timestamp(raw, name) // 3600 * 3600
        bounds.append(hour if end == "from" else hour + 3600)
    return bounds[0], bounds[1]


def _mediation_status(claim: Claim) -> str:
    """The order search's mediation states: claim_opened, dispute_closed, seller_dispute_opened, ..."""
    opened_by_seller = any(
        entry["stage"] == "dispute" and entry.get("change_by") == "respondent"
        for entry in claim.status_history
    )
    prefix = "seller_dispute" if claim.stage == "dispute" and opened_by_seller else claim.stage
    return f"{prefix}_{claim.status}"


def _choices(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> set[str]:
    values = searches.csv(params.get(name))
    unknown = values - set(allowed)
    if unknown:
        raise BadRequest(f"{name} must be among {', '.join(allowed)}", error="bad_request")
    return values


def _filter(state: SandboxState, caller_id: int, params: Mapping[str, str]) -> Callable[[Order], bool]:
    """Every filter checked and parsed once, then one predicate for the orders."""
    statuses = searches.csv(params.get("order.status"))
    items = searches.csv(params.get("item"))
    tags, tags_not = searches.csv(params.get("tags")), searches.csv(params.get("tags.not"))
    packs = searches.csv(params.get("pack_id"))
    windows = {field: _hour_window(params, field) for field in DATE_FIELDS}
    stages = _choices(params, "mediations.stage", ("claim", "dispute"))
    mediation_states = searches.csv(params.get("mediations.status"))
    feedback = _choices(params, "feedback.status", FEEDBACK_STATUSES)
    # No one ever rates in the sandbox: a rating or fulfilment filter matches no order, and every order
    # is still `pending` (waiting for the caller's feedback), none `waiting_buyer`.
    rated = any(
        [
            _choices(params, "feedback.sale.rating", RATINGS),
            _choices(params, "feedback.purchase.rating", RATINGS),
            searches.boolean(params, "feedback.sale.fulfilled") is not None,
            searches.boolean(params, "feedback.purchase.fulfilled") is not None,
        ]
    )
    shipping_statuses = searches.csv(params.get("shipping.status"))
    shipping_substatuses = searches.csv(params.get("shipping.substatus"))
    query = (params.get("q") or "").strip()

    def claims_of(order: Order) -> list[Claim]:
        return [state.claims[c] for c in order.mediation_ids if c in state.claims]

    def found_by_q(order: Order) -> bool:
        # §7.2 `q`: order id, item id, item title, or the counterpart's nickname.
        other = state.users[order.buyer_id if caller_id == order.seller_id else order.seller_id]
        return (
            query in (str(order.id), order.item_id)
            or query.lower() in order.title.lower()
            or query.lower() == other.nickname.lower()
        )

    def keep(order: Order) -> bool:
        shipment = state.shipments[order.shipment_id]
        order_tag_set = set(order_tags(state, order))
        return (
            not rated
            and (not feedback or "pending" in feedback)
            and (not statuses or order.status in statuses)
            and (not items or order.item_id in items)
            and (not packs or str(order.pack_id) in packs)
            and tags <= order_tag_set
            and not (tags_not & order_tag_set)
            and all(
                (start is None or DATE_FIELDS[field](order) >= start)
                and (end is None or DATE_FIELDS[field](order) < end)
                for field, (start, end) in windows.items()
            )
            and (not stages or any(c.stage in stages for c in claims_of(order)))
            and (
                not mediation_states
                or any(_mediation_status(c) in mediation_states for c in claims_of(order))
            )
            and (not shipping_statuses or shipment.status in shipping_statuses)
            and (not shipping_substatuses or (shipment.substatus or "") in shipping_substatuses)
            and (not query or found_by_q(order))
        )

    return keep


def search_orders(state: SandboxState, caller_id: int, params: Mapping[str, str]) -> dict[str, Any]:
    """`GET /orders/search` (§7.2): `seller=` or `buyer=` must be the caller."""
    seller, buyer = params.get("seller"), params.get("buyer")
    if not seller and not buyer:
        raise BadRequest("seller or buyer is required", error="bad_request")
    if str(caller_id) not in (seller, buyer):
        raise Forbidden("Can not identify the user", error="caller.id.invalid")
    searches.refuse_unemulated(params, UNEMULATED)
    sort = params.get("sort") or "date_asc"
    if sort not in SORTS:
        raise BadRequest(f"invalid sort {sort}", error="bad_request")
    offset = searches.integer(params, "offset", 0)
    limit = min(searches.integer(params, "limit", 50, minimum=1), PAGE_MAX)
    keep = _filter(state, caller_id, params)
    found = [
        o
        for o in state.orders.values()
        if (not seller or str(o.seller_id) == seller) and (not buyer or str(o.buyer_id) == buyer) and keep(o)
    ]
    # §7.2: sellers sort by date_closed, buyers by date_created; both are the purchase time here.
    found.sort(key=lambda o: o.created_ts, reverse=sort == "date_desc")
    other = "date_desc" if sort == "date_asc" else "date_asc"
    return {
        "query": params.get("q") or "",
        "results": [order_view(state, o) for o in found[offset : offset + limit]],
        "sort": {"id": sort, "name": SORTS[sort]},
        "available_sorts": [{"id": other, "name": SORTS[other]}],
        "filters": [],
        "paging": {"total": len(found), "offset": offset, "limit": limit},
        "display": "complete",
    }
