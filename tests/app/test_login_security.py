"""Logins are throttled across processes, sessions live in the database (a copied cookie dies with its
session), passwords can be changed, and the API docs are behind the login."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from mostrador.accounts import connect
from mostrador.context import AppContext
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import LoginFailure, OAuthState, UserSession, utcnow
from mostrador.users import sessions, throttle
from mostrador.users.errors import BadCredentials, LoginThrottled, WrongPassword
from mostrador.users.service import change_password, log_in
from mostrador.web.app import create_app

from .conftest import AGENT_PASSWORD
from .conftest import log_in as form_log_in

NEW_PASSWORD = "a whole new passphrase"


@pytest.fixture
def app(ctx: AppContext, agent_email: str) -> FastAPI:
    return create_app(ctx.settings, ctx, durable=False)


def client_of(app: FastAPI, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50_000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
async def tab(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(app) as client:
        yield client


def session_token(client: httpx.AsyncClient) -> str:
    """The session token inside Starlette's signed cookie (base64 JSON, then timestamp and signature)."""
    payload = client.cookies["mostrador_session"].split(".")[0]
    data = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    return str(data["sid"])


def copy_of(app: FastAPI, client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Another tab holding a copy of `client`'s cookie (as a thief would)."""
    thief = client_of(app, "10.9.9.9")
    thief.cookies.set("mostrador_session", client.cookies["mostrador_session"])
    return thief


def alert(r: httpx.Response) -> str:
    """The page's error message, numbers blanked (minutes to wait)."""
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', r.text)
    assert found is not None, r.text
    return re.sub(r"\d+", "N", found.group(1))


def is_login_redirect(r: httpx.Response) -> bool:
    return r.status_code == 303 and r.headers["location"].startswith("/login?next=")


async def test_the_session_row_holds_only_a_hash_of_the_cookie_token(
    tab: httpx.AsyncClient, ctx: AppContext, agent_email: str
) -> None:
    assert (await form_log_in(tab, agent_email)).status_code == 303
    token = session_token(tab)
    with transaction(ctx.sessions) as s:
        rows = s.scalars(select(UserSession)).all()
    assert [r.token_hash for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in {r.token_hash for r in rows}
    assert rows[0].expires_at - rows[0].created_at == sessions.ABSOLUTE_LIFETIME


async def test_a_copied_cookie_stops_working_at_logout(
    app: FastAPI, tab: httpx.AsyncClient, agent_email: str
) -> None:
    await form_log_in(tab, agent_email)
    async with copy_of(app, tab) as thief:
        assert (await thief.get("/inbox")).status_code == 200
        out = await tab.post("/logout")
        assert out.status_code == 303 and out.headers["location"] == "/login?out=1"
        assert "Cerraste la sesión" in (await tab.get(out.headers["location"])).text
        assert is_login_redirect(await thief.get("/inbox"))
    assert is_login_redirect(await tab.get("/inbox"))


async def test_a_password_change_ends_every_other_session_of_the_user(
    app: FastAPI, tab: httpx.AsyncClient, agent_email: str, ctx: AppContext
) -> None:
    await form_log_in(tab, agent_email)
    async with copy_of(app, tab) as thief, client_of(app, "10.0.0.2") as laptop:
        await form_log_in(laptop, agent_email)
        form = {
            "current_password": AGENT_PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        }
        r = await laptop.post("/account/password", data=form)
        assert r.status_code == 303
        assert "Contraseña cambiada" in (await laptop.get(r.headers["location"])).text
        assert (await laptop.get("/inbox")).status_code == 200  # the session that changed it goes on
        assert is_login_redirect(await thief.get("/inbox"))
        assert is_login_redirect(await tab.get("/inbox"))
    with pytest.raises(BadCredentials):
        log_in(ctx.sessions, agent_email, AGENT_PASSWORD, "127.0.0.1")
    assert log_in(ctx.sessions, agent_email, NEW_PASSWORD, "127.0.0.1")


@pytest.mark.parametrize(
    ("current", "new", "again", "message"),
    [
        ("not my password", NEW_PASSWORD, NEW_PASSWORD, "La contraseña actual no es correcta"),
        (AGENT_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!", "no coinciden"),
        (AGENT_PASSWORD, "short", "short", "al menos 10 caracteres"),
    ],
)
async def test_a_refused_password_change_says_why_and_changes_nothing(
    tab: httpx.AsyncClient,
    agent_email: str,
    ctx: AppContext,
    current: str,
    new: str,
    again: str,
    message: str,
) -> None:
    await form_log_in(tab, agent_email)
    form = {"current_password": current, "new_password": new, "new_password_again": again}
    r = await tab.post("/account/password", data=form)
    assert r.status_code == 422 and message in r.text
    assert log_in(ctx.sessions, agent_email, AGENT_PASSWORD, "127.0.0.1")


async def test_the_password_form_needs_the_csrf_token(tab: httpx.AsyncClient, agent_email: str) -> None:
    await form_log_in(tab, agent_email)
    del tab.headers["x-csrf-token"]
    form = {
        "current_password": AGENT_PASSWORD,
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD,
    }
    assert (await tab.post("/account/password", data=form)).status_code == 403


async def test_idle_and_old_sessions_end(tab: httpx.AsyncClient, agent_email: str, ctx: AppContext) -> None:
    await form_log_in(tab, agent_email)
    digest = hashlib.sha256(session_token(tab).encode()).hexdigest()
    with transaction(ctx.sessions) as s:
        s.execute(
            update(UserSession)
            .where(UserSession.token_hash == digest)
            .values(last_seen_at=utcnow() - sessions.IDLE_TIMEOUT - timedelta(seconds=1))
        )
    assert is_login_redirect(await tab.get("/inbox"))
    await form_log_in(tab, agent_email)
    digest = hashlib.sha256(session_token(tab).encode()).hexdigest()
    assert (await tab.get("/inbox")).status_code == 200
    with transaction(ctx.sessions) as s:
        s.execute(update(UserSession).where(UserSession.token_hash == digest).values(expires_at=utcnow()))
    assert is_login_redirect(await tab.get("/inbox"))
    with transaction(ctx.sessions) as s:  # both rows were deleted on sight
        assert s.scalar(select(func.count()).select_from(UserSession)) == 0


async def test_a_polling_fragment_is_sent_to_the_login_page_whole(tab: httpx.AsyncClient) -> None:
    r = await tab.get("/inbox", headers={"hx-request": "true"})
    assert r.status_code == 401 and r.headers["hx-redirect"] == "/login"
    r = await tab.get("/inbox?channel=claims")
    assert r.headers["location"] == "/login?next=/inbox%3Fchannel%3Dclaims"


async def test_login_keeps_only_local_next_targets(tab: httpx.AsyncClient, agent_email: str) -> None:
    for target, expected in [
        ("/accounts", "/accounts"),
        ("//evil.example", "/inbox"),
        ("/\\evil.example", "/inbox"),
    ]:
        page = await tab.get("/login")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        form = {"email": agent_email, "password": AGENT_PASSWORD, "csrf_token": csrf, "next": target}
        r = await tab.post("/login", data=form)
        assert r.headers["location"] == expected


# ---- throttling -------------------------------------------------------------------------------


def record_failures(ctx: AppContext, emails: list[str], client: str, at: datetime | None = None) -> None:
    """Failures recorded as a login would (each real attempt costs an Argon2 check of ~0.3 s)."""
    with transaction(ctx.sessions) as s:
        for email in emails:
            throttle.record_failure(s, email, client, at or utcnow())


async def attempt(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    page = await client.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    return await client.post("/login", data={"email": email, "password": password, "csrf_token": csrf})


async def test_five_failures_for_an_e_mail_lock_it_for_a_while_in_every_process(
    app: FastAPI, ctx: AppContext, agent_email: str
) -> None:
    second_process = create_app(ctx.settings, ctx, durable=False)  # same database, as a second server
    async with client_of(app, "10.0.0.1") as one, client_of(second_process, "10.0.0.2") as two:
        for client in (one, two, one, two, one):
            assert (await attempt(client, agent_email, "wrong guess")).status_code == 401
        refused = await attempt(two, agent_email, AGENT_PASSWORD)  # even the right password
        assert refused.status_code == 429
        assert "Demasiados intentos fallidos" in refused.text
        assert 0 < int(refused.headers["retry-after"]) <= throttle.WINDOW.total_seconds()
        # An e-mail nobody has is refused the same way: the lock tells nothing about who exists.
        record_failures(ctx, ["nadie@example.com"] * (throttle.EMAIL_LIMIT - 1), "10.0.0.3")
        assert (await attempt(one, "nadie@example.com", "wrong guess")).status_code == 401
        unknown = await attempt(one, "nadie@example.com", "wrong guess")
        assert unknown.status_code == 429
        assert alert(unknown) == alert(refused)
    # Once the failures are older than the window the e-mail may log in again.
    with transaction(ctx.sessions) as s:
        s.execute(update(LoginFailure).values(failed_at=utcnow() - throttle.WINDOW - timedelta(seconds=1)))
    async with client_of(app, "10.0.0.1") as one:
        assert (await attempt(one, agent_email, AGENT_PASSWORD)).status_code == 303


async def test_thirty_failures_from_one_address_lock_that_address_only(
    app: FastAPI, ctx: AppContext, agent_email: str
) -> None:
    guessed = [f"user{n}@example.com" for n in range(throttle.CLIENT_LIMIT)]
    record_failures(ctx, guessed[:-1], "203.0.113.7")  # 29 earlier guesses, one e-mail each
    async with client_of(app, "203.0.113.7") as guesser, client_of(app, "198.51.100.1") as seller:
        assert (await attempt(guesser, guessed[-1], "wrong guess")).status_code == 401
        assert (await attempt(guesser, agent_email, AGENT_PASSWORD)).status_code == 429
        assert (await attempt(seller, agent_email, AGENT_PASSWORD)).status_code == 303


def test_a_success_clears_the_e_mail_s_failures(ctx: AppContext, agent_email: str) -> None:
    now = utcnow()
    record_failures(ctx, [agent_email] * (throttle.EMAIL_LIMIT - 1), "10.0.0.1", now)
    assert log_in(ctx.sessions, agent_email, AGENT_PASSWORD, "10.0.0.1", now=now)
    record_failures(ctx, [agent_email] * (throttle.EMAIL_LIMIT - 1), "10.0.0.1", now)
    with pytest.raises(BadCredentials):  # 4 + 4 never made 5: still checked, and counted
        log_in(ctx.sessions, agent_email, "wrong guess", "10.0.0.1", now=now)
    later = now + timedelta(minutes=5)
    with pytest.raises(LoginThrottled) as refused:
        log_in(ctx.sessions, agent_email, AGENT_PASSWORD, "10.0.0.1", now=later)
    assert refused.value.retry_after_s == int((throttle.WINDOW - timedelta(minutes=5)).total_seconds())
    assert log_in(ctx.sessions, agent_email, AGENT_PASSWORD, "10.0.0.1", now=now + throttle.WINDOW)


def test_a_wrong_current_password_counts_as_a_failed_login(ctx: AppContext, agent_email: str) -> None:
    token = log_in(ctx.sessions, agent_email, AGENT_PASSWORD, "10.0.0.1")
    who = sessions.resume(ctx.sessions, token)
    assert who is not None
    record_failures(ctx, [agent_email] * (throttle.EMAIL_LIMIT - 1), "10.0.0.1")
    with pytest.raises(WrongPassword):
        change_password(ctx.sessions, who, "wrong guess", NEW_PASSWORD, NEW_PASSWORD, "10.0.0.1")
    with pytest.raises(LoginThrottled):
        change_password(ctx.sessions, who, AGENT_PASSWORD, NEW_PASSWORD, NEW_PASSWORD, "10.0.0.1")


# ---- housekeeping -----------------------------------------------------------------------------


def test_housekeeping_deletes_what_expired_and_keeps_the_rest(ctx: AppContext, agent_email: str) -> None:
    now = utcnow()
    live = log_in(ctx.sessions, agent_email, AGENT_PASSWORD, "10.0.0.1", now=now)
    log_in(ctx.sessions, agent_email, AGENT_PASSWORD, "10.0.0.1", now=now - sessions.IDLE_TIMEOUT * 2)
    with transaction(ctx.sessions) as s:
        s.add(LoginFailure(email="x@example.com", client="10.0.0.9", failed_at=now - throttle.WINDOW * 2))
        s.add(LoginFailure(email="x@example.com", client="10.0.0.9", failed_at=now))
    with transaction(ctx.sessions) as s:
        ws_id = people_store.get_or_create_workspace(s, "w1").id
    connect.begin(ctx, ws_id, None)  # a fresh OAuth state
    with transaction(ctx.sessions) as s:
        s.add(
            OAuthState(
                state="stale", workspace_id=ws_id, code_verifier="v", created_at=now - timedelta(hours=1)
            )
        )

    assert sessions.purge_expired(ctx.sessions, now) == 1
    assert throttle.purge(ctx.sessions, now) == 1
    assert connect.purge_expired_states(ctx, now) == 1
    assert sessions.resume(ctx.sessions, live, now) is not None
    with transaction(ctx.sessions) as s:
        assert s.scalar(select(func.count()).select_from(LoginFailure)) == 1
        assert len(states := s.scalars(select(OAuthState.state)).all()) == 1 and states != ["stale"]


# ---- API docs -----------------------------------------------------------------------------------


async def test_the_api_docs_need_a_login(tab: httpx.AsyncClient, agent_email: str) -> None:
    for path in ("/api/docs", "/api/openapi.json"):
        assert is_login_redirect(await tab.get(path))
    assert (await tab.get("/openapi.json")).status_code == 404  # FastAPI's public default is off
    await form_log_in(tab, agent_email)
    assert "swagger" in (await tab.get("/api/docs")).text.lower()
    schema = (await tab.get("/api/openapi.json")).json()
    assert "/inbox" in schema["paths"] and "/api/docs" not in schema["paths"]


async def test_a_copy_of_the_very_cookie_that_changed_the_password_stops_working(
    app: FastAPI, tab: httpx.AsyncClient, agent_email: str
) -> None:
    """The usual theft copies the current browser's cookie: changing the password from that browser
    must end that session too (the browser itself gets a new one)."""
    await form_log_in(tab, agent_email)
    async with copy_of(app, tab) as thief:
        form = {
            "current_password": AGENT_PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        }
        r = await tab.post("/account/password", data=form)
        assert r.status_code == 303
        assert is_login_redirect(await thief.get("/inbox"))
        assert (await tab.get("/inbox")).status_code == 200


async def test_a_token_planted_before_login_is_worthless_after_it(
    tab: httpx.AsyncClient, agent_email: str
) -> None:
    """Someone who could plant a cookie (a sibling subdomain, plain http) knows the CSRF token it held:
    a login issues a new one."""
    planted = re.search(r'name="csrf_token" value="([^"]+)"', (await tab.get("/login")).text).group(1)  # type: ignore[union-attr]
    await form_log_in(tab, agent_email)
    r = await tab.post("/logout", data={"csrf_token": planted}, headers={"x-csrf-token": planted})
    assert r.status_code == 403
    assert (await tab.get("/inbox")).status_code == 200


@pytest.mark.parametrize("bad_id", ["%C2%B2", "99999999999999999999999", "-1", "1e3"])
async def test_ids_that_are_not_plain_numbers_are_not_found(
    tab: httpx.AsyncClient, agent_email: str, bad_id: str
) -> None:
    await form_log_in(tab, agent_email)
    assert (await tab.get(f"/inbox/{bad_id}")).status_code == 404


def test_guesses_sent_all_at_once_cannot_slip_past_the_limit(ctx: AppContext, agent_email: str) -> None:
    """Each attempt is counted before its password is checked, so a wave of concurrent guesses gets
    only as many password checks as the limit allows."""
    import threading

    outcomes: list[str] = []
    start = threading.Barrier(12)

    def guess() -> None:
        start.wait()
        try:
            log_in(ctx.sessions, agent_email, "wrong guess!!", "10.1.1.1")
        except BadCredentials:
            outcomes.append("checked")
        except LoginThrottled:
            outcomes.append("throttled")

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes.count("checked") <= throttle.EMAIL_LIMIT
    assert outcomes.count("throttled") == 12 - outcomes.count("checked")


def test_an_oauth_state_only_completes_for_the_user_who_started_it(ctx: AppContext, agent_email: str) -> None:
    """Another user (or workspace) presenting the state gets nothing, and cannot burn it either."""
    from mostrador.users.service import create_user

    with transaction(ctx.sessions) as s:
        owner = people_store.user_by_email(s, agent_email)
        assert owner is not None
        owner_id, workspace_id = owner.id, owner.workspace_id
    other = create_user(ctx.sessions, "otro@example.com", AGENT_PASSWORD, "Otro", "w1")
    connect.begin(ctx, workspace_id, owner_id)
    with transaction(ctx.sessions) as s:
        state = s.scalars(select(OAuthState.state)).one()
    with pytest.raises(connect.ConnectError):
        connect._take_state(ctx, state, workspace_id, other)
    assert connect._take_state(ctx, state, workspace_id, owner_id)  # still there for its owner


def test_production_hashes_keep_rfc_9106_s_cost() -> None:
    """The tests hash at Argon2's lowest cost (tests/conftest.py); a fresh process keeps the real one."""
    import subprocess
    import sys

    script = "from mostrador.security.passwords import hash_password as h; print(h('x' * 12))"
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), out
