"""The seller writes first on a sale (issue 11, §8.7): an agent opens a sale's conversation from an order
and picks a reason of Mercado Libre's action guide (its caps shown and enforced by Mercado Libre), and the
post-sale bot's order messages go out once per event through the same guide — or as an ordinary message
once the buyer has written."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from mostrador.conversations import outgoing
from mostrador.store.db import transaction
from mostrador.store.models import AuditEntry, OutboxEntry, utcnow
from mostrador.users.service import create_user
from mostrador.web.app import create_app

from .conftest import AGENT_PASSWORD, Market, log_in
from .sandbox_grant import Connected, deliver
from .sandbox_grant import ingest as ingest_topic
from .test_postsale_bot import seller_posts, set_bot, shipped_sale, thread_of

ORDER_MESSAGES = [
    {"id": "facturacion", "event": "paid", "option": "REQUEST_BILLING_INFO"},
    {
        "id": "despachado",
        "event": "shipped",
        "option": "OTHER",
        "text": {"es": "¡Hola {buyer}! Tu compra ya salió. Seguimiento: {tracking_number} ({carrier})."},
    },
]


@pytest.fixture
def agent(postsale: Connected) -> int:
    return create_user(postsale.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")


def entries(postsale: Connected, part: str) -> list[OutboxEntry]:
    with transaction(postsale.ctx.sessions) as s:
        rows = list(s.scalars(select(OutboxEntry).where(OutboxEntry.target_id.contains(part))))
        s.expunge_all()
        return rows


def caps(market: Market, pack_id: int) -> dict[str, int]:
    auth = {"Authorization": f"Bearer {market.seller['access_token']}"}
    r = market.http.get(f"/messages/action_guide/packs/{pack_id}/caps_available?tag=post_sale", headers=auth)
    r.raise_for_status()
    return {c["option_id"]: c["cap_available"] for c in r.json()}


class Browser:
    """An agent's session on the app (in process), talking to the sandbox over loopback."""

    def __init__(self, postsale: Connected) -> None:
        self.app = create_app(postsale.ctx.settings, postsale.ctx, durable=False)

    async def run(self, steps: Any) -> Any:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://test"
        ) as c:
            assert (await log_in(c, "ana@example.com")).status_code == 303
            return await steps(c)


