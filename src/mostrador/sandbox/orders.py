"""Orders, packs and shipments (§7): purchases made through the control API, progressing over sandbox time."""

from __future__ import annotations

from typing import Any

from mostrador.sandbox.clock import iso_marketplace, iso_pack, iso_utc_ms
from mostrador.sandbox.errors import BadRequest, Forbidden, NotFound
from mostrador.sandbox.items import change_stock
from mostrador.sandbox.records import Order, Pack, Shipment
from mostrador.sandbox.state import SandboxState

# §7.4: the happy path of a shipment; other statuses are reachable only through claims/cancellations.
SHIPMENT_FLOW = ("ready_to_ship", "shipped", "delivered")


def create_order(
    state: SandboxState,
    buyer_id: int,
    item_id: str,
    quantity: int,
    variation_id: int | None = None,
    pack_id: int | None = None,
    ship_after_s: float | None = None,
) -> Order:
    """A paid purchase; §7.1: every order is linked to a pack (a cart joins an existing pack).

    `ship_after_s` overrides when the seller dispatches this sale (a late dispatch for the
    reputation's delayed handling time); delivery follows as long after as the config says.
    """
    if quantity < 1:
        raise BadRequest("quantity must be at least 1", error="invalid_quantity")
    buyer = state.user(buyer_id)
    item = state.item(item_id)
    if item.seller_id == buyer.id:
        raise BadRequest("a seller cannot buy its own item", error="invalid_buyer")
    if item.status != "active":
        raise BadRequest(f"item {item_id} is not active", error="item_not_active")
    variation = None
    if item.variations:
        variation = next((v for v in item.variations if v["id"] == variation_id), None)
        if variation is None:
            raise BadRequest(
                "variation_id is required and must belong to the item", error="invalid_variation"
            )
    change_stock(state, item, quantity, variation_id)
    now = state.now()
    pack = state.packs.get(pack_id) if pack_id is not None else None
    if pack_id is not None and (
        pack is None or pack.buyer_id != buyer.id or pack.seller_id != item.seller_id
    ):
        raise BadRequest("pack_id must be a pack of the same buyer and seller", error="invalid_pack")
    if pack is None:
        config = state.config
        ship_after = config.order_ship_after_s if ship_after_s is None else ship_after_s
        in_transit = max(0.0, config.order_deliver_after_s - config.order_ship_after_s)
        shipment = Shipment(
            id=state.ids.shipment_id(),
            pack_id=0,
            order_ids=[],
            seller_id=item.seller_id,
            buyer_id=buyer.id,
            site_id=item.site_id,
            logistic_type=item.body["shipping"].get("logistic_type") or "cross_docking",
            created_ts=now,
            updated_ts=now,
            history=[("ready_to_ship", now)],
            ship_at_ts=now + ship_after,
            deliver_at_ts=now + ship_after + in_transit,
        )
        pack = Pack(
            id=state.ids.order_id(),
            buyer_id=buyer.id,
            seller_id=item.seller_id,
            shipment_id=shipment.id,
            order_ids=[],
            created_ts=now,
            updated_ts=now,
        )
        shipment.pack_id = pack.id
        state.packs[pack.id] = pack
        state.shipments[shipment.id] = shipment
    shipment = state.shipments[pack.shipment_id]
    sku = next((a["value_name"] for a in item.body["attributes"] if a["id"] == "SELLER_SKU"), None)
    order = Order(
        id=state.ids.order_id(),
        pack_id=pack.id,
        seller_id=item.seller_id,
        buyer_id=buyer.id,
        site_id=item.site_id,
        item_id=item.id,
        variation_id=variation["id"] if variation else None,
        variation_attributes=list(variation["attribute_combinations"]) if variation else [],
        title=item.title,
        category_id=item.body["category_id"],
        quantity=quantity,
        unit_price=float(variation["price"]) if variation else item.price,
        currency_id=item.currency_id,
        listing_type_id=item.body["listing_type_id"],
        condition=item.body["condition"],
        warranty=_warranty(item.body["sale_terms"]),
        seller_sku=sku,
        shipment_id=shipment.id,
        payment_id=state.ids.shipment_id(),
        created_ts=now,
        updated_ts=now,
    )
    state.orders[order.id] = order
    pack.order_ids.append(order.id)
    shipment.order_ids.append(order.id)
    return order


