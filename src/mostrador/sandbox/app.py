"""The sandbox ASGI app factory: one isolated Mercado Libre emulator per call."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from mostrador.sandbox import (
    api_claim_actions,
    api_claims,
    api_items,
    api_messages,
    api_oauth,
    api_orders,
    api_platform,
    api_questions,
    control,
    users,
)
from mostrador.sandbox.config import SandboxConfig
from mostrador.sandbox.errors import install_error_handlers
from mostrador.sandbox.faults import FaultInjector, FaultMiddleware
from mostrador.sandbox.notifications import Notifier
from mostrador.sandbox.ratelimit import RateLimiter
from mostrador.sandbox.state import SandboxState


class TrailingSlashMiddleware:
    """`GET /items/?ids=…` is `GET /items?ids=…`: Mercado Libre answers both spellings, where Starlette
    would answer the first with a 307 redirect that some clients do not follow (or follow as a GET)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            raw = scope.get("raw_path") or path.encode("utf-8")
            scope = {**scope, "path": path.rstrip("/") or "/", "raw_path": raw.rstrip(b"/") or b"/"}
        await self.app(scope, receive, send)


def create_app(config: SandboxConfig) -> FastAPI:
    """Build the emulator; its state lives on `app.state` and `POST /_sandbox/reset` renews it."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(app.state.notifier.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(
        title="Mercado Libre sandbox",
        lifespan=lifespan,
        docs_url="/_sandbox/docs",
        redoc_url=None,
        openapi_url="/_sandbox/openapi.json",
        redirect_slashes=False,
    )
    app.state.sandbox = SandboxState.fresh(config)
    app.state.faults = FaultInjector(config.seed)
    app.state.rate_limiter = RateLimiter(config.rate_limits)
    app.state.action_guide_locks = set()
    app.state.notifier = Notifier(lambda: app.state.sandbox, lambda: app.state.faults)
    app.state.notifier.tickers.append(
        api_orders.shipment_ticker(lambda: app.state.sandbox, app.state.notifier)
    )
    app.state.notifier.tickers.append(api_claims.claims_ticker(lambda: app.state.sandbox, app.state.notifier))
    install_error_handlers(app)
    app.add_middleware(FaultMiddleware)
    app.add_middleware(TrailingSlashMiddleware)
    for module in (
        control,
        api_oauth,
        api_platform,
        users,
        api_items,
        api_questions,
        api_orders,
        api_messages,
        api_claims,
        api_claim_actions,
    ):
        app.include_router(module.router)
    return app
