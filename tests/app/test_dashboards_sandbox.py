"""The dashboards over what really happened in the sandbox: claims opened, answered by the bot, sent to
a dispute and closed for either side; questions answered by the bot or handed to a person, one of
them followed by an order that the orders job reads back; and the reputation forecast from the
seller's `seller_reputation.metrics` as the sandbox reports them. Each figure is checked against
what the test did or reads from the sandbox itself."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mostrador.bot import BotConfig
from mostrador.dashboards import rollups, sales
from mostrador.store.db import transaction
from mostrador.store.models import Account
from mostrador.users.roles import Role
from mostrador.users.service import create_user

from .conftest import AGENT_PASSWORD, Market
from .sandbox_grant import Connected, deliver, ingest, run_in_worker_context


def auto_bot(postsale: Connected) -> None:
    with transaction(postsale.ctx.sessions) as s:
        account = s.get(Account, postsale.account_id)
        assert account is not None
        account.bot_config = BotConfig.from_data({"mode": "auto"}).model_dump(mode="json")


def seller_get(market: Market, path: str) -> Any:
    r = market.http.get(path, headers={"Authorization": f"Bearer {market.seller['access_token']}"})
    r.raise_for_status()
    return r.json()


def ask(market: Market, item_id: str, text: str, nickname: str) -> tuple[dict[str, Any], dict[str, Any]]:
    buyer = market.http.post(
        "/_sandbox/users", json={"nickname": nickname, "site_id": "MLA", "role": "buyer"}
    )
    buyer.raise_for_status()
    question = market.http.post(
        "/questions",
        json={"item_id": item_id, "text": text},
        headers={"Authorization": f"Bearer {buyer.json()['access_token']}"},
    )
    question.raise_for_status()
    return buyer.json(), question.json()


def listing(market: Market, title: str) -> str:
    r = market.http.post(
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
        headers={"Authorization": f"Bearer {market.seller['access_token']}"},
    )
    r.raise_for_status()
    return str(r.json()["id"])


@pytest.fixture
def viewer(postsale: Connected) -> Iterator[httpx.Client]:
    """A viewer of the seller's workspace, logged into the app served on a loopback port."""
    from mostrador.cli.servers import ServerThread
    from mostrador.web.app import create_app

    create_user(postsale.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")
    create_user(postsale.ctx.sessions, "vera@example.com", AGENT_PASSWORD, "Vera", "w", Role.VIEWER)
    server = ServerThread(
        create_app(postsale.ctx.settings, postsale.ctx, durable=False), name="dash-app"
    ).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            page = client.get("/login").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            form = {"email": "vera@example.com", "password": AGENT_PASSWORD, "csrf_token": csrf}
            assert client.post("/login", data=form).status_code == 303
            yield client
    finally:
        server.stop()


def tiles(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="(\w+)" data-value="([^"]*)"', html))


def csv_of(client: httpx.Client, url: str) -> list[dict[str, str]]:
    r = client.get(url)
    assert r.status_code == 200, r.text[:300]
    return list(csv.DictReader(io.StringIO(r.text)))


def test_claims_worked_in_the_sandbox_add_up_on_the_claims_dashboard(
    postsale: Connected, market: Market, viewer: httpx.Client
) -> None:
    auto_bot(postsale)
    story = [  # reason, what happens after the bot's first response
        ("PDD9944", "open"),
        ("PNR9501", "dispute"),
        ("PDD9939", "for_seller"),
        ("PDD9944", "for_buyer"),
        ("PDD9943", "dispute_then_for_buyer"),
    ]
    opened = []
    for n, (reason, then) in enumerate(story):
        claim = market.open_claim(market.sale(nickname=f"RECLAMANTE{n}"), reason_id=reason)
        plan = ingest(postsale, "post_purchase", claim["id"])
        if plan.reply_id is not None:
            assert deliver(postsale, plan.reply_id) == "sent"
        if "dispute" in then:
            market.advance_claim(claim["id"], stage="dispute")
        if "for_seller" in then:
            market.advance_claim(
                claim["id"], status="closed", resolution="product_delivered", benefited="respondent"
            )
        if "for_buyer" in then:
            market.advance_claim(
                claim["id"], status="closed", resolution="payment_refunded", benefited="complainant"
            )
        ingest(postsale, "post_purchase", claim["id"])
        opened.append((claim["id"], reason, then))
    rollups.refresh(postsale.ctx)

    # What the sandbox says, read with the seller's token: the test's own count of each figure.
    seen = {cid: seller_get(market, f"/post-purchase/v1/claims/{cid}") for cid, _, _ in opened}
    affects = {
        cid: seller_get(market, f"/post-purchase/v1/claims/{cid}/affects-reputation")["affects_reputation"]
        for cid, _, _ in opened
    }
    posted = {e["claim_id"] for e in market.log("claim_messages") if e.get("sender_role") == "respondent"}
    closed = [c for c in seen.values() if c["status"] == "closed"]
    expected = {
        "opened": len(opened),
        "responded": sum(str(cid) in {str(p) for p in posted} for cid, _, _ in opened),
        "disputed": sum("dispute" in then for _, _, then in opened),
        "closed": len(closed),
        "for_seller": sum(c["resolution"]["benefited"] == ["respondent"] for c in closed),
        "for_buyer": sum(c["resolution"]["benefited"] == ["complainant"] for c in closed),
        "affected": sum(v == "affected" for v in affects.values()),
        "due_met": len(closed),
        "due_missed": 0,
        "due_pending": len(opened) - len(closed),
    }
    assert expected["responded"] == len(opened)  # the bot's first response went out for every one
    shown = tiles((viewer.get("/dashboards/claims")).text)
    assert {k: int(shown[k]) for k in expected} == expected
    rows = csv_of(viewer, "/dashboards/claims.csv?group_by=reason")
    assert {r["reason_id"]: int(r["opened"]) for r in rows} == dict(
        Counter(reason for _, reason, _ in opened)
    )
    stages = csv_of(viewer, "/dashboards/claims.csv?group_by=stage")
    assert {r["stage"]: int(r["opened"]) for r in stages} == dict(Counter(c["stage"] for c in seen.values()))


