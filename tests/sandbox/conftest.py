"""Fixtures for the sandbox tests: an in-process app, an httpx client over ASGI, and an actor helper."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi import FastAPI

from mostrador.sandbox.app import create_app
from mostrador.sandbox.config import SandboxConfig

REDIRECT = "http://127.0.0.1:9/callback"


@dataclass
class Connected:
    """A seller connected to a third-party app through the real OAuth flow."""

    user: dict[str, Any]
    app: dict[str, Any]
    tokens: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}


class Actors:
    """Builds sellers, buyers, apps and items through the public control API and the OAuth flow."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def user(self, role: str = "seller", site_id: str = "MLA", **extra: Any) -> dict[str, Any]:
        response = await self.client.post("/_sandbox/users", json={"role": role, "site_id": site_id, **extra})
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def app(
        self, callback_url: str | None = None, topics: list[str] | None = None, pkce: bool = False
    ) -> dict[str, Any]:
        body = {
            "name": "Mostrador test",
            "callback_url": callback_url,
            "redirect_uri": REDIRECT,
            "topics": topics if topics is not None else ["questions", "items", "messages", "orders_v2"],
            "pkce": pkce,
        }
        response = await self.client.post("/_sandbox/apps", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def authorize(
        self, app: dict[str, Any], user: dict[str, Any], verifier: str | None = None, method: str = "S256"
    ) -> str:
        form = {
            "response_type": "code",
            "client_id": str(app["client_id"]),
            "redirect_uri": REDIRECT,
            "state": "st4te",
            "nickname": user["nickname"],
            "password": user["password"],
            "decision": "allow",
        }
        if verifier is not None:
            form["code_challenge"] = challenge(verifier) if method == "S256" else verifier
            form["code_challenge_method"] = method
        response = await self.client.post("/authorization", data=form)
        assert response.status_code == 302, response.text
        query = parse_qs(urlparse(response.headers["location"]).query)
        assert query["state"] == ["st4te"]
        return query["code"][0]

    async def token(self, app: dict[str, Any], **form: str) -> httpx.Response:
        data = {"client_id": str(app["client_id"]), "client_secret": app["client_secret"], **form}
        return await self.client.post("/oauth/token", data=data)

    async def connect(
        self, app: dict[str, Any] | None = None, user: dict[str, Any] | None = None
    ) -> Connected:
        app = app or await self.app()
        user = user or await self.user()
        verifier = "v" * 50 if app["pkce"] else None
        code = await self.authorize(app, user, verifier)
        extra = {"code_verifier": verifier} if verifier else {}
        response = await self.token(
            app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, **extra
        )
        assert response.status_code == 200, response.text
        return Connected(user=user, app=app, tokens=response.json())

    async def item(self, seller: Connected | dict[str, Any], **overrides: Any) -> dict[str, Any]:
        body = listing(**overrides)
        headers = seller.headers if isinstance(seller, Connected) else bearer(seller)
        response = await self.client.post("/items", json=body, headers=headers)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def ask(
        self, buyer: dict[str, Any], item_id: str, text: str = "¿Tenés stock en negro?"
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/questions", json={"item_id": item_id, "text": text}, headers=bearer(buyer)
        )
        assert response.status_code == 201, response.text
        return dict(response.json())


def bearer(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {user['access_token']}"}


def challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def listing(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Zapatillas Running Hombre Liviana Urbana",
        "category_id": "MLA109027",
        "price": 45999,
        "currency_id": "ARS",
        "available_quantity": 37,
        "buying_mode": "buy_it_now",
        "listing_type_id": "gold_special",
        "condition": "new",
        "pictures": [{"source": "http://127.0.0.1/p.jpg"}],
        "attributes": [
            {"id": "BRAND", "value_name": "Generic"},
            {"id": "SELLER_SKU", "value_name": "ZAP-42"},
        ],
        "sale_terms": [
            {"id": "WARRANTY_TYPE", "value_name": "Garantía del vendedor"},
            {"id": "WARRANTY_TIME", "value_name": "30 días"},
        ],
        "shipping": {
            "mode": "me2",
            "free_shipping": True,
            "logistic_type": "cross_docking",
            "local_pick_up": False,
        },
        "description": {"plain_text": "Zapatilla liviana con suela de goma."},
    }
    body.update(overrides)
    return body


@pytest.fixture
def config() -> SandboxConfig:
    return SandboxConfig(seed=7, public_url="http://127.0.0.1:8099")


@pytest.fixture
def app(config: SandboxConfig) -> FastAPI:
    return create_app(config)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8099") as http:
        yield http


@pytest.fixture
def actors(client: httpx.AsyncClient) -> Actors:
    return Actors(client)
