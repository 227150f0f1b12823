"""What the client puts on the wire: header-only tokens, tag=post_sale, form-encoded OAuth."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from meli_fakes import API_URL, FakeMeli, payload

from mostrador.meli import MeliClient, errors

TOKEN = "APP_USR-123-090515-secrettoken-42"
Call = Callable[[MeliClient], Awaitable[Any]]

# (description, call, method, path, answer body, status)
ENDPOINTS: list[tuple[str, Call, str, str, Any, int]] = [
    ("me", lambda c: c.get_me(TOKEN), "GET", "/users/me", payload("users/docs_users_me.json"), 200),
    (
        "user",
        lambda c: c.get_user(202593498, TOKEN),
        "GET",
        "/users/202593498",
        payload("users/docs_users_public.json"),
        200,
    ),
    (
        "item",
        lambda c: c.get_item("MLA686791111", TOKEN),
        "GET",
        "/items/MLA686791111",
        payload("items/docs_item_minimal_after_notification.json"),
        200,
    ),
    (
        "items",
        lambda c: c.get_items(["MLA686791111"], TOKEN),
        "GET",
        "/items",
        [{"code": 200, "body": payload("items/docs_item_minimal_after_notification.json")}],
        200,
    ),
    (
        "description",
        lambda c: c.get_item_description("MCO608640998", TOKEN),
        "GET",
        "/items/MCO608640998/description",
        payload("items/real_mco_item_description_2021.json"),
        200,
    ),
    (
        "user items",
        lambda c: c.search_user_items(123456789, TOKEN, status="active"),
        "GET",
        "/users/123456789/items/search",
        payload("items/docs_user_items_search.json"),
        200,
    ),
    (
        "question",
        lambda c: c.get_question(11751825075, TOKEN),
        "GET",
        "/questions/11751825075",
        payload("questions/docs_question_by_id_v4_banned_answer.json"),
        200,
    ),
    (
        "questions",
        lambda c: c.search_questions(TOKEN, seller_id=189394110, status="UNANSWERED"),
        "GET",
        "/questions/search",
        payload("questions/docs_search_by_seller_v4.json"),
        200,
    ),
    (
        "answer",
        lambda c: c.post_answer(12297208947, "Dale!", TOKEN),
        "POST",
        "/answers",
        payload("questions/real_mla_question_by_id_answered_2022.json"),
        200,
    ),
    (
        "order",
        lambda c: c.get_order(2004452743, TOKEN),
        "GET",
        "/orders/2004452743",
        payload("orders/real_mla_order_noshipping_2019.json"),
        200,
    ),
    (
        "orders",
        lambda c: c.search_orders(TOKEN, 1047842538, status="paid"),
        "GET",
        "/orders/search",
        payload("orders/real_mla_orders_search_2022.json"),
        200,
    ),
    (
        "pack",
        lambda c: c.get_pack(2000006181551917, TOKEN),
        "GET",
        "/packs/2000006181551917",
        payload("orders/docs_pack.json"),
        200,
    ),
    (
        "shipment",
        lambda c: c.get_shipment(44028792542, TOKEN),
        "GET",
        "/shipments/44028792542",
        {"id": 44028792542, "status": "shipped"},
        200,
    ),
    (
        "pack messages",
        lambda c: c.get_pack_messages(2000000089077943, 415458330, TOKEN),
        "GET",
        "/messages/packs/2000000089077943/sellers/415458330",
        payload("messages/docs_pack_messages_post_sale.json"),
        200,
    ),
    (
        "message",
        lambda c: c.get_message("fd1d2e37ad004ede9e0bf25d1215002d", TOKEN),
        "GET",
        "/messages/fd1d2e37ad004ede9e0bf25d1215002d",
        payload("messages/docs_message_by_id_with_header.json"),
        200,
    ),
    (
        "send",
        lambda c: c.send_message(2000000089077943, 415458330, 1234567890, "Hola", TOKEN),
        "POST",
        "/messages/packs/2000000089077943/sellers/415458330",
        payload("messages/docs_message_by_id_with_header.json")["messages"][0],
        201,
    ),
    (
        "action guide",
        lambda c: c.get_action_guide(2000000089077943, TOKEN),
        "GET",
        "/messages/action_guide/packs/2000000089077943",
        payload("messages/docs_action_guide_options.json"),
        200,
    ),
    (
        "action guide caps",
        lambda c: c.get_action_guide_caps(2000000089077943, TOKEN),
        "GET",
        "/messages/action_guide/packs/2000000089077943/caps_available",
        payload("messages/docs_action_guide_caps_available.json"),
        200,
    ),
    (
        "action guide option",
        lambda c: c.send_action_guide_option(2000000089077943, "OTHER", TOKEN, text="Hola"),
        "POST",
        "/messages/action_guide/packs/2000000089077943/option",
        payload("messages/docs_action_guide_message_moderated.json"),
        201,
    ),
    (
        "upload",
        lambda c: c.upload_attachment("nota.pdf", b"%PDF-1.4", "application/pdf", TOKEN, "MLB"),
        "POST",
        "/messages/attachments",
        payload("messages/docs_attachment_upload_response.json"),
        200,
    ),
    (
        "download",
        lambda c: c.download_attachment("415460047_a96d8dea.pdf", TOKEN, "MLB"),
        "GET",
        "/messages/attachments/415460047_a96d8dea.pdf",
        None,
        200,
    ),
    (
        "unread",
        lambda c: c.get_unread(TOKEN),
        "GET",
        "/messages/unread",
        payload("messages/docs_unread_packs.json"),
        200,
    ),
    (
        "claim",
        lambda c: c.get_claim(5256749420, TOKEN),
        "GET",
        "/post-purchase/v1/claims/5256749420",
        payload("claims/docs_claim_by_id.json"),
        200,
    ),
    (
        "claims",
        lambda c: c.search_claims(TOKEN, players_role="respondent", players_user_id=1, status="opened"),
        "GET",
        "/post-purchase/v1/claims/search",
        payload("claims/docs_claims_search.json"),
        200,
    ),
    (
        "claim messages",
        lambda c: c.get_claim_messages(5256749420, TOKEN),
        "GET",
        "/post-purchase/v1/claims/5256749420/messages",
        payload("claims/docs_claim_messages.json"),
        200,
    ),
    (
        "claim send",
        lambda c: c.send_claim_message(5256749420, "complainant", "Enviamos hoy.", TOKEN),
        "POST",
        "/post-purchase/v1/claims/5256749420/actions/send-message",
        None,
        201,
    ),
    (
        "reputation",
        lambda c: c.get_claim_reputation(5256749420, TOKEN),
        "GET",
        "/post-purchase/v1/claims/5256749420/affects-reputation",
        payload("claims/docs_claim_affects_reputation.json"),
        200,
    ),
    (
        "reason",
        lambda c: c.get_claim_reason("PDD9939", TOKEN),
        "GET",
        "/post-purchase/v1/claims/reasons/PDD9939",
        payload("claims/docs_claim_reason.json"),
        200,
    ),
    (
        "claim detail",
        lambda c: c.get_claim_detail(5256749420, TOKEN),
        "GET",
        "/post-purchase/v1/claims/5256749420/detail",
        payload("claims/docs_claim_detail.json"),
        200,
    ),
    (
        "claim actions history",
        lambda c: c.get_claim_actions_history(5256749420, TOKEN),
        "GET",
        "/post-purchase/v1/claims/5256749420/actions-history",
        payload("claims/docs_claim_actions_history.json"),
        200,
    ),
    (
        "claim status history",
        lambda c: c.get_claim_status_history(5256749420, TOKEN),
        "GET",
        "/post-purchase/v1/claims/5256749420/status-history",
        payload("claims/docs_claim_status_history.json"),
        200,
    ),
    (
        "expected resolutions",
        lambda c: c.get_expected_resolutions(5256749420, TOKEN),
        "GET",
        "/post-purchase/v1/claims/5256749420/expected-resolutions",
        payload("claims/docs_claim_expected_resolutions.json"),
        200,
    ),
    (
        "claim evidences",
        lambda c: c.get_claim_evidences(5256749420, TOKEN),
        "GET",
        "/post-purchase/v1/claims/5256749420/evidences",
        payload("claims/docs_claim_evidences.json"),
        200,
    ),
    (
        "claim returns",
        lambda c: c.get_claim_returns(5298178312, TOKEN),
        "GET",
        "/post-purchase/v2/claims/5298178312/returns",
        payload("claims/docs_claim_returns_v2.json"),
        200,
    ),
    (
        "open dispute",
        lambda c: c.open_claim_dispute(5204934310, TOKEN),
        "POST",
        "/post-purchase/v1/claims/5204934310/actions/open-dispute",
        payload("claims/docs_claim_open_dispute.json"),
        200,
    ),
    (
        "partial refund",
        lambda c: c.offer_partial_refund(5204934310, 50, TOKEN),
        "POST",
        "/post-purchase/v1/claims/5204934310/expected-resolutions/partial-refund",
        payload("claims/docs_claim_expected_resolutions.json"),
        200,
    ),
    (
        "claim attachment",
        lambda c: c.upload_claim_attachment(5204934310, "foto.png", b"\x89PNG\r\n\x1a\n", "image/png", TOKEN),
        "POST",
        "/post-purchase/v1/claims/5204934310/attachments",
        payload("claims/docs_claim_attachment_upload.json"),
        200,
    ),
    (
        "missed feeds",
        lambda c: c.get_missed_feeds(3486171129139063, TOKEN),
        "GET",
        "/missed_feeds",
        payload("notifications/docs_missed_feeds.json"),
        200,
    ),
]


def script(fake: FakeMeli, method: str, path: str, body: Any, status: int) -> None:
    if path.endswith(".pdf"):
        fake.on(method, path, httpx.Response(status, content=b"%PDF-1.4 bytes"))
    elif body is None:
        fake.on(method, path, httpx.Response(status))
    else:
        fake.json(method, path, body, status)


@pytest.mark.parametrize(
    ("name", "call", "method", "path", "body", "status"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS]
)
async def test_token_travels_only_in_the_authorization_header(
    client: MeliClient, fake: FakeMeli, name: str, call: Call, method: str, path: str, body: Any, status: int
) -> None:
    script(fake, method, path, body, status)
    await call(client)
    assert len(fake.requests) == 1
    request = fake.last
    assert (request.method, request.url.path) == (method, path)
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(request.url)
    assert TOKEN not in request.content.decode("latin-1")
    assert "access_token" not in request.url.params


@pytest.mark.parametrize(
    ("name", "call", "method", "path", "body", "status"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS]
)
async def test_every_messages_call_carries_tag_post_sale(
    client: MeliClient, fake: FakeMeli, name: str, call: Call, method: str, path: str, body: Any, status: int
) -> None:
    script(fake, method, path, body, status)
    await call(client)
    request = fake.last
    if request.url.path.startswith("/messages"):
        assert request.url.params.get_list("tag") == ["post_sale"]
    else:
        assert "tag" not in request.url.params


def test_authorization_url_with_and_without_pkce() -> None:
    client = MeliClient(
        api_url=API_URL,
        auth_url="https://auth.mercadolibre.com.ar/",
        client_id="123",
        client_secret="s",
        http=httpx.AsyncClient(transport=FakeMeli().transport()),
    )
    plain = urlsplit(client.authorization_url(redirect_uri="https://app.example/cb?x=1", state="st&ate"))
    assert f"{plain.scheme}://{plain.netloc}{plain.path}" == "https://auth.mercadolibre.com.ar/authorization"
    assert parse_qs(plain.query) == {
        "response_type": ["code"],
        "client_id": ["123"],
        "redirect_uri": ["https://app.example/cb?x=1"],
        "state": ["st&ate"],
    }
    pkce = parse_qs(
        urlsplit(client.authorization_url(redirect_uri="r", state="s", code_challenge="abc")).query
    )
    assert pkce["code_challenge"] == ["abc"] and pkce["code_challenge_method"] == ["S256"]


async def test_code_exchange_is_form_encoded_in_the_body(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("POST", "/oauth/token", payload("oauth/docs_token_authorization_code.json"))
    token = await client.exchange_code(
        code="TG-abc-1", redirect_uri="https://app.example/cb", code_verifier="v"
    )
    request = fake.last
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "authorization" not in request.headers
    assert not request.url.query
    assert fake.form(request) == {
        "grant_type": "authorization_code",
        "client_id": "123",
        "client_secret": "s3cret",
        "code": "TG-abc-1",
        "redirect_uri": "https://app.example/cb",
        "code_verifier": "v",
    }
    assert token.user_id == 1234567 and token.scopes == {"offline_access", "read", "write"}


async def test_refresh_is_form_encoded_and_invalid_grant_is_typed(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("POST", "/oauth/token", payload("oauth/docs_error_invalid_grant.json"), 400)
    with pytest.raises(errors.InvalidGrant):
        await client.refresh_token("TG-old-1")
    assert fake.form(fake.last) == {
        "grant_type": "refresh_token",
        "client_id": "123",
        "client_secret": "s3cret",
        "refresh_token": "TG-old-1",
    }
    assert len(fake.requests) == 1


async def test_refresh_returns_the_new_pair(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("POST", "/oauth/token", payload("oauth/docs_token_refresh.json"))
    pair = await client.refresh_token("TG-old-1")
    assert pair.refresh_token == "TG-5b9032b4e4b0714aed1f959f-1234567" and pair.expires_in == 10800


async def test_query_parameters_of_reads(client: MeliClient, fake: FakeMeli) -> None:
    for _, call, method, path, body, status in ENDPOINTS:
        script(fake, method, path, body, status)
        await call(client)
    by_path = {request.url.path: request for request in fake.requests}
    assert by_path["/questions/11751825075"].url.params["api_version"] == "4"
    search = by_path["/questions/search"].url.params
    assert (search["api_version"], search["seller_id"], search["status"], search["limit"]) == (
        "4",
        "189394110",
        "UNANSWERED",
        "50",
    )
    assert "item" not in search and "sort_fields" not in search
    pack = by_path["/messages/packs/2000000089077943/sellers/415458330"]
    assert pack.method == "POST"  # the last call on that path was the send
    assert by_path["/shipments/44028792542"].headers["x-format-new"] == "true"
    claims = by_path["/post-purchase/v1/claims/search"].url.params
    assert (claims["players.role"], claims["players.user_id"], claims["status"]) == (
        "respondent",
        "1",
        "opened",
    )
    assert by_path["/orders/search"].url.params["order.status"] == "paid"
    assert by_path["/messages/unread"].url.params["role"] == "seller"
    assert by_path["/messages/attachments"].url.params["site_id"] == "MLB"
    assert by_path["/missed_feeds"].url.params["app_id"] == "3486171129139063"


async def test_pack_messages_are_not_marked_read_by_default(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("GET", "/messages/packs/1/sellers/2", payload("messages/docs_pack_messages_paging.json"))
    page = await client.get_pack_messages(1, 2, TOKEN, offset=1, limit=2)
    params = fake.last.url.params
    assert (params["mark_as_read"], params["offset"], params["limit"]) == ("false", "1", "2")
    assert page.paging is not None and page.paging.total == 31
    await client.get_pack_messages(1, 2, TOKEN, mark_as_read=True)
    assert fake.last.url.params["mark_as_read"] == "true"


async def test_send_message_body_omits_empty_attachments(client: MeliClient, fake: FakeMeli) -> None:
    created = {"id": "fd1d2e37ad004ede9e0bf25d1215002d", "text": "Hola", "status": "available"}
    fake.json("POST", "/messages/packs/10/sellers/20", created, 201)
    await client.send_message(10, 20, 30, "Hola", TOKEN, attachments=[])
    assert json.loads(fake.last.content) == {
        "from": {"user_id": "20"},
        "to": {"user_id": "30"},
        "text": "Hola",
    }
    await client.send_message(10, 20, 30, "Hola", TOKEN, attachments=["20_a.pdf"])
    assert json.loads(fake.last.content)["attachments"] == ["20_a.pdf"]


async def test_answer_body_has_only_question_id_and_text(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("POST", "/answers", payload("questions/real_mla_question_by_id_answered_2022.json"))
    question = await client.post_answer(12297208947, "Dale!", TOKEN)
    assert json.loads(fake.last.content) == {"question_id": 12297208947, "text": "Dale!"}
    assert fake.last.headers["content-type"] == "application/json"
    assert question.answer is not None and question.answer.status == "ACTIVE"


async def test_get_message_unwraps_and_accepts_the_bare_legacy_shape(
    client: MeliClient, fake: FakeMeli
) -> None:
    fake.json(
        "GET",
        "/messages/fd1d2e37ad004ede9e0bf25d1215002d",
        payload("messages/docs_message_by_id_with_header.json"),
    )
    message = await client.get_message("fd1d2e37ad004ede9e0bf25d1215002d", TOKEN)
    assert message.text == "Mensaje de prueba" and message.pack_id == "000011122344"
    assert fake.last.url.params["mark_as_read"] == "false"
    fake.json(
        "GET",
        "/messages/0033b582a1474fa98c02d229abcec43c",
        payload("messages/docs_message_by_id_legacy_no_header.json"),
    )
    legacy = await client.get_message("0033b582a1474fa98c02d229abcec43c", TOKEN)
    assert legacy.id == "0033b582a1474fa98c02d229abcec43c" and legacy.text == "Ejemplo de texto"
    fake.json("GET", "/messages/00000000000000000000000000000000", {"paging": None, "messages": []})
    with pytest.raises(errors.NotFound):
        await client.get_message("00000000000000000000000000000000", TOKEN)


async def test_upload_is_multipart_and_returns_the_id(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("POST", "/messages/attachments", {"id": "210438685_59f0f034.jpg"})
    attachment = await client.upload_attachment("foto.jpg", b"\xff\xd8jpeg", "image/jpeg", TOKEN, "MLA")
    request = fake.last
    assert attachment == "210438685_59f0f034.jpg"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="foto.jpg"' in request.content and b"\xff\xd8jpeg" in request.content


async def test_download_returns_bytes(client: MeliClient, fake: FakeMeli) -> None:
    fake.on("GET", "/messages/attachments/a.pdf", httpx.Response(200, content=b"%PDF-1.4 body"))
    assert await client.download_attachment("a.pdf", TOKEN, "MLB") == b"%PDF-1.4 body"


async def test_multiget_chunks_by_twenty_and_skips_unknown_ids(client: MeliClient, fake: FakeMeli) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        ids = request.url.params["ids"].split(",")
        return httpx.Response(
            200,
            json=[
                {"code": 404, "body": {"message": "Item not found"}}
                if item == "MLA13"
                else {"code": 200, "body": {"id": item}}
                for item in ids
            ],
        )

    fake.on("GET", "/items", answer)
    ids = [f"MLA{number}" for number in range(45)] + ["MLA1"]
    items = await client.get_items(ids, TOKEN)
    assert [len(request.url.params["ids"].split(",")) for request in fake.requests] == [20, 20, 5]
    assert len(items) == 44 and "MLA13" not in {item.id for item in items}


async def test_multiget_element_failure_raises(client: MeliClient, fake: FakeMeli) -> None:
    fake.json("GET", "/items", [{"code": 403, "body": {"message": "forbidden", "error": "forbidden"}}])
    with pytest.raises(errors.Forbidden):
        await client.get_items(["MLA1"], TOKEN)


async def test_claim_message_omits_attachments_and_checks_role(client: MeliClient, fake: FakeMeli) -> None:
    fake.on("POST", "/post-purchase/v1/claims/1/actions/send-message", httpx.Response(201))
    assert await client.send_claim_message(1, "mediator", "Hola", TOKEN) is None
    assert json.loads(fake.last.content) == {"receiver_role": "mediator", "message": "Hola"}
    with pytest.raises(ValueError):
        await client.send_claim_message(1, "seller", "Hola", TOKEN)
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_item("../users/me", TOKEN),
        lambda c: c.get_question("1?x=2", TOKEN),
        lambda c: c.get_message("..", TOKEN),
        lambda c: c.get_pack_messages("1/../2", 3, TOKEN),
        lambda c: c.upload_attachment("a", b"", "text/plain", TOKEN, "mla/../x"),
        lambda c: c.get_missed_feeds(1, TOKEN, topic="items"),
        lambda c: c.get_unread(TOKEN, role="admin"),
    ],
)
async def test_invalid_arguments_are_refused_before_any_request(
    client: MeliClient, fake: FakeMeli, call: Call
) -> None:
    with pytest.raises(ValueError):
        await call(client)
    assert fake.requests == []


async def test_non_json_success_is_an_invalid_response(client: MeliClient, fake: FakeMeli) -> None:
    fake.on("GET", "/users/me", httpx.Response(200, text="<html>maintenance</html>"))
    with pytest.raises(errors.InvalidResponse):
        await client.get_me(TOKEN)
    fake.json("GET", "/items/MLA1", {"title": "no id"})
    with pytest.raises(errors.InvalidResponse):
        await client.get_item("MLA1", TOKEN)


async def test_aclose_only_closes_a_client_it_created() -> None:
    shared = httpx.AsyncClient(transport=FakeMeli().transport())
    borrowed = MeliClient(api_url=API_URL, auth_url=API_URL, client_id="1", client_secret="s", http=shared)
    await borrowed.aclose()
    assert not shared.is_closed
    await shared.aclose()
    owned = MeliClient(api_url=API_URL, auth_url=API_URL, client_id="1", client_secret="s")
    async with owned:
        pass
    assert owned._http.is_closed


async def test_the_action_guide_reads_options_caps_and_a_moderated_send(
    client: MeliClient, fake: FakeMeli
) -> None:
    base = "/messages/action_guide/packs/2000000089077943"
    fake.json("GET", base, payload("messages/docs_action_guide_options.json"))
    fake.json("GET", f"{base}/caps_available", payload("messages/docs_action_guide_caps_available.json"))
    fake.json("POST", f"{base}/option", payload("messages/docs_action_guide_message_moderated.json"), 201)
    guide = await client.get_action_guide(2000000089077943, TOKEN)
    by_id = {o.id: o for o in guide.options}
    assert by_id["OTHER"].free_text and by_id["OTHER"].char_limit == 350
    assert not by_id["REQUEST_BILLING_INFO"].free_text
    assert by_id["REQUEST_BILLING_INFO"].templates[0].id == "TEMPLATE___REQUEST_BILLING_INFO___1"  # type: ignore[index]
    assert not by_id["DELIVERY_PROMISE"].free_text  # its type is "TEMPLATE" in the documented sample
    caps = await client.get_action_guide_caps(2000000089077943, TOKEN)
    assert {c.option_id: c.cap_available for c in caps}["OTHER"] == 1
    sent = await client.send_action_guide_option(
        2000000089077943, "REQUEST_BILLING_INFO", TOKEN, template_id="TEMPLATE___REQUEST_BILLING_INFO___1"
    )
    assert json.loads(fake.last.content) == {
        "option_id": "REQUEST_BILLING_INFO",
        "template_id": "TEMPLATE___REQUEST_BILLING_INFO___1",
    }
    assert sent.status == "moderated" and sent.message_moderation.reason == "out_of_place_language"  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        await client.send_action_guide_option(2000000089077943, "OTHER", TOKEN)
