"""The inbox and the accounts page in a real browser (Debian's Chromium through Playwright)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from mostrador import i18n

from .conftest import World, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
HANDOFF_QUESTION = "Ya te compré la semana pasada y todavía no me llegó nada, cuándo lo despachan?"


def login(page: Page, world: World) -> None:
    page.goto(f"{world.app_url}/inbox")
    expect(page).to_have_url(f"{world.app_url}/login?next=/inbox")
    page.fill("input[name=email]", world.login[0])
    page.fill("input[name=password]", world.login[1])
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Preguntas")).to_be_visible()


def test_browser_version_is_reported(browser: object) -> None:
    # Debian security updates move Chromium's major version; keep it visible in the test log.
    print("chromium", browser.version)  # type: ignore[attr-defined]


def test_wrong_password_is_refused(page: Page, world: World) -> None:
    page.goto(f"{world.app_url}/login")
    page.fill("input[name=email]", world.login[0])
    page.fill("input[name=password]", "definitely-not-it")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("incorrectos")


def test_question_appears_live_with_the_bot_answer(page: Page, world: World) -> None:
    login(page, world)
    item = world.items[0]
    question = world.ask(item, "Hola, tenés stock? hacen factura?")
    thread = page.locator(f"[data-question-id='{question['id']}']")
    expect(thread).to_be_visible(timeout=15_000)  # the list refreshes itself
    expect(thread).to_contain_text("tenés stock?")


def test_agent_answers_a_handed_off_question(page: Page, world: World) -> None:
    login(page, world)
    # A matter of an order already made: the bot must hand it to a person (intents.md: order_status).
    question = world.ask(world.items[1], HANDOFF_QUESTION)
    row = page.locator(f"[data-question-id='{question['id']}']")
    expect(row).to_contain_text("Sin responder", timeout=15_000)
    assert world.answers_for(question["id"]) == []
    row.locator("xpath=ancestor::article").locator("a.subject").click()
    form = page.locator(f"[data-question-id='{question['id']}'] form.answer")
    form.locator("textarea").fill("Sí, lo enviamos con envoltorio de regalo sin costo.")
    form.get_by_role("button", name="Responder").click()
    wait_for(lambda: world.answers_for(question["id"]), timeout=15)
    assert world.answers_for(question["id"])[0]["text"].startswith("Sí, lo enviamos")


def test_agent_answer_with_contact_data_is_blocked(page: Page, world: World) -> None:
    login(page, world)
    question = world.ask(world.items[2], HANDOFF_QUESTION)
    row = page.locator(f"[data-question-id='{question['id']}']")
    expect(row).to_contain_text("Sin responder", timeout=15_000)
    row.locator("xpath=ancestor::article").locator("a.subject").click()
    form = page.locator(f"[data-question-id='{question['id']}'] form.answer")
    form.locator("textarea").fill("Escribinos al 11 4567-8901 o a ventas@tienda.com")
    form.get_by_role("button", name="Responder").click()
    expect(page.locator("p.error[role=alert]")).to_contain_text("reglas de Mercado Libre")
    assert world.answers_for(question["id"]) == []


def _in(locale: str, msgid: str) -> str:
    """A page word as the catalogs write it in `locale` (docs/i18n.md)."""
    with i18n.using(locale):
        return i18n.gettext(msgid)


def test_the_inbox_in_portuguese_then_in_the_person_s_own_english(browser: Browser, world: World) -> None:
    """A Brazilian browser gets every page in Portuguese — login, inbox, a handed-off question, the
    guard's refusal, dates — and a person who picks English on their account page keeps it whatever
    the browser asks for. The buyer's words are never translated."""
    context = browser.new_context(locale="pt-BR")
    try:
        page = context.new_page()
        page.goto(f"{world.app_url}/inbox")
        expect(page.locator("html")).to_have_attribute("lang", "pt")
        expect(page.get_by_role("heading", name=_in("pt", "Ingresar"))).to_be_visible()  # "Entrar"
        page.fill("input[name=email]", world.login[0])
        page.fill("input[name=password]", world.login[1])
        page.get_by_role("button", name=_in("pt", "Ingresar")).click()
        nav = page.locator("header.top nav")
        expect(nav).to_contain_text("Caixa de entrada")
        expect(nav).not_to_contain_text("Bandeja")

        question = world.ask(world.items[4], HANDOFF_QUESTION)
        row = page.locator(f"[data-question-id='{question['id']}']")
        expect(row).to_contain_text(_in("pt", "Sin responder"), timeout=15_000)
        expect(row).to_contain_text("todavía no me llegó nada")  # the buyer's own words, as written
        when = row.locator(".when").first.inner_text()
        assert re.fullmatch(r"\d{1,2}/\d{1,2} \d{2}:\d{2}", when), when  # day first, 24 h

        row.locator("xpath=ancestor::article").locator("a.subject").click()
        form = page.locator(f"[data-question-id='{question['id']}'] form.answer")
        form.locator("textarea").fill("Escreva para 11 4567-8901 ou vendas@loja.com")
        form.get_by_role("button", name=_in("pt", "Responder")).click()
        alert = page.locator("p.error[role=alert]")
        expect(alert).to_contain_text("regras do Mercado Livre")
        expect(alert).not_to_contain_text("reglas de Mercado Libre")
        assert world.answers_for(question["id"]) == []

        page.goto(f"{world.app_url}/account/password")
        page.select_option("select[name=locale]", "en")
        page.get_by_role("button", name=_in("pt", "Guardar")).click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.goto(f"{world.app_url}/inbox")
        expect(nav).to_contain_text("Inbox")  # the person's choice beats the browser's pt-BR
        expect(page.locator(f"[data-question-id='{question['id']}']")).to_contain_text(
            _in("en", "Sin responder")
        )
        when = page.locator(f"[data-question-id='{question['id']}'] .when").first.inner_text()
        assert re.fullmatch(r"\d{1,2}/\d{1,2} \d{1,2}:\d{2}\s?[AP]M", when), when  # month first, 12 h

        page.goto(f"{world.app_url}/account/password")  # back to the browser's: the next test's pages
        page.select_option("select[name=locale]", "")
        page.get_by_role("button", name=_in("en", "Guardar")).click()
        expect(page.locator("html")).to_have_attribute("lang", "pt")
    finally:
        context.close()