def _warranty(sale_terms: list[dict[str, Any]]) -> str | None:
    terms = {t["id"]: t.get("value_name") for t in sale_terms}
    return (
        f"{terms['WARRANTY_TYPE']}: {terms.get('WARRANTY_TIME') or ''}" if "WARRANTY_TYPE" in terms else None
    )


def progress_shipments(state: SandboxState) -> list[Shipment]:
    """Move shipments along ready_to_ship -> shipped -> delivered as sandbox time passes."""
    changed = []
    now = state.now()
    for shipment in state.shipments.values():
        if shipment.status not in SHIPMENT_FLOW:
            continue
        target = "ready_to_ship"
        if now >= shipment.deliver_at_ts:
            target = "delivered"
        elif now >= shipment.ship_at_ts:
            target = "shipped"
        if SHIPMENT_FLOW.index(target) > SHIPMENT_FLOW.index(shipment.status):
            shipment.status = target
            shipment.substatus = None if target == "delivered" else "out_for_delivery"
            shipment.updated_ts = now
            shipment.history.append((target, now))
            for order_id in shipment.order_ids:
                state.orders[order_id].updated_ts = now
            changed.append(shipment)
    return changed


def order_for(state: SandboxState, order_id: int, user_id: int) -> Order:
    """§7.1 errors: 404 `Order does not exist`, 403 when the caller is neither buyer nor seller."""
    order = state.orders.get(order_id)
    if order is None:
        raise NotFound("Order does not exist", error="order_not_found")
    if user_id not in (order.seller_id, order.buyer_id):
        raise Forbidden("The user has not access to the order", error="not_owned_order")
    return order


def order_tags(state: SandboxState, order: Order) -> list[str]:
    """§7.1 tags: every sandbox order is a paid pack order between test users."""
    delivered = state.shipments[order.shipment_id].status == "delivered"
    return ["pack_order", "paid", "delivered" if delivered else "not_delivered", "test_order"]


def order_view(state: SandboxState, order: Order) -> dict[str, Any]:
    """The §7.1 shape."""
    buyer = state.users[order.buyer_id]
    seller = state.users[order.seller_id]
    total = round(order.unit_price * order.quantity, 2)
    created = iso_marketplace(order.created_ts)
    return {
        "id": order.id,
        "date_created": created,
        "last_updated": iso_marketplace(order.updated_ts),
        "date_last_updated": iso_utc_ms(order.updated_ts),
        "date_closed": created,
        "expiration_date": iso_marketplace(order.created_ts + 28 * 24 * 3600),
        "comments": None,
        "comment": None,
        "pickup_id": None,
        "coupon": {"id": None, "amount": 0},
        "total_amount_with_shipping": total,
        "pack_id": order.pack_id,
        "fulfilled": None,
        "buying_mode": "buy_equals_pay",
        "shipping_cost": 0.0,
        "mediations": [{"id": m} for m in order.mediation_ids],
        "total_amount": total,
        "paid_amount": total,
        "order_items": [
            {
                "item": {
                    "id": order.item_id,
                    "title": order.title,
                    "category_id": order.category_id,
                    "variation_id": order.variation_id,
                    "variation_attributes": order.variation_attributes,
                    "seller_custom_field": None,
                    "seller_sku": order.seller_sku,
                    "warranty": order.warranty,
                    "condition": order.condition,
                    "user_product_id": None,
                    "global_price": None,
                    "net_weight": None,
                    "release_date": None,
                },
                "quantity": order.quantity,
                "requested_quantity": {"measure": "unit", "value": order.quantity},
                "picked_quantity": None,
                "unit_price": order.unit_price,
                "full_unit_price": order.unit_price,
                "currency_id": order.currency_id,
                "sale_fee": round(total * 0.13, 2),
                "listing_type_id": order.listing_type_id,
                "manufacturing_days": None,
                "element_id": 1,
                "base_exchange_rate": None,
                "base_currency_id": None,
                "bundle": None,
                "stock": None,
            }
        ],
        "currency_id": order.currency_id,
        "payments": [
            {
                "id": order.payment_id,
                "order_id": order.id,
                "payer_id": order.buyer_id,
                "collector": {"id": order.seller_id},
                "site_id": order.site_id,
                "currency_id": order.currency_id,
                "payment_method_id": "account_money",
                "payment_type": "account_money",
                "operation_type": "regular_payment",
                "installments": 1,
                "status": "approved",
                "status_detail": "accredited",
                "available_actions": ["refund"],
                "transaction_amount": total,
                "transaction_amount_refunded": 0.0,
                "total_paid_amount": total,
                "shipping_cost": 0.0,
                "marketplace_fee": round(total * 0.13, 2),
                "date_created": created,
                "date_approved": created,
                "date_last_modified": created,
                "reason": order.title,
                "card_id": None,
                "issuer_id": None,
                "taxes_amount": 0,
                "overpaid_amount": 0,
                "installment_amount": None,
                "atm_transfer_reference": {"transaction_id": None, "company_id": None},
                "authorization_code": None,
                "status_code": None,
                "coupon_id": None,
                "coupon_amount": 0,
                "activation_uri": None,
                "deferred_period": None,
                "transaction_order_id": None,
            }
        ],
        "shipping": {"id": order.shipment_id},
        "status": order.status,
        "status_detail": None,
        "tags": order_tags(state, order),
        "feedback": {"seller": None, "buyer": None},
        "context": {"channel": "marketplace", "site": order.site_id, "flows": []},
        "seller": {
            "id": seller.id,
            "nickname": seller.nickname,
            "user_type": None,
            "tags": [],
            "status": None,
            "buy_restrictions": [],
        },
        "buyer": {
            "id": buyer.id,
            "nickname": buyer.nickname,
            "user_type": None,
            "tags": [],
            "status": None,
            "buy_restrictions": [],
        },
        "taxes": {"amount": None, "currency_id": None, "id": None},
        "cancel_detail": None,
        "manufacturing_ending_date": None,
        "order_request": {"change": None, "return": None},
    }


