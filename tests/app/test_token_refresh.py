"""Token refresh against the sandbox: single-flight across processes, revocation detected and shown."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import update

from mostrador.accounts.tokens import AccountUnavailable, access_token, save_new_grant
from mostrador.context import AppContext, build_context
from mostrador.meli import MeliClient
from mostrador.meli.models import TokenResponse
from mostrador.sandbox.config import SandboxConfig
from mostrador.sandbox.testing import running_sandbox_app
from mostrador.security.pkce import new_verifier, s256_challenge
from mostrador.settings import Settings
from mostrador.store import repositories as repo
from mostrador.store.db import transaction
from mostrador.store.models import Account

REDIRECT = "http://127.0.0.1:9/oauth/callback"


def grant(sandbox_url: str) -> tuple[dict[str, Any], dict[str, Any], TokenResponse]:
    """Register an app, create a seller and run the authorization-code + PKCE flow by hand."""
    with httpx.Client(base_url=sandbox_url) as c:
        app = c.post(
            "/_sandbox/apps",
            json={
                "name": "t",
                "callback_url": "http://127.0.0.1:9/n",
                "redirect_uri": REDIRECT,
                "topics": [],
                "pkce": True,
            },
        ).json()
        seller = c.post("/_sandbox/users", json={"nickname": "S1", "site_id": "MLA", "role": "seller"}).json()
        verifier = new_verifier()
        r = c.post(
            "/authorization",
            data={
                "response_type": "code",
                "client_id": str(app["client_id"]),
                "redirect_uri": REDIRECT,
                "state": "s1",
                "code_challenge": s256_challenge(verifier),
                "code_challenge_method": "S256",
                "nickname": seller["nickname"],
                "password": seller["password"],
                "decision": "allow",
            },
        )
        assert r.status_code in (302, 303), r.text
        code = parse_qs(urlparse(r.headers["location"]).query)["code"][0]

    async def exchange() -> TokenResponse:
        client = MeliClient(
            api_url=sandbox_url,
            auth_url=sandbox_url,
            client_id=str(app["client_id"]),
            client_secret=app["client_secret"],
        )
        try:
            return await client.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=verifier)
        finally:
            await client.aclose()

    return app, seller, asyncio.run(exchange())


def expire_token(ctx: AppContext, account_id: int) -> None:
    with transaction(ctx.sessions) as s:
        s.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(token_expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )


def token_now(settings: Settings, account_id: int) -> str:
    """`access_token` in its own event loop and client, as one process would call it."""

    async def run() -> str:
        ctx = build_context(settings)
        try:
            return await access_token(ctx, account_id)
        finally:
            await ctx.aclose()

    return asyncio.run(run())


def _refresh_in_child(settings: Settings, account_id: int, barrier: Any, out: Any) -> None:
    barrier.wait()
    try:
        out.put(("ok", token_now(settings, account_id)))
    except Exception as exc:  # reported to the parent, which fails the test with it
        out.put(("error", repr(exc)))


@pytest.fixture
def connected(settings: Settings) -> Any:
    with running_sandbox_app(SandboxConfig(seed=3)) as sandbox:
        app, seller, tokens = grant(sandbox.url)
        settings.meli_api_url = settings.meli_auth_url = sandbox.url
        settings.meli_client_id = str(app["client_id"])
        settings.meli_client_secret = app["client_secret"]
        ctx = build_context(settings)
        from mostrador.store import migrate

        migrate.upgrade(ctx.engine)
        with transaction(ctx.sessions) as s:
            ws_id = repo.get_or_create_workspace(s, "w").id
        account_id = save_new_grant(ctx, ws_id, int(seller["id"]), seller["nickname"], "MLA", tokens)
        yield ctx, sandbox, seller, account_id
        ctx.engine.dispose()


def test_concurrent_refreshes_from_several_processes_keep_the_account(connected: Any) -> None:
    ctx, _sandbox, _seller, account_id = connected
    expire_token(ctx, account_id)
    with transaction(ctx.sessions) as s:
        before = s.get(Account, account_id).token_version  # type: ignore[union-attr]
    spawn = mp.get_context("spawn")
    barrier, out = spawn.Barrier(4), spawn.Queue()
    procs = [
        spawn.Process(target=_refresh_in_child, args=(ctx.settings, account_id, barrier, out))
        for _ in range(4)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert all(kind == "ok" for kind, _ in results), results
    assert len({token for _, token in results}) == 1, "every process must end with the same new token"
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        assert acc is not None
        assert acc.status == "active"
        assert acc.token_version == before + 1, "exactly one refresh happened"
    # The stored refresh token is the newest one: refreshing again still works.
    expire_token(ctx, account_id)
    assert token_now(ctx.settings, account_id) != results[0][1]


def test_revoked_grant_is_detected_and_marked(connected: Any) -> None:
    ctx, sandbox, seller, account_id = connected
    with httpx.Client(base_url=sandbox.url) as c:
        r = c.delete(
            f"/users/{seller['id']}/applications/{ctx.settings.meli_client_id}",
            headers={"Authorization": f"Bearer {seller['access_token']}"},
        )
        assert r.status_code == 200, r.text
    expire_token(ctx, account_id)
    with pytest.raises(AccountUnavailable):
        token_now(ctx.settings, account_id)
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        assert acc is not None and acc.status == "revoked"