def test_questions_answered_handed_off_and_sold_in_the_sandbox(
    postsale: Connected, market: Market, viewer: httpx.Client
) -> None:
    auto_bot(postsale)
    item = listing(market, "Termo de acero 1 litro")
    buyer, stock = ask(market, item, "Hola, tenés stock?", "PREGUNTA1")
    _, order_matter = ask(
        market, item, "Ya te compré la semana pasada y no me llegó, cuándo lo despachan?", "PREGUNTA2"
    )
    for question in (stock, order_matter):
        plan = ingest(postsale, "questions", question["id"])
        if plan.reply_id is not None:
            assert deliver(postsale, plan.reply_id) == "sent"
    answers = {int(e["question_id"]) for e in market.log("answers")}
    assert int(stock["id"]) in answers and int(order_matter["id"]) not in answers
    # The first buyer buys what they asked about; the orders job reads it from the order search.
    market.http.post("/_sandbox/orders", json={"buyer_id": buyer["id"], "item_id": item}).raise_for_status()
    rollups.refresh(postsale.ctx)
    became = run_in_worker_context(postsale, lambda ctx: sales.fetch(ctx, postsale.account_id))
    assert became == 1
    shown = tiles((viewer.get("/dashboards/questions")).text)
    assert {k: int(shown[k]) for k in ("asked", "answered", "by_bot", "unanswered", "sold")} == {
        "asked": 2,
        "answered": 1,
        "by_bot": 1,
        "unanswered": 1,
        "sold": 1,
    }
    handoffs = csv_of(viewer, "/dashboards/questions.csv?table=handoffs")
    assert [(r["reason"], r["reason_words"], r["count"]) for r in handoffs] == [
        ("order_matter", "pregunta sobre una compra ya hecha", "1")
    ]
    shown_text = re.sub(r"<[^>]+>", " ", viewer.get("/dashboards/questions").text)  # what a person reads
    assert "pregunta sobre una compra ya hecha" in shown_text and "order_matter" not in shown_text


def test_the_reputation_forecast_adds_each_open_claim_that_affects_reputation(
    postsale: Connected, market: Market, viewer: httpx.Client
) -> None:
    for n in range(6):  # sales without claims, so the rate is a fraction of something
        market.sale(nickname=f"COMPRADOR{n}")
    claims = [
        market.open_claim(market.sale(nickname=f"RECLAMANTE{n}"), reason_id=r)["id"]
        for n, r in enumerate(("PDD9944", "PNR9501"))
    ]
    for cid in claims:
        ingest(postsale, "post_purchase", cid)
    user = seller_get(market, f"/users/{market.seller['id']}")
    metric = user["seller_reputation"]["metrics"]["claims"]
    affecting = [
        cid
        for cid in claims
        if seller_get(market, f"/post-purchase/v1/claims/{cid}/affects-reputation")["affects_reputation"]
        == "affected"
    ]
    assert metric["value"] >= 1 and affecting
    base = metric["value"] / metric["rate"]  # the sales Mercado Libre's rate is over
    accounts = csv_of(viewer, "/dashboards/reputation.csv")
    [mine] = accounts
    assert float(mine["claims_rate"]) == pytest.approx(metric["rate"], abs=1e-4)
    assert int(mine["claims_value"]) == metric["value"] and int(mine["open_affecting"]) == len(affecting)
    assert float(mine["rate_if_all_lost"]) == pytest.approx(
        (metric["value"] + len(affecting)) / base, abs=1e-4
    )
    rows = csv_of(viewer, "/dashboards/reputation.csv?table=open_claims")
    assert sorted(r["claim_id"] for r in rows) == sorted(str(c) for c in affecting)
    for n, row in enumerate(rows, start=1):
        assert float(row["rate_if_lost"]) == pytest.approx((metric["value"] + 1) / base, abs=1e-4)
        assert float(row["rate_if_all_so_far_lost"]) == pytest.approx((metric["value"] + n) / base, abs=1e-4)
    # MLA's published limits (docs/dashboards.md), in words next to the rate.
    limits = [(0.01, "verde (MercadoLíder)"), (0.015, "verde"), (0.03, "amarillo"), (0.06, "naranja")]
    assert mine["band"] == next((name for top, name in limits if metric["rate"] <= top), "rojo")
    page = (viewer.get("/dashboards/reputation")).text
    assert "global-selling.mercadolibre.com/help" in page
    # Read once and kept for an hour: another view shows the same read, even after more claims.
    read_at = mine["read_at"]
    market.open_claim(market.sale(nickname="OTRO"), reason_id="PDD9944")
    [again] = csv_of(viewer, "/dashboards/reputation.csv")
    assert (again["read_at"], again["claims_value"]) == (read_at, mine["claims_value"])
