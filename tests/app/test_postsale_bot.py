"""The post-sale bot (issue 11): answers "where is my purchase" from the live shipment through the outbox,
once per buyer message; hands everything else to a person; silent once a person has taken over."""

from __future__ import annotations

import asyncio
import html
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from mostrador.bot.config import BotConfig
from mostrador.conversations import service as conv
from mostrador.inbox import actions, views
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, Message, OutboxEntry
from mostrador.users.service import create_user
from mostrador.web.app import create_app

from .conftest import AGENT_PASSWORD, Market, log_in
from .sandbox_grant import Connected, deliver
from .sandbox_grant import ingest as ingest_topic


def set_bot(postsale: Connected, site_id: str | None = None, **config: Any) -> None:
    with transaction(postsale.ctx.sessions) as s:
        account = s.get(Account, postsale.account_id)
        assert account is not None
        account.bot_config = BotConfig.from_data(config).model_dump(mode="json")
        if site_id is not None:
            account.site_id = site_id


def shipped_sale(
    market: Market, title: str = "Termo acero 1 litro", nickname: str = "COMPRADOR"
) -> dict[str, Any]:
    """A paid order the seller dispatched at once (`ship_after_s: 0`): shipped, with a tracking number."""
    auth = {"Authorization": f"Bearer {market.seller['access_token']}"}
    item = market.http.post(
        "/items",
        json={
            "title": title,
            "category_id": "MLA1",
            "price": 9000,
            "currency_id": "ARS",
            "available_quantity": 5,
            "buying_mode": "buy_it_now",
            "listing_type_id": "gold_special",
            "condition": "new",
        },
        headers=auth,
    )
    item.raise_for_status()
    buyer = market.http.post(
        "/_sandbox/users", json={"nickname": nickname, "site_id": "MLA", "role": "buyer"}
    )
    buyer.raise_for_status()
    order = market.http.post(
        "/_sandbox/orders",
        json={"buyer_id": buyer.json()["id"], "item_id": item.json()["id"], "ship_after_s": 0},
    )
    order.raise_for_status()
    return {**order.json(), "buyer": buyer.json(), "title": title}


def shipment_of(market: Market, order: dict[str, Any]) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {market.seller['access_token']}"}
    got = market.http.get(f"/orders/{order['id']}", headers=auth).json()
    r = market.http.get(f"/shipments/{got['shipping']['id']}", headers={**auth, "x-format-new": "true"})
    r.raise_for_status()
    return r.json()  # type: ignore[no-any-return]


def ingest(postsale: Connected, message: dict[str, Any]) -> Any:
    return ingest_topic(postsale, "messages", message["id"])


def thread_of(postsale: Connected, pack_id: int) -> tuple[Conversation, list[Message], dict[str, Any]]:
    with transaction(postsale.ctx.sessions) as s:
        c = s.scalars(
            select(Conversation).where(
                Conversation.account_id == postsale.account_id, Conversation.external_key == str(pack_id)
            )
        ).one()
        msgs = [m for m in c.messages if not conv.is_state(m)]
        state = conv.state_of(c, "pack")
        s.expunge_all()
        return c, msgs, state


def bot_entries(postsale: Connected) -> list[OutboxEntry]:
    with transaction(postsale.ctx.sessions) as s:
        rows = list(s.scalars(select(OutboxEntry).where(OutboxEntry.target_id.contains(":bot:"))))
        s.expunge_all()
        return rows


def seller_posts(market: Market, pack_id: int) -> list[str]:
    return [
        e["text"]
        for e in market.log("messages")
        if int(e["pack_id"]) == pack_id and e["from_role"] == "seller"
    ]


