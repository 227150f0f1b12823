"""Items, descriptions and a seller's listing search (§6)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..lenient import MeliDatetime, StrId
from ._base import MeliModel, Paging

__all__ = [
    "Item",
    "ItemAttribute",
    "ItemDescription",
    "ItemPicture",
    "ItemSearch",
    "ItemShipping",
    "ItemVariation",
    "SaleTerm",
]


class ItemAttribute(MeliModel):
    """One attribute (``BRAND``, ``COLOR``, ``SELLER_SKU``…) or variation attribute combination."""

    id: str | None = None
    name: str | None = None
    value_id: StrId | None = None
    value_name: str | None = None


class SaleTerm(MeliModel):
    """Structured sale terms such as ``WARRANTY_TYPE`` and ``WARRANTY_TIME`` (§6.1)."""

    id: str | None = None
    name: str | None = None
    value_name: str | None = None


class ItemPicture(MeliModel):
    """One picture of a listing."""

    id: str | None = None
    url: str | None = None
    secure_url: str | None = None


class ItemShipping(MeliModel):
    """Shipping terms of a listing (``mode``: me1/me2/custom; ``logistic_type``: fulfillment, …)."""

    mode: str | None = None
    free_shipping: bool | None = None
    logistic_type: str | None = None
    local_pick_up: bool | None = None
    tags: list[str] = Field(default_factory=list)


class ItemVariation(MeliModel):
    """A variation of a listing (colour/size) with its own stock."""

    id: int | None = None
    price: float | None = None
    available_quantity: int | None = None
    sold_quantity: int | None = None
    attribute_combinations: list[ItemAttribute] = Field(default_factory=list)


class Item(MeliModel):
    """``GET /items/{id}``; public calls bucket ``available_quantity`` (§6.1), owner calls do not."""

    id: str
    site_id: str | None = None
    title: str | None = None
    seller_id: int | None = None
    category_id: str | None = None
    price: float | None = None
    base_price: float | None = None
    original_price: float | None = None
    currency_id: str | None = None
    available_quantity: int | None = None
    sold_quantity: int | None = None
    condition: str | None = None
    status: str | None = None
    sub_status: list[str] = Field(default_factory=list)
    permalink: str | None = None
    thumbnail: str | None = None
    listing_type_id: str | None = None
    warranty: str | None = None
    sale_terms: list[SaleTerm] = Field(default_factory=list)
    attributes: list[ItemAttribute] = Field(default_factory=list)
    variations: list[ItemVariation] = Field(default_factory=list)
    pictures: list[ItemPicture] = Field(default_factory=list)
    shipping: ItemShipping | None = None
    tags: list[str] = Field(default_factory=list)
    user_product_id: str | None = None
    date_created: MeliDatetime | None = None
    last_updated: MeliDatetime | None = None

    def attribute(self, attribute_id: str) -> str | None:
        """The ``value_name`` of an attribute such as ``BRAND`` or ``SELLER_SKU``, if present."""
        for attribute in self.attributes:
            if attribute.id == attribute_id:
                return attribute.value_name
        return None


class ItemDescription(MeliModel):
    """``GET /items/{id}/description``: the useful text is ``plain_text`` (§6.3)."""

    text: str | None = None
    plain_text: str | None = None
    date_created: MeliDatetime | None = None
    last_updated: MeliDatetime | None = None


class ItemSearch(MeliModel):
    """``GET /users/{id}/items/search``: ids only, follow with a multiget (§6.4)."""

    seller_id: int | None = None
    paging: Paging = Field(default_factory=Paging)
    results: list[str] = Field(default_factory=list)
    # Sort descriptors vary in shape (one sample nests an object in "id"); kept as sent.
    orders: list[dict[str, Any]] = Field(default_factory=list)
    available_orders: list[dict[str, Any]] = Field(default_factory=list)
