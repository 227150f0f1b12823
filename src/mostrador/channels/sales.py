"""A purchase as the inbox and the bots need it: the order, its listing and its shipment.

Read with the seller's token (§7: orders, packs, shipments); anything Mercado Libre does not show
(a 404, a 403 for an order of another seller) is left empty rather than failing the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mostrador.accounts.seller_api import SellerApi
from mostrador.meli import errors as meli_errors

MISSING = (meli_errors.NotFound, meli_errors.Forbidden, meli_errors.BadRequest, meli_errors.Unprocessable)


@dataclass(frozen=True)
class Sale:
    """A purchase: what an agent needs to recognise it, and what a reply may quote."""

    title: str = ""
    item_id: str | None = None
    order_id: str | None = None
    pack_id: str | None = None
    shipment_id: str | None = None
    shipment_status: str | None = None
    shipment_substatus: str | None = None
    tracking_number: str | None = None
    carrier: str | None = None
    estimated_delivery: str | None = None  # ISO date-time of §7.4 `lead_time.estimated_delivery_time`
    buyer_id: str | None = None
    buyer_nickname: str | None = None
    order_status: str | None = None
    total: float | None = None
    currency_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Sale:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


async def read_order(api: SellerApi, order_id: int | str) -> Sale:
    """The order, its first listing and its shipment (status, tracking, carrier)."""
    order = await optional(api, api.meli.get_order, order_id)
    if order is None:
        return Sale(order_id=str(order_id))
    item = order.order_items[0].item if order.order_items else None
    buyer = order.buyer
    sale = Sale(
        title=(item.title or "") if item is not None else "",
        item_id=item.id if item is not None else None,
        order_id=str(order.id),
        pack_id=str(order.conversation_pack_id),
        buyer_id=str(buyer.id) if buyer is not None else None,
        buyer_nickname=buyer.nickname if buyer is not None else None,
        order_status=order.status,
        total=order.total_amount,
        currency_id=order.currency_id,
    )
    shipment_id = order.shipping.id if order.shipping is not None else None
    if shipment_id is None:
        return sale
    shipment = await optional(api, api.meli.get_shipment, shipment_id)
    if shipment is None:
        return Sale(**{**sale.__dict__, "shipment_id": str(shipment_id)})
    extra = shipment.model_extra or {}
    carrier = extra.get("tracking_method") or (shipment.logistic or {}).get("type")
    return Sale(
        **{
            **sale.__dict__,
            "shipment_id": str(shipment.id),
            "shipment_status": shipment.status,
            "shipment_substatus": shipment.substatus,
            "tracking_number": shipment.tracking_number,
            "carrier": str(carrier) if carrier else None,
            "estimated_delivery": _estimated_delivery(shipment.lead_time),
        }
    )


def _estimated_delivery(lead_time: dict[str, Any] | None) -> str | None:
    estimated = (lead_time or {}).get("estimated_delivery_time")
    when = estimated.get("date") if isinstance(estimated, dict) else None
    return str(when) if when else None


async def read_pack_sale(api: SellerApi, pack_id: int | str) -> Sale:
    """The purchase behind a post-sale conversation: the pack's first order (§8: an order without a
    pack puts the order id where the pack id goes)."""
    order_id: int | str = pack_id
    pack = await optional(api, api.meli.get_pack, pack_id)
    if pack is not None and pack.orders:
        order_id = pack.orders[0].id
    sale = await read_order(api, order_id)
    return Sale(**{**sale.__dict__, "pack_id": str(pack_id)})


async def optional(api: SellerApi, endpoint: Any, *args: Any) -> Any:
    """`endpoint(*args)` with the seller's token, or None when Mercado Libre does not show it."""
    try:
        return await api.call(endpoint, *args)
    except MISSING:
        return None
