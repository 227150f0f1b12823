"""The JSON bodies of `POST /items` and `PUT /items/{id}` (§6.1 field names), typed for the one body reader.

Every field is optional here: which ones an item needs is the items API's own rule (`item.title.required`
and friends, checked in `items.py`). The models only guarantee that what is present has the JSON type
the §6.1 resource gives it, so the item code never meets a string where it expects a list.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict

from mostrador.sandbox.bodies import JsonBody, Problem, StrictBody
from mostrador.sandbox.errors import SandboxError
from mostrador.sandbox.items import validation_error


class AttributeValue(StrictBody):
    """An entry of `attributes`, `sale_terms` or `attribute_combinations`."""

    id: str
    name: str | None = None
    value_id: str | None = None
    value_name: str | None = None


class PictureSource(StrictBody):
    id: str | None = None
    source: str | None = None


class Shipping(StrictBody):
    mode: str | None = None
    free_shipping: bool | None = None
    logistic_type: str | None = None
    local_pick_up: bool | None = None
    store_pick_up: bool | None = None
    methods: list[Any] | None = None
    dimensions: str | None = None
    tags: list[str] | None = None


class Description(StrictBody):
    plain_text: str = ""


class Variation(StrictBody):
    """A variation to create (no `id`) or to keep and change (with the `id` of an existing one)."""

    id: int | None = None
    price: float | None = None
    available_quantity: int | None = None
    attribute_combinations: list[AttributeValue] | None = None
    picture_ids: list[str] | None = None
    seller_custom_field: str | None = None
    attributes: list[AttributeValue] | None = None


class NewItem(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Zapatillas Running",
                    "category_id": "MLA109027",
                    "price": 45999,
                    "currency_id": "ARS",
                    "available_quantity": 10,
                    "buying_mode": "buy_it_now",
                    "listing_type_id": "gold_special",
                    "condition": "new",
                }
            ]
        }
    )
    title: str | None = None
    category_id: str | None = None
    price: float | None = None
    currency_id: str | None = None
    available_quantity: int | None = None
    buying_mode: str | None = None
    listing_type_id: str | None = None
    condition: str | None = None
    pictures: list[PictureSource] | None = None
    attributes: list[AttributeValue] | None = None
    sale_terms: list[AttributeValue] | None = None
    shipping: Shipping | None = None
    variations: list[Variation] | None = None
    description: Description | str | None = None
    original_price: float | None = None
    seller_custom_field: str | None = None


class ItemChange(StrictBody):
    """`PUT /items/{id}`: unknown keys are refused by the items API as `item.attributes.not_modifiable`."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"price": 45999, "title": "Zapatillas Running"}]}
    )

    price: float | None = None
    available_quantity: int | None = None
    status: str | None = None
    title: str | None = None
    variations: list[Variation] | None = None
    description: Description | str | None = None


def _items_error(problems: list[Problem]) -> SandboxError:
    # §10: the items API lists `{code, message, references}` objects in `cause`.
    return validation_error([(f"item.{p.references}.invalid", p.message) for p in problems])


NEW_ITEM_BODY = JsonBody(NewItem, render=_items_error)
ITEM_CHANGE_BODY = JsonBody(ItemChange, render=_items_error)
