"""Operations endpoints: /healthz, /readyz, /metrics, and the request id every response carries.

All three are public (no login, no session read): a load balancer, an orchestrator and Prometheus call
them. /metrics is protected by its own rule instead (a bearer token, or this host only), see
docs/operations.md, "Metrics".
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mostrador.context import AppContext
from mostrador.observability.logs import request_id_from, request_id_var
from mostrador.observability.metrics import CONTENT_TYPE, QueueDepth
from mostrador.settings import normalise_db_url
from mostrador.store import migrate, system
from mostrador.store.db import make_engine
from mostrador.web.deps import get_ctx, public

log = logging.getLogger(__name__)
router = APIRouter()
HEADER = b"x-request-id"


class RequestId:
    """Pure ASGI (the webhook's path must stay cheap): takes the caller's `X-Request-ID` when it is a
    short plain token, else makes one; logs written while the request runs carry it, and the
    response echoes it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope["headers"] if k == HEADER), None)
        rid = request_id_from(incoming)
        token = request_id_var.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message["headers"] = [*headers, (HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


@dataclass
class Readiness:
    """What /readyz and /metrics need beyond the context: the migration heads (read once) and an
    engine on DBOS's system database (opened on first use, closed with the app)."""

    ctx: AppContext
    durable: bool
    dbos_launched: bool = False
    _heads: set[str] | None = None
    _dbos_engine: Engine | None = field(default=None, repr=False)

    def heads(self) -> set[str]:
        if self._heads is None:
            self._heads = migrate.heads()
        return self._heads

    def dbos_engine(self) -> Engine:
        if self._dbos_engine is None:
            url = normalise_db_url(self.ctx.settings.resolved_dbos_url)
            if url == self.ctx.settings.resolved_database_url:
                return self.ctx.engine  # PostgreSQL: DBOS's tables beside ours
            self._dbos_engine = make_engine(url, pool_size=1, max_overflow=1)
        return self._dbos_engine

    def close(self) -> None:
        if self._dbos_engine is not None:
            self._dbos_engine.dispose()

    def check(self) -> tuple[bool, dict[str, str]]:
        """(ready, one word or sentence per check). Two queries on our database at most."""
        checks: dict[str, str] = {}
        try:
            at = migrate.current(self.ctx.engine)
        except Exception as exc:  # any driver error means the same: not reachable now
            checks["database"] = f"unreachable: {type(exc).__name__}"
            return False, checks
        checks["database"] = "ok"
        heads = self.heads()
        if at != heads:
            now = ", ".join(sorted(at)) or "never migrated"
            checks["migrations"] = (
                f"at {now}, code expects {', '.join(sorted(heads))}: run `mostrador migrate`"
            )
        else:
            checks["migrations"] = "ok"
        if self.durable:
            checks["dbos"] = "ok" if self.dbos_launched else "not launched yet"
        ready = all(v == "ok" for v in checks.values())
        return ready, checks


def readiness(request: Request) -> Readiness:
    state: Readiness = request.app.state.readiness
    return state


def install(app: FastAPI, ctx: AppContext, *, durable: bool) -> Readiness:
    """Mount the routes and the request-id middleware (added last, so it wraps everything)."""
    state = Readiness(ctx, durable)
    app.state.readiness = state
    app.include_router(router)
    app.add_middleware(RequestId)
    return state


@router.get("/healthz", dependencies=[Depends(public)])
async def healthz() -> JSONResponse:
    """The process answers: no I/O at all (a liveness probe must not fail because a database does)."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz", dependencies=[Depends(public)])
async def readyz(request: Request) -> JSONResponse:
    """Ready for traffic: database reachable, migrations at head, DBOS launched (durable processes)."""
    ready, checks = await run_in_threadpool(readiness(request).check)
    if ready:
        return JSONResponse({"status": "ready", "checks": checks})
    reason = next(f"{name}: {value}" for name, value in checks.items() if value != "ok")
    return JSONResponse({"status": "not_ready", "reason": reason, "checks": checks}, status_code=503)


@router.get("/metrics", dependencies=[Depends(public)])
async def metrics(request: Request) -> Response:
    ctx = get_ctx(request)
    refusal = metrics_refusal(request, ctx)
    if refusal is not None:
        return refusal
    state = readiness(request)
    body = await run_in_threadpool(
        ctx.metrics.render, [QueueDepth(lambda: system.queue_depth(state.dbos_engine()))]
    )
    return Response(body, media_type=CONTENT_TYPE)


def metrics_refusal(request: Request, ctx: AppContext) -> Response | None:
    """None when the caller may read the metrics: the bearer token when one is set, else a client on
    this host that did not come through a proxy."""
    token = ctx.settings.metrics_token
    if token is not None and token.get_secret_value():
        sent = request.headers.get("authorization", "")
        if hmac.compare_digest(sent.encode(), f"Bearer {token.get_secret_value()}".encode()):
            return None
        return _error(
            401, "unauthorized", "GET /metrics needs `Authorization: Bearer <MOSTRADOR_METRICS_TOKEN>`"
        )
    proxied = any(h in request.headers for h in ("x-forwarded-for", "forwarded", "x-real-ip"))
    if not proxied and _loopback(request.client.host if request.client else None):
        return None
    return _error(
        403,
        "forbidden",
        "GET /metrics answers only on this host unless MOSTRADOR_METRICS_TOKEN is set (docs/operations.md)",
    )


def _loopback(host: str | None) -> bool:
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _error(status: int, error: str, message: str) -> Response:
    headers: dict[str, Any] = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers)


def probe_app(ctx: AppContext) -> FastAPI:
    """/healthz, /readyz and /metrics alone, for a `mostrador worker --metrics-port` (a worker serves
    no pages). The caller sets `app.state.readiness.dbos_launched` once DBOS runs."""
    from mostrador.web.deps import check_routes

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    install(app, ctx, durable=True)
    check_routes(app.routes)
    return app
