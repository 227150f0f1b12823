"""Fixtures for app-level tests: a migrated database and a connected account row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mostrador.context import AppContext, build_context
from mostrador.settings import Settings
from mostrador.store import migrate
from mostrador.store import repositories as repo
from mostrador.store.db import transaction
from mostrador.store.models import Account

from .sandbox_grant import connected  # noqa: F401 - a fixture shared by this folder's tests

SELLER_ID = 2_200_000_001


@pytest.fixture
def ctx(settings: Settings) -> Iterator[AppContext]:
    context = build_context(settings)
    migrate.upgrade(context.engine)
    yield context
    context.engine.dispose()


@pytest.fixture
def account_id(ctx: AppContext) -> int:
    with transaction(ctx.sessions) as s:
        ws = repo.get_or_create_workspace(s, "w1")
        acc = Account(
            workspace_id=ws.id,
            meli_user_id=SELLER_ID,
            nickname="SELLER1",
            site_id="MLA",
            access_token_enc=ctx.cipher.encrypt("APP_USR-1-2-3-4"),
            refresh_token_enc=ctx.cipher.encrypt("TG-abc-4"),
            token_expires_at=datetime.now(UTC) + timedelta(hours=6),
        )
        s.add(acc)
        s.flush()
        return acc.id


AGENT_PASSWORD = "correct horse battery staple"


@pytest.fixture
def agent_email(ctx: AppContext, account_id: int) -> str:
    """An admin of the account's workspace."""
    from mostrador.agents.service import create_agent

    create_agent(ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w1")
    return "ana@example.com"


@pytest.fixture
async def web(ctx: AppContext, agent_email: str) -> Any:
    """The app (no durable runtime) behind an ASGI client that is logged in as `agent_email`."""
    import re

    import httpx

    from mostrador.web.app import create_app

    app = create_app(ctx.settings, ctx, durable=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        page = await client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        r = await client.post(
            "/login", data={"email": agent_email, "password": AGENT_PASSWORD, "csrf_token": csrf}
        )
        assert r.status_code == 303
        client.headers["x-csrf-token"] = csrf
        yield client
