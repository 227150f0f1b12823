"""`PUT /items/{id}` with variations, as the items API's variations page describes it.

A `variations` list is the item's new set: listed ids are kept (with their changes), entries without an
id are created, and every variation left out is deleted. Stock of an item with variations lives on each
variation, so an item-level `available_quantity` is refused.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.sandbox.conftest import Actors, Connected


def _variation(colour: str, stock: int) -> dict[str, Any]:
    return {
        "attribute_combinations": [{"id": "COLOR", "name": "Color", "value_name": colour}],
        "available_quantity": stock,
    }


async def _item(actors: Actors) -> tuple[Connected, dict[str, Any]]:
    seller = await actors.connect()
    item = await actors.item(
        seller, variations=[_variation("Negro", 3), _variation("Rojo", 4), _variation("Azul", 5)]
    )
    assert item["available_quantity"] == 12
    return seller, item


async def test_a_partial_list_deletes_the_variations_left_out(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    seller, item = await _item(actors)
    black, red, _blue = (v["id"] for v in item["variations"])
    change = {"variations": [{"id": black}, {"id": red, "available_quantity": 9}]}
    response = await client.put(f"/items/{item['id']}", json=change, headers=seller.headers)
    assert response.status_code == 200, response.text
    kept = {v["id"]: v["available_quantity"] for v in response.json()["variations"]}
    assert kept == {black: 3, red: 9}
    assert response.json()["available_quantity"] == 12
    again = await client.get(f"/items/{item['id']}", headers=seller.headers)
    assert [v["id"] for v in again.json()["variations"]] == [black, red]


async def test_an_entry_without_id_creates_a_variation(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, item = await _item(actors)
    ids = [{"id": v["id"]} for v in item["variations"]]
    response = await client.put(
        f"/items/{item['id']}", json={"variations": [*ids, _variation("Verde", 7)]}, headers=seller.headers
    )
    assert response.status_code == 200, response.text
    variations = response.json()["variations"]
    assert len(variations) == 4 and variations[-1]["id"] not in {v["id"] for v in item["variations"]}
    assert variations[-1]["attribute_combinations"][0]["value_name"] == "Verde"
    assert response.json()["available_quantity"] == 19
    incomplete = await client.put(
        f"/items/{item['id']}", json={"variations": [*ids, {"price": 10}]}, headers=seller.headers
    )
    assert incomplete.status_code == 400 and incomplete.json()["error"] == "validation_error"


async def test_unknown_or_repeated_ids_and_an_empty_list_are_refused_and_change_nothing(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    seller, item = await _item(actors)
    first = item["variations"][0]["id"]
    for variations in ([{"id": 1}], [{"id": first}, {"id": first}], []):
        response = await client.put(
            f"/items/{item['id']}", json={"variations": variations}, headers=seller.headers
        )
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "validation_error"
    after = await client.get(f"/items/{item['id']}", headers=seller.headers)
    assert [v["id"] for v in after.json()["variations"]] == [v["id"] for v in item["variations"]]


async def test_item_level_stock_is_refused_on_an_item_with_variations(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    seller, item = await _item(actors)
    response = await client.put(
        f"/items/{item['id']}", json={"available_quantity": 50}, headers=seller.headers
    )
    assert response.status_code == 400
    assert [c["code"] for c in response.json()["cause"]] == ["item.available_quantity.invalid"]
    after = await client.get(f"/items/{item['id']}", headers=seller.headers)
    assert after.json()["available_quantity"] == 12
    plain = await actors.item(seller)
    changed = await client.put(
        f"/items/{plain['id']}", json={"available_quantity": 50}, headers=seller.headers
    )
    assert changed.status_code == 200 and changed.json()["available_quantity"] == 50