@pytest.fixture
def agent(postsale: Connected) -> int:
    return create_user(postsale.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")


def test_where_is_my_order_gets_one_reply_with_the_real_tracking_number_and_a_repeat_sends_nothing(
    postsale: Connected, market: Market
) -> None:
    set_bot(postsale, mode="auto", post_sale=True)
    order = shipped_sale(market)
    pack_id = market.pack_of(order)
    shipment = shipment_of(market, order)
    assert shipment["status"] == "shipped" and shipment["tracking_number"]

    asked = market.buyer_writes(order, "Hola! ¿Dónde está mi pedido? ¿Cuándo llega?")
    plan = ingest(postsale, asked)
    assert plan.outcome == "reply_pending" and plan.reply_id
    assert deliver(postsale, plan.reply_id) == "sent"

    [text] = seller_posts(market, pack_id)
    assert shipment["tracking_number"] in text and "en camino" in text and "Entrega estimada:" in text
    assert len(text) <= 350 and "cross_docking" not in text  # how the seller ships is not a carrier

    # The same notification again, and again after Mercado Libre shows the reply: nothing more is sent.
    for _ in range(2):
        again = ingest(postsale, asked)
        assert again.outcome == "recorded" and again.reply_id is None
    assert deliver(postsale, plan.reply_id) == "sent"
    assert seller_posts(market, pack_id) == [text]
    thread, msgs, _ = thread_of(postsale, pack_id)
    assert [(m.direction, m.author) for m in msgs] == [("in", "buyer"), ("out", "bot")]
    assert msgs[1].status == "sent" and msgs[1].text == text
    assert thread.owner == "bot" and len(bot_entries(postsale)) == 1
    [view] = views.inbox_threads(postsale.ctx, thread.workspace_id, channel="messages")
    assert not view.waiting  # the bot's reply answered the buyer: nothing waits for a person


def test_a_message_about_something_else_goes_to_a_person_with_a_reason_and_no_reply(
    postsale: Connected, market: Market
) -> None:
    set_bot(postsale, mode="auto", post_sale=True)
    order = shipped_sale(market)
    plan = ingest(postsale, market.buyer_writes(order, "Me llegó otro color, ¿cómo hacemos el cambio?"))
    assert plan.outcome == "handed_off"
    thread, _, _ = thread_of(postsale, market.pack_of(order))
    assert thread.owner == "agent" and thread.handoff_reason == "post_sale_other"
    [view] = views.inbox_threads(postsale.ctx, thread.workspace_id, channel="messages")
    assert view.handoff_label == "el comprador pide algo que el bot no responde"

    invoice = shipped_sale(market, "Mate", nickname="OTRO")
    assert ingest(postsale, market.buyer_writes(invoice, "¿Me mandan la factura A?")).outcome == "handed_off"
    thread, _, _ = thread_of(postsale, market.pack_of(invoice))
    assert thread.handoff_reason == "post_sale_invoice"  # whether it was issued is not known: never claimed
    assert bot_entries(postsale) == [] and seller_posts(market, market.pack_of(order)) == []


def test_after_an_agent_replied_the_bot_stays_silent(postsale: Connected, market: Market, agent: int) -> None:
    order = shipped_sale(market)
    pack_id = market.pack_of(order)
    assert ingest(postsale, market.buyer_writes(order, "¿Me pasan el número de seguimiento?")).outcome == (
        "handed_off"  # the bot is off by default: a person answers
    )
    thread, _, _ = thread_of(postsale, pack_id)
    written = actions.reply(postsale.ctx, thread.workspace_id, agent, thread.id, "Ya sale hoy.")
    assert written is not None and deliver(postsale, written.id) == "sent"

    set_bot(postsale, mode="auto", post_sale=True)
    plan = ingest(postsale, market.buyer_writes(order, "¿Dónde está mi pedido?"))
    assert plan.outcome == "handed_off" and plan.reply_id is None
    assert bot_entries(postsale) == [] and seller_posts(market, pack_id) == ["Ya sale hoy."]
    thread, _, _ = thread_of(postsale, pack_id)
    assert thread.handoff_reason == "post_sale_message"


def test_after_the_bot_answered_an_agent_s_reply_silences_it(
    postsale: Connected, market: Market, agent: int
) -> None:
    set_bot(postsale, mode="auto", post_sale=True)
    order = shipped_sale(market)
    pack_id = market.pack_of(order)
    first = ingest(postsale, market.buyer_writes(order, "¿Cuándo llega mi compra?"))
    assert first.outcome == "reply_pending" and deliver(postsale, first.reply_id) == "sent"
    thread, _, _ = thread_of(postsale, pack_id)
    written = actions.reply(postsale.ctx, thread.workspace_id, agent, thread.id, "Te aviso apenas llegue.")
    assert written is not None and deliver(postsale, written.id) == "sent"
    assert (
        ingest(postsale, market.buyer_writes(order, "¿Y el código de seguimiento?")).outcome == "handed_off"
    )
    assert len(bot_entries(postsale)) == 1 and len(seller_posts(market, pack_id)) == 2


def test_draft_mode_suggests_the_reply_and_sends_nothing(postsale: Connected, market: Market) -> None:
    set_bot(postsale, mode="draft", post_sale=True)
    order = shipped_sale(market)
    pack_id = market.pack_of(order)
    asked = market.buyer_writes(order, "¿Ya lo despacharon?")
    assert ingest(postsale, asked).outcome == "drafted"
    thread, msgs, state = thread_of(postsale, pack_id)
    tracking = shipment_of(market, order)["tracking_number"]
    assert tracking in state["suggested_reply"]["text"] and state["suggested_reply"]["rule"]
    assert state["suggested_reply"]["allow"] == [tracking]
    assert thread.owner == "agent" and thread.handoff_reason == "post_sale_draft"
    assert [m.direction for m in msgs] == ["in"] and bot_entries(postsale) == []
    assert seller_posts(market, pack_id) == []
    # A repeated notification keeps the suggestion for the agent, and still sends nothing.
    ingest(postsale, asked)
    _, _, state = thread_of(postsale, pack_id)
    assert tracking in state["suggested_reply"]["text"] and seller_posts(market, pack_id) == []


def test_an_agent_sends_the_bot_s_suggestion_as_it_is(
    postsale: Connected, market: Market, agent: int
) -> None:
    """The suggestion quotes the tracking number, which the guard would read as a phone number in any
    other text: the values the bot read from Mercado Libre go with the suggestion to the agent's send."""
    set_bot(postsale, mode="draft", post_sale=True)
    order = shipped_sale(market)
    pack_id = market.pack_of(order)
    assert ingest(postsale, market.buyer_writes(order, "¿Ya lo despacharon?")).outcome == "drafted"
    thread, _, state = thread_of(postsale, pack_id)
    text = state["suggested_reply"]["text"]

    async def shown() -> str:
        app = create_app(postsale.ctx.settings, postsale.ctx, durable=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            await log_in(c, "ana@example.com")
            return (await c.get(f"/inbox/{thread.id}")).text

    page = asyncio.run(shown())
    assert f">{html.escape(text, quote=False)}</textarea>" in page.replace("&#39;", "'")
    entry = actions.reply(postsale.ctx, thread.workspace_id, agent, thread.id, text)
    assert entry is not None and deliver(postsale, entry.id) == "sent"
    assert seller_posts(market, pack_id) == [text]


def test_a_brazilian_account_answers_in_portuguese(postsale: Connected, market: Market) -> None:
    # The sandbox's seller is Argentine; the language follows the account's site, so the account row says MLB.
    set_bot(postsale, site_id="MLB", mode="auto", post_sale=True)
    order = shipped_sale(market)
    plan = ingest(postsale, market.buyer_writes(order, "Olá! Quando chega meu pedido?"))
    assert plan.outcome == "reply_pending" and deliver(postsale, plan.reply_id) == "sent"
    [text] = seller_posts(market, market.pack_of(order))
    assert text.startswith("Olá!") and "a caminho" in text and "Código de rastreamento" in text
    assert "Previsão de entrega" in text


def test_the_bot_is_off_unless_the_account_turns_it_on(postsale: Connected, market: Market) -> None:
    set_bot(postsale, mode="auto")
    order = shipped_sale(market)
    plan = ingest(postsale, market.buyer_writes(order, "¿Dónde está mi pedido?"))
    assert plan.outcome == "handed_off" and bot_entries(postsale) == []
    thread, _, _ = thread_of(postsale, market.pack_of(order))
    assert thread.handoff_reason == "post_sale_message"


def test_hostile_buyer_text_stays_escaped_beside_the_bot_s_reply(
    postsale: Connected, market: Market, agent: int
) -> None:
    set_bot(postsale, mode="auto", post_sale=True)
    order = shipped_sale(market)
    hostile = "<script>alert(1)</script><b>¿dónde está mi pedido?</b>"
    plan = ingest(postsale, market.buyer_writes(order, hostile))
    assert plan.outcome == "reply_pending" and deliver(postsale, plan.reply_id) == "sent"
    thread, _, _ = thread_of(postsale, market.pack_of(order))

    async def page() -> str:
        app = create_app(postsale.ctx.settings, postsale.ctx, durable=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            assert (await log_in(c, "ana@example.com")).status_code == 303
            return (await c.get(f"/inbox/{thread.id}")).text

    shown = asyncio.run(page())
    assert "<script>alert(1)</script>" not in shown and "<b>¿dónde" not in shown
    assert html.escape("<script>alert(1)</script>", quote=False) in shown
    assert shipment_of(market, order)["tracking_number"] in shown


def test_an_invoice_request_is_answered_from_the_seller_s_invoice_facts(
    postsale: Connected, market: Market
) -> None:
    set_bot(
        postsale, mode="auto", post_sale=True, facts={"invoice": {"issues": True, "kind": "Factura A y B"}}
    )
    order = shipped_sale(market)
    plan = ingest(postsale, market.buyer_writes(order, "Hola, ¿me mandan la factura?"))
    assert plan.outcome == "reply_pending" and deliver(postsale, plan.reply_id) == "sent"
    [text] = seller_posts(market, market.pack_of(order))
    assert "Factura A y B" in text and "apenas esté emitida" in text and len(text) <= 350
