"""Every query parameter a search documents is honoured (§5.1, §6.4, §7.2, §9.2).

The parameters come from each search's own declaration in the route table (its OpenAPI document); a
declared parameter without a case here fails the coverage test, so a new filter cannot go untested.
Each case runs against one world and names the results it must return, which must differ from the
unfiltered answer (or prove an ordering) so that an ignored filter fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mostrador.sandbox.app import create_app
from mostrador.sandbox.config import SandboxConfig
from tests.sandbox.conftest import Actors, bearer

ORDERS = "/orders/search"
ITEMS = "/users/{user_id}/items/search"
QUESTIONS = "/questions/search"
CLAIMS = "/post-purchase/v1/claims/search"
SEARCHES = (ORDERS, ITEMS, QUESTIONS, CLAIMS)


@dataclass
class World:
    seller: dict[str, Any]
    buyers: list[dict[str, Any]]
    items: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    questions: list[dict[str, Any]]
    claims: list[dict[str, Any]]


@dataclass(frozen=True)
class Case:
    """`params` (plus the search's required ones) must return exactly `expect(world)`, in that order
    when `ordered`. `covers` names the documented parameters the case exercises."""

    covers: tuple[str, ...]
    params: Callable[[World], dict[str, str]]
    expect: Callable[[World], list[Any]]
    ordered: bool = False


def _ids(kind: str, *indexes: int) -> Callable[[World], list[Any]]:
    return lambda w: [getattr(w, kind)[i]["id"] for i in indexes]


ORD, ITM, QST, CLM = "orders", "items", "questions", "claims"

CASES: dict[str, list[Case]] = {
    ORDERS: [
        Case(("seller",), lambda w: {}, _ids(ORD, 0, 1, 2), ordered=True),
        Case(("buyer",), lambda w: {"buyer": str(w.buyers[0]["id"])}, _ids(ORD, 0, 2)),
        Case(("order.status",), lambda w: {"order.status": "cancelled,invalid"}, lambda w: []),
        Case(("item",), lambda w: {"item": w.items[0]["id"]}, _ids(ORD, 0)),
        Case(("tags",), lambda w: {"tags": "paid,delivered"}, _ids(ORD, 0)),
        Case(("tags.not",), lambda w: {"tags.not": "delivered"}, _ids(ORD, 1, 2)),
        Case(("q",), lambda w: {"q": str(w.orders[1]["id"])}, _ids(ORD, 1)),
        Case(("q",), lambda w: {"q": w.items[1]["id"]}, _ids(ORD, 1, 2)),
        Case(("q",), lambda w: {"q": "zapatillas"}, _ids(ORD, 0)),
        Case(("q",), lambda w: {"q": w.buyers[1]["nickname"].lower()}, _ids(ORD, 1)),
        Case(
            ("order.date_created.from",),
            lambda w: {"order.date_created.from": w.orders[2]["date_created"]},
            _ids(ORD, 2),
        ),
        Case(
            ("order.date_created.to",),
            lambda w: {"order.date_created.to": w.orders[0]["date_created"]},
            _ids(ORD, 0),
        ),
        Case(
            ("order.date_closed.from",),
            lambda w: {"order.date_closed.from": w.orders[1]["date_closed"]},
            _ids(ORD, 1, 2),
        ),
        Case(
            ("order.date_closed.to",),
            lambda w: {"order.date_closed.to": w.orders[1]["date_closed"]},
            _ids(ORD, 0, 1),
        ),
        Case(
            ("order.date_last_updated.from",),
            lambda w: {"order.date_last_updated.from": w.orders[1]["last_updated"]},
            _ids(ORD, 1, 2),
        ),
        Case(
            ("order.date_last_updated.to",),
            lambda w: {"order.date_last_updated.to": w.orders[0]["last_updated"]},
            _ids(ORD, 0),
        ),
        Case(("mediations.stage",), lambda w: {"mediations.stage": "dispute"}, _ids(ORD, 2)),
        Case(("mediations.status",), lambda w: {"mediations.status": "claim_opened"}, _ids(ORD, 1)),
        Case(("feedback.status",), lambda w: {"feedback.status": "waiting_buyer"}, lambda w: []),
        Case(("feedback.sale.rating",), lambda w: {"feedback.sale.rating": "positive"}, lambda w: []),
        Case(("feedback.purchase.rating",), lambda w: {"feedback.purchase.rating": "negative"}, lambda w: []),
        Case(("feedback.sale.fulfilled",), lambda w: {"feedback.sale.fulfilled": "true"}, lambda w: []),
        Case(("feedback.purchase.fulfilled",), lambda w: {"feedback.purchase.fulfilled": "F"}, lambda w: []),
        Case(("pack_id",), lambda w: {"pack_id": str(w.orders[2]["pack_id"])}, _ids(ORD, 2)),
        Case(("shipping.status",), lambda w: {"shipping.status": "delivered"}, _ids(ORD, 0)),
        Case(("shipping.substatus",), lambda w: {"shipping.substatus": "ready_to_print"}, _ids(ORD, 1, 2)),
        Case(("sort",), lambda w: {"sort": "date_desc"}, _ids(ORD, 2, 1, 0), ordered=True),
        Case(("offset", "limit"), lambda w: {"offset": "1", "limit": "1"}, _ids(ORD, 1)),
    ],
    ITEMS: [
        Case(("status",), lambda w: {"status": "paused"}, _ids(ITM, 2)),
        Case(("sku",), lambda w: {"sku": "CF-1"}, _ids(ITM, 0)),
        Case(("sku",), lambda w: {"sku": "VAR-B"}, _ids(ITM, 0)),
        Case(("seller_sku",), lambda w: {"seller_sku": "GOR-1"}, _ids(ITM, 1)),
        Case(("listing_type_id",), lambda w: {"listing_type_id": "gold_pro"}, _ids(ITM, 1)),
        Case(("orders",), lambda w: {"orders": "price_asc"}, _ids(ITM, 1, 2, 0), ordered=True),
        Case(
            ("offset", "limit"),
            lambda w: {"orders": "start_time_asc", "offset": "1", "limit": "1"},
            _ids(ITM, 1),
        ),
    ],
    QUESTIONS: [
        Case(("item",), lambda w: {"item": w.items[1]["id"]}, _ids(QST, 1, 2)),
        Case(("seller_id",), lambda w: {"seller_id": str(w.buyers[0]["id"])}, lambda w: []),
        Case(("item_id",), lambda w: {"item_id": w.items[0]["id"]}, _ids(QST, 0)),
        Case(
            ("seller",),
            lambda w: {"seller_id": None, "seller": str(w.seller["id"]), "sort_types": "ASC"},  # type: ignore[dict-item]
            _ids(QST, 0, 1, 2),
            ordered=True,
        ),
        Case(("from",), lambda w: {"from": str(w.buyers[0]["id"])}, _ids(QST, 0, 2)),
        Case(("status",), lambda w: {"status": "ANSWERED"}, _ids(QST, 2)),
        Case(
            ("sort_fields", "sort_types"),
            lambda w: {"sort_fields": "date_created", "sort_types": "ASC"},
            _ids(QST, 0, 1, 2),
            ordered=True,
        ),
        Case(("api_version",), lambda w: {"api_version": "4", "status": "UNANSWERED"}, _ids(QST, 0, 1)),
        Case(("offset", "limit"), lambda w: {"sort_types": "ASC", "offset": "1", "limit": "1"}, _ids(QST, 1)),
    ],
    CLAIMS: [
        Case(("id",), lambda w: {"id": str(w.claims[0]["id"])}, _ids(CLM, 0)),
        Case(("type",), lambda w: {"type": "returns"}, lambda w: []),
        Case(("stage",), lambda w: {"stage": "dispute"}, _ids(CLM, 1)),
        Case(("status",), lambda w: {"status": "closed"}, _ids(CLM, 1)),
        Case(
            ("resource", "resource_id"),
            lambda w: {"resource": "order", "resource_id": str(w.orders[1]["id"])},
            _ids(CLM, 0),
        ),
        Case(("reason_id",), lambda w: {"reason_id": "PNR9501"}, _ids(CLM, 1)),
        Case(("site_id",), lambda w: {"site_id": "MLB"}, lambda w: []),
        Case(
            ("players.role", "players.user_id"),
            lambda w: {"players.role": "complainant", "players.user_id": str(w.buyers[1]["id"])},
            _ids(CLM, 0),
        ),
        Case(("order_id",), lambda w: {"order_id": str(w.orders[2]["id"])}, _ids(CLM, 1)),
        Case(("pack_id",), lambda w: {"pack_id": str(w.orders[1]["pack_id"])}, _ids(CLM, 0)),
        Case(("payment_id",), lambda w: {"payment_id": str(w.orders[1]["payments"][0]["id"])}, _ids(CLM, 0)),
        Case(("parent_id",), lambda w: {"parent_id": str(w.claims[0]["id"])}, lambda w: []),
        Case(
            ("range",), lambda w: {"range": f"date_created:after:{w.claims[1]['date_created']}"}, _ids(CLM, 1)
        ),
        Case(
            ("range",),
            lambda w: {"range": f"last_updated:before:{w.claims[1]['date_created']}"},
            _ids(CLM, 0),
        ),
        Case(("sort",), lambda w: {"sort": "date_created:asc"}, _ids(CLM, 0, 1), ordered=True),
        Case(
            ("offset", "limit"),
            lambda w: {"sort": "date_created:asc", "offset": "1", "limit": "1"},
            _ids(CLM, 1),
        ),
    ],
}
# The part of each search that is always sent, and where its results are.
BASE: dict[str, Callable[[World], dict[str, str]]] = {
    ORDERS: lambda w: {"seller": str(w.seller["id"])},
    ITEMS: lambda w: {},
    QUESTIONS: lambda w: {"seller_id": str(w.seller["id"])},
    CLAIMS: lambda w: {"players.role": "respondent", "players.user_id": str(w.seller["id"])},
}
# Parameters covered by their own tests below rather than by a case.
COVERED_ELSEWHERE = {"search_type", "scroll_id"}


def _documented(app: FastAPI, path: str) -> set[str]:
    operation = app.openapi()["paths"][path]["get"]
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}


@pytest.mark.parametrize("path", SEARCHES)
def test_every_documented_parameter_has_a_case(app: FastAPI, path: str) -> None:
    documented = _documented(app, path)
    assert documented, f"{path} declares no query parameters"
    covered = {name for case in CASES[path] for name in case.covers} | COVERED_ELSEWHERE
    assert documented - covered == set(), f"{path}: documented but untested"
    assert {name for case in CASES[path] for name in case.covers} <= documented, (
        f"{path}: tested but undocumented"
    )


async def _world(client: httpx.AsyncClient, actors: Actors) -> World:
    async def advance(hours: float) -> None:
        await client.post("/_sandbox/clock", json={"advance_s": hours * 3600})

    seller = await actors.user()
    buyers = [
        await actors.user("buyer", nickname="COMPRADOR_UNO"),
        await actors.user("buyer", nickname="COMPRADOR_DOS"),
    ]
    colours = [{"id": "COLOR", "name": "Color", "value_name": c} for c in ("Negro", "Rojo")]
    variations = [
        {"attribute_combinations": [c], "available_quantity": 5, "seller_custom_field": f"VAR-{x}"}
        for c, x in zip(colours, "AB", strict=True)
    ]
    shoes = await actors.item(seller, seller_custom_field="CF-1", variations=variations)
    await advance(1)
    gloves = await actors.item(
        seller,
        title="Guantes de arquero",
        price=9999,
        listing_type_id="gold_pro",
        attributes=[{"id": "SELLER_SKU", "value_name": "GOR-1"}],
    )
    await advance(1)
    cap = await actors.item(seller, title="Gorra", price=19999, attributes=[])
    await client.put(f"/items/{cap['id']}", json={"status": "paused"}, headers=bearer(seller))
    questions = [await actors.ask(buyers[0], shoes["id"])]
    await advance(1)
    questions.append(await actors.ask(buyers[1], gloves["id"]))
    await advance(1)
    questions.append(await actors.ask(buyers[0], gloves["id"], "¿Es talle 9?"))
    answer = {"question_id": questions[2]["id"], "text": "Sí."}
    assert (await client.post("/answers", json=answer, headers=bearer(seller))).status_code == 200

    async def buy(buyer: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
        body = {"buyer_id": buyer["id"], "item_id": item["id"]}
        if item["variations"]:
            body["variation_id"] = item["variations"][1]["id"]
        response = await client.post("/_sandbox/orders", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    orders = [await buy(buyers[0], shoes)]
    await advance(80)  # the first shipment is delivered: its order changes then
    await client.get("/orders/search", params={"seller": seller["id"]}, headers=bearer(seller))
    await advance(3)
    orders.append(await buy(buyers[1], gloves))
    await advance(3)
    orders.append(await buy(buyers[0], gloves))
    claims = [(await client.post("/_sandbox/claims", json={"order_id": orders[1]["id"]})).json()]
    await advance(2)
    second = (
        await client.post("/_sandbox/claims", json={"order_id": orders[2]["id"], "reason_id": "PNR9501"})
    ).json()
    await client.post(f"/_sandbox/claims/{second['id']}/advance", json={"stage": "dispute"})
    await advance(2)
    await client.post(f"/_sandbox/claims/{second['id']}/advance", json={"status": "closed"})
    claims.append(second)
    # Read everything back as it is now (last_updated moved with the deliveries and claims).
    orders = [(await client.get(f"/orders/{o['id']}", headers=bearer(seller))).json() for o in orders]
    claims = [(await client.get(f"{CLAIMS[:-7]}/{c['id']}", headers=bearer(seller))).json() for c in claims]
    return World(seller, buyers, [shoes, gloves, cap], orders, questions, claims)


async def _search(
    client: httpx.AsyncClient, world: World, path: str, params: dict[str, str]
) -> httpx.Response:
    url = path.format(user_id=world.seller["id"])
    query = {key: value for key, value in {**BASE[path](world), **params}.items() if value is not None}
    return await client.get(url, params=query, headers=bearer(world.seller))


def _results(path: str, body: dict[str, Any]) -> list[Any]:
    if path == ORDERS:
        return [o["id"] for o in body["results"]]
    if path == ITEMS:
        return list(body["results"])
    if path == QUESTIONS:
        return [q["id"] for q in body["questions"]]
    return [c["id"] for c in body["data"]]


async def test_each_documented_filter_is_honoured(client: httpx.AsyncClient, actors: Actors) -> None:
    world = await _world(client, actors)
    for path in SEARCHES:
        unfiltered = await _search(client, world, path, {})
        assert unfiltered.status_code == 200, unfiltered.text
        everything = _results(path, unfiltered.json())
        for case in CASES[path]:
            params = case.params(world)
            response = await _search(client, world, path, params)
            where = f"{path} {params}: {response.text[:300]}"
            assert response.status_code == 200, where
            found, expected = _results(path, response.json()), case.expect(world)
            if case.ordered:
                assert found == expected, where
            else:
                assert sorted(map(str, found)) == sorted(map(str, expected)), where
                # An ignored filter returns everything: each case must narrow the answer.
                assert sorted(map(str, found)) != sorted(map(str, everything)), where


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (ORDERS, {"shipping.service_id": "61"}),
        (ORDERS, {"order.date_created.from": "yesterday"}),
        (ORDERS, {"limit": "many"}),
        (ORDERS, {"mediations.stage": "appeal"}),
        (ITEMS, {"reputation_health_gauge": "unhealthy"}),
        (ITEMS, {"missing_product_identifiers": "true"}),
        (ITEMS, {"offset": "990", "limit": "20"}),
        (ITEMS, {"search_type": "scan", "limit": "101"}),
        (ITEMS, {"search_type": "scan", "scroll_id": "c2FuZGJveA==:unknown"}),
        (QUESTIONS, {"division": "1", "totalDivisions": "4"}),
        (QUESTIONS, {"offset": "-1"}),
        (QUESTIONS, {"sort_types": "SIDEWAYS"}),
        (CLAIMS, {"range": "date_created:after:2024-01-01T00:00:00-0300"}),
        (CLAIMS, {"date_created": "2024-01-01T00:00:00.000-0300"}),
        (CLAIMS, {"limit": "x"}),
    ],
)
async def test_filters_the_sandbox_cannot_honour_are_refused(
    client: httpx.AsyncClient, actors: Actors, path: str, params: dict[str, str]
) -> None:
    seller = await actors.user()
    world = World(seller, [], [], [], [], [])
    response = await _search(client, world, path, params)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"message", "error", "status", "cause"}


@pytest.mark.parametrize("path", SEARCHES)
async def test_unknown_parameters_are_ignored(client: httpx.AsyncClient, actors: Actors, path: str) -> None:
    world = await _world(client, actors)
    plain = await _search(client, world, path, {})
    noisy = await _search(client, world, path, {"colour": "red", "caller.id": "1", "include_filters": "true"})
    assert noisy.status_code == 200 and _results(path, noisy.json()) == _results(path, plain.json())


@pytest.mark.parametrize("path", [ITEMS, QUESTIONS])
async def test_scan_walks_every_result_once_then_ends_with_null(
    client: httpx.AsyncClient, actors: Actors, path: str
) -> None:
    """§5.1/§6.4: search_type=scan, then the same scroll_id until it comes back null."""
    world = await _world(client, actors)
    everything = _results(path, (await _search(client, world, path, {})).json())
    first = await _search(client, world, path, {"search_type": "scan", "limit": "2"})
    assert first.status_code == 200, first.text
    scroll_id = first.json()["scroll_id"]
    assert scroll_id
    seen = _results(path, first.json())
    for _ in range(10):
        page = await _search(
            client, world, path, {"search_type": "scan", "limit": "2", "scroll_id": scroll_id}
        )
        assert page.status_code == 200, page.text
        if page.json()["scroll_id"] is None:
            assert _results(path, page.json()) == []
            break
        assert page.json()["scroll_id"] == scroll_id
        seen += _results(path, page.json())
    else:
        pytest.fail("the scan never ended")
    assert sorted(map(str, seen)) == sorted(map(str, everything))
    ended = await _search(client, world, path, {"search_type": "scan", "scroll_id": scroll_id})
    assert ended.status_code == 400


async def test_scroll_ids_expire_after_five_minutes(client: httpx.AsyncClient, actors: Actors) -> None:
    world = await _world(client, actors)
    first = await _search(client, world, ITEMS, {"search_type": "scan", "limit": "1"})
    await client.post("/_sandbox/clock", json={"advance_s": 301})
    params = {"search_type": "scan", "limit": "1", "scroll_id": first.json()["scroll_id"]}
    assert (await _search(client, world, ITEMS, params)).status_code == 400


def test_the_route_table_declares_the_searches() -> None:
    paths = create_app(SandboxConfig()).openapi()["paths"]
    assert all("get" in paths[path] for path in SEARCHES)
