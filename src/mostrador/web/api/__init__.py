"""The REST API for integrators under /api/v1 (docs/api.md, docs/api-guide.md): per-workspace API
keys, cursor pages, problem details, limits per key, and its own OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse

from mostrador.context import AppContext
from mostrador.limits.api_rate import ApiRate
from mostrador.web.api import problems
from mostrador.web.api.document import openapi_document
from mostrador.web.api.problems import PREFIX
from mostrador.web.api.routes import router as inbox_router
from mostrador.web.api.webhook_endpoints import router as webhooks_router
from mostrador.web.deps import public

__all__ = ["PREFIX", "ROUTES", "install", "openapi_document"]

ROUTES = [*inbox_router.routes, *webhooks_router.routes]  # every route of the API, in the document's order


def install(app: FastAPI, ctx: AppContext) -> None:
    """Add the API's routes, its error shape, its per-key limits and its document to the app."""
    settings = ctx.settings
    app.state.api_rate = ApiRate(ctx.engine, settings.api_rate_per_minute, settings.api_rate_burst)
    problems.install(app)
    app.include_router(inbox_router)
    app.include_router(webhooks_router)
    cached: dict[str, Any] = {}

    @app.get(f"{PREFIX}/openapi.json", include_in_schema=False, dependencies=[Depends(public)])
    async def api_openapi() -> JSONResponse:
        if "doc" not in cached:
            cached["doc"] = openapi_document(ROUTES)
        return JSONResponse(cached["doc"])
