"""Claims (§9): opening, players and actions, messages per stage, dispute, close, search rules, files."""

import httpx

from .conftest import Actors, bearer

BASE = "/post-purchase/v1/claims"


async def _claim(client: httpx.AsyncClient, actors: Actors) -> tuple:
    seller = await actors.connect()
    item = await actors.item(seller)
    buyer = await actors.user(role="buyer")
    order = (
        await client.post("/_sandbox/orders", json={"buyer_id": buyer["id"], "item_id": item["id"]})
    ).json()
    response = await client.post("/_sandbox/claims", json={"order_id": order["id"], "reason_id": "PDD9944"})
    assert response.status_code == 201, response.text
    return seller, buyer, order, response.json()


def _actions(claim: dict, role: str) -> dict:
    player = next(p for p in claim["players"] if p["role"] == role)
    return {a["action"]: a for a in player["available_actions"]}


async def test_open_claim_shape_and_single_mandatory_holder(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    seller, _, order, claim = await _claim(client, actors)
    assert len(str(claim["id"])) == 10 and claim["stage"] == "claim" and claim["status"] == "opened"
    assert claim["resource_id"] == order["id"] and claim["resolution"] is None
    seller_actions, buyer_actions = _actions(claim, "respondent"), _actions(claim, "complainant")
    assert seller_actions["send_message_to_complainant"]["mandatory"] is True
    assert seller_actions["send_message_to_complainant"]["due_date"].endswith("-04:00")
    assert not any(a["mandatory"] for a in buyer_actions.values())
    fetched = (await client.get(f"{BASE}/{claim['id']}", headers=seller.headers)).json()
    assert fetched["id"] == claim["id"]
    stranger = await actors.user(role="buyer")
    denied = await client.get(f"{BASE}/{claim['id']}", headers=bearer(stranger))
    assert denied.status_code == 403 and denied.json()["error"] == "forbidden_error"
    missing = await client.get(f"{BASE}/1234567890", headers=seller.headers)
    assert missing.json() == {
        "message": "Resource not found",
        "error": "business_logic_error",
        "status": 404,
        "cause": [],
    }
    thread = await client.get(
        f"/messages/packs/{order['pack_id']}/sellers/{seller.user['id']}",
        params={"tag": "post_sale"},
        headers=seller.headers,
    )
    assert thread.json()["conversation_status"]["substatus"] == "blocked_by_mediation"


async def test_messages_move_the_mandatory_action(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, _, _, claim = await _claim(client, actors)
    path = f"{BASE}/{claim['id']}/actions/send-message"
    sent = await client.post(
        path, json={"receiver_role": "complainant", "message": "Te enviamos otro."}, headers=seller.headers
    )
    assert sent.status_code == 201
    after = (await client.get(f"{BASE}/{claim['id']}", headers=seller.headers)).json()
    assert _actions(after, "respondent")["send_message_to_complainant"]["mandatory"] is False
    assert _actions(after, "complainant")["send_message_to_respondent"]["mandatory"] is True
    wrong = await client.post(
        path, json={"receiver_role": "mediator", "message": "hola"}, headers=seller.headers
    )
    assert wrong.status_code == 400
    assert wrong.json()["message"] == "Action send_message_to_mediator not available for player"
    await client.post(f"/_sandbox/claims/{claim['id']}/buyer_messages", json={"text": "Gracias"})
    listed = (await client.get(f"{BASE}/{claim['id']}/messages", headers=seller.headers)).json()
    assert [m["sender_role"] for m in listed] == ["complainant", "respondent"]
    log = (await client.get("/_sandbox/log", params={"kind": "claim_messages"})).json()
    assert [e["text"] for e in log] == ["Te enviamos otro.", "Gracias"]


async def test_dispute_then_close(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, _, order, claim = await _claim(client, actors)
    disputed = await client.post(f"{BASE}/{claim['id']}/actions/open-dispute", headers=seller.headers)
    body = disputed.json()
    assert body["stage"] == "dispute" and any(p["role"] == "mediator" for p in body["players"])
    assert set(_actions(body, "respondent")) == {"send_message_to_mediator"}
    to_buyer = await client.post(
        f"{BASE}/{claim['id']}/actions/send-message",
        json={"receiver_role": "complainant", "message": "hola"},
        headers=seller.headers,
    )
    assert to_buyer.status_code == 400
    again = await client.post(f"{BASE}/{claim['id']}/actions/open-dispute", headers=seller.headers)
    assert again.json()["message"] == "Action open_dispute not available for player"
    closed = (
        await client.post(
            f"/_sandbox/claims/{claim['id']}/advance",
            json={"status": "closed", "resolution": "item_returned", "benefited": "respondent"},
        )
    ).json()
    assert closed["status"] == "closed" and closed["resolution"]["reason"] == "item_returned"
    history = (await client.get(f"{BASE}/{claim['id']}/status-history", headers=seller.headers)).json()
    assert [h["stage"] + "/" + h["status"] for h in history] == [
        "dispute/closed",
        "dispute/opened",
        "claim/opened",
    ]
    actions = (await client.get(f"{BASE}/{claim['id']}/actions-history", headers=seller.headers)).json()
    assert [a["action_name"] for a in actions] == ["open_dispute", "open_claim"]
    thread = await client.get(
        f"/messages/packs/{order['pack_id']}/sellers/{seller.user['id']}",
        params={"tag": "post_sale"},
        headers=seller.headers,
    )
    assert thread.json()["conversation_status"]["status"] == "active"


async def test_missed_deadline_escalates_to_dispute(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, _, _, claim = await _claim(client, actors)
    await client.post("/_sandbox/clock", json={"advance_s": 3 * 24 * 3600 + 1})
    body = (await client.get(f"{BASE}/{claim['id']}", headers=bearer(seller.user))).json()
    assert body["stage"] == "dispute"


async def test_search_validation_and_results(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, _, _, claim = await _claim(client, actors)
    no_filter = await client.get(f"{BASE}/search", params={"limit": 10}, headers=seller.headers)
    assert no_filter.status_code == 400 and no_filter.json()["error"] == "invalid_query"
    half = await client.get(f"{BASE}/search", params={"players.role": "respondent"}, headers=seller.headers)
    assert half.json()["error"] == "invalid_params"
    deep = await client.get(
        f"{BASE}/search", params={"status": "opened", "offset": 9990, "limit": 10}, headers=seller.headers
    )
    assert deep.status_code == 400
    found = (
        await client.get(
            f"{BASE}/search",
            headers=seller.headers,
            params={
                "players.role": "respondent",
                "players.user_id": seller.user["id"],
                "status": "opened",
                "limit": 30,
            },
        )
    ).json()
    assert found["paging"] == {"total": 1, "offset": 0, "limit": 30} and found["data"][0]["id"] == claim["id"]


async def test_claim_attachments_and_extras(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, _, _, claim = await _claim(client, actors)
    upload = await client.post(
        f"{BASE}/{claim['id']}/attachments",
        headers=seller.headers,
        files={"file": ("guia_envio.pdf", b"%PDF", "application/pdf")},
    )
    filename = upload.json()["filename"]
    assert upload.json()["user_id"] == seller.user["id"] and filename.endswith(f"_{seller.user['id']}.pdf")
    bad = await client.post(
        f"{BASE}/{claim['id']}/attachments",
        headers=seller.headers,
        files={"file": ("mi archivo.txt", b"x", "text/plain")},
    )
    assert bad.status_code == 400
    meta = (await client.get(f"{BASE}/{claim['id']}/attachments/{filename}", headers=seller.headers)).json()
    assert meta["original_filename"] == "guia_envio.pdf" and meta["size"] == 4
    sent = await client.post(
        f"{BASE}/{claim['id']}/actions/send-message",
        headers=seller.headers,
        json={"receiver_role": "complainant", "message": "Adjunto la guía", "attachments": [filename]},
    )
    assert sent.status_code == 201
    data = await client.get(f"{BASE}/{claim['id']}/attachments/{filename}/download", headers=seller.headers)
    assert data.content == b"%PDF"
    detail = (await client.get(f"{BASE}/{claim['id']}/detail", headers=seller.headers)).json()
    assert detail["action_responsible"] == "buyer"
    reputation = (await client.get(f"{BASE}/{claim['id']}/affects-reputation", headers=seller.headers)).json()
    assert reputation["has_incentive"] is True and reputation["affects_reputation"] == "not_affected"
    reason = (await client.get(f"{BASE}/reasons/PDD9944", headers=seller.headers)).json()
    assert reason["id"] == "PDD9944" and reason["settings"]["expected_resolutions"]


async def test_reason_ids_known_generic_and_invalid(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    known = (await client.get(f"{BASE}/reasons/PDD9946", headers=seller.headers)).json()
    assert known["name"] == "other_problem"
    generic = (await client.get(f"{BASE}/reasons/PNR1234", headers=seller.headers)).json()
    assert generic["settings"]["expected_resolutions"] == ["product", "refund"]
    invalid = await client.get(f"{BASE}/reasons/XYZ1", headers=seller.headers)
    assert invalid.status_code == 404
    item = await actors.item(seller)
    buyer = await actors.user(role="buyer")
    order = (
        await client.post("/_sandbox/orders", json={"buyer_id": buyer["id"], "item_id": item["id"]})
    ).json()
    refused = await client.post("/_sandbox/claims", json={"order_id": order["id"], "reason_id": "nope"})
    assert refused.status_code == 400
    opened = await client.post("/_sandbox/claims", json={"order_id": order["id"], "reason_id": "PNR9501"})
    assert opened.status_code == 201 and opened.json()["reason_id"] == "PNR9501"
    twice = await client.post("/_sandbox/claims", json={"order_id": order["id"], "reason_id": "PNR9501"})
    assert twice.status_code == 400
