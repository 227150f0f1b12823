"""Post-sale messaging (§8): tag rule, threads, read marks, limits, moderation, blocks, attachments, guide."""

import asyncio
import dataclasses

import httpx

from mostrador.sandbox.app import create_app
from mostrador.sandbox.config import RateLimitBudgets, SandboxConfig

from .conftest import Actors, Connected, bearer

TAG = {"tag": "post_sale"}


async def _sale(client: httpx.AsyncClient, actors: Actors, logistic_type: str = "cross_docking") -> tuple:
    seller = await actors.connect()
    shipping = {"mode": "me2", "free_shipping": True, "logistic_type": logistic_type, "local_pick_up": False}
    item = await actors.item(seller, shipping=shipping)
    buyer = await actors.user(role="buyer")
    order = (
        await client.post("/_sandbox/orders", json={"buyer_id": buyer["id"], "item_id": item["id"]})
    ).json()
    return seller, buyer, order["pack_id"]


def _thread(seller: Connected, pack_id: int) -> str:
    return f"/messages/packs/{pack_id}/sellers/{seller.user['id']}"


async def _buyer_says(client: httpx.AsyncClient, pack_id: int, text: str) -> dict:
    response = await client.post(f"/_sandbox/packs/{pack_id}/buyer_messages", json={"text": text})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_tag_post_sale_is_mandatory(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, _, pack_id = await _sale(client, actors)
    response = await client.get(_thread(seller, pack_id), headers=seller.headers)
    assert response.status_code == 400 and response.json()["error"] == "bad_request"


async def test_thread_read_marks_and_unread(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, buyer, pack_id = await _sale(client, actors)
    sent = await _buyer_says(client, pack_id, "Hola, ¿cuándo llega?")
    assert len(sent["id"]) == 32 and sent["from"] == {"user_id": buyer["id"]}
    unread = (
        await client.get("/messages/unread", params=TAG | {"role": "seller"}, headers=seller.headers)
    ).json()
    assert unread == {
        "user_id": seller.user["id"],
        "results": [{"resource": f"/packs/{pack_id}/sellers/{seller.user['id']}", "count": 1}],
    }
    quiet = (
        await client.get(
            _thread(seller, pack_id), params=TAG | {"mark_as_read": "false"}, headers=seller.headers
        )
    ).json()
    assert quiet["messages"][0]["message_date"]["read"] is None
    assert quiet["conversation_status"]["status"] == "active" and quiet["seller_max_message_length"] == 350
    await client.get(_thread(seller, pack_id), params=TAG, headers=seller.headers)
    after = (
        await client.get("/messages/unread", params=TAG | {"role": "seller"}, headers=seller.headers)
    ).json()
    assert after["results"] == []
    one = (await client.get(f"/messages/{sent['id']}", params=TAG, headers=seller.headers)).json()
    assert one["paging"] is None and one["messages"][0]["message_date"]["read"] is not None
    no_role = await client.get("/messages/unread", params=TAG, headers=seller.headers)
    assert no_role.status_code == 400


async def test_seller_reply_rules(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, buyer, pack_id = await _sale(client, actors)
    body = {"from": {"user_id": str(seller.user["id"])}, "to": {"user_id": str(buyer["id"])}, "text": "Hola"}
    first = await client.post(_thread(seller, pack_id), params=TAG, json=body, headers=seller.headers)
    assert first.status_code == 403 and first.json()["message"] == "blocked_by_conversation_started_by_seller"
    await _buyer_says(client, pack_id, "Hola")
    ok = await client.post(_thread(seller, pack_id), params=TAG, json=body, headers=seller.headers)
    assert ok.status_code == 201 and ok.json()["status"] == "available"
    long = await client.post(
        _thread(seller, pack_id), params=TAG, json=body | {"text": "a" * 351}, headers=seller.headers
    )
    assert long.status_code == 400
    wrong_to = await client.post(
        _thread(seller, pack_id), params=TAG, json=body | {"to": {"user_id": "1"}}, headers=seller.headers
    )
    assert wrong_to.status_code == 400
    log = (await client.get("/_sandbox/log", params={"kind": "messages"})).json()
    assert [(e["from_role"], e["text"]) for e in log] == [("buyer", "Hola"), ("seller", "Hola")]


async def test_moderation_of_contact_data_and_links(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, buyer, pack_id = await _sale(client, actors)
    await _buyer_says(client, pack_id, "Hola")
    cases = {
        "escribime a ventas@tienda.com": "OUT_OF_PLACE_LANGUAGE",
        "llamame al 11 5555-6666": "OUT_OF_PLACE_LANGUAGE",
        "mirá https://bit.ly/abc": "LINK_SHORT_URL",
        "seguinos en instagram.com/tienda": "SOCIAL_NETWORK_LINK",
        "Tu pedido sale hoy, gracias por tu compra": None,
    }
    for text, reason in cases.items():
        body = {"from": {"user_id": seller.user["id"]}, "to": {"user_id": buyer["id"]}, "text": text}
        sent = (
            await client.post(_thread(seller, pack_id), params=TAG, json=body, headers=seller.headers)
        ).json()
        assert sent["message_moderation"]["reason"] == reason, text
        assert sent["status"] == ("moderated" if reason else "available")
        assert sent["message_moderation"]["status"] == ("rejected" if reason else "clean")


async def test_blocked_conversation_refuses_seller(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, buyer, pack_id = await _sale(client, actors)
    await _buyer_says(client, pack_id, "Hola")
    await client.post(
        f"/_sandbox/packs/{pack_id}/conversation", json={"status": "blocked", "substatus": "blocked_by_buyer"}
    )
    body = {"from": {"user_id": seller.user["id"]}, "to": {"user_id": buyer["id"]}, "text": "Hola"}
    refused = await client.post(_thread(seller, pack_id), params=TAG, json=body, headers=seller.headers)
    assert refused.status_code == 403
    assert refused.json() == {
        "status_code": 403,
        "code": "forbidden",
        "message": "blocked_conversation_send_message_forbidden",
    }
    status = (await client.get(_thread(seller, pack_id), params=TAG, headers=seller.headers)).json()
    assert status["conversation_status"]["substatus"] == "blocked_by_buyer"


async def test_attachments_upload_attach_download(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, buyer, pack_id = await _sale(client, actors)
    await _buyer_says(client, pack_id, "Hola")
    files = {"file": ("factura.pdf", b"%PDF-1.4 test", "application/pdf")}
    uploaded = await client.post(
        "/messages/attachments", params=TAG | {"site_id": "MLA"}, files=files, headers=seller.headers
    )
    attachment_id = uploaded.json()["id"]
    assert attachment_id.startswith(f"{seller.user['id']}_") and attachment_id.endswith(".pdf")
    bad = await client.post(
        "/messages/attachments",
        params=TAG,
        files={"file": ("x.exe", b"MZ", "application/x")},
        headers=seller.headers,
    )
    assert bad.status_code == 400
    body = {
        "from": {"user_id": seller.user["id"]},
        "to": {"user_id": buyer["id"]},
        "text": "Te paso la factura",
        "attachments": [attachment_id],
    }
    sent = (await client.post(_thread(seller, pack_id), params=TAG, json=body, headers=seller.headers)).json()
    assert sent["message_attachments"][0]["original_filename"] == "factura.pdf"
    download = await client.get(f"/messages/attachments/{attachment_id}", params=TAG, headers=bearer(buyer))
    assert download.content == b"%PDF-1.4 test"


async def test_action_guide_caps_and_lock(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, _, pack_id = await _sale(client, actors)
    base = f"/messages/action_guide/packs/{pack_id}"
    options = (await client.get(base, params=TAG, headers=seller.headers)).json()["options"]
    assert {o["id"] for o in options if o["enabled"]} == {
        "REQUEST_VARIANTS",
        "REQUEST_BILLING_INFO",
        "SEND_INVOICE_LINK",
        "OTHER",
    }
    send = {"option_id": "OTHER", "text": "Hola, ¿nos confirmás la dirección?"}
    first, second = await asyncio.gather(
        client.post(f"{base}/option", params=TAG, json=send, headers=seller.headers),
        client.post(
            f"{base}/option",
            params=TAG,
            json={"option_id": "REQUEST_BILLING_INFO", "template_id": "TEMPLATE___REQUEST_BILLING_INFO___1"},
            headers=seller.headers,
        ),
    )
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    caps = (await client.get(f"{base}/caps_available", params=TAG, headers=seller.headers)).json()
    assert {c["option_id"]: c["cap_available"] for c in caps}["OTHER"] == 0
    again = await client.post(f"{base}/option", params=TAG, json=send, headers=seller.headers)
    assert again.status_code == 403 and again.json()["message"] == "no permission to execute OTHER again"
    long = await client.post(
        f"{base}/option",
        params=TAG,
        json={"option_id": "SEND_INVOICE_LINK", "text": "a" * 351},
        headers=seller.headers,
    )
    assert long.status_code == 400 and long.json()["code"] == "limit_exceeded"
    unknown = await client.post(
        f"{base}/option", params=TAG, json={"option_id": "NOPE"}, headers=seller.headers
    )
    assert unknown.status_code == 404


async def test_messaging_budget_is_separate_for_reads(config: SandboxConfig) -> None:
    limited = dataclasses.replace(config, rate_limits=RateLimitBudgets(messaging_read_per_minute=2))
    transport = httpx.ASGITransport(app=create_app(limited))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        seller, _, pack_id = await _sale(http, Actors(http))
        codes = [
            (await http.get(_thread(seller, pack_id), params=TAG, headers=seller.headers)).status_code
            for _ in range(3)
        ]
        assert codes == [200, 200, 429]
        assert (await http.get("/users/me", headers=seller.headers)).status_code == 200
