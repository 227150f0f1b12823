"""The settings and administration pages in Portuguese and English (docs/i18n.md), through the real app:
each page follows the browser's `Accept-Language` (Spanish with none), a person's own choice beats the
browser's on every page after it, and the pages before logging in (login, invitation, password reset)
follow the browser. Spanish stays the default: the other tests of these pages assert it."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from mostrador import i18n
from mostrador.context import AppContext
from mostrador.store import audit
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.users.roles import ROLES, Role
from mostrador.users.service import create_user
from mostrador.web.app import create_app

from .conftest import AGENT_PASSWORD, log_in

BROWSER = {"es": {}, "pt": {"Accept-Language": "pt-BR,pt;q=0.9"}, "en": {"Accept-Language": "en-US,en;q=0.8"}}
LINK = re.compile(r"(INVITE|PASSWORD RESET) LINK for (\S+): http://\S+/(invite|password/reset)/(\S+)")


@pytest.fixture
def app(ctx: AppContext, agent_email: str) -> FastAPI:
    return create_app(ctx.settings, ctx, durable=False)


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
async def owner(app: FastAPI, agent_email: str) -> AsyncIterator[httpx.AsyncClient]:
    """Ana, the owner of workspace w1 (with the SELLER1 account), logged in; her CSRF token is a header."""
    async with client_of(app) as client:
        assert (await log_in(client, agent_email)).status_code == 303
        yield client


@pytest.fixture
async def filled(owner: httpx.AsyncClient, ctx: AppContext, account_id: int) -> httpx.AsyncClient:
    """Something on every page: an API key, a reply template, a webhook endpoint with a test delivery,
    a pending invitation and audit entries (one by the system)."""
    made = await owner.post("/settings/api-keys", data={"name": "ERP", "scope": "read"})
    assert made.status_code == 200, made.text
    saved = await owner.post("/templates", data={"name": "Saludo", "channel": "", "text": "Hola {buyer}"})
    assert saved.status_code == 303, saved.text
    hook = {"url": "https://erp.example.com/hook", "description": "ERP", "event_types": ["question.received"]}
    assert (await owner.post("/webhooks", data=hook)).status_code == 201
    invited = await owner.post("/people/invite", data={"email": "bea@example.com", "role": "viewer"})
    assert invited.status_code == 303
    with transaction(ctx.sessions) as s:
        workspace = people_store.workspace_by_name(s, "w1")
        assert workspace is not None
        audit.record(s, workspace.id, None, "account.connected", f"account:{account_id}")
    return owner


async def endpoint_path(client: httpx.AsyncClient) -> str:
    listing = await client.get("/webhooks")
    found = re.search(r'href="(/webhooks/\d+)"', listing.text)
    assert found is not None, listing.text
    return found.group(1)


def visible(html: str) -> str:
    """The page's text without its tags' attributes' machine values (codes, URLs, class names)."""
    return re.sub(r"<[^>]*>", " ", html)


