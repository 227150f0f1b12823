"""Orders, packs and shipments (§7)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..lenient import MeliDatetime
from ._base import MeliModel, Paging

__all__ = [
    "Order",
    "OrderItem",
    "OrderItemDetail",
    "OrderParty",
    "OrderSearch",
    "OrderShipping",
    "Pack",
    "PackOrderRef",
    "Payment",
    "Shipment",
    "ShipmentRef",
]


class OrderParty(MeliModel):
    """Buyer or seller of an order; recent payloads keep only ``id`` and sometimes ``nickname`` (§7.1)."""

    id: int
    nickname: str | None = None


class OrderItemDetail(MeliModel):
    """The listing an order line refers to."""

    id: str
    title: str | None = None
    category_id: str | None = None
    variation_id: int | None = None
    seller_sku: str | None = None
    variation_attributes: list[dict[str, Any]] = Field(default_factory=list)


class OrderItem(MeliModel):
    """One line of an order: one item or variation, possibly several units (§7.1)."""

    item: OrderItemDetail
    quantity: int = 1
    unit_price: float | None = None
    full_unit_price: float | None = None
    currency_id: str | None = None


class Payment(MeliModel):
    """A payment of an order."""

    id: int
    status: str | None = None
    status_detail: str | None = None
    transaction_amount: float | None = None
    currency_id: str | None = None
    date_created: MeliDatetime | None = None
    date_approved: MeliDatetime | None = None
    date_last_modified: MeliDatetime | None = None


class OrderShipping(MeliModel):
    """``shipping`` of an order: ``id`` can be null for a while after creation (§7.1)."""

    id: int | None = None
    status: str | None = None


class Order(MeliModel):
    """``GET /orders/{id}``; may come back 206 with some sub-objects missing (§7.1)."""

    id: int
    status: str | None = None
    status_detail: str | None = None
    date_created: MeliDatetime | None = None
    date_closed: MeliDatetime | None = None
    last_updated: MeliDatetime | None = None
    # When null, messaging uses the order id in the pack slot (§7.1, §8).
    pack_id: int | None = None
    total_amount: float | None = None
    paid_amount: float | None = None
    currency_id: str | None = None
    order_items: list[OrderItem] = Field(default_factory=list)
    payments: list[Payment] = Field(default_factory=list)
    shipping: OrderShipping | None = None
    buyer: OrderParty | None = None
    seller: OrderParty | None = None
    tags: list[str] = Field(default_factory=list)
    mediations: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def conversation_pack_id(self) -> int:
        """The id to put in the ``/packs/{id}`` slot of messaging: the pack, else the order (§8)."""
        return self.pack_id if self.pack_id is not None else self.id


class OrderSearch(MeliModel):
    """``GET /orders/search``."""

    results: list[Order] = Field(default_factory=list)
    paging: Paging = Field(default_factory=Paging)


class PackOrderRef(MeliModel):
    """An order inside a pack; only orders of sellers using this app are visible (§7.3)."""

    id: int


class ShipmentRef(MeliModel):
    """A pointer to a shipment."""

    id: int | None = None


class Pack(MeliModel):
    """``GET /packs/{id}``: a cart purchase; dates use ``-0400`` offsets (§7.3)."""

    id: int
    status: str | None = None
    status_detail: str | None = None
    orders: list[PackOrderRef] = Field(default_factory=list)
    shipment: ShipmentRef | None = None
    buyer: OrderParty | None = None
    date_created: MeliDatetime | None = None
    last_updated: MeliDatetime | None = None


class Shipment(MeliModel):
    """``GET /shipments/{id}`` with ``x-format-new: true`` (§7.4); addresses stay as sent."""

    id: int
    status: str | None = None
    substatus: str | None = None
    tracking_number: str | None = None
    date_created: MeliDatetime | None = None
    last_updated: MeliDatetime | None = None
    logistic: dict[str, Any] | None = None
    lead_time: dict[str, Any] | None = None