def pack_view(pack: Pack) -> dict[str, Any]:
    """§7.3 shape, with its `-0400` offsets."""
    return {
        "shipment": {"id": pack.shipment_id},
        "orders": [{"id": o} for o in pack.order_ids],
        "id": pack.id,
        "status": pack.status,
        "status_detail": None,
        "buyer": {"id": pack.buyer_id},
        "date_created": iso_pack(pack.created_ts),
        "last_updated": iso_pack(pack.updated_ts),
    }


def shipment_view(state: SandboxState, shipment: Shipment) -> dict[str, Any]:
    """§7.4 key fields (the `x-format-new: true` shape)."""
    seller, buyer = state.users[shipment.seller_id], state.users[shipment.buyer_id]
    address = {
        "address_line": "Test Address 123",
        "zip_code": "1414",
        "city": {"name": "Sandbox"},
        "state": {"name": "Sandbox"},
        "country": {"id": shipment.site_id[:2]},
    }
    return {
        "id": shipment.id,
        "external_reference": None,
        "status": shipment.status,
        "substatus": shipment.substatus,
        "date_created": iso_marketplace(shipment.created_ts),
        "last_updated": iso_marketplace(shipment.updated_ts),
        "declared_value": sum(
            state.orders[o].unit_price * state.orders[o].quantity for o in shipment.order_ids
        ),
        "dimensions": {"height": 10, "width": 20, "length": 30, "weight": 500},
        "logistic": {"direction": "forward", "mode": "me2", "type": shipment.logistic_type},
        "source": {"site_id": shipment.site_id, "market_place": "MELI", "application_id": None},
        "tracking_number": f"SB{shipment.id}" if shipment.status != "ready_to_ship" else None,
        "origin": {"type": "selling_address", "sender_id": seller.id, "shipping_address": address},
        "destination": {
            "receiver_id": buyer.id,
            "receiver_name": f"{buyer.first_name} {buyer.last_name}",
            "receiver_phone": "1111-1111",
            "shipping_address": address,
        },
        "lead_time": {"estimated_delivery_time": {"date": iso_marketplace(shipment.deliver_at_ts)}},
        "status_history": [{"status": s, "date": iso_utc_ms(ts)} for s, ts in shipment.history],
    }
