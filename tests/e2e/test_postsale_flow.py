"""After the sale, end to end: buyer messages and claims arrive by webhook, show in the inbox, and an
agent's reply is posted exactly once."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from mostrador.cli.demo import _hidden_inputs
from mostrador.store.db import make_engine, make_sessionmaker, transaction
from mostrador.store.models import Conversation, Message

from .conftest import World, wait_for

pytestmark = pytest.mark.e2e


def buy(world: World) -> dict[str, Any]:
    """The world's buyer buys one unit of a listing with stock."""
    with world.sandbox() as c:
        for item_id in world.items:
            item = c.get(
                f"/items/{item_id}", headers={"Authorization": f"Bearer {world.seller['access_token']}"}
            )
            body = item.json()
            if body.get("status") != "active" or (body.get("available_quantity") or 0) < 2:
                continue
            purchase: dict[str, Any] = {"buyer_id": world.buyer["id"], "item_id": item_id}
            if body.get("variations"):
                stocked = [v for v in body["variations"] if (v.get("available_quantity") or 0) > 1]
                if not stocked:
                    continue
                purchase["variation_id"] = stocked[0]["id"]
            r = c.post("/_sandbox/orders", json=purchase)
            r.raise_for_status()
            return {**r.json(), "title": body["title"]}
    raise AssertionError("the demo catalogue has no listing left with stock")


def pack_of(order: dict[str, Any]) -> int:
    return int(order["pack_id"] or order["id"])


def buyer_writes(world: World, order: dict[str, Any], text: str, attachments: list[str] | None = None) -> str:
    with world.sandbox() as c:
        r = c.post(
            f"/_sandbox/packs/{pack_of(order)}/buyer_messages",
            json={"text": text, "attachments": attachments or []},
        )
        r.raise_for_status()
        return str(r.json()["id"])


def seller_posts(world: World, pack_id: int) -> list[dict[str, Any]]:
    with world.sandbox() as c:
        log = c.get("/_sandbox/log", params={"kind": "messages"}).json()
    return [e for e in log if int(e["pack_id"]) == pack_id and e["from_role"] == "seller"]


def claim_posts(world: World, claim_id: int) -> list[dict[str, Any]]:
    with world.sandbox() as c:
        log = c.get("/_sandbox/log", params={"kind": "claim_messages"}).json()
    return [e for e in log if int(e["claim_id"]) == claim_id and e["sender_role"] == "respondent"]


def db(world: World, query: Any) -> Any:
    engine = make_engine(world.settings.resolved_database_url)
    try:
        with transaction(make_sessionmaker(engine)) as s:
            return query(s)
    finally:
        engine.dispose()


def conversation_id(world: World, channel: str, key: int) -> int | None:
    return db(  # type: ignore[no-any-return]
        world,
        lambda s: s.scalar(
            select(Conversation.id).where(
                Conversation.channel == channel, Conversation.external_key == str(key)
            )
        ),
    )


def inbound_count(world: World, pack_id: int) -> int:
    return int(
        db(
            world,
            lambda s: s.scalar(
                select(func.count())
                .select_from(Message)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(
                    Conversation.channel == "messages",
                    Conversation.external_key == str(pack_id),
                    Message.direction == "in",
                    Message.author == "buyer",
                )
            ),
        )
        or 0
    )


def reply_form(inbox: httpx.Client, thread_id: int) -> dict[str, str]:
    page = inbox.get(f"/inbox/{thread_id}")
    assert page.status_code == 200 and 'action="/inbox/' in page.text
    return _hidden_inputs(page.text)


