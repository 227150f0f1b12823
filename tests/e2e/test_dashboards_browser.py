"""The dashboards in a real browser (Debian's Chromium through Playwright): a question, a handoff, a
post-sale message and two claims go through the running app; each dashboard shows them, its filters
work, its CSV downloads, and a screenshot of each is kept in the run's pytest temporary directory
(`dashboard-screenshots*`, printed; pytest-playwright empties test-results/ when a session starts)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from mostrador.context import build_context
from mostrador.dashboards import rollups
from mostrador.store.models import ClaimRecord, Conversation

from .conftest import World, wait_for
from .test_browser import HANDOFF_QUESTION, login
from .test_postsale_flow import buy, buyer_writes, claim_posts, db

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def fold(world: World) -> None:
    """What the dashboards' schedule does every minute, now (the same database as the app)."""
    ctx = build_context(world.settings)
    try:
        assert rollups.refresh(ctx).ran
    finally:
        ctx.engine.dispose()


def tile(page: Page, key: str) -> str:
    return page.locator(f".tile[data-figure='{key}']").get_attribute("data-value") or ""


def responded_claims(s: Any) -> int:
    return int(s.query(ClaimRecord).filter(ClaimRecord.first_response_at.is_not(None)).count())


@pytest.fixture(scope="module")
def traffic(world: World) -> dict[str, int]:
    """Questions, a post-sale message and claims, handled by the running app."""
    answered = world.ask(world.items[0], "Hola, tenés stock?")
    handed = world.ask(world.items[1], HANDOFF_QUESTION)
    wait_for(lambda: world.answers_for(answered["id"]), timeout=20)
    order = buy(world)
    buyer_writes(world, order, "Hola, ¿cuándo llega?")
    claims = []
    for reason in ("PDD9944", "PNR9501"):
        with world.sandbox() as c:
            r = c.post("/_sandbox/claims", json={"order_id": buy(world)["id"], "reason_id": reason})
            r.raise_for_status()
            claims.append(r.json()["id"])
    for claim_id in claims:  # the demo's bot writes its first response to each
        wait_for(lambda claim_id=claim_id: claim_posts(world, claim_id), timeout=20)
    # Our own record of each first response, not only Mercado Libre's: the send is marked done after
    # its POST returns, so the sandbox can hold the message a moment before we do.
    wait_for(lambda: db(world, responded_claims) >= 2, timeout=20)
    wait_for(lambda: db(world, lambda s: s.query(Conversation).count()) >= 5, timeout=20)
    fold(world)
    return {"answered": answered["id"], "handed": handed["id"], "claims": len(claims)}


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dashboard-screenshots")
    print("dashboard screenshots:", folder)
    return folder


def shot(page: Page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000  # a page, not a blank
    return path


def test_the_claims_dashboard_shows_the_funnel_filters_and_downloads(
    page: Page, world: World, traffic: dict[str, int], shots: Path
) -> None:
    login(page, world)
    page.get_by_role("link", name="Métricas").click()
    expect(page).to_have_url(f"{world.app_url}/dashboards/claims")
    expect(page.get_by_role("heading", name="Reclamos")).to_be_visible()
    assert int(tile(page, "opened")) == traffic["claims"]
    assert int(tile(page, "responded")) == traffic["claims"]  # the bot's first response, once each
    funnel = page.locator("svg[aria-label='Embudo de reclamos']")
    expect(funnel).to_be_visible()
    assert funnel.locator("rect[data-key='opened']").get_attribute("data-value") == str(traffic["claims"])
    reasons = page.locator("[data-table='groups'] td[data-col='reason_id']")
    expect(reasons).to_have_count(2)
    shot(page, shots, "claims")
    # Group by stage with the form; the table follows.
    page.select_option("select[name=group_by]", "stage")
    page.get_by_role("button", name="Ver").click()
    expect(page.locator("[data-table='groups'] h2")).to_have_text("Por etapa")
    expect(page.locator("[data-table='groups'] td[data-col='stage_words']").first).to_have_text("reclamo")
    with page.expect_download() as download:
        page.locator("[data-table='groups'] a.csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [(r["stage"], r["opened"]) for r in rows] == [("claim", str(traffic["claims"]))]


def test_the_questions_dashboard_shows_who_answered_and_why_a_person_got_one(
    page: Page, world: World, traffic: dict[str, int], shots: Path
) -> None:
    login(page, world)
    page.goto(f"{world.app_url}/dashboards/questions")
    assert (int(tile(page, "asked")), int(tile(page, "by_bot"))) == (2, 1)
    assert tile(page, "response_p50") != ""  # the bot's answer has a response time
    expect(page.locator("[data-table='handoffs'] td[data-col='reason_words']")).to_have_text(
        ["pregunta sobre una compra ya hecha"]
    )
    expect(page.locator("svg[aria-label='Quién respondió']")).to_be_visible()
    shot(page, shots, "questions")


def test_the_messages_and_reputation_dashboards_show_the_seller_s_figures(
    page: Page, world: World, traffic: dict[str, int], shots: Path
) -> None:
    login(page, world)
    page.goto(f"{world.app_url}/dashboards/messages")
    assert int(tile(page, "received")) >= 1
    assert (
        int(tile(page, "window_pending")) + int(tile(page, "window_met")) + int(tile(page, "window_missed"))
        >= 1
    )
    expect(page.locator("svg[aria-label='Plazo de 8 horas hábiles']")).to_be_visible()
    shot(page, shots, "messages")
    page.goto(f"{world.app_url}/dashboards/reputation")
    row = page.locator("[data-table='accounts'] tbody tr").first
    expect(row.locator("td[data-col='account']")).to_have_text(world.seller["nickname"])
    expect(row.locator("td[data-col='claims_rate']")).not_to_have_text("—")
    expect(page.locator("[data-table='limits'] td[data-col='site_id']")).to_contain_text(["MLA"])
    shot(page, shots, "reputation")
