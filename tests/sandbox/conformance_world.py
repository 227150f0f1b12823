"""A small but complete sandbox world, and one producer per conformance fixture (what the sandbox answers)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .conftest import REDIRECT, Actors, Connected, bearer

TAG = {"tag": "post_sale"}
CLAIMS = "/post-purchase/v1/claims"


@dataclass
class World:
    client: httpx.AsyncClient
    actors: Actors
    seller: Connected
    buyer: dict[str, Any]
    item: dict[str, Any]
    ids: dict[str, Any] = field(default_factory=dict)

    async def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        response = await self.client.get(
            path, params=params, headers=self.seller.headers if headers is None else headers
        )
        return response.json()

    def thread(self, pack_id: int) -> str:
        return f"/messages/packs/{pack_id}/sellers/{self.seller.user['id']}"


async def _sale(world: World) -> dict[str, Any]:
    response = await world.client.post(
        "/_sandbox/orders", json={"buyer_id": world.buyer["id"], "item_id": world.item["id"], "quantity": 1}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def build_world(client: httpx.AsyncClient, callback_url: str | None = None) -> World:
    actors = Actors(client)
    topics = ["questions", "items", "messages", "orders_v2", "shipments", "post_purchase"]
    seller = await actors.connect(await actors.app(callback_url=callback_url, topics=topics))
    item = await actors.item(seller)
    buyer = await actors.user(role="buyer")
    world = World(client, actors, seller, buyer, item)
    world.ids["stranger"] = await actors.user(role="buyer")
    answered = await actors.ask(buyer, item["id"], "¿Tenés stock en negro?")
    await client.post("/answers", json={"question_id": answered["id"], "text": "Sí."}, headers=seller.headers)
    banned = await actors.ask(buyer, item["id"], "Texto de la pregunta.")
    await client.post(
        "/answers", json={"question_id": banned["id"], "text": "Llamame"}, headers=seller.headers
    )
    await client.post(
        f"/_sandbox/questions/{banned['id']}/status", json={"status": "ANSWERED", "answer_status": "BANNED"}
    )
    unanswered = await actors.ask(buyer, item["id"], "¿Hacen envíos?")
    order = await _sale(world)
    pack_id = order["pack_id"]
    await client.post(
        "/_sandbox/orders", json={"buyer_id": buyer["id"], "item_id": item["id"], "pack_id": pack_id}
    )
    buyer_message = (
        await client.post(f"/_sandbox/packs/{pack_id}/buyer_messages", json={"text": "Hola"})
    ).json()
    files = {"file": ("nota.pdf", b"%PDF-1.4", "application/pdf")}
    upload = (
        await client.post("/messages/attachments", params=TAG, files=files, headers=seller.headers)
    ).json()
    reply = {
        "from": {"user_id": seller.user["id"]},
        "to": {"user_id": buyer["id"]},
        "text": "¡Gracias!",
        "attachments": [upload["id"]],
    }
    await client.post(world.thread(pack_id), params=TAG, json=reply, headers=seller.headers)
    await client.post(f"/_sandbox/packs/{pack_id}/buyer_read")
    guide_pack = (await _sale(world))["pack_id"]
    blocked_pack = (await _sale(world))["pack_id"]
    await client.post(
        f"/_sandbox/packs/{blocked_pack}/conversation",
        json={"status": "blocked", "substatus": "blocked_by_buyer"},
    )
    closed = (await client.post("/_sandbox/claims", json={"order_id": (await _sale(world))["id"]})).json()
    await client.post(
        f"{CLAIMS}/{closed['id']}/actions/send-message",
        json={"receiver_role": "complainant", "message": "Te cambiamos el producto."},
        headers=seller.headers,
    )
    await client.post(f"/_sandbox/claims/{closed['id']}/buyer_messages", json={"text": "Gracias"})
    await client.post(f"{CLAIMS}/{closed['id']}/actions/open-dispute", headers=seller.headers)
    claim_file = {"file": ("foto.jpg", b"\xff\xd8\xff", "image/jpeg")}
    claim_upload = (
        await client.post(f"{CLAIMS}/{closed['id']}/attachments", files=claim_file, headers=seller.headers)
    ).json()
    await client.post(
        f"{CLAIMS}/{closed['id']}/actions/send-message",
        headers=seller.headers,
        json={
            "receiver_role": "mediator",
            "message": "Adjunto foto",
            "attachments": [claim_upload["filename"]],
        },
    )
    await client.post(
        f"/_sandbox/claims/{closed['id']}/advance",
        json={"status": "closed", "resolution": "payment_refunded"},
    )
    opened = (await client.post("/_sandbox/claims", json={"order_id": (await _sale(world))["id"]})).json()
    not_received = (
        await client.post(
            "/_sandbox/claims", json={"order_id": (await _sale(world))["id"], "reason_id": "PNR9501"}
        )
    ).json()
    evidence = {
        "type": "shipping_evidence",
        "shipping_method": "mail",
        "shipping_company_name": "servientrega",
        "date_shipped": "2018-03-07T05:00:00.000-03:00",
        "tracking_number": "132456787",
    }
    sent = await client.post(
        f"{CLAIMS}/{not_received['id']}/actions/evidences", json=evidence, headers=seller.headers
    )
    assert sent.status_code == 200, sent.text
    returning = (await client.post("/_sandbox/claims", json={"order_id": (await _sale(world))["id"]})).json()
    allowed = await client.post(
        f"{CLAIMS}/{returning['id']}/expected-resolutions/allow-return", headers=seller.headers
    )
    assert allowed.status_code == 200, allowed.text
    world.ids.update(
        answered=answered["id"],
        banned=banned["id"],
        unanswered=unanswered["id"],
        order=order["id"],
        pack=pack_id,
        shipment=order["shipping"]["id"],
        message=buyer_message["id"],
        guide_pack=guide_pack,
        blocked_pack=blocked_pack,
        closed_claim=closed["id"],
        open_claim=opened["id"],
        evidence_claim=not_received["id"],
        return_claim=returning["id"],
        claim_file=claim_upload["filename"],
    )
    return world


async def _status_of(world: World, method: str, path: str, **kwargs: Any) -> Any:
    response = await world.client.request(method, path, **kwargs)
    return response.json()


async def _token_pair(world: World) -> Any:
    code = await world.actors.authorize(world.seller.app, world.seller.user)
    response = await world.actors.token(
        world.seller.app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT
    )
    return response.json()


async def _refresh(world: World) -> Any:
    pair = await _token_pair(world)
    response = await world.actors.token(
        world.seller.app, grant_type="refresh_token", refresh_token=pair["refresh_token"]
    )
    return response.json()


async def _invalid_grant(world: World) -> Any:
    response = await world.actors.token(world.seller.app, grant_type="refresh_token", refresh_token="TG-0-1")
    return response.json()


async def _guide_send(world: World, text: str) -> Any:
    pack = (await _sale(world))["pack_id"]
    response = await world.client.post(
        f"/messages/action_guide/packs/{pack}/option",
        params=TAG,
        json={"option_id": "OTHER", "text": text},
        headers=world.seller.headers,
    )
    return response.json()


async def _blocked_send(world: World) -> Any:
    body = {
        "from": {"user_id": world.seller.user["id"]},
        "to": {"user_id": world.buyer["id"]},
        "text": "Hola",
    }
    return await _status_of(
        world,
        "POST",
        world.thread(world.ids["blocked_pack"]),
        params=TAG,
        json=body,
        headers=world.seller.headers,
    )


async def _open_dispute(world: World) -> Any:
    return await _status_of(
        world,
        "POST",
        f"{CLAIMS}/{world.ids['open_claim']}/actions/open-dispute",
        headers=world.seller.headers,
    )


async def _action_not_available(world: World) -> Any:
    return await _status_of(
        world,
        "POST",
        f"{CLAIMS}/{world.ids['closed_claim']}/actions/open-dispute",
        headers=world.seller.headers,
    )


async def _too_many(world: World) -> Any:
    await world.client.put(
        "/_sandbox/faults",
        json={"error_rate": 1.0, "error_statuses": [429], "path_pattern": "^/post-purchase/"},
    )
    try:
        return await world.get(f"{CLAIMS}/{world.ids['open_claim']}")
    finally:
        await world.client.put("/_sandbox/faults", json={})


async def _claim_upload(world: World) -> Any:
    files = {"file": ("foto.jpg", b"\xff\xd8\xff", "image/jpeg")}
    return await _status_of(
        world,
        "POST",
        f"{CLAIMS}/{world.ids['open_claim']}/attachments",
        files=files,
        headers=world.seller.headers,
    )


async def _accepts(world: World, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    """Request-body fixtures: the sandbox must accept the documented body; returns the body actually sent."""
    response = await world.client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return body


async def _post_question_body(world: World) -> Any:
    return await _accepts(
        world, "/questions", {"text": "¿Tienen en rojo?", "item_id": world.item["id"]}, bearer(world.buyer)
    )


async def _post_answer_body(world: World) -> Any:
    return await _accepts(
        world,
        "/answers",
        {"question_id": world.ids["unanswered"], "text": "Sí, en rojo."},
        world.seller.headers,
    )


async def _delete_question(world: World) -> Any:
    asked = await world.actors.ask(world.buyer, world.item["id"], "Para borrar")
    return await _status_of(world, "DELETE", f"/questions/{asked['id']}", headers=world.seller.headers)


Producer = Callable[[World], Awaitable[Any]]


def _seller_id(world: World) -> int:
    return int(world.seller.user["id"])


PRODUCERS: dict[str, Producer] = {
    "answers/docs_post_answer_request_body.json": _post_answer_body,
    "claims/docs_claim_actions_history.json": lambda w: w.get(
        f"{CLAIMS}/{w.ids['closed_claim']}/actions-history"
    ),
    "claims/docs_claim_affects_reputation.json": lambda w: w.get(
        f"{CLAIMS}/{w.ids['open_claim']}/affects-reputation"
    ),
    "claims/docs_claim_attachment_upload.json": _claim_upload,
    "claims/docs_claim_by_id.json": lambda w: w.get(f"{CLAIMS}/{w.ids['closed_claim']}"),
    "claims/docs_claim_detail.json": lambda w: w.get(f"{CLAIMS}/{w.ids['open_claim']}/detail"),
    "claims/docs_claim_evidences.json": lambda w: w.get(f"{CLAIMS}/{w.ids['evidence_claim']}/evidences"),
    "claims/docs_claim_returns_v2.json": lambda w: w.get(
        f"/post-purchase/v2/claims/{w.ids['return_claim']}/returns"
    ),
    "claims/docs_claim_expected_resolutions.json": lambda w: w.get(
        f"{CLAIMS}/{w.ids['open_claim']}/expected-resolutions"
    ),
    "claims/docs_claim_messages.json": lambda w: w.get(f"{CLAIMS}/{w.ids['closed_claim']}/messages"),
    "claims/docs_claim_open_dispute.json": _open_dispute,
    "claims/docs_claim_reason.json": lambda w: w.get(f"{CLAIMS}/reasons/PDD9939"),
    "claims/docs_claim_status_history.json": lambda w: w.get(
        f"{CLAIMS}/{w.ids['closed_claim']}/status-history"
    ),
    "claims/docs_claims_search.json": lambda w: w.get(
        f"{CLAIMS}/search",
        **{"players.role": "respondent", "players.user_id": _seller_id(w), "status": "opened", "limit": 30},
    ),
    "claims/docs_error_action_not_available.json": _action_not_available,
    "claims/docs_error_forbidden.json": lambda w: w.get(
        f"{CLAIMS}/{w.ids['open_claim']}", headers=bearer(w.ids["stranger"])
    ),
    "claims/docs_error_not_found.json": lambda w: w.get(f"{CLAIMS}/1000000001"),
    "claims/docs_error_too_many_requests.json": _too_many,
    "items/docs_item_minimal_after_notification.json": lambda w: w.get(f"/items/{w.item['id']}"),
    "items/docs_user_items_search.json": lambda w: w.get(f"/users/{_seller_id(w)}/items/search"),
    "items/docs_user_items_search_unhealthy.json": lambda w: w.get(f"/users/{_seller_id(w)}/items/search"),
    "items/real_mco_item_description_2021.json": lambda w: w.get(f"/items/{w.item['id']}/description"),
    "messages/docs_action_guide_caps_available.json": lambda w: w.get(
        f"/messages/action_guide/packs/{w.ids['guide_pack']}/caps_available", **TAG
    ),
    "messages/docs_action_guide_message_moderated.json": lambda w: _guide_send(w, "Escribime a a@b.com"),
    "messages/docs_action_guide_message_sent.json": lambda w: _guide_send(w, "¿Nos confirmás tu dirección?"),
    "messages/docs_action_guide_options.json": lambda w: w.get(
        f"/messages/action_guide/packs/{w.ids['guide_pack']}", **TAG
    ),
    "messages/docs_attachment_upload_response.json": lambda w: _status_of(
        w,
        "POST",
        "/messages/attachments",
        params=TAG,
        files={"file": ("a.jpg", b"\xff\xd8", "image/jpeg")},
        headers=w.seller.headers,
    ),
    "messages/docs_message_by_id_with_header.json": lambda w: w.get(f"/messages/{w.ids['message']}", **TAG),
    "messages/docs_pack_messages_blocked.json": lambda w: w.get(w.thread(w.ids["blocked_pack"]), **TAG),
    "messages/docs_pack_messages_paging.json": lambda w: w.get(w.thread(w.ids["pack"]), limit=2, **TAG),
    "messages/docs_pack_messages_post_sale.json": lambda w: w.get(w.thread(w.ids["pack"]), **TAG),
    "messages/docs_send_message_error_403.json": _blocked_send,
    "messages/docs_unread_none.json": lambda w: w.get("/messages/unread", role="seller", **TAG),
    "messages/docs_unread_packs.json": lambda w: _unread_after_buyer_writes(w),
    "oauth/docs_error_403_access_denied.json": lambda w: w.get(
        f"/users/{w.ids['stranger']['id']}/items/search"
    ),
    "oauth/docs_error_invalid_grant.json": _invalid_grant,
    "oauth/docs_token_authorization_code.json": _token_pair,
    "oauth/docs_token_refresh.json": _refresh,
    "oauth/real_token_response_2022.json": _token_pair,
    "orders/docs_order_by_id.json": lambda w: w.get(f"/orders/{w.ids['order']}"),
    "orders/docs_pack.json": lambda w: w.get(f"/packs/{w.ids['pack']}"),
    "orders/real_mla_order_noshipping_2019.json": lambda w: w.get(f"/orders/{w.ids['order']}"),
    "orders/real_mla_order_shipping_2019.json": lambda w: w.get(f"/orders/{w.ids['order']}"),
    "orders/real_mla_order_v1_with_shipping_2019.json": lambda w: w.get(f"/orders/{w.ids['order']}"),
    "orders/real_mla_orders_search_2022.json": lambda w: w.get("/orders/search", seller=_seller_id(w)),
    "questions/docs_delete_question_response.json": _delete_question,
    "questions/docs_post_question_request_body.json": _post_question_body,
    "questions/docs_question_by_id_v4_banned_answer.json": lambda w: w.get(
        f"/questions/{w.ids['banned']}", api_version=4
    ),
    "questions/docs_response_time.json": lambda w: w.get(f"/users/{_seller_id(w)}/questions/response_time"),
    "questions/docs_response_time_404.json": lambda w: w.get(
        f"/users/{w.buyer['id']}/questions/response_time"
    ),
    "questions/docs_search_by_item_empty.json": lambda w: w.get(
        "/questions/search", item="MLA1", api_version=4
    ),
    "questions/docs_search_by_item_v4.json": lambda w: w.get(
        "/questions/search", item=w.item["id"], status="UNANSWERED", api_version=4
    ),
    "questions/docs_search_by_seller_v4.json": lambda w: w.get(
        "/questions/search", seller_id=_seller_id(w), sort_types="ASC", api_version=4
    ),
    "questions/real_mco_search_by_item_50_answered_2021.json": lambda w: w.get(
        "/questions/search", item=w.item["id"], status="ANSWERED"
    ),
    "questions/real_mla_question_by_id_answered_2022.json": lambda w: w.get(
        f"/questions/{w.ids['answered']}"
    ),
    "questions/real_mla_question_unanswered_2019.json": lambda w: w.get(f"/questions/{w.ids['unanswered']}"),
    "questions/real_mla_search_by_item_2022.json": lambda w: w.get(
        "/questions/search", item=w.item["id"], status="ANSWERED"
    ),
    "users/docs_users_by_id_private.json": lambda w: w.get(f"/users/{_seller_id(w)}"),
    "users/docs_users_me.json": lambda w: w.get("/users/me"),
    "users/docs_users_multiget.json": lambda w: w.get("/users", ids=f"{_seller_id(w)},{w.buyer['id']}"),
    "users/docs_users_public.json": lambda w: w.get(f"/users/{_seller_id(w)}", headers={}),
}


async def _unread_after_buyer_writes(world: World) -> Any:
    await world.client.post(f"/_sandbox/packs/{world.ids['pack']}/buyer_messages", json={"text": "¿Llegó?"})
    return await world.get("/messages/unread", role="seller", **TAG)