def test_an_agent_opens_a_sale_and_writes_first_through_the_guide_once_per_reason(
    postsale: Connected, market: Market, agent: int
) -> None:
    order = shipped_sale(market, nickname="COMPRADORA")
    pack_id = market.pack_of(order)

    async def send(c: httpx.AsyncClient, conversation_id: int, **form: str) -> httpx.Response:
        return await c.post(f"/inbox/{conversation_id}/actions", data={**form, "confirmed": "yes"})

    async def steps(c: httpx.AsyncClient) -> None:
        opened = await c.post(f"/inbox/sales/{postsale.account_id}/orders/{order['id']}/contact")
        assert opened.status_code == 303, opened.text
        conversation_id = int(opened.headers["location"].rsplit("/", 1)[1])
        page = (await c.get(f"/inbox/{conversation_id}")).text
        # The composer is closed (the buyer never wrote); the guide's reasons are offered with their caps.
        assert "Mercado Libre solo deja iniciar la conversación" in page
        assert f'action="/inbox/{conversation_id}/reply"' not in page
        assert 'data-action="guide:OTHER"' in page and 'data-action="guide:REQUEST_BILLING_INFO"' in page
        assert "1 envío disponible" in page
        assert 'data-action="guide:DELIVERY_PROMISE"' not in page  # needs a delivery window per sale

        refused = await send(c, conversation_id, action="guide:OTHER", text="Escribime a ventas@tienda.com")
        assert refused.status_code == 422 and "mail" in refused.text.lower()
        text = "¡Hola! ¿Te queda bien recibirlo el sábado?"
        assert (await send(c, conversation_id, action="guide:OTHER", text=text)).status_code == 303
        [entry] = entries(postsale, f"{pack_id}:guide:OTHER")
        assert await asyncio.to_thread(deliver, postsale, entry.id) == "sent"
        assert seller_posts(market, pack_id) == [text]
        assert caps(market, pack_id)["OTHER"] == 0

        page = (await c.get(f"/inbox/{conversation_id}")).text  # read again: the cap is used
        assert "ya usado: esperá la respuesta del comprador" in page
        again = await send(c, conversation_id, action="guide:OTHER", text="¿Y el domingo?")
        assert again.status_code == 422 and "esperar a que el comprador responda" in again.text
        assert (await send(c, conversation_id, action="guide:REQUEST_BILLING_INFO")).status_code == 303
        [billing] = entries(postsale, f"{pack_id}:guide:REQUEST_BILLING_INFO")
        assert await asyncio.to_thread(deliver, postsale, billing.id) == "sent"
        posts = seller_posts(market, pack_id)
        assert len(posts) == 2 and "datos de facturación" in posts[1]  # Mercado Libre's own template text
        assert len(entries(postsale, ":guide:")) == 2
        with transaction(postsale.ctx.sessions) as s:  # the audit log: two actions done, the refusals not
            logged = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.action, e.target, e.details["action"]) for e in logged] == [
            ("conversation.action", f"conversation:{conversation_id}", "guide:OTHER"),
            ("conversation.action", f"conversation:{conversation_id}", "guide:REQUEST_BILLING_INFO"),
        ]

        # The buyer answers: the conversation is open, the guide gone, the composer back.
        market.buyer_writes(order, "Sí, el sábado está bien. ¿Hacen factura A?")
        page = (await c.get(f"/inbox/{conversation_id}")).text
        assert f'action="/inbox/{conversation_id}/reply"' in page and "guide:OTHER" not in page
        _, _, state = thread_of(postsale, pack_id)
        assert not state.get("seller_starts")

    asyncio.run(Browser(postsale).run(steps))


def test_another_workspace_cannot_open_the_sale_of_an_account_it_does_not_have(
    postsale: Connected, market: Market, agent: int
) -> None:
    create_user(postsale.ctx.sessions, "otra@example.com", AGENT_PASSWORD, "Otra", "otro-espacio")
    order = shipped_sale(market)
    app = create_app(postsale.ctx.settings, postsale.ctx, durable=False)

    async def steps() -> tuple[int, int]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            assert (await log_in(c, "otra@example.com")).status_code == 303
            foreign = await c.post(f"/inbox/sales/{postsale.account_id}/orders/{order['id']}/contact")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            assert (await log_in(c, "ana@example.com")).status_code == 303
            unknown = await c.post(f"/inbox/sales/{postsale.account_id}/orders/999999999/contact")
        return foreign.status_code, unknown.status_code

    assert asyncio.run(steps()) == (404, 404)
    assert entries(postsale, ":guide:") == []


def test_order_messages_go_once_per_event_through_the_guide_and_a_repeat_sends_nothing(
    postsale: Connected, market: Market
) -> None:
    set_bot(postsale, mode="auto", post_sale=True, order_messages=ORDER_MESSAGES)
    order = shipped_sale(market, nickname="COMPRADOR9")
    pack_id = market.pack_of(order)

    plan = ingest_topic(postsale, "orders_v2", order["id"])
    assert plan.outcome == "reply_pending", plan
    recorded = entries(postsale, ":event:")
    assert len(recorded) == 2, plan.detail
    assert sorted(e.target_id for e in recorded) == [
        f"{pack_id}:event:despachado",
        f"{pack_id}:event:facturacion",
    ]
    for entry in recorded:
        assert deliver(postsale, entry.id) == "sent"
    posts = seller_posts(market, pack_id)
    assert len(posts) == 2 and any("datos de facturación" in p for p in posts)
    [shipped] = [p for p in posts if "Tu compra ya salió" in p]
    assert "COMPRADOR9" in shipped and re.search(r"Seguimiento: \w+", shipped)
    assert caps(market, pack_id)["OTHER"] == 0 and caps(market, pack_id)["REQUEST_BILLING_INFO"] == 0

    # The same notification again (Mercado Libre retries; the order changes again): nothing more.
    for _ in range(2):
        assert ingest_topic(postsale, "orders_v2", order["id"]).outcome == "skipped"
    assert len(seller_posts(market, pack_id)) == 2 and len(entries(postsale, ":event:")) == 2
    thread, msgs, _ = thread_of(postsale, pack_id)
    assert [m.author for m in msgs] == ["bot", "bot"] and thread.owner == "bot"