# Each page: words it shows in Spanish (none may remain in the other languages), and words it shows in
# Portuguese and in English.
PAGES = {
    "/people": (
        ["Equipo", "Invitaciones pendientes", "Cambiar rol", "Invitar", "Lector", "Propietario", "Revocar"],
        ["Equipe", "Convites pendentes", "Trocar função", "Convidar", "Leitor", "Proprietário", "Revogar"],
        ["Team", "Pending invitations", "Change role", "Invite", "Viewer", "Owner", "Revoke"],
    ),
    "/audit": (
        [
            "Registro de actividad",
            "Quién",
            "Filtrar",
            "Conectó una cuenta",
            "Invitó a una persona",
            "sistema",
        ],
        ["Registro de atividades", "Quem", "Filtrar", "Conectou uma conta", "Convidou uma pessoa", "sistema"],
        ["Audit log", "Who", "Filter", "Connected an account", "Invited a person", "system"],
    ),
    "/accounts": (
        [
            "Cuentas de Mercado Libre",
            "Redes de seguridad",
            "Revisar ahora",
            "Token válido",
            "Ninguna todavía",
        ],
        ["Contas do Mercado Livre", "Redes de segurança", "Verificar agora", "Token válido", "Nenhuma ainda"],
        ["Mercado Libre accounts", "Safety nets", "Check now", "Valid token", "None yet"],
    ),
    "/webhooks": (
        ["Nuevo endpoint", "Descripción", "Eventos", "Pregunta recibida", "Reclamo abierto"],
        ["Novo endpoint", "Descrição", "Eventos", "Pergunta recebida", "Reclamação aberta"],
        ["New endpoint", "Description", "Events", "Question received", "Claim opened"],
    ),
    "/settings/api-keys": (
        ["Claves de API", "Nueva clave", "Alcance", "Solo lectura", "Crear clave", "Claves del espacio"],
        ["Chaves de API", "Nova chave", "Escopo", "Somente leitura", "Criar chave", "Chaves do espaço"],
        ["API keys", "New key", "Scope", "Read only", "Create key", "Workspace keys"],
    ),
    "/templates": (
        ["Plantillas de respuesta", "Nueva plantilla", "Plantillas del equipo", "todos los canales"],
        ["Modelos de resposta", "Novo modelo", "Modelos da equipe", "todos os canais", "Todos os canais"],
        ["Reply templates", "New template", "Team templates", "every channel", "Every channel"],
    ),
    "/accounts/{account}/bot": (
        ["Bot de SELLER1", "Configuración completa", "Cambiar modo", "Borrador para aprobar"],
        ["Bot de SELLER1", "Configuração completa", "Trocar modo", "Rascunho para aprovar"],
        ["Bot of SELLER1", "Full settings", "Change mode", "Draft to approve"],
    ),
    "/webhooks/{endpoint}": (
        ["Registro de envíos", "Enviar evento de prueba", "Cambiar el secreto", "Activado", "pendiente"],
        ["Registro de envios", "Enviar evento de teste", "Trocar o segredo", "Ativado", "pendente"],
        ["Delivery log", "Send test event", "Change the secret", "Enabled", "pending"],
    ),
}
# Header words of every logged-in page (base.html), in Spanish.
HEADER_ES = ["Bandeja", "Plantillas", "Cuentas", "Tu cuenta", "Salir"]


@pytest.mark.parametrize("path", list(PAGES))
async def test_each_admin_page_reads_in_the_browser_s_language(
    filled: httpx.AsyncClient, account_id: int, path: str
) -> None:
    endpoint = await endpoint_path(filled)
    assert (await filled.post(f"{endpoint}/test")).status_code == 303  # a delivery in the log: pending
    url = path.replace("{account}", str(account_id)).replace("/webhooks/{endpoint}", endpoint)
    spanish, portuguese, english = PAGES[path]
    pages = {}
    for lang in ("es", "pt", "en"):
        r = await filled.get(url, headers=BROWSER[lang])
        assert r.status_code == 200, r.text
        assert f'<html lang="{lang}">' in r.text
        pages[lang] = visible(r.text)
    for word in spanish + HEADER_ES:  # the Spanish page holds them: their absence below means something
        assert word in pages["es"], (url, word)
    for lang, words in (("pt", portuguese), ("en", english)):
        for word in words:
            assert word in pages[lang], (url, lang, word)
        left = [
            w
            for w in spanish + HEADER_ES
            if w not in words and re.search(rf"\b{re.escape(w)}\b", pages[lang])
        ]
        assert not left, (url, lang, left)


def test_the_roles_are_named_in_each_language() -> None:
    expected = {
        "es": ["Lector", "Agente", "Administrador", "Propietario"],
        "pt": ["Leitor", "Agente", "Administrador", "Proprietário"],
        "en": ["Viewer", "Agent", "Admin", "Owner"],
    }
    for lang, names in expected.items():
        with i18n.using(lang):
            assert [role.label for role in ROLES] == names
    assert Role.OWNER.label == "Propietario"  # outside a page: the source language


async def test_the_header_names_the_role_in_the_reader_s_language(owner: httpx.AsyncClient) -> None:
    for lang, name in (("es", "Propietario"), ("pt", "Proprietário"), ("en", "Owner")):
        page = await owner.get("/accounts", headers=BROWSER[lang])
        assert f'data-role="owner">{name}</span>' in page.text


