"""The claims cockpit in a real browser: the facts, a live countdown, an action that needs a confirmation
and is sent to Mercado Libre once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .conftest import World, wait_for
from .test_browser import login
from .test_postsale_flow import buy, claim_posts

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
SCREENSHOTS = Path("test-results")


def open_claim(world: World, reason_id: str) -> dict[str, Any]:
    order = buy(world)
    with world.sandbox() as c:
        r = c.post("/_sandbox/claims", json={"order_id": order["id"], "reason_id": reason_id})
        r.raise_for_status()
        return {**r.json(), "order": order}


def claim_in_sandbox(world: World, claim_id: int) -> dict[str, Any]:
    with world.sandbox() as c:
        r = c.get(
            f"/post-purchase/v1/claims/{claim_id}",
            headers={"Authorization": f"Bearer {world.seller['access_token']}"},
        )
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]


def test_an_agent_refunds_a_claim_from_the_cockpit_after_confirming(page: Page, world: World) -> None:
    claim = open_claim(world, "PDD9944")  # damaged product: refund, return and partial refund offered
    # The demo's bot answers first; wait for it so the page below is the settled one. Then the buyer
    # writes back: the move is the seller's again, with a deadline (none while the buyer's turn lasts).
    wait_for(lambda: claim_posts(world, claim["id"]), timeout=15)
    with world.sandbox() as c:
        c.post(
            f"/_sandbox/claims/{claim['id']}/buyer_messages", json={"text": "¿Y entonces qué hacemos?"}
        ).raise_for_status()
    login(page, world)
    page.goto(f"{world.app_url}/inbox?channel=claims")
    row = page.locator(f"[data-claim-id='{claim['id']}']").first
    expect(row).to_be_visible(timeout=15_000)
    row.locator("xpath=ancestor::article").locator("a.subject").click()

    cockpit = page.locator(f"dl.claim-facts[data-claim-id='{claim['id']}']")
    expect(cockpit.locator(".claim-reason")).to_contain_text("PDD9944")
    expect(cockpit.locator(".claim-sale")).to_contain_text(claim["order"]["title"])
    countdown = cockpit.locator(".claim-due .due")

    def deadline_shown() -> bool:
        if countdown.count() == 0:
            page.reload()
        return countdown.count() > 0

    wait_for(deadline_shown, timeout=20, interval=0.5)
    # countdown.js rewrites the server's text in the browser: hours and minutes left, coloured by urgency.
    expect(countdown).to_have_text(re.compile(r"^\d+ (d \d+ h|h \d+ min|min)$"))
    expect(countdown).to_have_class(re.compile(r"due-(soon|later)"))

    refund = page.locator("details.claim-action[data-action='refund']")
    refund.locator("summary").click()
    button = refund.get_by_role("button")
    button.click()  # not confirmed: the browser keeps the form (the checkbox is required)
    page.wait_for_timeout(500)
    assert claim_in_sandbox(world, claim["id"])["status"] == "opened"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "claims-cockpit.png"), full_page=True)

    refund.locator("input[name=confirmed]").check()
    button.click()
    # The action stays in the conversation as the agent's, like a message.
    expect(page.locator("li.message-out").last).to_contain_text("Acción: devolver el dinero")
    closed = wait_for(
        lambda: (c := claim_in_sandbox(world, claim["id"]))["status"] == "closed" and c, timeout=20
    )
    assert closed["resolution"]["reason"], closed
    # The cockpit shows the outcome once the claim's webhook comes back; no action is offered any more.
    page.goto(page.url)
    wait_for(
        lambda: page.reload() or "Cerrado" in page.locator("dl.claim-facts .claim-status").inner_text(),
        timeout=20,
        interval=0.5,
    )
    expect(page.locator("details.claim-action")).to_have_count(0)


def test_an_agent_writes_in_a_claim_with_a_photo_attached(page: Page, world: World) -> None:
    claim = open_claim(world, "PDD9944")
    wait_for(lambda: claim_posts(world, claim["id"]), timeout=15)  # the bot's first response
    login(page, world)
    page.goto(f"{world.app_url}/inbox?channel=claims")
    page.locator(f"[data-claim-id='{claim['id']}']").first.locator("xpath=ancestor::article").locator(
        "a.subject"
    ).click()
    form = page.locator("form.reply")
    text = "Te mandamos la foto del producto antes del despacho."
    form.locator("textarea").fill(text)
    photo = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048
    form.locator("input[type=file]").set_input_files(
        [{"name": "foto del despacho.png", "mimeType": "image/png", "buffer": photo}]
    )
    form.get_by_role("button", name="Enviar").click()
    posted = wait_for(lambda: [p for p in claim_posts(world, claim["id"]) if p["text"] == text], timeout=20)
    [remote] = posted[0]["attachments"]
    with world.sandbox() as c:
        r = c.get(
            f"/post-purchase/v1/claims/{claim['id']}/attachments/{remote}/download",
            headers={"Authorization": f"Bearer {world.seller['access_token']}"},
        )
    assert r.content == photo
    # Listed under the message (as named, then as Mercado Libre named it once its copy is read back,
    # which the claim's notification brings); from then on it opens from the inbox.
    expect(page.locator("li.message-out").last).to_contain_text(re.compile(r"foto.del.despacho\.png"))
    link = page.locator("li.message-out a[href*='/files/']")

    def linked() -> bool:
        page.reload()
        return link.count() > 0

    wait_for(linked, timeout=20, interval=0.5)
    opened = page.request.get(f"{world.app_url}{link.first.get_attribute('href')}")
    assert opened.ok and opened.body() == photo
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "claims-reply-with-file.png"), full_page=True)
