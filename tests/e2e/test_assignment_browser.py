"""Two agents of one workspace in two real browsers: one sees the other arrive and type (presence), the
conversation is assigned and taken over from the bot and both pages show it live, the bot stays silent
on the buyer's next question, and the second agent's answer — from a page that still offered the form —
is stopped before sending with a clear message. Screenshots go to test-results/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from mostrador.store.db import make_engine, make_sessionmaker
from mostrador.users.roles import Role
from mostrador.users.service import create_user

from .conftest import World, running_world

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
SCREENSHOTS = Path("test-results")
HANDOFF_QUESTION = "Ya te compré la semana pasada y todavía no me llegó nada, cuándo lo despachan?"
BETO = ("beto@example.com", "beto-secret-password-1")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, model_cache_dir: Path) -> Iterator[World]:
    with running_world(
        tmp_path_factory.mktemp("assign"),
        model_cache_dir,
        inbox_events_fallback_poll_s=3600.0,  # what changes on a page changes because of an event
        presence_heartbeat_s=2.0,
    ) as w:
        engine = make_engine(w.settings.resolved_database_url)
        create_user(make_sessionmaker(engine), BETO[0], BETO[1], "Beto", "Demo", Role.AGENT)
        engine.dispose()
        yield w


def log_in(page: Page, world: World, who: tuple[str, str], path: str, live: bool = True) -> None:
    page.goto(f"{world.app_url}/login?next={path}")
    page.fill("input[name=email]", who[0])
    page.fill("input[name=password]", who[1])
    page.click("button[type=submit]")
    if live:
        page.wait_for_function("() => window.mostradorLive && window.mostradorLive.state === 'live'")


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_two_agents_assignment_takeover_presence_and_no_second_answer(browser: Browser, world: World) -> None:
    item = world.items[0]
    question = world.ask(item, HANDOFF_QUESTION)  # the bot hands it to a person
    ana = browser.new_context(locale="es-AR").new_page()
    beto = browser.new_context(locale="es-AR").new_page()
    # Beto's other tab: never refreshes. Every page asks for Spanish, the language asserted here.
    stale = browser.new_context(locale="es-AR", java_script_enabled=False).new_page()

    log_in(ana, world, world.login, "/inbox")
    row = ana.locator(f"[data-question-id='{question['id']}']")
    expect(row).to_contain_text("Sin responder", timeout=15_000)
    row.locator("xpath=ancestor::article").locator("a.subject").click()
    ana.wait_for_function("() => window.mostradorLive && window.mostradorLive.state === 'live'")
    conversation = ana.url.removeprefix(world.app_url)
    log_in(beto, world, BETO, conversation)
    log_in(stale, world, BETO, conversation, live=False)

    # Presence: Ana sees Beto arrive, and then type.
    expect(ana.locator("#presence")).to_contain_text("Beto está viendo esta conversación", timeout=15_000)
    beto_box = beto.locator(f"[data-question-id='{question['id']}'] textarea")
    beto_box.click()
    beto_box.press_sequentially("Hola! Te cuento que")
    expect(ana.locator("#presence")).to_contain_text("Beto está escribiendo", timeout=15_000)
    shot(ana, "assign-presence-typing.png")

    # Assignment: Ana gives it to Beto; Beto's page shows it without a reload.
    ana.locator("form.assign select").select_option(label="Beto")
    ana.locator("form.assign button").click()
    expect(beto.locator(".ownership .assignee")).to_contain_text("Asignada a Beto", timeout=15_000)

    # Takeover: Ana takes it from the bot; Beto sees it taken, live.
    ana.locator("form.takeover button").click()
    expect(ana.locator(".ownership .taken")).to_contain_text("La tomaste vos")
    expect(beto.locator(".ownership .taken")).to_contain_text("Tomada por Demo admin", timeout=15_000)
    expect(beto_box).to_have_value("Hola! Te cuento que")  # his typing survived the refresh
    shot(beto, "assign-taken-by-colleague.png")

    # The bot stays silent in the taken conversation: the buyer's next question waits for a person.
    follow_up = world.ask(item, "Hola, tenés stock?")
    waiting = ana.locator(f"[data-question-id='{follow_up['id']}'] form.answer")
    expect(waiting).to_be_visible(timeout=15_000)
    assert world.answers_for(follow_up["id"]) == []

    # Ana answers the first question; Beto's live page shows her answer in place of his form.
    ana_box = ana.locator(f"[data-question-id='{question['id']}'] textarea")
    ana_box.fill("Hola! Sale hoy por correo, te paso el seguimiento apenas lo tenga.")
    ana.locator(f"[data-question-id='{question['id']}'] form.answer button[type=submit]").click()
    answered = beto.locator(f"[data-question-id='{question['id']}'] .a")
    expect(answered).to_contain_text("Sale hoy por correo", timeout=15_000)
    expect(beto.locator(f"[data-question-id='{question['id']}'] textarea")).to_have_count(0)

    # His other tab still offers the form: submitting it is stopped before anything is sent.
    stale.fill(f"[data-question-id='{question['id']}'] textarea", "Hola! Ya lo despachamos.")
    stale.click(f"[data-question-id='{question['id']}'] form.answer button[type=submit]")
    alert = stale.locator("[role=alert]")
    expect(alert).to_contain_text("Mientras escribías, Demo admin respondió esta pregunta")
    expect(alert).to_contain_text("Tu respuesta no se envió")
    shot(stale, "assign-second-answer-stopped.png")
    for _ in range(100):
        sent = world.answers_for(question["id"])
        if sent:
            break
        ana.wait_for_timeout(150)
    assert [a["text"] for a in sent] == ["Hola! Sale hoy por correo, te paso el seguimiento apenas lo tenga."]
