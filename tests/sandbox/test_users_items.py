"""Users (§3) and items (§6): private/public views, creation, bucketing, multiget, updates, search."""

import httpx

from mostrador.sandbox.items import bucket_quantity

from .conftest import Actors, bearer


async def test_users_me_private_and_public_views(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    me = (await client.get("/users/me", headers=seller.headers)).json()
    assert me["id"] == seller.user["id"] and me["email"] and me["status"]["sell"]["allow"] is True
    public = (await client.get(f"/users/{me['id']}")).json()
    assert "email" not in public and public["seller_reputation"]["transactions"]["period"] == "historic"
    own = (await client.get(f"/users/{me['id']}", headers=seller.headers)).json()
    assert own["email"] == me["email"]


async def test_control_users_carry_password_and_working_token(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    buyer = await actors.user(role="buyer", nickname="COMPRADOR1", password="secreto")
    assert buyer["password"] == "secreto" and buyer["id"] > 2**31
    assert (await client.get("/users/me", headers=bearer(buyer))).json()["nickname"] == "COMPRADOR1"
    sellers = (await client.get("/_sandbox/users", params={"role": "seller"})).json()
    assert sellers == []
    taken = await client.post("/_sandbox/users", json={"nickname": "comprador1", "role": "buyer"})
    assert taken.status_code == 400


async def test_item_created_with_full_shape(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    item = await actors.item(seller)
    assert item["id"].startswith("MLA") and len(item["id"]) == 13
    assert item["seller_id"] == seller.user["id"] and item["status"] == "active"
    assert item["warranty"] == "Garantía del vendedor: 30 días"
    assert item["permalink"].startswith("https://articulo.mercadolibre.com.ar/MLA-")
    description = (await client.get(f"/items/{item['id']}/description")).json()
    assert description["plain_text"] == "Zapatilla liviana con suela de goma."


async def test_item_validation_errors_use_cause_objects(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    response = await client.post("/items", json={"title": "x"}, headers=seller.headers)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_error" and {c["code"] for c in body["cause"]} >= {
        "item.price.required"
    }


async def test_variations_sum_stock_and_public_callers_see_buckets(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    seller = await actors.connect()
    combos = [{"id": "COLOR", "value_name": "Negro"}]
    item = await actors.item(
        seller,
        variations=[
            {"attribute_combinations": combos, "available_quantity": 60, "price": 45999},
            {"attribute_combinations": [{"id": "COLOR", "value_name": "Rojo"}], "available_quantity": 3},
        ],
    )
    assert item["available_quantity"] == 63
    public = (await client.get(f"/items/{item['id']}")).json()
    assert public["available_quantity"] == 50
    assert [v["available_quantity"] for v in public["variations"]] == [50, 1]
    assert [bucket_quantity(n) for n in (0, 1, 50, 51, 100, 101, 150, 99999)] == [
        0,
        1,
        1,
        50,
        50,
        100,
        100,
        50000,
    ]


async def test_update_price_stock_status_and_variations(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    item = await actors.item(
        seller,
        variations=[
            {"attribute_combinations": [{"id": "SIZE", "value_name": "42"}], "available_quantity": 5}
        ],
    )
    variation_id = item["variations"][0]["id"]
    changed = await client.put(
        f"/items/{item['id']}",
        headers=seller.headers,
        json={"price": 50000, "variations": [{"id": variation_id, "available_quantity": 9}]},
    )
    assert changed.json()["price"] == 50000 and changed.json()["available_quantity"] == 9
    paused = await client.put(f"/items/{item['id']}", headers=seller.headers, json={"status": "paused"})
    assert paused.json()["status"] == "paused"
    stranger = await actors.user(role="buyer")
    forbidden = await client.put(f"/items/{item['id']}", headers=bearer(stranger), json={"price": 1})
    assert forbidden.status_code == 403


async def test_multiget_and_seller_search(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    first, second = await actors.item(seller), await actors.item(seller, price=10)
    got = (
        await client.get("/items", params={"ids": f"{first['id']},MLA0000000000", "attributes": "id,price"})
    ).json()
    assert got[0] == {"code": 200, "body": {"id": first["id"], "price": first["price"]}}
    assert got[1]["code"] == 404 and got[1]["body"]["error"] == "not_found"
    too_many = await client.get("/items", params={"ids": ",".join(["MLA1"] * 21)})
    assert too_many.status_code == 400
    search = (
        await client.get(
            f"/users/{seller.user['id']}/items/search",
            headers=seller.headers,
            params={"orders": "price_asc", "limit": 1},
        )
    ).json()
    assert search["seller_id"] == str(seller.user["id"]) and search["paging"]["total"] == 2
    assert search["results"] == [second["id"]]
    listed = (await client.get("/_sandbox/items", params={"seller_id": seller.user["id"]})).json()
    assert {i["id"] for i in listed} == {first["id"], second["id"]}


async def test_item_changes_notify_subscribed_apps(client: httpx.AsyncClient, actors: Actors) -> None:
    app = await actors.app(callback_url="http://127.0.0.1:9/hook", topics=["items"])
    seller = await actors.connect(app)
    item = await actors.item(seller)
    await client.put(f"/items/{item['id']}", json={"price": 1000}, headers=seller.headers)
    queued = (await client.get("/_sandbox/notifications", params={"topic": "items"})).json()
    assert [n["resource"] for n in queued] == [f"/items/{item['id']}"] * 2


async def test_test_user_and_grant_listing(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    created = await client.post("/users/test_user", json={"site_id": "MLB"}, headers=seller.headers)
    assert created.status_code == 201 and created.json()["password"]
    grants = (await client.get(f"/users/{seller.user['id']}/applications", headers=seller.headers)).json()
    assert [g["app_id"] for g in grants] == [str(seller.app["client_id"])]
    other = await client.get(f"/users/{created.json()['id']}/applications", headers=seller.headers)
    assert other.status_code == 403 and other.json()["code"] == "FORBIDDEN"
    many = (await client.get("/users", params={"ids": f"{seller.user['id']},1"})).json()
    assert [entry["code"] for entry in many] == [200, 404]


async def test_answers_log_since_filter(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    item = await actors.item(seller)
    buyer = await actors.user(role="buyer")
    first = await actors.ask(buyer, item["id"], "uno")
    await client.post("/answers", json={"question_id": first["id"], "text": "a"}, headers=seller.headers)
    log = (await client.get("/_sandbox/log", params={"kind": "answers"})).json()
    await client.post("/_sandbox/clock", json={"advance_s": 10})
    second = await actors.ask(buyer, item["id"], "dos")
    await client.post("/answers", json={"question_id": second["id"], "text": "b"}, headers=seller.headers)
    newer = (
        await client.get("/_sandbox/log", params={"kind": "answers", "since": log[0]["answered_at"]})
    ).json()
    assert [e["question_id"] for e in newer] == [second["id"]]
    bad = await client.get("/_sandbox/log", params={"kind": "answers", "since": "ayer"})
    assert bad.status_code == 400
