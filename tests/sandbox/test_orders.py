"""Orders, packs and shipments (§7): purchase via control API, views, search, progression over time."""

import re

import httpx

from .conftest import Actors, bearer

PACK_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-0400")


async def _purchase(client: httpx.AsyncClient, actors: Actors, **extra: object) -> tuple:
    seller = await actors.connect()
    item = await actors.item(seller, available_quantity=5)
    buyer = await actors.user(role="buyer")
    response = await client.post(
        "/_sandbox/orders", json={"buyer_id": buyer["id"], "item_id": item["id"], "quantity": 2, **extra}
    )
    assert response.status_code == 201, response.text
    return seller, item, buyer, response.json()


async def test_purchase_creates_order_pack_shipment_and_takes_stock(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    seller, item, buyer, order = await _purchase(client, actors)
    assert len(str(order["id"])) == 16 and len(str(order["pack_id"])) == 16
    assert order["status"] == "paid" and order["total_amount"] == 2 * item["price"]
    assert order["buyer"]["id"] == buyer["id"] and order["seller"]["id"] == seller.user["id"]
    fetched = (await client.get(f"/orders/{order['id']}", headers=seller.headers)).json()
    assert fetched["order_items"][0]["item"]["id"] == item["id"]
    stock = (await client.get(f"/items/{item['id']}", headers=seller.headers)).json()
    assert stock["available_quantity"] == 3 and stock["sold_quantity"] == 2
    pack = (await client.get(f"/packs/{order['pack_id']}", headers=seller.headers)).json()
    assert pack["orders"] == [{"id": order["id"]}] and PACK_DATE.fullmatch(pack["date_created"])
    shipment = (await client.get(f"/shipments/{order['shipping']['id']}", headers=seller.headers)).json()
    assert shipment["status"] == "ready_to_ship" and len(str(shipment["id"])) == 11


async def test_order_access_rules(client: httpx.AsyncClient, actors: Actors) -> None:
    _, _, buyer, order = await _purchase(client, actors)
    assert (await client.get(f"/orders/{order['id']}", headers=bearer(buyer))).status_code == 200
    stranger = await actors.user(role="buyer")
    denied = await client.get(f"/orders/{order['id']}", headers=bearer(stranger))
    assert denied.status_code == 403 and denied.json()["message"] == "The user has not access to the order"
    missing = await client.get("/orders/2000000000000001", headers=bearer(buyer))
    assert missing.status_code == 404 and missing.json()["message"] == "Order does not exist"


async def test_shipment_progresses_with_the_clock(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, _, _, order = await _purchase(client, actors)
    path = f"/shipments/{order['shipping']['id']}"
    # Access tokens last 6 hours; the control-API token of the seller does not expire.
    headers = bearer(seller.user)
    await client.post("/_sandbox/clock", json={"advance_s": 24 * 3600})
    assert (await client.get(path, headers=headers)).json()["status"] == "shipped"
    await client.post("/_sandbox/clock", json={"advance_s": 48 * 3600})
    assert (await client.get(path, headers=headers)).json()["status"] == "delivered"
    fetched = (await client.get(f"/orders/{order['id']}", headers=headers)).json()
    assert "delivered" in fetched["tags"]


async def test_cart_purchase_shares_pack_and_search(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, item, buyer, order = await _purchase(client, actors)
    second = await client.post(
        "/_sandbox/orders",
        json={"buyer_id": buyer["id"], "item_id": item["id"], "quantity": 1, "pack_id": order["pack_id"]},
    )
    assert second.json()["pack_id"] == order["pack_id"]
    pack = (await client.get(f"/packs/{order['pack_id']}", headers=seller.headers)).json()
    assert len(pack["orders"]) == 2
    found = (
        await client.get(
            "/orders/search",
            headers=seller.headers,
            params={"seller": seller.user["id"], "order.status": "paid", "sort": "date_desc"},
        )
    ).json()
    assert found["paging"]["total"] == 2 and found["sort"]["id"] == "date_desc"
    other = await client.get("/orders/search", headers=seller.headers, params={"seller": 1})
    assert other.status_code == 403
    too_many = await client.post(
        "/_sandbox/orders", json={"buyer_id": buyer["id"], "item_id": item["id"], "quantity": 10}
    )
    assert too_many.status_code == 400
