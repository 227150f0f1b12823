"""The inbox goes live in a real browser: a question asked in the sandbox appears in an open inbox, and in
an open conversation, because the page heard an event on /inbox/events — polling is made impossible
here (the fallback polls once an hour, and nothing else polls) — and what the agent is typing survives.
Screenshots go to test-results/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .conftest import World, running_world

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
SCREENSHOTS = Path("test-results")
HANDOFF_QUESTION = "Ya te compré la semana pasada y todavía no me llegó nada, cuándo lo despachan?"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, model_cache_dir: Path) -> Iterator[World]:
    with running_world(
        tmp_path_factory.mktemp("live"), model_cache_dir, inbox_events_fallback_poll_s=3600.0
    ) as w:
        yield w


def live(page: Page) -> dict[str, Any]:
    return page.evaluate("() => ({...window.mostradorLive})")  # type: ignore[no-any-return]


def open_live(page: Page, world: World, path: str = "/inbox") -> None:
    """Log in, land on `path`, and wait until its event stream is open."""
    page.goto(f"{world.app_url}/login?next={path}")
    page.fill("input[name=email]", world.login[0])
    page.fill("input[name=password]", world.login[1])
    page.click("button[type=submit]")
    page.wait_for_function("() => window.mostradorLive && window.mostradorLive.state === 'live'")


def test_a_question_appears_in_the_open_inbox_because_of_an_event(page: Page, world: World) -> None:
    open_live(page, world)
    assert page.locator("[hx-trigger*='every']").count() == 0  # nothing on the page polls by itself
    assert page.locator("body").get_attribute("data-live-fallback-ms") == "3600000"
    before = live(page)
    question = world.ask(world.items[0], "Hola, tenés stock? <b>hacen factura</b>?")
    row = page.locator(f"[data-question-id='{question['id']}']")
    expect(row).to_be_visible(timeout=15_000)
    expect(row).to_contain_text("<b>hacen factura</b>?")  # the buyer's text, shown as text
    after = live(page)
    assert after["events"] > before["events"] and after["refreshes"] > before["refreshes"]
    assert after["polls"] == 0 and after["state"] == "live"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "inbox-live-question.png"), full_page=True)


def test_an_open_conversation_shows_the_buyer_s_next_question_and_keeps_the_agent_s_typing(
    page: Page, world: World
) -> None:
    first = world.ask(world.items[1], HANDOFF_QUESTION)  # the bot hands it to a person
    open_live(page, world)
    row = page.locator(f"[data-question-id='{first['id']}']")
    expect(row).to_contain_text("Sin responder", timeout=15_000)
    row.locator("xpath=ancestor::article").locator("a.subject").click()
    page.wait_for_function("() => window.mostradorLive && window.mostradorLive.state === 'live'")
    box = page.locator(f"[data-question-id='{first['id']}'] textarea")
    box.click()
    box.fill("Hola! Lo despachamos hoy, te paso el seguimiento")
    box.press("End")
    heard = live(page)["events"]
    # The same buyer asks again about the same item: the same thread, so an event for this page.
    second = world.ask(world.items[1], "Y me confirmás si viene con factura A?")
    expect(page.locator(f"[data-question-id='{second['id']}']")).to_be_visible(timeout=15_000)
    assert live(page)["events"] > heard and live(page)["polls"] == 0
    expect(box).to_have_value("Hola! Lo despachamos hoy, te paso el seguimiento")
    expect(box).to_be_focused()
    box.press_sequentially(" mañana.")  # the caret stayed at the end of the text
    expect(box).to_have_value("Hola! Lo despachamos hoy, te paso el seguimiento mañana.")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "conversation-live-keeps-typing.png"), full_page=True)


def test_the_composer_inserts_a_template_checks_while_typing_and_answers_every_waiting_question(
    page: Page, world: World
) -> None:
    item = world.items[2]
    asked = [
        world.ask(item, HANDOFF_QUESTION),
        world.ask(item, "Te compré el martes y todavía no me llegó el paquete, ya lo despacharon?"),
    ]
    open_live(page, world)
    row = page.locator(f"[data-question-id='{asked[1]['id']}']")
    expect(row).to_contain_text("Sin responder", timeout=15_000)
    row.locator("xpath=ancestor::article").locator("a.subject").click()
    form = page.locator("form.answer-all")
    expect(form).to_be_visible(timeout=15_000)
    box = form.locator("textarea")
    box.fill("Mandame un mail a ventas@example.com")
    expect(form.locator("[data-check-output] [role=alert]")).to_be_visible(timeout=10_000)
    box.fill("")
    form.locator("select.template-picker").select_option(label="Precio y stock")
    expect(box).to_have_value("¡Hola! Sale {price} y tenemos {stock} disponibles, {free_shipping}.")
    expect(form.locator("[data-check-output]")).to_contain_text("Cumple", timeout=10_000)
    expect(form.locator("[data-check-output]")).to_contain_text("{price}")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "composer-template-and-check.png"), full_page=True)
    form.locator("button[type=submit]").click()
    with world.sandbox() as c:
        price = c.get(f"/items/{item}").json()["price"]
    for question in asked:
        for _ in range(100):
            sent = world.answers_for(question["id"])
            if sent:
                break
            page.wait_for_timeout(150)
        assert len(sent) == 1, sent
        text = sent[0]["text"]
        assert (
            "{" not in text
            and text.startswith("¡Hola! Sale $ ")
            and f"{int(price):,}".replace(",", ".") in text
        )
