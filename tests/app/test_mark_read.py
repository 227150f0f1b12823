"""Opening a post-sale conversation marks it read at Mercado Libre on purpose (§8.1); background reads
(ingest, sweeps) never do, a viewer reading over the team's shoulder does not, and Mercado Libre failing
to take the mark leaves the page working."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select

from mostrador.store.db import transaction
from mostrador.store.models import Conversation
from mostrador.users.roles import Role
from mostrador.users.service import create_user
from mostrador.web.app import create_app

from .conftest import AGENT_PASSWORD, Market, log_in
from .sandbox_grant import Connected, sandbox_faults
from .sandbox_grant import ingest as ingest_topic


def unread_packs(market: Market) -> set[str]:
    r = market.http.get(
        "/messages/unread",
        params={"role": "seller", "tag": "post_sale"},
        headers={"Authorization": f"Bearer {market.seller['access_token']}"},
    )
    r.raise_for_status()
    return {row["resource"].split("/")[2] for row in r.json()["results"]}


def test_opening_a_chat_marks_it_read_and_nothing_else_does(postsale: Connected, market: Market) -> None:
    create_user(postsale.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")
    create_user(postsale.ctx.sessions, "lu@example.com", AGENT_PASSWORD, "Lu", "w", role=Role.VIEWER)
    order = market.sale("Lámpara")
    pack = str(market.pack_of(order))
    ingest_topic(postsale, "messages", market.buyer_writes(order, "Hola, ¿me pasás la factura?")["id"])
    ingest_topic(postsale, "messages", market.buyer_writes(order, "Es para mi empresa")["id"])
    assert pack in unread_packs(market)  # ingest read it without marking it
    with transaction(postsale.ctx.sessions) as s:
        thread_id = s.scalars(select(Conversation.id).where(Conversation.external_key == pack)).one()

    async def go() -> None:
        app = create_app(postsale.ctx.settings, postsale.ctx, durable=False)
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://test") as lu,
            httpx.AsyncClient(transport=transport, base_url="http://test") as ana,
        ):
            await log_in(lu, "lu@example.com")
            await log_in(ana, "ana@example.com")
            assert (await lu.get(f"/inbox/{thread_id}")).status_code == 200
            assert pack in unread_packs(market)  # a viewer's look is not the seller reading it

            sandbox_faults(postsale, error_rate=1.0, error_statuses=[503], path_pattern=r"^/messages/packs/")
            try:
                assert (await ana.get(f"/inbox/{thread_id}")).status_code == 200  # the page still works
            finally:
                sandbox_faults(postsale)
            assert pack in unread_packs(market)

            assert (await ana.get(f"/inbox/{thread_id}")).status_code == 200
            assert pack not in unread_packs(market)

            # A new message while the page is open: its live refresh does not mark it (nobody may be
            # looking at a background tab); opening the conversation does.
            await asyncio.to_thread(
                ingest_topic, postsale, "messages", market.buyer_writes(order, "¿Me confirmás?")["id"]
            )
            assert pack in unread_packs(market)
            live = await ana.get(f"/inbox/{thread_id}", headers={"X-Mostrador-Live": "1"})
            assert live.status_code == 200 and pack in unread_packs(market)
            assert (await ana.get(f"/inbox/{thread_id}")).status_code == 200
            assert pack not in unread_packs(market)

    asyncio.run(go())
