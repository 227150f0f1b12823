"""Fixtures for app-level tests: a migrated database and a connected account row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mostrador.context import AppContext, build_context
from mostrador.settings import Settings
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import Account

from .sandbox_grant import connected  # noqa: F401 - a fixture shared by this folder's tests

SELLER_ID = 2_200_000_001


@pytest.fixture
def migrated(settings: Settings) -> Settings:
    """`settings` whose database holds every migration: asked for, it makes the `settings` fixture start
    from a copy of the session's migrated template (tests/conftest.py) instead of an empty database."""
    return settings


@pytest.fixture
def ctx(migrated: Settings) -> Iterator[AppContext]:
    context = build_context(migrated)
    yield context
    context.engine.dispose()


@pytest.fixture
def account_id(ctx: AppContext) -> int:
    with transaction(ctx.sessions) as s:
        ws = people_store.get_or_create_workspace(s, "w1")
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
    """The owner of the account's workspace (its first user)."""
    from mostrador.users.service import create_user

    create_user(ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w1")
    return "ana@example.com"


async def log_in(client: Any, email: str, password: str = AGENT_PASSWORD) -> Any:
    """Log `client` (an httpx.AsyncClient on the app) in through the login form; returns the response.

    The form's CSRF token is kept as the client's `x-csrf-token` header for later state changes.
    """
    import re

    page = await client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = await client.post("/login", data={"email": email, "password": password, "csrf_token": csrf})
    if r.status_code == 303:  # a login issues a new CSRF token: read it from a page of the new session
        page = await client.get("/account/password")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    client.headers["x-csrf-token"] = csrf
    return r


@pytest.fixture
async def web(ctx: AppContext, agent_email: str) -> Any:
    """The app (no durable runtime) behind an ASGI client that is logged in as `agent_email`."""
    import httpx

    from mostrador.web.app import create_app

    app = create_app(ctx.settings, ctx, durable=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        r = await log_in(client, agent_email)
        assert r.status_code == 303
        yield client


# ---- post-sale: a seller subscribed to messages and claims, and the marketplace that plays the buyer ----
POSTSALE_TOPICS = ["questions", "messages", "post_purchase"]


@pytest.fixture
def postsale(migrated: Settings) -> Iterator[Any]:
    """Like `connected`, for an app subscribed to post-sale topics too; its callback is a closed port,
    so every webhook fails (tests drive ingest themselves, or recover through missed feeds and sweeps)."""
    from .sandbox_grant import connected_seller

    with connected_seller(migrated, POSTSALE_TOPICS, seed=5) as c:
        yield c


class Market:
    """The marketplace side of a post-sale test, through the sandbox's public and control APIs."""

    def __init__(self, sandbox_url: str, seller: dict[str, Any]) -> None:
        import httpx

        self.http = httpx.Client(base_url=sandbox_url, timeout=10)
        self.seller = seller

    def close(self) -> None:
        self.http.close()

    def sale(self, title: str = "Mate de calabaza", nickname: str = "COMPRADOR") -> dict[str, Any]:
        """A listing, a buyer and a paid order: the order (with `pack_id`), plus `buyer` and `title`."""
        auth = {"Authorization": f"Bearer {self.seller['access_token']}"}
        item = self.http.post(
            "/items",
            json={
                "title": title,
                "category_id": "MLA1",
                "price": 9000,
                "currency_id": "ARS",
                "available_quantity": 5,
                "buying_mode": "buy_it_now",
                "listing_type_id": "gold_special",
                "condition": "new",
            },
            headers=auth,
        )
        item.raise_for_status()
        buyer = self.http.post(
            "/_sandbox/users", json={"nickname": nickname, "site_id": "MLA", "role": "buyer"}
        )
        buyer.raise_for_status()
        order = self.http.post(
            "/_sandbox/orders", json={"buyer_id": buyer.json()["id"], "item_id": item.json()["id"]}
        )
        order.raise_for_status()
        return {**order.json(), "buyer": buyer.json(), "title": title}

    def pack_of(self, order: dict[str, Any]) -> int:
        return int(order["pack_id"] or order["id"])

    def buyer_writes(
        self, order: dict[str, Any], text: str, attachments: list[str] | None = None
    ) -> dict[str, Any]:
        r = self.http.post(
            f"/_sandbox/packs/{self.pack_of(order)}/buyer_messages",
            json={"text": text, "attachments": attachments or []},
        )
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]

    def buyer_asks(self, order: dict[str, Any], text: str) -> dict[str, Any]:
        """The buyer of `order` asks on its item (a pre-sale question after the sale)."""
        r = self.http.post(
            "/questions",
            json={"item_id": order["order_items"][0]["item"]["id"], "text": text},
            headers={"Authorization": f"Bearer {order['buyer']['access_token']}"},
        )
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]

    def buyer_uploads(self, order: dict[str, Any], name: str, data: bytes) -> str:
        r = self.http.post(
            "/_sandbox/attachments", params={"pack_id": self.pack_of(order)}, files={"file": (name, data)}
        )
        r.raise_for_status()
        return str(r.json()["id"])

    def open_claim(self, order: dict[str, Any], reason_id: str = "PDD9944") -> dict[str, Any]:
        r = self.http.post("/_sandbox/claims", json={"order_id": order["id"], "reason_id": reason_id})
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]

    def advance_claim(self, claim_id: int, **change: Any) -> dict[str, Any]:
        r = self.http.post(f"/_sandbox/claims/{claim_id}/advance", json=change)
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]

    def buyer_writes_in_claim(self, claim_id: int, text: str) -> dict[str, Any]:
        r = self.http.post(f"/_sandbox/claims/{claim_id}/buyer_messages", json={"text": text})
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]

    def log(self, kind: str) -> list[dict[str, Any]]:
        body = self.http.get("/_sandbox/log", params={"kind": kind}).json()
        return body if isinstance(body, list) else body.get("entries", body.get("results", []))  # type: ignore[no-any-return]

    def drop_webhooks(self, on: bool = True) -> None:
        faults = {"notification": {"drop_rate": 1.0}} if on else {}
        self.http.put("/_sandbox/faults", json=faults).raise_for_status()


@pytest.fixture
def market(postsale: Any) -> Iterator[Market]:
    m = Market(postsale.sandbox.url, postsale.seller)
    yield m
    m.close()
