"""Items (§6): creation from an ML-style body, the full `GET /items/{id}` shape, updates and stock."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from mostrador.sandbox.clock import iso_utc_ms
from mostrador.sandbox.errors import BadRequest
from mostrador.sandbox.sites import site
from mostrador.sandbox.state import Item, SandboxState, User

_REQUIRED = (
    "title",
    "category_id",
    "price",
    "currency_id",
    "available_quantity",
    "buying_mode",
    "listing_type_id",
    "condition",
)
ITEM_STATUSES = ("active", "paused", "closed", "under_review", "inactive")


def validation_error(problems: list[tuple[str, str]]) -> BadRequest:
    """§10: the items API puts `{code, message, references}` objects in `cause`."""
    cause = [
        {
            "department": "items",
            "cause_id": 0,
            "type": "error",
            "code": code,
            "references": [code.rsplit(".", 1)[0]],
            "message": message,
        }
        for code, message in problems
    ]
    return BadRequest("Validation error", error="validation_error", cause=cause)


def _slug(title: str) -> str:
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def _picture(state: SandboxState, site_id: str, source: dict[str, Any]) -> dict[str, Any]:
    picture_id = source.get("id") or state.ids.picture_id(site_id)
    url = f"http://http2.mlstatic.com/D_{picture_id}-O.jpg"
    return {
        "id": picture_id,
        "url": source.get("source", url) if source.get("source") else url,
        "secure_url": url.replace("http://", "https://"),
        "size": "500x375",
        "max_size": "1200x900",
        "quality": "",
    }


def create_item(state: SandboxState, seller: User, body: dict[str, Any]) -> Item:
    missing = [
        (f"item.{key}.required", f"{key} is required") for key in _REQUIRED if body.get(key) in (None, "")
    ]
    if missing:
        raise validation_error(missing)
    item_site = site(seller.site_id)
    if body["currency_id"] != item_site.currency_id:
        raise validation_error(
            [("item.currency_id.invalid", f"currency_id {body['currency_id']} is not valid")]
        )
    if not isinstance(body["price"], int | float) or body["price"] <= 0:
        raise validation_error([("item.price.invalid", "price must be a positive number")])
    if body["available_quantity"] < 0:
        raise validation_error([("item.available_quantity.invalid", "available_quantity cannot be negative")])
    variations = [_variation(state, float(body["price"]), v) for v in body.get("variations") or []]
    quantity = (
        sum(v["available_quantity"] for v in variations) if variations else int(body["available_quantity"])
    )
    now = state.now()
    item_id = state.ids.item_id(seller.site_id)
    pictures = [_picture(state, seller.site_id, p) for p in body.get("pictures") or []]
    shipping = {
        "mode": "me2",
        "free_shipping": False,
        "logistic_type": "cross_docking",
        "local_pick_up": False,
        "store_pick_up": False,
        "methods": [],
        "dimensions": None,
        "tags": [],
    }
    shipping.update(body.get("shipping") or {})
    sale_terms = [
        {
            "id": t.get("id"),
            "name": t.get("name", t.get("id")),
            "value_id": t.get("value_id"),
            "value_name": t.get("value_name"),
        }
        for t in body.get("sale_terms") or []
    ]
    attributes = [
        {
            "id": a.get("id"),
            "name": a.get("name", a.get("id")),
            "value_id": a.get("value_id"),
            "value_name": a.get("value_name"),
        }
        for a in body.get("attributes") or []
    ]
    extra = {
        "category_id": body["category_id"],
        "buying_mode": body["buying_mode"],
        "listing_type_id": body["listing_type_id"],
        "condition": body["condition"],
        "pictures": pictures,
        "shipping": shipping,
        "sale_terms": sale_terms,
        "attributes": attributes,
        "original_price": body.get("original_price"),
        # §6.4: `?sku=` finds items by this field (and by their variations' own).
        "seller_custom_field": body.get("seller_custom_field"),
        "tags": ["immediate_payment"],
        "permalink": f"https://articulo.{item_site.domain}/{item_id[:3]}-{item_id[3:]}-{_slug(body['title'])}-_JM",
    }
    description = (
        (body.get("description") or {}).get("plain_text", "")
        if isinstance(body.get("description"), dict)
        else str(body.get("description") or "")
    )
    item = Item(
        id=item_id,
        seller_id=seller.id,
        site_id=seller.site_id,
        title=str(body["title"]),
        price=float(body["price"]),
        currency_id=body["currency_id"],
        available_quantity=quantity,
        status="active",
        created_ts=now,
        updated_ts=now,
        body=extra,
        variations=variations,
        initial_quantity=quantity,
        description=description,
    )
    state.items[item.id] = item
    return item


def _variation(state: SandboxState, item_price: float, raw: dict[str, Any]) -> dict[str, Any]:
    """A new variation; it needs its attribute combination and its stock (items API, variations page)."""
    combos = raw.get("attribute_combinations") or []
    if not combos or raw.get("available_quantity") is None:
        raise validation_error(
            [("item.variations.invalid", "variations need attribute_combinations and available_quantity")]
        )
    if raw["available_quantity"] < 0 or raw.get("price", item_price) <= 0:
        raise validation_error(
            [("item.variations.invalid", "variations need a positive price and a stock of 0 or more")]
        )
    return {
        "id": state.ids.variation_id(),
        "price": float(raw.get("price", item_price)),
        "attribute_combinations": [
            {
                "id": c.get("id"),
                "name": c.get("name", c.get("id")),
                "value_id": c.get("value_id"),
                "value_name": c.get("value_name"),
            }
            for c in combos
        ],
        "available_quantity": int(raw["available_quantity"]),
        "sold_quantity": 0,
        "picture_ids": list(raw.get("picture_ids") or []),
        "seller_custom_field": raw.get("seller_custom_field"),
        "catalog_product_id": None,
        "inventory_id": None,
    }


def bucket_quantity(quantity: int) -> int:
    """§6.1: public callers see bucketed stock (1-50 -> 1, 51-100 -> 50, ..., capped at 50000)."""
    if quantity <= 0:
        return 0
    if quantity <= 50:
        return 1
    return min(((quantity - 1) // 50) * 50, 50000)


def _warranty(item: Item) -> str | None:
    terms = {t["id"]: t.get("value_name") for t in item.body["sale_terms"]}
    if "WARRANTY_TYPE" in terms:
        return f"{terms['WARRANTY_TYPE']}: {terms.get('WARRANTY_TIME') or ''}".rstrip(": ")
    return None


def item_view(item: Item, *, owner: bool) -> dict[str, Any]:
    """The §6.1 shape; `owner` decides exact or bucketed quantities."""
    quantity = item.available_quantity if owner else bucket_quantity(item.available_quantity)
    pictures = item.body["pictures"]
    thumbnail = pictures[0]["url"].replace("-O.jpg", "-I.jpg") if pictures else ""
    variations = [
        dict(
            v,
            available_quantity=v["available_quantity"] if owner else bucket_quantity(v["available_quantity"]),
        )
        for v in item.variations
    ]
    return {
        "id": item.id,
        "site_id": item.site_id,
        "title": item.title,
        "seller_id": item.seller_id,
        "category_id": item.body["category_id"],
        "official_store_id": None,
        "price": item.price,
        "base_price": item.price,
        "original_price": item.body.get("original_price"),
        "currency_id": item.currency_id,
        "initial_quantity": item.initial_quantity,
        "available_quantity": quantity,
        "sold_quantity": item.sold_quantity,
        "sale_terms": item.body["sale_terms"],
        "buying_mode": item.body["buying_mode"],
        "listing_type_id": item.body["listing_type_id"],
        "condition": item.body["condition"],
        "start_time": iso_utc_ms(item.created_ts),
        "stop_time": iso_utc_ms(item.created_ts + 20 * 365 * 24 * 3600),
        "permalink": item.body["permalink"],
        "thumbnail_id": pictures[0]["id"] if pictures else None,
        "thumbnail": thumbnail,
        "secure_thumbnail": thumbnail.replace("http://", "https://"),
        "pictures": pictures,
        "video_id": None,
        "descriptions": [],
        "accepts_mercadopago": True,
        "non_mercado_pago_payment_methods": [],
        "shipping": item.body["shipping"],
        "international_delivery_mode": "none",
        "seller_address": {"city": {"name": "Sandbox"}, "country": {"id": item.site_id[:2]}},
        "attributes": item.body["attributes"],
        "variations": variations,
        "status": item.status,
        "sub_status": ["out_of_stock"] if item.status == "paused" and item.available_quantity == 0 else [],
        "tags": item.body["tags"],
        "warranty": _warranty(item),
        "catalog_product_id": None,
        "domain_id": f"{item.site_id}-{item.body['category_id']}",
        "family_name": None,
        "user_product_id": None,
        "automatic_relist": False,
        "health": None,
        "channels": ["marketplace"],
        "inventory_id": None,
        "date_created": iso_utc_ms(item.created_ts),
        "last_updated": iso_utc_ms(item.updated_ts),
    }


def description_view(item: Item) -> dict[str, Any]:
    """§6.3 shape."""
    stamp = iso_utc_ms(item.created_ts)
    return {
        "text": "",
        "plain_text": item.description,
        "last_updated": stamp,
        "date_created": stamp,
        "snapshot": {
            "url": f"http://descriptions.mlstatic.com/D-{item.id}.jpg",
            "width": 0,
            "height": 0,
            "status": "",
        },
    }


def update_item(state: SandboxState, item: Item, body: dict[str, Any]) -> None:
    """`PUT /items/{id}`: price, stock (item or per variation), variations, status, title, description."""
    allowed = {"price", "available_quantity", "status", "title", "variations", "description"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise validation_error(
            [("item.attributes.not_modifiable", f"{k} cannot be modified") for k in unknown]
        )
    if item.status == "closed" and body.get("status") not in (None, "closed"):
        raise validation_error([("item.status.invalid", "status closed items cannot be modified")])
    if "price" in body and body["price"] <= 0:
        raise validation_error([("item.price.invalid", "price must be a positive number")])
    if "status" in body and body["status"] not in ("active", "paused", "closed"):
        raise validation_error([("item.status.invalid", f"status {body['status']} is not valid")])
    variations = _changed_variations(state, item, body["variations"]) if "variations" in body else None
    if "available_quantity" in body:
        if item.variations or variations:
            # Stock of an item with variations lives on each variation; the item's is their sum.
            raise validation_error(
                [
                    (
                        "item.available_quantity.invalid",
                        "the item has variations: send available_quantity inside each variation",
                    )
                ]
            )
        if body["available_quantity"] < 0:
            raise validation_error(
                [("item.available_quantity.invalid", "available_quantity cannot be negative")]
            )
    # Everything is checked: apply.
    if "price" in body:
        item.price = float(body["price"])
    if "title" in body:
        item.title = body["title"]
    if "available_quantity" in body:
        item.available_quantity = body["available_quantity"]
    if variations is not None:
        item.variations = variations
    if item.variations:
        item.available_quantity = sum(v["available_quantity"] for v in item.variations)
    if "status" in body:
        item.status = body["status"]
    if "description" in body:
        description = body["description"]
        item.description = description if isinstance(description, str) else description.get("plain_text", "")
    item.updated_ts = state.now()


def _changed_variations(
    state: SandboxState, item: Item, changes: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The item's variations after a PUT that lists `variations` (§6.1 shape).

    Listed ids are kept (with the changes sent), entries without an id are created, and every existing
    variation whose id is not listed is deleted: a partial list is not a patch. The rule is on the items
    API's variations page, not in the reference; sandbox-differences.md lists what is assumed.
    """
    if not changes:
        raise validation_error([("item.variations.invalid", "an item with variations keeps at least one")])
    existing = {v["id"]: v for v in item.variations}
    listed = [change["id"] for change in changes if "id" in change]
    if len(listed) != len(set(listed)):
        raise validation_error([("item.variations.id.invalid", "a variation id is listed twice")])
    result: list[dict[str, Any]] = []
    for change in changes:
        if "id" not in change:
            result.append(_variation(state, item.price, change))
            continue
        current = existing.get(change["id"])
        if current is None:
            raise validation_error([("item.variations.id.invalid", f"variation {change['id']} not found")])
        updated = dict(current)
        if change.get("available_quantity", 0) < 0 or change.get("price", 1) <= 0:
            raise validation_error(
                [("item.variations.invalid", "variations need a positive price and a stock of 0 or more")]
            )
        for key in ("available_quantity", "price", "picture_ids", "seller_custom_field"):
            if key in change:
                updated[key] = float(change[key]) if key == "price" else change[key]
        if "attribute_combinations" in change:
            updated["attribute_combinations"] = [
                {
                    "id": c["id"],
                    "name": c.get("name", c["id"]),
                    "value_id": c.get("value_id"),
                    "value_name": c.get("value_name"),
                }
                for c in change["attribute_combinations"]
            ]
        result.append(updated)
    return result


def change_stock(state: SandboxState, item: Item, quantity: int, variation_id: int | None) -> None:
    """A sale takes stock from the variation (if any) and the item; none left pauses the item."""
    if item.variations:
        variation = next((v for v in item.variations if v["id"] == variation_id), None) or item.variations[0]
        if variation["available_quantity"] < quantity:
            raise BadRequest("not enough stock", error="insufficient_stock")
        variation["available_quantity"] -= quantity
        variation["sold_quantity"] += quantity
        item.available_quantity = sum(v["available_quantity"] for v in item.variations)
    else:
        if item.available_quantity < quantity:
            raise BadRequest("not enough stock", error="insufficient_stock")
        item.available_quantity -= quantity
    item.sold_quantity += quantity
    if item.available_quantity == 0:
        item.status = "paused"
    item.updated_ts = state.now()