def test_once_the_buyer_wrote_an_order_message_is_an_ordinary_message_and_a_person_silences_them(
    postsale: Connected, market: Market, agent: int
) -> None:
    rules = [
        {
            "id": "despachado",
            "event": "shipped",
            "option": "SEND_INVOICE_LINK",
            "text": {"es": "Tu compra ya salió: seguimiento {tracking_number}."},
        }
    ]
    set_bot(postsale, mode="auto", post_sale=True, order_messages=rules)
    order = shipped_sale(market)
    pack_id = market.pack_of(order)
    market.buyer_writes(order, "Gracias por la compra")
    plan = ingest_topic(postsale, "orders_v2", order["id"])
    assert plan.outcome == "reply_pending"
    [entry] = entries(postsale, ":event:")
    assert "guide_option" not in entry.params and entry.params["to_user_id"] == str(order["buyer"]["id"])
    assert deliver(postsale, entry.id) == "sent"
    [post] = seller_posts(market, pack_id)
    assert post.startswith("Tu compra ya salió: seguimiento ")

    # A second sale whose conversation a person already looks after: the bot stays out.
    other = shipped_sale(market, nickname="OTRO")
    asked = market.buyer_writes(other, "Me llegó otro color, ¿cómo lo cambio?")
    assert ingest_topic(postsale, "messages", asked["id"]).outcome == "handed_off"
    assert ingest_topic(postsale, "orders_v2", other["id"]).outcome == "skipped"
    assert seller_posts(market, market.pack_of(other)) == []


def test_without_order_messages_an_order_notification_costs_no_call(
    postsale: Connected, market: Market
) -> None:
    order = shipped_sale(market)
    # Every call to Mercado Libre would fail now: an ingest that made one could not end as skipped.
    market.http.put("/_sandbox/faults", json={"error_rate": 1.0}).raise_for_status()
    try:
        plan = ingest_topic(postsale, "orders_v2", order["id"])
    finally:
        market.http.put("/_sandbox/faults", json={}).raise_for_status()
    assert plan.outcome == "skipped" and plan.detail == "no order messages configured"


# ---- hostile cases (found in review) ----------------------------------------------------------------------
BILLING = [{"id": "facturacion", "event": "paid", "option": "REQUEST_BILLING_INFO"}]


def seller_guide_send(market: Market, pack_id: int, body: dict[str, Any]) -> httpx.Response:
    auth = {"Authorization": f"Bearer {market.seller['access_token']}"}
    return market.http.post(
        f"/messages/action_guide/packs/{pack_id}/option?tag=post_sale", json=body, headers=auth
    )