async def test_errors_of_the_admin_pages_are_in_the_reader_s_language(
    filled: httpx.AsyncClient, account_id: int
) -> None:
    en = BROWSER["en"]
    r = await filled.post("/templates", data={"name": "Vacía", "channel": "", "text": "  "}, headers=en)
    assert r.status_code == 422 and "The text is empty." in r.text
    r = await filled.post("/templates", data={"name": "Saludo", "channel": "", "text": "Hola"}, headers=en)
    assert r.status_code == 422 and "There is already a template called “Saludo”." in r.text
    r = await filled.post("/settings/api-keys", data={"name": "", "scope": "read"}, headers=BROWSER["pt"])
    assert r.status_code == 422 and "Dê um nome de 1 a 80 caracteres" in r.text
    hook = {"url": "ftp://erp.example.com", "event_types": ["question.received"]}
    r = await filled.post("/webhooks", data=hook, headers=en)
    assert r.status_code == 422 and "The URL must start with https:// (or http://)." in r.text
    r = await filled.post("/webhooks", data={"url": "https://erp.example.com/x"}, headers=BROWSER["pt"])
    assert r.status_code == 422 and "Escolha pelo menos um tipo de evento." in r.text
    r = await filled.post("/people/invite", data={"email": "not-an-email", "role": "agent"}, headers=en)
    assert r.status_code == 422 and "That is not an e-mail." in r.text
    r = await filled.post(f"/accounts/{account_id}/bot/mode", data={"mode": "sometimes"}, headers=en)
    assert r.status_code == 422 and "The mode is “auto”" in r.text
    # The bot's own reasons are technical English (mostrador.bot has no page words): quoted after ours.
    r = await filled.post(
        f"/accounts/{account_id}/bot", data={"yaml": "mode: [unclosed"}, headers=BROWSER["pt"]
    )
    assert r.status_code == 422 and "A configuração não foi salva: " in r.text and "not valid YAML" in r.text
    r = await filled.post(f"/accounts/{account_id}/bot", data={"yaml": "mode: [unclosed"})
    assert r.status_code == 422 and "No se guardó la configuración: " in r.text
    done = await filled.get("/people?done=role", headers=en)
    assert "Role changed." in done.text


async def test_the_forbidden_and_not_found_pages_follow_the_reader(app: FastAPI, ctx: AppContext) -> None:
    create_user(ctx.sessions, "leo@example.com", AGENT_PASSWORD, "Leo", "w1", Role.VIEWER)
    async with client_of(app) as viewer:
        assert (await log_in(viewer, "leo@example.com")).status_code == 303
        r = await viewer.get("/people", headers=BROWSER["en"])
        assert r.status_code == 403
        assert "Your role in this workspace is <strong>Viewer</strong>" in r.text
        assert "<strong>Admin</strong> or above" in r.text
        r = await viewer.get("/accounts/999999/bot", headers=BROWSER["pt"])
        assert r.status_code == 404 and "O que você procura não existe" in r.text


async def language(client: httpx.AsyncClient, locale: str, **extra: str) -> httpx.Response:
    return await client.post("/account/language", data={"locale": locale, **extra})


async def test_a_person_s_choice_beats_the_browser_until_they_give_it_back(
    app: FastAPI, owner: httpx.AsyncClient, agent_email: str
) -> None:
    pt = BROWSER["pt"]
    assert "Equipe" in (await owner.get("/people", headers=pt)).text
    chosen = await language(owner, "en")
    assert chosen.status_code == 303 and chosen.headers["location"] == "/account/password?language=1"
    saved = await owner.get(chosen.headers["location"], headers=pt)
    assert "Language saved." in saved.text and '<option value="en" lang="en" selected>' in saved.text
    for path in ("/people", "/audit", "/accounts", "/webhooks"):
        page = await owner.get(path, headers=pt)
        assert '<html lang="en">' in page.text, path
    assert "Pending invitations" in (await owner.get("/people", headers=pt)).text

    async with client_of(app) as elsewhere:  # the choice is the person's, not the browser's session
        await log_in(elsewhere, agent_email)
        assert '<html lang="en">' in (await elsewhere.get("/people", headers=pt)).text

    back = await language(owner, "")  # "El del navegador"
    assert back.status_code == 303
    page = await owner.get("/people", headers=pt)
    assert '<html lang="pt">' in page.text and "Convites pendentes" in page.text
    assert '<html lang="es">' in (await owner.get("/people")).text


async def test_the_language_form_needs_the_csrf_token_and_a_language_we_have(
    owner: httpx.AsyncClient,
) -> None:
    token = owner.headers.pop("x-csrf-token")
    refused = await language(owner, "en")
    assert refused.status_code == 403
    owner.headers["x-csrf-token"] = token
    unknown = await language(owner, "fr", **{"csrf_token": token})
    assert unknown.status_code == 422 and "Ese idioma no está disponible." in unknown.text
    unknown = await owner.post("/account/language", data={"locale": "de"}, headers=BROWSER["en"])
    assert unknown.status_code == 422 and "That language is not available." in unknown.text
    # Nothing was changed by either: the browser still decides.
    assert '<html lang="pt">' in (await owner.get("/people", headers=BROWSER["pt"])).text


def links_in(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, str]]:
    found = [LINK.search(r.getMessage()) for r in caplog.records if r.name == "mostrador.links"]
    return [(m.group(1), m.group(2), m.group(4)) for m in found if m]


