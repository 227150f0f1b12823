"""People through the real app: invitations by one-time link, password reset by one-time link (no
account enumeration), sessions that expire by the settings, and roles changed or people removed under
the owner rules. Time is driven by ageing rows in the database, never by sleeping."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from mostrador.context import AppContext
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import AuditEntry, Invitation, PasswordReset, User, UserSession, utcnow
from mostrador.users import resets, sessions
from mostrador.users.roles import Role
from mostrador.users.service import create_user
from mostrador.web.app import create_app

from .conftest import AGENT_PASSWORD
from .conftest import log_in as form_log_in

NEW_PASSWORD = "a brand new passphrase"
LINK = re.compile(r"(INVITE|PASSWORD RESET) LINK for (\S+): http://\S+/(invite|password/reset)/(\S+)")


@pytest.fixture
def app(ctx: AppContext, agent_email: str) -> FastAPI:
    return create_app(ctx.settings, ctx, durable=False)


def client_of(app: FastAPI, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50_000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
async def owner(app: FastAPI, agent_email: str) -> AsyncIterator[httpx.AsyncClient]:
    """Ana, the owner of workspace w1, logged in."""
    async with client_of(app) as client:
        assert (await form_log_in(client, agent_email)).status_code == 303
        yield client


def links_in(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, str]]:
    """(kind, e-mail, token) of every link the app wrote to the log."""
    found = [LINK.search(r.getMessage()) for r in caplog.records if r.name == "mostrador.links"]
    return [(m.group(1), m.group(2), m.group(4)) for m in found if m]


async def csrf_of(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


async def invite(owner: httpx.AsyncClient, email: str, role: str, caplog: pytest.LogCaptureFixture) -> str:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="mostrador.links"):
        r = await owner.post("/people/invite", data={"email": email, "role": role})
    assert r.status_code == 303 and r.headers["location"] == "/people?done=invited", r.text
    [(kind, to, token)] = links_in(caplog)
    assert (kind, to) == ("INVITE", email.lower())
    return token


async def accept(
    app: FastAPI, token: str, password: str = NEW_PASSWORD, again: str | None = None
) -> httpx.Response:
    async with client_of(app, "10.0.0.9") as guest:
        form = {
            "name": "Bea  Pérez",
            "password": password,
            "password_again": password if again is None else again,
            "csrf_token": await csrf_of(guest, "/login"),  # the link may be dead: no form to read it from
        }
        r = await guest.post(f"/invite/{token}", data=form)
        if r.status_code == 303:
            inbox = await guest.get("/inbox")
            assert inbox.status_code == 200 and "bea@example.com" in inbox.text
        return r


def audit_actions(ctx: AppContext, workspace: str) -> list[str]:
    with transaction(ctx.sessions) as s:
        ws = people_store.workspace_by_name(s, workspace)
        assert ws is not None
        rows = s.scalars(select(AuditEntry).where(AuditEntry.workspace_id == ws.id).order_by(AuditEntry.id))
        return [r.action for r in rows]


# ---- invitations ------------------------------------------------------------------------------------
async def test_an_invited_person_sets_a_name_and_password_and_is_logged_in_once(
    app: FastAPI, owner: httpx.AsyncClient, ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    token = await invite(owner, "Bea@Example.com", "agent", caplog)
    with transaction(ctx.sessions) as s:
        [row] = s.scalars(select(Invitation)).all()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in row.token_hash
        assert row.expires_at - row.created_at == timedelta(seconds=ctx.settings.invitation_lifetime_s)
    people = await owner.get("/people")
    assert 'data-invitation="bea@example.com"' in people.text and "Agente" in people.text

    async with client_of(app) as guest:
        page = await guest.get(f"/invite/{token}")
        assert page.status_code == 200 and "w1" in page.text and "bea@example.com" in page.text
    assert (await accept(app, token)).status_code == 303

    with transaction(ctx.sessions) as s:
        bea = people_store.user_by_email(s, "bea@example.com")
        assert bea is not None and (bea.name, bea.role) == ("Bea Pérez", "agent")
    people = await owner.get("/people")
    assert 'data-person="bea@example.com"' in people.text
    assert 'data-invitation="bea@example.com"' not in people.text
    again = await accept(app, token)  # the same link a second time
    assert again.status_code == 410 and "ya se usó" in again.text
    assert audit_actions(ctx, "w1") == ["person.invited", "invitation.accepted"]


async def test_expired_and_revoked_links_are_refused_clearly(
    app: FastAPI, owner: httpx.AsyncClient, ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    expired = await invite(owner, "old@example.com", "viewer", caplog)
    with transaction(ctx.sessions) as s:
        s.execute(update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
    async with client_of(app) as guest:
        r = await guest.get(f"/invite/{expired}")
        assert r.status_code == 410 and "venció" in r.text
    revoked = await invite(owner, "gone@example.com", "viewer", caplog)
    with transaction(ctx.sessions) as s:
        invitation_id = s.scalars(select(Invitation.id).where(Invitation.email == "gone@example.com")).one()
    assert (await owner.post(f"/people/invitations/{invitation_id}/revoke")).status_code == 303
    assert (await accept(app, revoked)).status_code == 410
    async with client_of(app) as guest:
        r = await guest.get("/invite/not-a-token")
        assert r.status_code == 410 and "ya se usó, fue revocado o no existe" in r.text
    with transaction(ctx.sessions) as s:
        assert people_store.user_by_email(s, "gone@example.com") is None
    assert "invitation.revoked" in audit_actions(ctx, "w1")


async def test_a_refused_password_keeps_the_link_and_a_newer_invitation_replaces_the_older(
    app: FastAPI, owner: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    first = await invite(owner, "bea@example.com", "agent", caplog)
    token = await invite(owner, "bea@example.com", "admin", caplog)
    assert (await accept(app, first)).status_code == 410
    short = await accept(app, token, "short")
    assert short.status_code == 422 and "al menos 10 caracteres" in short.text
    differ = await accept(app, token, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert differ.status_code == 422 and "no coinciden" in differ.text
    assert (await accept(app, token)).status_code == 303


async def test_an_invitation_is_refused_for_a_taken_email_and_an_admin_cannot_invite_an_owner(
    app: FastAPI, owner: httpx.AsyncClient, ctx: AppContext
) -> None:
    r = await owner.post("/people/invite", data={"email": "ana@example.com", "role": "agent"})
    assert r.status_code == 422 and "ya tiene una cuenta" in r.text
    r = await owner.post("/people/invite", data={"email": "not an email", "role": "agent"})
    assert r.status_code == 422 and "no es un e-mail" in r.text
    create_user(ctx.sessions, "adm@example.com", AGENT_PASSWORD, "Adm", "w1", Role.ADMIN)
    async with client_of(app) as admin:
        await form_log_in(admin, "adm@example.com")
        r = await admin.post("/people/invite", data={"email": "boss@example.com", "role": "owner"})
        assert r.status_code == 422 and "Solo un propietario" in r.text


# ---- roles and removals -----------------------------------------------------------------------------
async def test_owner_rules_for_role_changes_and_removals(
    app: FastAPI, owner: httpx.AsyncClient, ctx: AppContext
) -> None:
    ids = {
        email: create_user(ctx.sessions, email, AGENT_PASSWORD, email.split("@")[0], "w1", role)
        for email, role in [("adm@example.com", Role.ADMIN), ("agt@example.com", Role.AGENT)]
    }
    with transaction(ctx.sessions) as s:
        ana = people_store.user_by_email(s, "ana@example.com")
        assert ana is not None
        ana_id = ana.id
    async with client_of(app) as admin, client_of(app) as agent:
        await form_log_in(admin, "adm@example.com")
        await form_log_in(agent, "agt@example.com")
        r = await admin.post(f"/people/{ana_id}/role", data={"role": "agent"})
        assert r.status_code == 403 and "Solo un propietario" in r.text
        assert (await admin.post(f"/people/{ana_id}/remove")).status_code == 403
        r = await owner.post(f"/people/{ana_id}/role", data={"role": "admin"})  # the last owner
        assert r.status_code == 409 and "al menos un propietario" in r.text
        assert (await owner.post(f"/people/{ana_id}/remove")).status_code == 409
        r = await admin.post(f"/people/{ids['agt@example.com']}/role", data={"role": "viewer"})
        assert r.status_code == 303
        assert "Lector" in (await agent.get("/inbox")).text  # the new role applies at the next request
        assert (await admin.post(f"/people/{ids['agt@example.com']}/remove")).status_code == 303
        assert (await agent.get("/inbox")).status_code == 303  # their session ended
        login = await form_log_in(agent, "agt@example.com")
        assert login.status_code == 401  # told what an unknown e-mail is told
        r = await owner.post(f"/people/{ids['adm@example.com']}/role", data={"role": "owner"})
        assert r.status_code == 303
        assert (await owner.post(f"/people/{ana_id}/role", data={"role": "agent"})).status_code == 303
    with transaction(ctx.sessions) as s:
        assert {u.email: u.role for u in people_store.people_of(s, ana.workspace_id)} == {
            "ana@example.com": "agent",
            "adm@example.com": "owner",
        }
    assert audit_actions(ctx, "w1").count("person.role_changed") == 3
    assert "person.removed" in audit_actions(ctx, "w1")


async def test_a_removed_person_comes_back_through_a_new_invitation(
    app: FastAPI, owner: httpx.AsyncClient, ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    bea = create_user(ctx.sessions, "bea@example.com", AGENT_PASSWORD, "Bea", "w1", Role.AGENT)
    assert (await owner.post(f"/people/{bea}/remove")).status_code == 303
    token = await invite(owner, "bea@example.com", "viewer", caplog)
    assert (await accept(app, token)).status_code == 303
    with transaction(ctx.sessions) as s:
        row = s.get(User, bea)
        assert row is not None and row.removed_at is None and row.role == "viewer"


async def test_people_of_another_workspace_are_not_found(owner: httpx.AsyncClient, ctx: AppContext) -> None:
    other = create_user(ctx.sessions, "otra@example.com", AGENT_PASSWORD, "Otra", "w2")
    r = await owner.post(f"/people/{other}/remove")
    assert r.status_code == 404
    assert "otra@example.com" not in (await owner.get("/people")).text
    with transaction(ctx.sessions) as s:
        row = s.get(User, other)
        assert row is not None and row.removed_at is None


# ---- password reset ---------------------------------------------------------------------------------
async def forgot(app: FastAPI, email: str, address: str = "127.0.0.1") -> httpx.Response:
    async with client_of(app, address) as guest:
        csrf = await csrf_of(guest, "/password/forgot")
        return await guest.post("/password/forgot", data={"email": email, "csrf_token": csrf})


async def test_a_reset_answers_the_same_for_any_email_and_only_a_real_one_gets_a_link(
    app: FastAPI, ctx: AppContext, agent_email: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with client_of(app) as guest:
        assert "¿Olvidaste tu contraseña?" in (await guest.get("/login")).text
    with caplog.at_level(logging.WARNING, logger="mostrador.links"):
        known = await forgot(app, agent_email)
        unknown = await forgot(app, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200

    def without_token(text: str) -> str:
        return re.sub(r'name="csrf_token" value="[^"]+"', "", text)

    assert without_token(known.text) == without_token(unknown.text)
    assert "Si ese e-mail tiene una cuenta" in known.text
    assert [(kind, email) for kind, email, _ in links_in(caplog)] == [("PASSWORD RESET", agent_email)]
    with transaction(ctx.sessions) as s:
        rows = s.scalars(select(PasswordReset).order_by(PasswordReset.id)).all()
        assert [(r.email, r.token_hash is not None) for r in rows] == [
            (agent_email, True),
            ("nobody@example.com", False),
        ]


async def test_a_reset_link_sets_the_password_once_and_ends_every_other_session(
    app: FastAPI,
    owner: httpx.AsyncClient,
    ctx: AppContext,
    agent_email: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="mostrador.links"):
        await forgot(app, agent_email)
    [(_, _, token)] = links_in(caplog)
    async with client_of(app, "10.0.0.5") as guest:
        page = await guest.get(f"/password/reset/{token}")
        assert page.status_code == 200 and agent_email in page.text
        csrf = await csrf_of(guest, f"/password/reset/{token}")
        form = {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD, "csrf_token": csrf}
        r = await guest.post(f"/password/reset/{token}", data=form)
        assert r.status_code == 303 and (await guest.get("/inbox")).status_code == 200
        form["csrf_token"] = await csrf_of(guest, "/password/forgot")  # a login issues a new token
        again = await guest.post(f"/password/reset/{token}", data=form)
        assert again.status_code == 410 and "ya se usó" in again.text
    assert (await owner.get("/inbox")).status_code == 303  # the other session ended
    assert (await form_log_in(owner, agent_email)).status_code == 401  # the old password is gone
    assert (await form_log_in(owner, agent_email, NEW_PASSWORD)).status_code == 303
    assert "password.reset" in audit_actions(ctx, "w1")


async def test_an_expired_reset_link_is_refused_and_requests_are_throttled(
    app: FastAPI, ctx: AppContext, agent_email: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="mostrador.links"):
        for _ in range(resets.PER_EMAIL + 2):
            r = await forgot(app, agent_email, "10.0.0.7")
            assert r.status_code == 200 and "Si ese e-mail tiene una cuenta" in r.text
    tokens = [token for _, _, token in links_in(caplog)]
    assert len(tokens) == resets.PER_EMAIL  # the rest were dropped, and the page did not say so
    with transaction(ctx.sessions) as s:
        s.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    async with client_of(app) as guest:
        r = await guest.get(f"/password/reset/{tokens[0]}")
        assert r.status_code == 410 and "venció" in r.text
    # An hour later the e-mail may ask again; housekeeping forgets what no longer counts.
    later = utcnow() + resets.WINDOW + timedelta(seconds=1)
    assert resets.purge(ctx.sessions, later) == resets.PER_EMAIL


# ---- sessions that expire ---------------------------------------------------------------------------
async def test_sessions_live_as_long_as_the_settings_say(ctx: AppContext, agent_email: str) -> None:
    ctx.settings.session_idle_timeout_s = 3600.0
    ctx.settings.session_lifetime_s = 2 * 86_400.0
    app = create_app(ctx.settings, ctx, durable=False)
    async with client_of(app) as tab:
        await form_log_in(tab, agent_email)
        with transaction(ctx.sessions) as s:
            row = s.scalars(select(UserSession)).one()
            assert row.expires_at - row.created_at == timedelta(days=2)
            # 59 minutes idle: still in. 61: out (the default 12 hours would have kept it).
            s.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=59)))
        assert (await tab.get("/inbox")).status_code == 200
        with transaction(ctx.sessions) as s:
            s.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=61)))
        r = await tab.get("/inbox")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        with transaction(ctx.sessions) as s:
            assert s.scalars(select(UserSession)).all() == []  # refused and deleted


def test_the_defaults_and_housekeeping_follow_the_policy(ctx: AppContext, agent_email: str) -> None:
    assert sessions.SessionPolicy.of(ctx.settings) == sessions.SessionPolicy(
        idle=timedelta(hours=12), lifetime=timedelta(days=14)
    )
    with transaction(ctx.sessions) as s:
        user = people_store.user_by_email(s, agent_email)
        assert user is not None
        now = utcnow()
        live = sessions.start(s, user.id, now - timedelta(hours=11))
        sessions.start(s, user.id, now - timedelta(hours=13))  # idle for 13 hours
    short = sessions.SessionPolicy(idle=timedelta(hours=10), lifetime=timedelta(days=1))
    assert sessions.purge_expired(ctx.sessions, now) == 1  # the default policy: 12 hours idle
    assert sessions.resume(ctx.sessions, live, now) is not None
    assert sessions.resume(ctx.sessions, live, now + timedelta(hours=11), short) is None


# ---- one link, two submits at once ------------------------------------------------------------------
def test_two_browsers_submitting_one_invitation_at_once_make_one_account(
    ctx: AppContext, agent_email: str, caplog: pytest.LogCaptureFixture
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from mostrador.users import invitations
    from mostrador.users.errors import LinkInvalid
    from mostrador.users.sessions import SessionUser

    with transaction(ctx.sessions) as s:
        ana = people_store.user_by_email(s, agent_email)
        assert ana is not None
        by = SessionUser(0, ana.id, ana.workspace_id, ana.email, ana.name, Role.OWNER)
    with caplog.at_level(logging.WARNING, logger="mostrador.links"):
        url = invitations.invite(
            ctx.sessions, by, "bea@example.com", Role.AGENT, "http://x", timedelta(days=1)
        )
    token = url.rsplit("/", 1)[1]

    def submit(_: int) -> str:
        try:
            return invitations.accept(ctx.sessions, token, "Bea", NEW_PASSWORD, NEW_PASSWORD)
        except LinkInvalid:
            return "refused"

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(submit, range(2)))
    assert sorted(o == "refused" for o in outcomes) == [False, True]
    with transaction(ctx.sessions) as s:
        assert (
            len([u for u in people_store.people_of(s, ana.workspace_id) if u.email == "bea@example.com"]) == 1
        )


async def test_a_removed_person_gets_no_reset_link_and_loses_the_ones_they_had(
    app: FastAPI, owner: httpx.AsyncClient, ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    bea = create_user(ctx.sessions, "bea@example.com", AGENT_PASSWORD, "Bea", "w1", Role.AGENT)
    with caplog.at_level(logging.WARNING, logger="mostrador.links"):
        await forgot(app, "bea@example.com")
        [(_, _, token)] = links_in(caplog)
        assert (await owner.post(f"/people/{bea}/remove")).status_code == 303
        caplog.clear()
        r = await forgot(app, "bea@example.com")
    assert r.status_code == 200 and "Si ese e-mail tiene una cuenta" in r.text and links_in(caplog) == []
    async with client_of(app) as guest:
        csrf = await csrf_of(guest, "/password/forgot")
        form = {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD, "csrf_token": csrf}
        assert (await guest.get(f"/password/reset/{token}")).status_code == 410
        assert (await guest.post(f"/password/reset/{token}", data=form)).status_code == 410
