"""The REST API on post-sale chats and claims, over real HTTP to the app in front of the sandbox: a
message sent through the API is posted once (the same `Idempotency-Key` twice records it once), and a
claim's message and refund go through the outbox like the inbox's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mostrador.cli.servers import ServerThread
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.users import api_keys
from mostrador.web.app import create_app

from .conftest import Market
from .sandbox_grant import Connected, deliver
from .sandbox_grant import ingest as ingest_topic


@pytest.fixture
def client(postsale: Connected) -> Iterator[httpx.Client]:
    with transaction(postsale.ctx.sessions) as s:
        ws = people_store.get_or_create_workspace(s, "w")
        key = api_keys.create_key(s, ws.id, "ERP", api_keys.Scope.READ_WRITE).secret
    server = ServerThread(create_app(postsale.ctx.settings, postsale.ctx, durable=False), name="api").start()
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
            yield c
    finally:
        server.stop()


def thread_of(client: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    rows = client.get(path, params=params).json()["data"]
    assert len(rows) == 1, rows
    return rows[0]  # type: ignore[no-any-return]


def test_a_post_sale_message_through_the_api_is_posted_once(
    postsale: Connected, market: Market, client: httpx.Client
) -> None:
    order = market.sale()
    pack_id = market.pack_of(order)
    ingest_topic(postsale, "messages", market.buyer_writes(order, "¿Cuándo despachan?")["id"])
    chat = thread_of(client, "/api/v1/conversations", status="waiting")
    listed = client.get(f"/api/v1/conversations/{chat['id']}/messages").json()["data"]
    assert [(m["direction"], m["text"]) for m in listed] == [("in", "¿Cuándo despachan?")]
    sent = [
        client.post(
            f"/api/v1/conversations/{chat['id']}/messages",
            json={"text": "Hoy a la tarde sale tu paquete."},
            headers={"Idempotency-Key": "erp-4711"},
        )
        for _ in range(2)
    ]
    assert [r.status_code for r in sent] == [202, 202]
    sends = sent[0].json()["sends"]
    assert len(sends) == 1 and sent[1].json()["sends"] == []  # the same key again: recorded once
    assert deliver(postsale, sends[0]["id"]) == "sent"
    assert deliver(postsale, sends[0]["id"]) == "sent"
    posted = [
        e for e in market.log("messages") if int(e["pack_id"]) == pack_id and e["from_role"] == "seller"
    ]
    assert [e["text"] for e in posted] == ["Hoy a la tarde sale tu paquete."]
    shown = client.get(f"/api/v1/conversations/{chat['id']}/messages").json()["data"]
    assert shown[-1]["send"]["status"] == "sent" and shown[-1]["author"] == "agent"
    too_long = client.post(f"/api/v1/conversations/{chat['id']}/messages", json={"text": "x" * 400})
    assert too_long.status_code == 422 and too_long.headers["content-type"].startswith("application/problem")


def test_a_claim_s_message_and_refund_through_the_api_are_sent_once(
    postsale: Connected, market: Market, client: httpx.Client
) -> None:
    opened = market.open_claim(market.sale(), reason_id="PNR9501")
    ingest_topic(postsale, "post_purchase", opened["id"])
    claim = thread_of(client, "/api/v1/claims")
    assert claim["due_date"] and "refund" in [a["name"] for a in claim["actions"]]
    message = client.post(f"/api/v1/conversations/{claim['id']}/messages", json={"text": "Ya lo revisamos."})
    assert message.status_code == 202, message.text
    assert deliver(postsale, message.json()["sends"][0]["id"]) == "sent"
    refund = client.post(f"/api/v1/conversations/{claim['id']}/actions", json={"action": "refund"})
    assert refund.status_code == 202, refund.text
    again = client.post(f"/api/v1/conversations/{claim['id']}/actions", json={"action": "refund"})
    assert again.status_code == 202 and again.json()["sends"] == []  # recorded once
    assert deliver(postsale, refund.json()["sends"][0]["id"]) == "sent"
    ingest_topic(postsale, "post_purchase", opened["id"])  # Mercado Libre closed it
    closed = client.get(f"/api/v1/conversations/{claim['id']}").json()
    assert closed["state"]["status"] == "closed"
    late = client.post(f"/api/v1/conversations/{claim['id']}/actions", json={"action": "open_dispute"})
    assert late.status_code == 409 and late.json()["status"] == 409
    texts = [
        e["text"]
        for e in market.log("claim_messages")
        if int(e["claim_id"]) == opened["id"] and e.get("sender_role") == "respondent"
    ]
    assert texts.count("Ya lo revisamos.") == 1
