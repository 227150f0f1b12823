"""The FastAPI application factory. Settings come in; nothing is read at import time."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from mostrador.context import AppContext, build_context
from mostrador.intake.writer import IntakeWriter
from mostrador.settings import Settings
from mostrador.store import migrate
from mostrador.web import accounts, auth, bot_settings, inbox, intake
from mostrador.web.deps import LoginRequired, build_templates

STATIC = Path(__file__).parent / "static"


def create_app(
    settings: Settings, ctx: AppContext | None = None, *, auto_migrate: bool = True, durable: bool = True
) -> FastAPI:
    """The web app. `durable=False` (tests of pages and intake only) starts no DBOS runtime."""
    settings.ensure_secrets()
    context = ctx or build_context(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from mostrador.workflows import runtime
        from mostrador.workflows.dispatch import Dispatcher

        if auto_migrate:
            migrate.upgrade(context.engine)
        if context.checkpointer is not None:
            context.checkpointer.start()
        # Training the intent model takes seconds: do it now, off the event loop, not on the first question.
        threading.Thread(target=context.bots.warm, name="bot-warm-up", daemon=True).start()
        dispatcher = None
        if durable:
            await runtime.launch(context, consume=settings.run_workers)
            dispatcher = Dispatcher(context)
            app.state.dispatcher = dispatcher
            dispatcher.start()
            dispatcher.wake.set()  # pick up anything recorded before a crash
        try:
            yield
        finally:
            if dispatcher is not None:
                await dispatcher.stop()
            await writer.stop()
            await context.aclose()
            if durable:
                runtime.shutdown()

    app = FastAPI(title="Mostrador", lifespan=lifespan, docs_url="/api/docs", redoc_url=None)
    app.state.ctx = context
    app.state.templates = build_templates()
    assert settings.secret_key is not None
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie="mostrador_session",
        same_site="lax",
        https_only=settings.public_url.startswith("https://"),
        max_age=12 * 3600,
    )
    # Added last, so it runs first: the webhook skips sessions and routing (see web/intake.py).
    writer = IntakeWriter(context.engine, in_thread=settings.is_postgres)
    app.add_middleware(intake.IntakeEndpoint, ctx=context, writer=writer, wake=lambda: _wake_dispatcher(app))
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for router in (auth.router, accounts.router, bot_settings.router, inbox.router):
        app.include_router(router)

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, _exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return app


def _wake_dispatcher(app: FastAPI) -> None:
    dispatcher = getattr(app.state, "dispatcher", None)
    if dispatcher is not None:
        dispatcher.wake.set()