def test_a_buyer_message_arrives_by_webhook_and_shows_in_the_inbox(world: World) -> None:
    order = buy(world)
    with world.sandbox() as c:
        upload = c.post(
            "/_sandbox/attachments",
            params={"pack_id": pack_of(order)},
            files={"file": ("remito.pdf", b"%PDF-1.4")},
        )
        upload.raise_for_status()
    buyer_writes(world, order, "<script>alert('x')</script> ¿Cuándo llega mi compra?", [upload.json()["id"]])
    with world.inbox() as inbox:
        listing = wait_for(
            lambda: (
                (p := inbox.get("/inbox", params={"channel": "messages"})) and "Cuándo llega" in p.text and p
            ),
            timeout=15,
        )
        assert "<script>alert" not in listing.text and "&lt;script&gt;" in listing.text
        assert f"Venta {pack_of(order)}" in listing.text and order["title"] in listing.text
        thread_id = conversation_id(world, "messages", pack_of(order))
        page = inbox.get(f"/inbox/{thread_id}")
    assert "remito.pdf" in page.text and "Comprador" in page.text and "&lt;script&gt;" in page.text
    assert 'name="reply_key"' in page.text and 'maxlength="350"' in page.text


def test_duplicated_and_reordered_webhooks_record_each_message_once(world: World) -> None:
    order = buy(world)
    pack_id = pack_of(order)
    with world.sandbox() as c:
        faults = {"notification": {"duplicate_rate": 1.0, "reorder_rate": 0.5, "delay_ms": 30}}
        c.put("/_sandbox/faults", json=faults).raise_for_status()
        try:
            ids = [buyer_writes(world, order, text) for text in ("hola", "¿sigue en pie?", "avisame")]
            wait_for(lambda: inbound_count(world, pack_id) == 3, timeout=20)
        finally:
            c.put("/_sandbox/faults", json={}).raise_for_status()
    # The same notification again, by hand, three times: still three messages.
    for _ in range(3):
        body = {
            "_id": str(uuid.uuid4()),
            "resource": ids[0],
            "user_id": world.seller["id"],
            "topic": "messages",
            "actions": ["created"],
            "application_id": int(world.settings.meli_client_id),
            "attempts": 1,
            "sent": "2026-11-27T10:00:00.000Z",
            "received": "2026-11-27T10:00:00.000Z",
        }
        assert (
            httpx.post(f"{world.app_url}/notifications", content=json.dumps(body), timeout=5).status_code
            == 200
        )
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        assert inbound_count(world, pack_id) == 3
        time.sleep(0.1)


def test_an_agent_reply_to_a_pack_is_posted_exactly_once(world: World) -> None:
    order = buy(world)
    pack_id = pack_of(order)
    buyer_writes(world, order, "¿Me confirmás el envío?")
    thread_id = wait_for(lambda: conversation_id(world, "messages", pack_id), timeout=15)
    text = "Sale hoy por la tarde, te llega el código de seguimiento."
    with world.inbox() as inbox:
        form = reply_form(inbox, thread_id)
        for _ in range(2):  # a double click sends the same form twice
            r = inbox.post(f"/inbox/{thread_id}/reply", data={**form, "text": text})
            assert r.status_code == 303
        wait_for(lambda: seller_posts(world, pack_id), timeout=15)

        refused = inbox.post(
            f"/inbox/{thread_id}/reply",
            data={**reply_form(inbox, thread_id), "text": "Llamame al 11 4567 8901"},
        )
        assert (
            refused.status_code == 422
            and "reglas de Mercado Libre" in refused.text
            and "teléfono" in refused.text
        )
        long = inbox.post(
            f"/inbox/{thread_id}/reply", data={**reply_form(inbox, thread_id), "text": "a" * 351}
        )
        assert long.status_code == 422 and "350" in long.text
        time.sleep(1.0)  # give a stray duplicate workflow time to (wrongly) post again
        assert [e["text"] for e in seller_posts(world, pack_id)] == [text]
        page = inbox.get(f"/inbox/{thread_id}")
    assert text in page.text and "Agente" in page.text


