"""Evidences (§9.8): shipping proofs by method, promised shipping dates, their files, and when they are
refused (another claim type, twice, during a dispute)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .claim_world import ClaimCase, open_case
from .conftest import Actors, bearer

DAY = "2024-06-01"
WHEN = "2018-08-17T05:00:01.858-03:00"


async def _evidence(case: ClaimCase, body: dict[str, Any]) -> httpx.Response:
    return await case.post("/actions/evidences", json={"type": "shipping_evidence", **body})


async def test_not_received_claims_offer_the_evidence_actions(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    case = await open_case(client, actors, reason_id="PNR9501")
    seller = await case.seller_actions()
    assert {"add_shipping_evidence", "send_potential_shipping"} <= set(seller)
    assert not seller["add_shipping_evidence"]["mandatory"]
    different = await open_case(client, actors, reason_id="PDD9944")
    assert "add_shipping_evidence" not in await different.seller_actions()
    refused = await _evidence(different, {"shipping_method": "personal_delivery"})
    assert refused.status_code == 400
    assert refused.json()["message"] == "Action add_shipping_evidence not available for player"


async def test_mail_evidence_is_recorded_once(client: httpx.AsyncClient, actors: Actors) -> None:
    case = await open_case(client, actors, reason_id="PNR9501")
    upload = await case.post(
        "/attachments-evidences", files={"file": ("guia.png", b"\x89PNG\r\n\x1a\n", "image/png")}
    )
    assert upload.status_code == 200, upload.text
    assert list(upload.json()) == ["user_id", "file_name"]  # §9.8 spells it file_name
    name = upload.json()["file_name"]
    assert name.endswith(f"_{case.seller.user['id']}.png")
    meta = await case.get(f"/attachments-evidences/{name}")
    assert (meta["filename"], meta["original_filename"], meta["size"]) == (name, "guia.png", 8)
    data = await client.get(f"{case.path}/attachments-evidences/{name}/download", headers=case.seller.headers)
    assert data.content == b"\x89PNG\r\n\x1a\n"
    body = {
        "shipping_method": "mail",
        "shipping_company_name": "Correios",
        "date_shipped": WHEN,
        "tracking_number": "XX123456789XX",
        "attachments": [name],
    }
    response = await _evidence(case, body)
    assert response.status_code == 200, response.text
    (evidence,) = response.json()
    assert evidence["type"] == "shipping_evidence" and evidence["shipping_method"] == "mail"
    # §9.8 sample: the date comes back in the marketplace zone, same instant.
    assert evidence["date_shipped"] == "2018-08-17T04:00:01.858-04:00"
    assert evidence["attachments"][0]["filename"] == name and evidence["handling_date"] is None
    assert (evidence["receiver_name"], evidence["date_delivered"]) == (None, None)
    listed = await client.get(f"{case.path}/evidences", headers=bearer(case.buyer))
    assert listed.json() == [evidence]
    assert "add_shipping_evidence" not in await case.seller_actions()
    again = await _evidence(case, body)
    assert again.status_code == 400 and again.json()["error"] == "bad_request_error"
    assert ("add_shipping_evidence", "respondent") in await case.history()
    assert await case.notified() == [["claims"], ["claims_actions"]]


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({"shipping_method": "mail", "date_shipped": DAY}, "shipping_company_name"),
        ({"shipping_method": "mail", "shipping_company_name": "Correo"}, "date_shipped"),
        (
            {"shipping_method": "entrusted", "shipping_company_name": "Total", "date_shipped": DAY},
            "destination_agency, receiver_name",
        ),
        ({"shipping_method": "email", "date_shipped": DAY}, "receiver_email"),
        ({"shipping_method": "email", "receiver_email": "a@b.com"}, "date_shipped"),
        (
            {"shipping_method": "mail", "shipping_company_name": " ", "date_shipped": DAY},
            "shipping_company_name",
        ),
    ],
)
async def test_each_method_requires_its_fields(
    client: httpx.AsyncClient, actors: Actors, body: dict[str, Any], missing: str
) -> None:
    case = await open_case(client, actors, reason_id="PNR9501")
    response = await _evidence(case, body)
    assert response.status_code == 400
    assert response.json() == {
        "message": f"{missing} required for shipping_method {body['shipping_method']}",
        "error": "bad_request_error",
        "status": 400,
        "cause": [],
    }
    assert await case.get("/evidences") == []


@pytest.mark.parametrize(
    "body",
    [
        {"shipping_method": "pigeon"},
        {"shipping_method": "mail", "shipping_company_name": "C", "date_shipped": "17/08/2018"},
        {"shipping_method": "mail", "shipping_company_name": "C", "date_shipped": "2018-08-17T05:00:01"},
        {"shipping_method": "email", "receiver_email": "nobody", "date_shipped": DAY},
        {"shipping_method": "personal_delivery", "attachments": ["not_uploaded.png"]},
        {"type": "handling_shipping_evidence", "shipping_method": "personal_delivery"},
    ],
)
async def test_malformed_evidence_is_refused(
    client: httpx.AsyncClient, actors: Actors, body: dict[str, Any]
) -> None:
    case = await open_case(client, actors, reason_id="PNR9501")
    response = await case.post("/actions/evidences", json={"type": "shipping_evidence", **body})
    assert response.status_code == 400 and response.json()["status"] == 400
    assert await case.get("/evidences") == []


async def test_other_methods_and_receiver_id_as_number(client: httpx.AsyncClient, actors: Actors) -> None:
    case = await open_case(client, actors, reason_id="PNR9501")
    entrusted = {
        "shipping_method": "entrusted",
        "shipping_company_name": "Total",
        "destination_agency": "Agencia",
        "date_shipped": DAY,
        "receiver_name": "Jose da Silva",
        "receiver_id": "12345678",
    }
    (evidence,) = (await _evidence(case, entrusted)).json()
    assert evidence["receiver_id"] == 12345678  # §9.8 sample: sent as text, answered as a number
    assert evidence["date_shipped"] == "2024-06-01T00:00:00.000-04:00"
    assert evidence["destination_agency"] == "Agencia"


async def test_handling_promise_answers_one_object(client: httpx.AsyncClient, actors: Actors) -> None:
    case = await open_case(client, actors, reason_id="PNR9501")
    response = await case.post(
        "/evidences", json={"type": "handling_shipping_evidence", "handling_date": "2024-06-13"}
    )
    assert response.status_code == 200, response.text
    promise = response.json()
    assert promise["type"] == "handling_shipping_evidence" and promise["attachments"] == []
    assert promise["handling_date"] == "2024-06-13T00:00:00.000-04:00"
    assert promise["shipping_method"] is None
    assert await case.get("/evidences") == [promise]
    assert "send_potential_shipping" not in await case.seller_actions()
    assert "add_shipping_evidence" in await case.seller_actions()
    again = await case.post(
        "/evidences", json={"type": "handling_shipping_evidence", "handling_date": "2024-06-14"}
    )
    assert again.json()["message"] == "Action send_potential_shipping not available for player"
    assert ("send_potential_shipping", "respondent") in await case.history()


async def test_a_delivered_sale_gets_no_shipping_promise(client: httpx.AsyncClient, actors: Actors) -> None:
    seller_case = await open_case(client, actors, reason_id="PNR9501")
    await client.post("/_sandbox/clock", json={"advance_s": 80 * 3600})  # shipped and delivered
    item_id = seller_case.order["order_items"][0]["item"]["id"]
    order = (
        await client.post("/_sandbox/orders", json={"buyer_id": seller_case.buyer["id"], "item_id": item_id})
    ).json()
    await client.post("/_sandbox/clock", json={"advance_s": 80 * 3600})
    claim = (
        await client.post("/_sandbox/claims", json={"order_id": order["id"], "reason_id": "PNR9501"})
    ).json()
    assert claim["fulfilled"] is True
    seller = next(p for p in claim["players"] if p["role"] == "respondent")
    names = {a["action"] for a in seller["available_actions"]}
    assert "add_shipping_evidence" in names and "send_potential_shipping" not in names


async def test_no_evidence_during_a_dispute(client: httpx.AsyncClient, actors: Actors) -> None:
    case = await open_case(client, actors, reason_id="PNR9501")
    await case.post("/actions/open-dispute")
    refused = await _evidence(case, {"shipping_method": "personal_delivery"})
    assert refused.json()["message"] == "Action add_shipping_evidence not available for player"
    promise = await case.post("/evidences", json={"type": "handling_shipping_evidence", "handling_date": DAY})
    assert promise.status_code == 400
    as_buyer = await client.post(
        f"{case.path}/attachments-evidences",
        headers=bearer(case.buyer),
        files={"file": ("a.png", b"\x89PNG", "image/png")},
    )
    assert as_buyer.status_code == 403