def test_a_refused_template_send_is_not_taken_for_a_message_the_seller_wrote_elsewhere(
    postsale: Connected, market: Market
) -> None:
    """409 (another option being sent on this sale, §8.7) is a lock, not a verdict: the send waits and is
    tried again; and a template is never taken for a message the seller wrote under another option."""
    set_bot(postsale, mode="auto", post_sale=True, order_messages=BILLING)
    order = shipped_sale(market)
    pack_id = market.pack_of(order)
    assert ingest_topic(postsale, "orders_v2", order["id"]).outcome == "reply_pending"
    [entry] = entries(postsale, ":event:")
    # The seller, in Mercado Libre's own site, writes under OTHER at the same moment.
    r = seller_guide_send(market, pack_id, {"option_id": "OTHER", "text": "Hola, ¿el sábado te sirve?"})
    assert r.status_code == 201, r.text
    market.http.put(
        "/_sandbox/faults", json={"error_rate": 1.0, "error_statuses": [409], "path_pattern": "/option"}
    ).raise_for_status()
    try:
        status = deliver(postsale, entry.id)
    finally:
        market.http.put("/_sandbox/faults", json={}).raise_for_status()
    posts = seller_posts(market, pack_id)
    assert not any("facturación" in p for p in posts)  # the template never reached Mercado Libre
    assert status != "sent", f"template marked sent on someone else's message; posts={posts}"
    # The lock gone, the same send goes, once.
    assert deliver(postsale, entry.id) == "sent"
    assert sum("facturación" in p for p in seller_posts(market, pack_id)) == 1


def test_a_template_send_that_reached_mercado_libre_is_not_failed_after_a_page_view(
    postsale: Connected, market: Market, agent: int
) -> None:
    """Outcome unknown on a template send that did reach Mercado Libre, and an agent opens the thread
    before the re-drive: the re-drive finds the option's cap spent and settles the send as sent."""
    order = shipped_sale(market)
    pack_id = market.pack_of(order)

    async def steps(c: httpx.AsyncClient) -> str:
        opened = await c.post(f"/inbox/sales/{postsale.account_id}/orders/{order['id']}/contact")
        conversation_id = int(opened.headers["location"].rsplit("/", 1)[1])
        sent = await c.post(
            f"/inbox/{conversation_id}/actions",
            data={"action": "guide:REQUEST_BILLING_INFO", "confirmed": "yes"},
        )
        assert sent.status_code == 303
        [entry] = entries(postsale, ":guide:")
        # Our POST reaches Mercado Libre, the answer is lost (a read timeout): attempts=1, text at ML.
        with transaction(postsale.ctx.sessions) as s:
            assert outgoing.count_attempt(s, entry.id, entry.drive, utcnow())
        r = seller_guide_send(
            market,
            pack_id,
            {"option_id": "REQUEST_BILLING_INFO", "template_id": "TEMPLATE___REQUEST_BILLING_INFO___1"},
        )
        assert r.status_code == 201, r.text
        assert (await c.get(f"/inbox/{conversation_id}")).status_code == 200
        return await asyncio.to_thread(deliver, postsale, entry.id)

    status = asyncio.run(Browser(postsale).run(steps))
    _, msgs, _ = thread_of(postsale, pack_id)
    shown = [(m.author, m.status, m.text[:40]) for m in msgs]
    assert len(seller_posts(market, pack_id)) == 1
    assert status == "sent", f"a delivered template was failed: {status}; thread shows {shown}"


def test_a_free_text_order_message_is_not_posted_into_a_blocked_conversation(
    postsale: Connected, market: Market
) -> None:
    """The buyer never wrote and the conversation is blocked (mediation, Full not delivered …): no guide,
    and no ordinary message either — nothing is recorded, nobody is handed a failure."""
    rules = [
        {
            "id": "despachado",
            "event": "shipped",
            "option": "OTHER",
            "text": {"es": "¡Hola! Tu compra ya salió."},
        }
    ]
    set_bot(postsale, mode="auto", post_sale=True, order_messages=rules)
    order = shipped_sale(market)
    pack_id = market.pack_of(order)
    market.http.post(
        f"/_sandbox/packs/{pack_id}/conversation",
        json={"status": "blocked", "substatus": "blocked_by_mediation"},
    ).raise_for_status()
    plan = ingest_topic(postsale, "orders_v2", order["id"])
    recorded = entries(postsale, ":event:")
    outcome = [deliver(postsale, e.id) for e in recorded]
    thread, _, _ = thread_of(postsale, pack_id)
    assert recorded == [], f"plan={plan}; sends={outcome}; owner={thread.owner}"