async def csrf_of(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> str:
    page = await client.get(path, headers=headers)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


async def test_the_pages_before_logging_in_follow_the_browser(
    app: FastAPI, owner: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    en, pt = BROWSER["en"], BROWSER["pt"]
    with caplog.at_level(logging.WARNING, logger="mostrador.links"):
        assert (
            await owner.post("/people/invite", data={"email": "bea@example.com", "role": "agent"})
        ).status_code == 303
    [(_, _, invitation)] = links_in(caplog)

    async with client_of(app) as guest:
        login = await guest.get("/login", headers=pt)
        assert "Entrar" in login.text and "Esqueceu sua senha?" in login.text and "Ingresar" not in login.text

        page = await guest.get(f"/invite/{invitation}", headers=en)
        assert page.status_code == 200 and "Join w1" in page.text
        assert "You were invited as <strong>Agent</strong>" in page.text and "Create my account" in page.text
        form = {"name": "Bea", "password": "long enough pass", "password_again": "not the same pass"}
        form["csrf_token"] = await csrf_of(guest, "/login", en)
        r = await guest.post(f"/invite/{invitation}", data=form, headers=pt)
        assert (
            r.status_code == 422 and "As duas senhas não coincidem." in r.text and "Junte-se a w1" in r.text
        )
        dead = await guest.get("/invite/not-a-token", headers=en)
        assert dead.status_code == 410 and "Invalid link" in dead.text and "Ask for a new one." in dead.text

        forgot = await guest.get("/password/forgot", headers=pt)
        assert "Me enviar um link" in forgot.text
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="mostrador.links"):
            sent = await guest.post(
                "/password/forgot",
                data={"email": "ana@example.com", "csrf_token": await csrf_of(guest, "/login", pt)},
                headers=pt,
            )
        assert "Se esse e-mail tiver uma conta" in sent.text
        [(_, _, reset)] = links_in(caplog)
        page = await guest.get(f"/password/reset/{reset}", headers=en)
        assert "Choose a new password" in page.text and "Elegí" not in page.text
        form = {"new_password": "short", "new_password_again": "short"}
        form["csrf_token"] = await csrf_of(guest, "/login", en)
        r = await guest.post(f"/password/reset/{reset}", data=form, headers=en)
        assert r.status_code == 422 and "The password needs at least 10 characters." in r.text


async def test_a_disconnected_account_is_told_in_the_reader_s_language(
    owner: httpx.AsyncClient, account_id: int
) -> None:
    assert (await owner.post(f"/accounts/{account_id}/disconnect")).status_code == 303
    expected = {
        "es": ("Desconectada", "la desconectó una persona del equipo"),
        "pt": ("Desconectada", "desconectada por uma pessoa da equipe"),
        "en": ("Disconnected", "disconnected by a team member"),
    }
    for lang, words in expected.items():
        page = await owner.get("/accounts", headers=BROWSER[lang])
        assert all(word in page.text for word in words), (lang, words)
        assert "disconnected by an agent" not in page.text  # the row's English, for the log only


async def test_the_bot_history_page_reads_in_the_reader_s_language(
    owner: httpx.AsyncClient, account_id: int
) -> None:
    """Mercado Libre cannot be read here (no sandbox): the page says so, in the reader's language."""
    for lang, words in (
        (
            "es",
            [
                "¿Qué habría respondido el bot?",
                "No se pudieron leer las preguntas",
                "Todavía no hay ejemplos.",
            ],
        ),
        (
            "pt",
            ["O que o bot teria respondido?", "Não foi possível ler as perguntas", "Ainda não há exemplos."],
        ),
        ("en", ["What would the bot have answered?", "Could not read the questions", "No examples yet."]),
    ):
        page = await owner.get(f"/accounts/{account_id}/bot/history", headers=BROWSER[lang])
        assert page.status_code == 200, page.text
        assert all(word in page.text for word in words), (lang, words)


async def test_a_template_for_every_channel_with_a_channel_s_variable_is_refused_in_the_reader_s_language(
    owner: httpx.AsyncClient,
) -> None:
    form = {"name": "Envío", "channel": "", "text": "Tu envío: {tracking_number}"}
    r = await owner.post("/templates", data=form, headers=BROWSER["en"])
    assert r.status_code == 422 and "A template for every channel cannot use {tracking_number}." in r.text
    r = await owner.post("/templates", data=form)
    assert (
        r.status_code == 422
        and "Una plantilla para todos los canales no puede usar {tracking_number}." in r.text
    )