def test_an_opened_claim_gets_the_bot_first_response_then_an_agent_answers_it_once(world: World) -> None:
    order = buy(world)
    with world.sandbox() as c:
        claim = c.post("/_sandbox/claims", json={"order_id": order["id"], "reason_id": "PDD9944"}).json()
    thread_id = wait_for(lambda: conversation_id(world, "claims", claim["id"]), timeout=15)
    # The demo's bot answers on its own: a damaged product (PDD9944) gets the product's first response.
    first = wait_for(lambda: claim_posts(world, claim["id"]), timeout=15)
    assert order["title"] in first[0]["text"] and "devolverlo sin costo" in first[0]["text"]
    with world.inbox() as inbox:
        tab = inbox.get("/inbox", params={"channel": "claims"})
        assert f"Reclamo {claim['id']}" in tab.text and "Abierto" in tab.text
        page = inbox.get(f"/inbox/{thread_id}")
        for fact in (
            "Motivo",
            "Reclamo (entre comprador y vendedor)",
            "Abierto",
            "Plazo para actuar",
            "Reputación",
        ):
            assert fact in page.text
        assert "PDD9944" in page.text
        # The claim's history (Mercado Libre's ISO dates, kept as text) is written like every other date.
        assert re.search(r'<span class="when">\d{2}/\d{2}/\d{4} \d{2}:\d{2}</span>', page.text), page.text
        text = "Lamentamos el inconveniente: te enviamos uno nuevo sin cargo."
        r = inbox.post(f"/inbox/{thread_id}/reply", data={**reply_form(inbox, thread_id), "text": text})
        assert r.status_code == 303
        wait_for(lambda: len(claim_posts(world, claim["id"])) > 1, timeout=15)
        time.sleep(1.0)  # a repeated first response or a twice-sent reply would show by now
        assert [(e["receiver_role"], e["text"]) for e in claim_posts(world, claim["id"])] == [
            ("complainant", first[0]["text"]),
            ("complainant", text),
        ]


def test_every_reason_the_simulator_opens_claims_with_gets_one_first_response(world: World) -> None:
    """Tried as a new user: claims on real orders for each reason the buyer simulator uses (not
    received, repentant, not original, defective, other) each get exactly one first response."""
    from mostrador.sandbox.sim_after_sale import CLAIM_REASONS

    opened = []
    for reason in CLAIM_REASONS:
        order = buy(world)
        with world.sandbox() as c:
            r = c.post("/_sandbox/claims", json={"order_id": order["id"], "reason_id": reason.reason_id})
            r.raise_for_status()
            opened.append((reason.reason_id, r.json()["id"]))
    for reason_id, claim_id in opened:
        posts = wait_for(lambda claim_id=claim_id: claim_posts(world, claim_id), timeout=20)
        assert posts[0]["text"].startswith("Hola"), (reason_id, posts)
    time.sleep(1.0)  # a second first response would show by now
    assert {reason_id: len(claim_posts(world, claim_id)) for reason_id, claim_id in opened} == {
        reason_id: 1 for reason_id, _ in opened
    }


def test_a_message_whose_webhook_was_dropped_is_recovered_by_the_sweep(world: World) -> None:
    order = buy(world)
    with world.sandbox() as c:
        c.put("/_sandbox/faults", json={"notification": {"drop_rate": 1.0}}).raise_for_status()
        try:
            buyer_writes(world, order, "¿Hacen factura A? nadie me contestó")
        finally:
            c.put("/_sandbox/faults", json={}).raise_for_status()
    assert conversation_id(world, "messages", pack_of(order)) is None
    with world.inbox() as inbox:
        csrf = _hidden_inputs(inbox.get("/accounts").text)["csrf_token"]
        assert inbox.post("/accounts/sync", data={"csrf_token": csrf}).status_code == 303
        wait_for(
            lambda: "nadie me contestó" in inbox.get("/inbox", params={"channel": "messages"}).text,
            timeout=20,
        )
        accounts = inbox.get("/accounts").text
    assert "Mensajes sin leer" in accounts and "Reclamos abiertos" in accounts