def test_after_a_failed_other_send_the_agent_can_write_another_text(
    postsale: Connected, market: Market, agent: int
) -> None:
    """An OTHER send Mercado Libre refused leaves the cap unused and the option offered: the agent may
    write another text (it replaces the failed one)."""
    order = shipped_sale(market)

    async def steps(c: httpx.AsyncClient) -> httpx.Response:
        opened = await c.post(f"/inbox/sales/{postsale.account_id}/orders/{order['id']}/contact")
        conversation_id = int(opened.headers["location"].rsplit("/", 1)[1])
        first = await c.post(
            f"/inbox/{conversation_id}/actions",
            data={"action": "guide:OTHER", "text": "Hola, ¿te sirve el sábado?", "confirmed": "yes"},
        )
        assert first.status_code == 303
        [entry] = entries(postsale, ":guide:OTHER")
        market.http.put(
            "/_sandbox/faults", json={"error_rate": 1.0, "error_statuses": [403], "path_pattern": "/option"}
        ).raise_for_status()
        try:
            assert await asyncio.to_thread(deliver, postsale, entry.id) == "failed"
        finally:
            market.http.put("/_sandbox/faults", json={}).raise_for_status()
        page = (await c.get(f"/inbox/{conversation_id}")).text
        assert 'data-action="guide:OTHER"' in page  # still offered: the cap is unused
        return await c.post(
            f"/inbox/{conversation_id}/actions",
            data={"action": "guide:OTHER", "text": "Hola, ¿te sirve el domingo?", "confirmed": "yes"},
        )

    r = asyncio.run(Browser(postsale).run(steps))
    i = r.text.find("recarg")
    assert r.status_code == 303, (r.status_code, r.text[max(0, i - 200) : i + 50])


def test_a_long_rule_id_fits_the_message_external_id(postsale: Connected, market: Market) -> None:
    """The longest rule id allowed still fits the sends' ids (`reply:<16-digit pack>:event:<id>`, 64)."""
    rid = "aviso_despacho_seguimien"
    assert len(rid) == 24
    set_bot(
        postsale,
        mode="auto",
        post_sale=True,
        order_messages=[{"id": rid, "event": "paid", "option": "REQUEST_BILLING_INFO"}],
    )
    order = shipped_sale(market)
    assert ingest_topic(postsale, "orders_v2", order["id"]).outcome == "reply_pending"
    [entry] = entries(postsale, ":event:")
    assert len(entry.target_id) <= 64
    _, msgs, _ = thread_of(postsale, market.pack_of(order))
    assert all(len(m.external_id) <= 64 for m in msgs), [(len(m.external_id), m.external_id) for m in msgs]


def test_a_page_view_before_the_messages_ingest_does_not_take_the_buyer_question_from_the_bot(
    postsale: Connected, market: Market, agent: int
) -> None:
    """A page view of a sale the seller started, after the buyer wrote and before the messages ingest,
    leaves the buyer's message to that ingest: the bot still answers it."""
    set_bot(postsale, mode="auto", post_sale=True)
    order = shipped_sale(market)

    async def steps(c: httpx.AsyncClient) -> Any:
        opened = await c.post(f"/inbox/sales/{postsale.account_id}/orders/{order['id']}/contact")
        conversation_id = int(opened.headers["location"].rsplit("/", 1)[1])
        asked = market.buyer_writes(order, "Hola, ¿dónde está mi compra? ¿Cuándo llega?")
        assert (await c.get(f"/inbox/{conversation_id}")).status_code == 200  # the agent looks, or live.js
        return await asyncio.to_thread(ingest_topic, postsale, "messages", asked["id"])

    plan = asyncio.run(Browser(postsale).run(steps))
    assert plan.outcome == "reply_pending", plan
