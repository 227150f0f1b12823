"""The FastAPI application factory. Settings come in; nothing is read at import time."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from mostrador.context import AppContext, build_context
from mostrador.intake.writer import IntakeWriter
from mostrador.settings import Settings
from mostrador.store import migrate
from mostrador.users.roles import Role
from mostrador.web import (
    accounts,
    api,
    api_keys,
    auth,
    bot_settings,
    dashboards,
    inbox,
    intake,
    language,
    ops,
    people,
    reply_templates,
    webhooks,
)
from mostrador.web.body_limit import BodyLimit
from mostrador.web.deps import (
    Forbidden,
    LoginRequired,
    NotInWorkspace,
    build_templates,
    check_routes,
    page,
    requires,
)
from mostrador.web.live import install_live
from mostrador.web.query_guard import RefuseNul

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

        if auto_migrate and settings.auto_migrate:
            migrate.upgrade(context.engine)
        if context.checkpointer is not None:
            context.checkpointer.start()
        await live.start()  # the inbox's event streams: one reader of the feed for this process
        # Training the intent model takes seconds: do it now, off the event loop, not on the first question.
        threading.Thread(target=context.bots.warm, name="bot-warm-up", daemon=True).start()
        dispatcher = None
        if durable:
            await runtime.launch(context, consume=settings.run_workers)
            readiness.dbos_launched = True
            dispatcher = Dispatcher(context)
            app.state.dispatcher = dispatcher
            dispatcher.start()
            dispatcher.wake.set()  # pick up anything recorded before a crash
        try:
            yield
        finally:
            await live.aclose()
            if dispatcher is not None:
                await dispatcher.stop()
            await writer.stop()
            readiness.dbos_launched = False
            readiness.close()
            await context.aclose()
            if durable:
                runtime.shutdown()

    # The API docs are served below, behind a login, instead of FastAPI's public defaults.
    app = FastAPI(title="Mostrador", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = context
    app.state.templates = build_templates()
    app.state.listings = {}  # (account, item) -> (read at, listing): the inbox side panel's cache
    app.state.buyers = {}  # (account, buyer) -> (read at, LiveBuyer): the side panel's buyer cache
    app.state.read_marks = {}  # conversation -> newest buyer message marked read at Mercado Libre
    assert settings.secret_key is not None
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie="mostrador_session",
        same_site="lax",
        https_only=settings.public_url.startswith("https://"),
        max_age=int(settings.session_lifetime_s),  # the session row decides (users.sessions)
    )
    app.add_middleware(language.Language)  # the browser's language; a logged-in person's choice beats it
    app.add_middleware(BodyLimit)  # before sessions: a body too large is refused before anything reads it
    app.add_middleware(RefuseNul)  # a NUL byte in the address: 400, never a query PostgreSQL refuses
    # Added last, so it runs first: the webhook skips sessions and routing (see web/intake.py).
    writer = IntakeWriter(context.engine, in_thread=settings.is_postgres)
    app.add_middleware(intake.IntakeEndpoint, ctx=context, writer=writer, wake=lambda: _wake_dispatcher(app))
    # /healthz, /readyz, /metrics; its request-id middleware is added last of all: it wraps the webhook too.
    readiness = ops.install(app, context, durable=durable)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    live = install_live(app, context)  # before the inbox's routes: /inbox/events is not a conversation
    routers = (
        auth,
        language,
        people,
        accounts,
        bot_settings,
        inbox,
        reply_templates,
        dashboards,
        webhooks,
        api_keys,
    )
    for router in (module.router for module in routers):
        app.include_router(router)
    api.install(app, context)  # /api/v1: keys, problem details, limits per key, its OpenAPI document

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, _exc: LoginRequired) -> Response:
        if request.headers.get("hx-request"):  # a polling fragment: send the whole page to the login
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        back = quote(target, safe="/") if request.method == "GET" else "/inbox"
        return RedirectResponse(f"/login?next={back}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return page(request, "forbidden.html", status_code=403, role=exc.role, minimum=exc.minimum)

    @app.exception_handler(NotInWorkspace)
    async def _not_found(request: Request, _exc: NotInWorkspace) -> Response:
        return page(request, "not_found.html", status_code=404)

    @app.get("/api/openapi.json", include_in_schema=False, dependencies=[Depends(requires(Role.VIEWER))])
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/api/docs", include_in_schema=False, dependencies=[Depends(requires(Role.VIEWER))])
    async def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/api/openapi.json", title="Mostrador API")

    check_routes(app.routes)
    return app


def _wake_dispatcher(app: FastAPI) -> None:
    dispatcher = getattr(app.state, "dispatcher", None)
    if dispatcher is not None:
        dispatcher.wake.set()
