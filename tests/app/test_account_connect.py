"""Connecting a Mercado Libre account that another workspace already holds: a clear 409 page, and the
other workspace keeps a working grant (the exchange that just happened killed its refresh token)."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import httpx
from sqlalchemy import select, update

from mostrador.cli.demo import _hidden_inputs
from mostrador.context import AppContext
from mostrador.store.db import transaction
from mostrador.store.models import Account, AuditEntry
from mostrador.users.roles import Role
from mostrador.users.service import create_user
from mostrador.web.app import create_app

from .conftest import AGENT_PASSWORD, log_in
from .sandbox_grant import REDIRECT, Connected


def refresh_works(connected: Connected, refresh_token: str) -> bool:
    """Ask the sandbox itself whether a refresh token is still the live one."""
    settings = connected.ctx.settings
    r = httpx.post(
        f"{connected.sandbox.url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": settings.meli_client_id,
            "client_secret": settings.meli_client_secret.get_secret_value(),
            "refresh_token": refresh_token,
        },
    )
    return r.status_code == 200


def stored(ctx: AppContext, account_id: int) -> Account:
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        assert acc is not None
        s.expunge(acc)
        return acc


async def connect_from_another_workspace(connected: Connected) -> httpx.Response:
    """An owner of workspace `otra` runs the whole OAuth round trip for the seller `w` already holds."""
    return await connect_as(connected, "bea@example.com", "otra")


async def connect_as(connected: Connected, email: str, workspace: str) -> httpx.Response:
    """A new owner or agent of `workspace` runs the whole OAuth round trip for the sandbox seller."""
    ctx = connected.ctx
    ctx.settings.public_url = REDIRECT.removesuffix("/oauth/callback")  # the redirect URI the app registered
    create_user(ctx.sessions, email, AGENT_PASSWORD, "Bea", workspace, Role.ADMIN)
    app = create_app(ctx.settings, ctx, durable=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as web:
        assert (await log_in(web, email)).status_code == 303
        start = await web.get("/accounts/connect")
        authorize = start.headers["location"]
        async with httpx.AsyncClient() as sandbox:
            form = _hidden_inputs((await sandbox.get(authorize)).text)
            form.update({"nickname": connected.seller["nickname"], "password": connected.seller["password"]})
            consent = await sandbox.post(
                urljoin(authorize, "/authorization"), data={**form, "decision": "allow"}
            )
        back = consent.headers["location"]
        assert back.startswith(REDIRECT)
        return await web.get("/oauth/callback?" + back.split("?", 1)[1])


async def test_the_account_of_another_workspace_gets_a_409_page_and_keeps_working(
    connected: Connected,
) -> None:
    before = stored(connected.ctx, connected.account_id)
    old_refresh = connected.ctx.cipher.decrypt(before.refresh_token_enc)

    r = await connect_from_another_workspace(connected)

    assert r.status_code == 409
    assert "ya está conectada a otro espacio de trabajo" in r.text
    # Not counting form values: a short nickname ("S1") may occur inside the page's random CSRF token.
    assert connected.seller["nickname"] not in re.sub(r'value="[^"]*"', "", r.text)
    after = stored(connected.ctx, connected.account_id)
    assert after.workspace_id == before.workspace_id and after.status == "active"
    assert after.token_version == before.token_version + 1
    assert not refresh_works(connected, old_refresh)  # the exchange killed it, as Mercado Libre does (§2.3)
    assert refresh_works(connected, connected.ctx.cipher.decrypt(after.refresh_token_enc))
    with transaction(connected.ctx.sessions) as s:  # refused: nothing for the audit log
        assert s.scalars(select(AuditEntry)).all() == []


async def test_a_reconnection_is_recorded_in_the_audit_log(connected: Connected) -> None:
    r = await connect_as(connected, "bea@example.com", "w")
    assert r.status_code == 303
    with transaction(connected.ctx.sessions) as s:
        [entry] = s.scalars(select(AuditEntry)).all()
        account = s.get(Account, connected.account_id)
        assert account is not None
        assert (entry.action, entry.target, entry.actor, entry.workspace_id) == (
            "account.connected",
            f"account:{connected.account_id}",
            "Bea <bea@example.com>",
            account.workspace_id,
        )


async def test_an_account_its_workspace_disconnected_is_not_brought_back(connected: Connected) -> None:
    with transaction(connected.ctx.sessions) as s:
        s.execute(
            update(Account)
            .where(Account.id == connected.account_id)
            .values(status="disconnected", access_token_enc="", refresh_token_enc="")
        )
    r = await connect_from_another_workspace(connected)
    assert r.status_code == 409
    after = stored(connected.ctx, connected.account_id)
    assert after.status == "disconnected" and after.refresh_token_enc == ""
