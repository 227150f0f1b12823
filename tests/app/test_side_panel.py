"""The side panel of a conversation: the listing (picture, permalink), the seller account, and the buyer —
their nickname instead of a bare number, their other conversations with the seller, their orders, and
the question that became a sale linked to the purchase's conversation. Mercado Libre failing leaves the
page working."""

from __future__ import annotations

import asyncio
import re

import httpx
from sqlalchemy import select

from mostrador.store.db import transaction
from mostrador.store.models import Contact, Conversation
from mostrador.users.service import create_user
from mostrador.web.app import create_app

from .conftest import AGENT_PASSWORD, Market, log_in
from .sandbox_grant import Connected, sandbox_faults
from .sandbox_grant import ingest as ingest_topic


def thread_id(postsale: Connected, channel: str, key: str) -> int:
    with transaction(postsale.ctx.sessions) as s:
        return s.scalars(
            select(Conversation.id).where(Conversation.channel == channel, Conversation.external_key == key)
        ).one()


def test_the_buyer_is_named_their_purchase_linked_and_their_other_threads_listed(
    postsale: Connected, market: Market
) -> None:
    create_user(postsale.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")
    create_user(postsale.ctx.sessions, "otra@example.com", AGENT_PASSWORD, "Otra", "otro-espacio")
    order = market.sale("Termo de acero", nickname="COMPRADORA_FIEL")
    item = order["order_items"][0]["item"]["id"]
    buyer = order["buyer"]
    ingest_topic(postsale, "questions", market.buyer_asks(order, "¿Tiene garantía?")["id"])
    ingest_topic(postsale, "messages", market.buyer_writes(order, "¿Cuándo llega?")["id"])
    question_thread = thread_id(postsale, "questions", f"{item}:{buyer['id']}")
    chat_thread = thread_id(postsale, "messages", str(market.pack_of(order)))
    other_buyer = market.sale("Mate", nickname="OTRO_COMPRADOR")  # must not appear in her panel

    async def go() -> None:
        app = create_app(postsale.ctx.settings, postsale.ctx, durable=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as ana:
            await log_in(ana, "ana@example.com")
            listing = (await ana.get("/inbox?channel=questions")).text
            assert f"Comprador {buyer['id']}" in listing  # before anyone opened the thread
            page = (await ana.get(f"/inbox/{question_thread}")).text
            panel = page.split('aria-label="Comprador"', 1)[1]
            assert "COMPRADORA_FIEL" in panel and f"#{buyer['id']}" in panel
            assert f'<a href="/inbox/{chat_thread}">venta {order["id"]}</a>' in panel  # became a sale
            assert f'data-order-id="{order["id"]}"' in panel and "pagada" in panel
            assert str(other_buyer["id"]) not in panel
            assert f'href="/inbox/{chat_thread}"' in panel.split("Otras conversaciones", 1)[1]
            assert re.search(r'<a href="https://articulo\.mercadolibre\.com\.ar/[^"]+" target="_blank"', page)
            assert "Cuenta vendedora: " in page
            # The nickname is kept: the list shows it from now on, in every channel of this account.
            listing = (await ana.get("/inbox?channel=questions")).text
            assert "COMPRADORA_FIEL" in listing and f"Comprador {buyer['id']}" not in listing
            chat = (await ana.get(f"/inbox/{chat_thread}")).text
            assert f'href="/inbox/{question_thread}"' in chat.split('aria-label="Comprador"', 1)[1]

        async with httpx.AsyncClient(transport=transport, base_url="http://test") as otra:
            await log_in(otra, "otra@example.com")
            assert (await otra.get(f"/inbox/{question_thread}")).status_code == 404

    asyncio.run(go())
    with transaction(postsale.ctx.sessions) as s:
        names = set(s.scalars(select(Contact.display_name)).all())
    assert "COMPRADORA_FIEL" in names and "OTRO_COMPRADOR" not in names  # only the one opened is named


def test_the_page_works_when_mercado_libre_does_not_answer_about_the_buyer(
    postsale: Connected, market: Market
) -> None:
    create_user(postsale.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")
    order = market.sale("Mochila", nickname="SIN_DATOS")
    ingest_topic(postsale, "messages", market.buyer_writes(order, "<script>alert(1)</script>")["id"])
    chat_thread = thread_id(postsale, "messages", str(market.pack_of(order)))
    sandbox_faults(postsale, error_rate=1.0, error_statuses=[503], path_pattern=r"^/(users|orders/search)")
    try:

        async def go() -> None:
            app = create_app(postsale.ctx.settings, postsale.ctx, durable=False)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
                await log_in(c, "ana@example.com")
                r = await c.get(f"/inbox/{chat_thread}")
                assert r.status_code == 200
                assert "No se pudieron leer sus compras ahora." in r.text
                assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;" in r.text

        asyncio.run(go())
    finally:
        sandbox_faults(postsale)
