"""A seller connected to an app registered in a real sandbox, without the web app in between."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from mostrador.accounts.tokens import save_new_grant
from mostrador.context import AppContext, build_context
from mostrador.meli import MeliClient
from mostrador.meli.models import TokenResponse
from mostrador.sandbox.config import SandboxConfig
from mostrador.sandbox.testing import running_sandbox_app
from mostrador.security.pkce import new_verifier, s256_challenge
from mostrador.settings import Settings
from mostrador.store import migrate
from mostrador.store import people as people_store
from mostrador.store.db import transaction

REDIRECT = "http://127.0.0.1:9/oauth/callback"


def grant(
    sandbox_url: str, topics: list[str] | None = None
) -> tuple[dict[str, Any], dict[str, Any], TokenResponse]:
    """Register an app, create a seller and run the authorization-code + PKCE flow by hand."""
    with httpx.Client(base_url=sandbox_url) as c:
        app = c.post(
            "/_sandbox/apps",
            json={
                "name": "t",
                "callback_url": "http://127.0.0.1:9/n",
                "redirect_uri": REDIRECT,
                "topics": topics or [],
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


@dataclass
class Connected:
    ctx: AppContext
    sandbox: Any
    seller: dict[str, Any]
    account_id: int


@contextlib.contextmanager
def connected_seller(settings: Settings, topics: list[str], seed: int) -> Iterator[Connected]:
    """A sandbox, an app subscribed to `topics` whose callback is a closed port, and a seller who
    granted it, stored as an account in a migrated database."""
    with running_sandbox_app(SandboxConfig(seed=seed)) as sandbox:
        app, seller, tokens = grant(sandbox.url, topics=topics)
        settings.meli_api_url = settings.meli_auth_url = sandbox.url
        settings.meli_client_id = str(app["client_id"])
        settings.meli_client_secret = app["client_secret"]
        ctx = build_context(settings)
        migrate.upgrade(ctx.engine)  # a no-op (tens of ms) when the database is a migrated template's copy
        with transaction(ctx.sessions) as s:
            ws_id = people_store.get_or_create_workspace(s, "w").id
        account_id = save_new_grant(ctx, ws_id, int(seller["id"]), seller["nickname"], "MLA", tokens)
        yield Connected(ctx, sandbox, seller, account_id)
        ctx.engine.dispose()


def run_in_worker_context(connected: Connected, job: Callable[[AppContext], Awaitable[Any]]) -> Any:
    """Run channel or safety-net work the way a workflow step does: its own loop and client."""

    async def go() -> Any:
        ctx = build_context(connected.ctx.settings)
        try:
            return await job(ctx)
        finally:
            await ctx.aclose()

    return asyncio.run(go())


@pytest.fixture
def connected(migrated: Settings) -> Iterator[Connected]:
    """An account row holding a real grant; the app's callback points at a closed port."""
    with connected_seller(migrated, ["questions"], seed=3) as c:
        yield c


def ingest(connected: Connected, topic: str, resource_id: str | int) -> Any:
    """What a workflow's ingest step does: the topic's channel, with the seller's API handle."""
    from mostrador.accounts.seller_api import SellerApi
    from mostrador.channels.registry import channel_for

    async def job(ctx: AppContext) -> Any:
        route = channel_for(topic)
        assert route is not None
        api = await SellerApi.open(ctx, connected.account_id)
        return await route.channel.ingest(ctx, api, topic, str(resource_id))

    return run_in_worker_context(connected, job)


def deliver(connected: Connected, entry_id: int, drive: int | None = None) -> str:
    """What a send workflow does: the outbox pipeline for the entry's current drive (or `drive`)."""
    from mostrador.conversations import outgoing
    from mostrador.outbox import pipeline
    from mostrador.store.db import transaction as tx

    if drive is None:
        with tx(connected.ctx.sessions) as s:
            drive = outgoing.load(s, entry_id).drive

    async def job(ctx: AppContext) -> str:
        return (await pipeline.deliver(ctx, entry_id, drive)).status

    return run_in_worker_context(connected, job)  # type: ignore[no-any-return]


def new_listing(connected: Connected, title: str = "Mate de calabaza") -> str:
    """A listing of the seller, through the sandbox's public API; its id."""
    with httpx.Client(base_url=connected.sandbox.url) as c:
        item = c.post(
            "/items",
            json={
                "title": title,
                "category_id": "MLA1",
                "price": 9000,
                "currency_id": "ARS",
                "available_quantity": 4,
                "buying_mode": "buy_it_now",
                "listing_type_id": "gold_special",
                "condition": "new",
            },
            headers={"Authorization": f"Bearer {connected.seller['access_token']}"},
        )
        item.raise_for_status()
        return str(item.json()["id"])


def ask_question(
    connected: Connected, text: str, item_id: str | None = None, buyer: str = "PREGUNTON"
) -> dict[str, Any]:
    """A new buyer's question on `item_id` (a new listing when None), through the sandbox's public API."""
    item_id = item_id or new_listing(connected)
    with httpx.Client(base_url=connected.sandbox.url) as c:
        asker = c.post("/_sandbox/users", json={"nickname": buyer, "site_id": "MLA", "role": "buyer"})
        r = c.post(
            "/questions",
            json={"item_id": item_id, "text": text},
            headers={"Authorization": f"Bearer {asker.json()['access_token']}"},
        )
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]


def sandbox_faults(connected: Connected, **faults: Any) -> None:
    """Set the sandbox's fault injection (no arguments: all off)."""
    with httpx.Client(base_url=connected.sandbox.url) as c:
        c.put("/_sandbox/faults", json=faults).raise_for_status()


def sandbox_log(connected: Connected, kind: str) -> list[dict[str, Any]]:
    with httpx.Client(base_url=connected.sandbox.url) as c:
        body = c.get("/_sandbox/log", params={"kind": kind}).json()
    return body if isinstance(body, list) else body.get("entries", body.get("results", []))  # type: ignore[no-any-return]


class Buyer:
    """A buyer of the sandbox who asks on listings with their own token."""

    def __init__(self, connected: Connected, nickname: str = "PREGUNTON") -> None:
        self.url = connected.sandbox.url
        with httpx.Client(base_url=self.url, timeout=10) as c:
            me = c.post("/_sandbox/users", json={"nickname": nickname, "site_id": "MLA", "role": "buyer"})
        self.id, self.token = int(me.json()["id"]), me.json()["access_token"]

    def ask(self, item_id: str, text: str) -> httpx.Response:
        with httpx.Client(base_url=self.url, timeout=10) as c:
            return c.post(
                "/questions",
                json={"item_id": item_id, "text": text},
                headers={"Authorization": f"Bearer {self.token}"},
            )
