"""Resolving a claim (§9.7, §9.9): full refund, return with its v2 resource, partial refund and the buyer's
answer; each with its state change, history entry (§9.5), notification and documented refusals (§9.10)."""

from __future__ import annotations

import httpx

from .claim_world import ClaimCase, actions, open_case
from .conftest import Actors, bearer


def _not_available(response: httpx.Response, action: str, error: str = "bad_request_error") -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {
        "message": f"Action {action} not available for player",
        "error": error,
        "status": 400,
        "cause": [],
    }


async def _resolutions(case: ClaimCase) -> list[tuple[str, str, str]]:
    return [
        (e["player_role"], e["expected_resolution"], e["status"])
        for e in await case.get("/expected-resolutions")
    ]


# ---- full refund ------------------------------------------------------------------------------


async def test_refund_answers_the_expected_resolutions_and_closes(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    case = await open_case(client, actors)
    response = await case.post("/expected-resolutions/refund")
    assert response.status_code == 200, response.text
    answer = response.json()
    # §9.7 official sample of this answer: `detail` and `last_update`, the refund accepted last.
    assert [list(e) for e in answer] == [
        ["player_role", "user_id", "expected_resolution", "status", "detail", "date_created", "last_update"]
    ] * 2
    assert [(e["player_role"], e["expected_resolution"], e["status"]) for e in answer] == [
        ("complainant", "return_product", "accepted"),
        ("respondent", "refund", "accepted"),
    ]
    assert answer[1]["user_id"] == case.seller.user["id"]
    claim = await case.get()
    assert claim["status"] == "closed" and claim["resolution"]["reason"] == "payment_refunded"
    assert claim["resolution"]["benefited"] == ["complainant"]
    assert claim["resolution"]["closed_by"] == "respondent"
    assert await case.history() == [("open_claim", "complainant"), ("refund", "respondent")]
    assert (await case.get("/actions-history"))[0]["claim_status"] == "opened"
    assert await case.notified() == [["claims"], ["claims_actions"]]
    thread = await client.get(
        f"/messages/packs/{case.order['pack_id']}/sellers/{case.seller.user['id']}",
        params={"tag": "post_sale"},
        headers=case.seller.headers,
    )
    assert thread.json()["conversation_status"]["status"] == "active"
    _not_available(await case.post("/expected-resolutions/refund"), "refund")


async def test_only_the_seller_refunds(client: httpx.AsyncClient, actors: Actors) -> None:
    case = await open_case(client, actors)
    as_buyer = await client.post(f"{case.path}/expected-resolutions/refund", headers=bearer(case.buyer))
    _not_available(as_buyer, "refund")
    stranger = await actors.user(role="buyer")
    denied = await client.post(f"{case.path}/expected-resolutions/refund", headers=bearer(stranger))
    assert denied.status_code == 403 and denied.json()["error"] == "forbidden_error"
    assert (await case.get())["status"] == "opened"


# ---- return -------------------------------------------------------------------------------------


async def test_allow_return_creates_a_return_and_the_delivery_closes_the_claim(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    case = await open_case(client, actors)
    missing = await client.get(
        f"/post-purchase/v2/claims/{case.claim['id']}/returns", headers=case.seller.headers
    )
    assert missing.status_code == 404 and missing.json()["error"] == "business_logic_error"
    response = await case.post("/expected-resolutions/allow-return")
    assert response.status_code == 200, response.text
    # §9.7 official sample of this answer: `details` and `last_update`.
    (entry,) = response.json()
    assert list(entry) == [
        "player_role",
        "user_id",
        "expected_resolution",
        "status",
        "details",
        "date_created",
        "last_update",
    ]
    assert (entry["player_role"], entry["expected_resolution"], entry["status"]) == (
        "complainant",
        "return_product",
        "accepted",
    )
    claim = await case.get()
    assert claim["related_entities"] == ["return"] and claim["status"] == "opened"
    assert {"allow_return", "allow_partial_refund"}.isdisjoint(actions(claim, "respondent"))
    assert actions(claim, "complainant")["send_message_to_respondent"]["mandatory"] is True
    assert await case.history() == [
        ("open_claim", "complainant"),
        ("allow_return", "respondent"),
        ("generate_return", "complainant"),
    ]
    returned = await case.client.get(
        f"/post-purchase/v2/claims/{case.claim['id']}/returns", headers=bearer(case.buyer)
    )
    body = returned.json()
    assert (body["claim_id"], body["resource_type"], body["resource_id"]) == (
        case.claim["id"],
        "order",
        case.order["id"],
    )
    assert (body["status"], body["status_money"], body["refund_at"], body["subtype"]) == (
        "label_generated",
        "retained",
        "delivered",
        "return_total",
    )
    assert body["orders"][0]["item_id"] == case.order["order_items"][0]["item"]["id"]
    assert body["orders"][0]["return_quantity"] == "1.0"
    assert body["shipments"][0]["status"] == "ready_to_ship"
    assert body["shipments"][0]["destination"]["name"] == "seller_address"
    assert body["resources"] == [{"resource": "claim", "resource_id": str(case.claim["id"])}]
    assert body["date_closed"] is None and body["date_created"].endswith("+00:00")

    shipped = await case.control("/return", {"status": "shipped"})
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["shipments"][0]["status"] == "shipped"
    assert shipped.json()["shipments"][0]["tracking_number"]
    detail = await case.get("/detail")
    assert detail["action_responsible"] is None and detail["due_date"] is None
    assert not any(a["mandatory"] for p in (await case.get())["players"] for a in p["available_actions"])
    backwards = await case.control("/return", {"status": "shipped"})
    assert backwards.status_code == 400 and backwards.json()["error"] == "bad_request_error"

    delivered = (await case.control("/return", {"status": "delivered"})).json()
    assert (delivered["status"], delivered["status_money"]) == ("delivered", "refunded")
    assert delivered["date_closed"] is not None
    claim = await case.get()
    assert claim["status"] == "closed"
    assert claim["resolution"]["reason"] == "item_returned"
    assert claim["resolution"]["benefited"] == ["complainant"]
    assert await case.notified() == [["claims"], ["claims_actions"], ["claims"], ["claims"]]


async def test_allow_return_refusals(client: httpx.AsyncClient, actors: Actors) -> None:
    case = await open_case(client, actors)
    nothing = await case.control("/return", {"status": "shipped"})
    assert nothing.status_code == 404 and nothing.json()["error"] == "business_logic_error"
    assert (await case.post("/expected-resolutions/allow-return")).status_code == 200
    _not_available(await case.post("/expected-resolutions/allow-return"), "allow_return")
    odd = await case.control("/return", {"status": "lost"})
    assert odd.status_code == 400
    not_received = await open_case(client, actors, reason_id="PNR9501")
    _not_available(await not_received.post("/expected-resolutions/allow-return"), "allow_return")
    await case.post("/expected-resolutions/refund")  # the seller refunds anyway: the return is off
    assert (await case.get("/expected-resolutions"))[-1]["expected_resolution"] == "refund"
    returned = await client.get(
        f"/post-purchase/v2/claims/{case.claim['id']}/returns", headers=case.seller.headers
    )
    assert returned.json()["status"] == "cancelled"


# ---- partial refund -----------------------------------------------------------------------------


async def test_partial_refund_offers_come_from_the_order_total(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    case = await open_case(client, actors, price=2980)
    assert "allow_partial_refund" in await case.seller_actions()
    offers = await case.get("/partial-refund/available-offers")
    assert offers["currency_id"] == "ARS"
    assert [(o["percentage"], o["amount"]) for o in offers["available_offers"]] == [
        (90.0, 2682.0),
        (80.0, 2384.0),
        (70.0, 2086.0),
        (60.0, 1788.0),
        (50.0, 1490.0),
        (40.0, 1192.0),
        (30.0, 894.0),
        (20.0, 596.0),
        (10.0, 298.0),
    ]
    assert offers["recommendations"] == [
        {"percentage": 40.0, "reason": "PARTIAL_REFUND_BETTER_THAN_RETURN", "type": "maximum"}
    ]
    assert offers["restrictions"] == []
    not_received = await open_case(client, actors, reason_id="PNR9501")
    refused = await client.get(
        f"{not_received.path}/partial-refund/available-offers", headers=not_received.seller.headers
    )
    assert refused.status_code == 422 and set(refused.json()) == {"message", "error", "status", "cause"}


async def test_partial_refund_refuses_a_percentage_not_offered(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    case = await open_case(client, actors)
    for percentage, shown in ((35, "35.0"), (100, "100.0"), (0.5, "0.5")):
        response = await case.post("/expected-resolutions/partial-refund", json={"percentage": percentage})
        assert response.status_code == 400
        assert response.json() == {
            "message": f"Percentage not found {shown}",
            "error": "error checking configuration percentage",
            "status": 400,
            "cause": [],
        }
    wrong = await case.post("/expected-resolutions/partial-refund", json={"percentage": "50"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "bad_request"
    not_received = await open_case(client, actors, reason_id="PNR9501")
    refused = await not_received.post("/expected-resolutions/partial-refund", json={"percentage": 50})
    # §9.7: this endpoint spells the error `bad_request`.
    _not_available(refused, "allow_partial_refund", error="bad_request")
    assert await _resolutions(case) == [("complainant", "return_product", "pending")]


async def test_partial_refund_offer_then_the_buyer_accepts(client: httpx.AsyncClient, actors: Actors) -> None:
    case = await open_case(client, actors, price=5000)
    response = await case.post("/expected-resolutions/partial-refund", json={"percentage": 50})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert [(e["player_role"], e["expected_resolution"], e["status"]) for e in answer] == [
        ("complainant", "return_product", "rejected"),
        ("respondent", "partial_refund", "pending"),
    ]
    assert answer[1]["details"] == [
        {"key": "percentage", "value": "50.0"},
        {"key": "seller_amount", "value": "2500.0"},
        {"key": "seller_currency", "value": "$"},
    ]
    assert list(answer[1]) == [
        "player_role",
        "user_id",
        "expected_resolution",
        "details",
        "date_created",
        "last_updated",
        "status",
    ]
    seller = await case.seller_actions()
    assert {"allow_partial_refund", "allow_return"}.isdisjoint(seller) and "refund" in seller
    assert not seller["send_message_to_complainant"]["mandatory"]
    assert (await case.get("/detail"))["action_responsible"] == "buyer"
    again = await case.post("/expected-resolutions/partial-refund", json={"percentage": 40})
    _not_available(again, "allow_partial_refund", error="bad_request")

    accepted = await case.control("/partial_refund", {"accept": True})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["resolution"]["reason"] == "partial_refunded"
    assert accepted.json()["status"] == "closed"
    assert await _resolutions(case) == [
        ("complainant", "return_product", "rejected"),
        ("respondent", "partial_refund", "accepted"),
    ]
    assert await case.history() == [
        ("open_claim", "complainant"),
        ("allow_partial_refund", "respondent"),
        ("accept_partial_refund", "complainant"),
    ]
    assert await case.notified() == [["claims"], ["claims_actions"], ["claims_actions"]]
    twice = await case.control("/partial_refund", {"accept": True})
    assert twice.status_code == 400


async def test_a_rejected_partial_refund_restricts_the_next_offer(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    case = await open_case(client, actors, price=1000)
    nothing = await case.control("/partial_refund", {"accept": False})
    assert nothing.status_code == 400
    await case.post("/expected-resolutions/partial-refund", json={})  # no percentage: 50 % (§9.7)
    assert (await case.get("/expected-resolutions"))[-1]["details"][0] == {
        "key": "percentage",
        "value": "50.0",
    }
    rejected = await case.control("/partial_refund", {"accept": False})
    assert rejected.json()["status"] == "opened"
    assert await _resolutions(case) == [
        ("complainant", "return_product", "rejected"),
        ("respondent", "partial_refund", "rejected"),
        ("complainant", "return_product", "pending"),
    ]
    seller = await case.seller_actions()
    assert seller["send_message_to_complainant"]["mandatory"] and "allow_partial_refund" in seller
    offers = await case.get("/partial-refund/available-offers")
    assert [o["percentage"] for o in offers["available_offers"]] == [90.0, 80.0, 70.0, 60.0]
    assert offers["restrictions"] == [{"percentage": 50.0, "reason": "PAREX_REJECTED", "type": "minimum"}]
    below = await case.post("/expected-resolutions/partial-refund", json={"percentage": 40})
    assert below.json()["message"] == "Percentage not found 40.0"
    above = await case.post("/expected-resolutions/partial-refund", json={"percentage": 60})
    assert above.status_code == 200 and above.json()[-1]["details"][1]["value"] == "600.0"
    assert ("reject_partial_refund", "complainant") in await case.history()
