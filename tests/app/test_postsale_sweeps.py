"""Post-sale safety nets: unread packs (§8.5), open claims (§9.2), missed feeds of every channel topic."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from sqlalchemy import select

from mostrador.channels.registry import TOPICS, channel_named
from mostrador.reconciliation import sweeps as nets
from mostrador.store.db import transaction
from mostrador.store.models import Conversation, Notification, SyncRun

from ..waiting import wait_for
from .conftest import AGENT_PASSWORD, Market
from .sandbox_grant import Connected, ingest, run_in_worker_context


def notifications(postsale: Connected, topic: str) -> list[Notification]:
    with transaction(postsale.ctx.sessions) as s:
        rows = s.scalars(
            select(Notification).where(Notification.topic == topic).order_by(Notification.id)
        ).all()
        s.expunge_all()
        return list(rows)


def work_through(postsale: Connected, rows: list[Notification]) -> None:
    """What the dispatcher's workflow does with each recorded notification: the channel's ingest."""
    for row in rows:
        assert row.resource_id
        ingest(postsale, row.topic, row.resource_id)


def sweeper(postsale: Connected, channel: str) -> Any:
    """One channel's sweep of the seller's account, as the reconciliation schedule runs it."""
    return lambda ctx: nets.sweep_account(ctx, postsale.account_id, channel_named(channel))


def runs(postsale: Connected, kind: str) -> list[tuple[str, int]]:
    with transaction(postsale.ctx.sessions) as s:
        found = s.scalars(select(SyncRun).where(SyncRun.kind == kind).order_by(SyncRun.id)).all()
        return [(r.status, r.found) for r in found]


def recorded_texts(postsale: Connected, channel: str) -> list[str]:
    with transaction(postsale.ctx.sessions) as s:
        convs = s.scalars(select(Conversation).where(Conversation.channel == channel)).all()
        return [m.text for c in convs for m in c.messages if m.direction == "in" and m.author != "system"]


def test_a_message_whose_webhook_was_dropped_is_recovered_by_the_unread_packs_sweep(
    postsale: Connected, market: Market
) -> None:
    market.drop_webhooks()
    order = market.sale()
    market.buyer_writes(order, "Hola, ¿lo puedo retirar hoy?")
    latest = market.buyer_writes(order, "Estoy en Palermo")
    sweep = sweeper(postsale, "messages")

    assert run_in_worker_context(postsale, sweep) == 1  # one pack with unseen messages
    [row] = notifications(postsale, "messages")
    assert (row.source, row.resource_id) == ("sweep", latest["id"])
    assert run_in_worker_context(postsale, sweep) == 0, "a notification on its way is not unseen"
    work_through(postsale, [row])
    assert sorted(recorded_texts(postsale, "messages")) == [
        "Estoy en Palermo",
        "Hola, ¿lo puedo retirar hoy?",
    ]
    assert run_in_worker_context(postsale, sweep) == 0, (
        "everything in the pack is recorded now (and still unread for the seller)"
    )
    assert runs(postsale, "sweep_messages") == [("ok", 1), ("ok", 0), ("ok", 0)]


def test_an_opened_claim_whose_webhook_was_dropped_is_recovered_by_the_open_claims_sweep(
    postsale: Connected, market: Market
) -> None:
    market.drop_webhooks()
    order = market.sale()
    claim = market.open_claim(order, reason_id="PNR9501")
    sweep = sweeper(postsale, "claims")

    assert run_in_worker_context(postsale, sweep) == 1
    [row] = notifications(postsale, "post_purchase")
    assert (row.source, row.resource_id) == ("sweep", str(claim["id"]))
    work_through(postsale, [row])
    assert run_in_worker_context(postsale, sweep) == 0, "recorded as it is now"

    # A buyer message in the claim whose claims_actions webhook was dropped changes the claim: swept again.
    market.buyer_writes_in_claim(claim["id"], "¿Y mi paquete?")
    with transaction(postsale.ctx.sessions) as s:  # the earlier notification is long done
        for n in s.scalars(select(Notification)):
            n.received_at = n.received_at.replace(year=n.received_at.year - 1)
    assert run_in_worker_context(postsale, sweep) == 1
    work_through(postsale, notifications(postsale, "post_purchase")[1:])
    assert recorded_texts(postsale, "claims") == ["¿Y mi paquete?"]
    assert [status for status, _ in runs(postsale, "sweep_claims")] == ["ok", "ok", "ok"]


def test_missed_feeds_recovers_a_messages_notification_that_never_got_a_200(
    postsale: Connected, market: Market
) -> None:
    assert set(TOPICS) >= {"questions", "messages", "post_purchase", "claims"}
    order = market.sale()
    message = market.buyer_writes(order, "¿Me mandás la factura?")

    def missed() -> bool:
        market.http.post("/_sandbox/clock", json={"advance_s": 600})  # the callback is down: retries fail
        views = market.http.get("/_sandbox/notifications", params={"topic": "messages"}).json()
        return any(v["status"] == "missed" for v in views)

    wait_for(missed, timeout=30, interval=0.05)
    assert run_in_worker_context(postsale, nets.reconcile_missed_feeds) == 1
    [row] = notifications(postsale, "messages")
    assert (row.source, row.resource_id) == ("missed_feeds", message["id"])
    assert run_in_worker_context(postsale, nets.reconcile_missed_feeds) == 0


def test_every_sweep_is_recorded_and_shown_with_a_spanish_label(postsale: Connected, market: Market) -> None:
    market.drop_webhooks()
    order = market.sale()
    market.buyer_writes(order, "hola")
    market.open_claim(market.sale(nickname="OTRO_COMPRADOR"))
    totals = run_in_worker_context(postsale, nets.run_all)
    assert totals["failed"] == 0 and totals["swept"] == 2
    page = asyncio.run(_accounts_page(postsale))
    for label in ("Avisos perdidos", "Preguntas sin responder", "Mensajes sin leer", "Reclamos abiertos"):
        assert label in page
    assert re.search(
        r'data-kind="sweep_messages"><td>Mensajes sin leer</td>\s*<td>[^<]+</td><td>[^<]+</td><td>1</td>',
        page,
    )


async def _accounts_page(postsale: Connected) -> str:
    from mostrador.users.service import create_user
    from mostrador.web.app import create_app

    create_user(postsale.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")
    app = create_app(postsale.ctx.settings, postsale.ctx, durable=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        login = await client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]
        r = await client.post(
            "/login", data={"email": "ana@example.com", "password": AGENT_PASSWORD, "csrf_token": csrf}
        )
        assert r.status_code == 303
        page = await client.get("/accounts")
        assert page.status_code == 200
        return page.text