def test_accounts_page_shows_health_truthfully(page: Page, world: World) -> None:
    login(page, world)
    question = world.ask(world.items[3], "tenés stock?")
    wait_for(lambda: world.answers_for(question["id"]), timeout=15)
    page.goto(f"{world.app_url}/accounts")
    row = page.locator("tr.account").first
    expect(row).to_contain_text(world.seller["nickname"])
    expect(row.locator(".token")).to_contain_text("Token válido")
    expect(row.locator(".flow")).to_contain_text("Llegando")
    # The seller revokes the app in Mercado Libre. A revoked app gets no more webhooks, so the safety
    # net (scheduled, or "Revisar ahora") is what calls the API, finds out, and says so.
    with httpx.Client(base_url=world.sandbox_url) as c:
        r = c.delete(
            f"/users/{world.seller['id']}/applications/{world.settings.meli_client_id}",
            headers={"Authorization": f"Bearer {world.seller['access_token']}"},
        )
        assert r.status_code == 200, r.text
    page.get_by_role("button", name="Revisar ahora").click()

    def revoked_shown() -> bool:
        page.reload()
        return "revocada" in page.locator("tr.account .token").first.inner_text()

    wait_for(revoked_shown, timeout=20, interval=0.5)
    expect(page.locator("tr.account").first.get_by_role("link", name="Reconectar")).to_be_visible()
    # The run that found it says so (another scheduled run, e.g. a dashboards fold, may be listed above it).
    expect(page.locator("tr.run.run-failed").first).to_be_visible()
