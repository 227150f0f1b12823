"""HTTP routes for orders, packs and shipments (§7), plus the control action that makes a purchase."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import ConfigDict, Field

from mostrador.sandbox import searches
from mostrador.sandbox.bodies import ControlBody, JsonBody
from mostrador.sandbox.caller import CallerDep, sandbox_state
from mostrador.sandbox.errors import BadRequest, Forbidden, NotFound
from mostrador.sandbox.notifications import Notifier
from mostrador.sandbox.orders import (
    create_order,
    order_for,
    order_view,
    pack_view,
    progress_shipments,
    shipment_view,
)
from mostrador.sandbox.orders_search import DOCUMENTED as SEARCH_FILTERS
from mostrador.sandbox.orders_search import search_orders
from mostrador.sandbox.state import SandboxState

router = APIRouter()


class NewOrder(ControlBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"buyer_id": 1234567890, "item_id": "MLA1400123456", "quantity": 1}]}
    )
    buyer_id: int
    item_id: str
    quantity: int = Field(1, ge=1)
    variation_id: int | None = None
    pack_id: int | None = None
    # When the seller dispatches (sandbox seconds after the sale); default: the config's
    # order_ship_after_s. Later than handling_time_s is a delayed dispatch (§3.2 metrics).
    ship_after_s: float | None = Field(None, ge=0, le=100 * 365 * 24 * 3600)


def _notifier(request: Request) -> Notifier:
    notifier: Notifier = request.app.state.notifier
    return notifier


def shipment_ticker(get_state: Callable[[], SandboxState], notifier: Notifier) -> Callable[[], None]:
    """Publishes `shipments` and `orders_v2` when sandbox time moves a shipment on (§4.2)."""

    def tick() -> None:
        state = get_state()
        for shipment in progress_shipments(state):
            notifier.publish("shipments", f"/shipments/{shipment.id}", shipment.seller_id)
            for order_id in shipment.order_ids:
                notifier.publish("orders_v2", f"/orders/{order_id}", shipment.seller_id)

    return tick


NEW_ORDER_BODY = JsonBody(NewOrder)


@router.post("/_sandbox/orders", status_code=201, openapi_extra=NEW_ORDER_BODY.openapi)
async def new_order(new: Annotated[NewOrder, Depends(NEW_ORDER_BODY)], request: Request) -> dict[str, Any]:
    state = sandbox_state(request)
    if new.pack_id is not None and new.ship_after_s is not None:
        raise BadRequest(
            "ship_after_s applies to a new pack, not to one already shipping", error="invalid_pack"
        )
    order = create_order(
        state, new.buyer_id, new.item_id, new.quantity, new.variation_id, new.pack_id, new.ship_after_s
    )
    notifier = _notifier(request)
    notifier.publish("orders_v2", f"/orders/{order.id}", order.seller_id)
    if new.pack_id is None:
        notifier.publish("shipments", f"/shipments/{order.shipment_id}", order.seller_id)
    item = state.items[order.item_id]
    notifier.publish("items", f"/items/{item.id}", item.seller_id, site_id=item.site_id)
    return order_view(state, order)


@router.get("/orders/search", openapi_extra=searches.documented(SEARCH_FILTERS))
async def orders_search(request: Request, caller: CallerDep) -> dict[str, Any]:
    _notifier(request).tick()
    return search_orders(sandbox_state(request), caller.user.id, dict(request.query_params))


@router.get("/orders/{order_id}")
async def order_by_id(order_id: int, request: Request, caller: CallerDep) -> dict[str, Any]:
    _notifier(request).tick()
    state = sandbox_state(request)
    return order_view(state, order_for(state, order_id, caller.user.id))


@router.get("/packs/{pack_id}")
async def pack_by_id(pack_id: int, request: Request, caller: CallerDep) -> dict[str, Any]:
    pack = sandbox_state(request).packs.get(pack_id)
    if pack is None:
        raise NotFound("Order do not exists", error="not_found")
    if caller.user.id not in (pack.seller_id, pack.buyer_id):
        raise Forbidden("The user has not access to the order", error="forbidden")
    return pack_view(pack)


@router.get("/shipments/{shipment_id}")
async def shipment_by_id(shipment_id: int, request: Request, caller: CallerDep) -> dict[str, Any]:
    _notifier(request).tick()
    state = sandbox_state(request)
    shipment = state.shipments.get(shipment_id)
    if shipment is None:
        raise NotFound(f"Shipment {shipment_id} not found", error="not_found")
    if caller.user.id not in (shipment.seller_id, shipment.buyer_id):
        raise Forbidden("access to the requested resource is forbidden", error="forbidden")
    return shipment_view(state, shipment)
