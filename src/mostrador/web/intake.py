"""POST /notifications: Mercado Libre's webhook. Validate, record, wake the dispatcher, answer 200."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from mostrador.context import AppContext
from mostrador.intake.service import IntakeResult, InvalidNotification, accept, parse
from mostrador.meli.models import Notification

router = APIRouter()


def _accept_sqlite(ctx: AppContext, notification: Notification, raw: dict[str, Any]) -> IntakeResult:
    with ctx.intake_lock:
        return accept(ctx.engine, notification, raw, ctx.settings.meli_client_id)


@router.post("/notifications")
async def receive_notification(request: Request) -> JSONResponse:
    ctx = request.app.state.ctx
    limit = ctx.settings.max_notification_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return JSONResponse({"error": "payload_too_large", "message": f"body larger than {limit} bytes"}, 413)
    body = await request.body()
    try:
        notification, raw = parse(body, limit)
    except InvalidNotification as exc:
        status = 413 if "larger than" in str(exc) else 400
        return JSONResponse({"error": "invalid_notification", "message": str(exc)}, status)
    if ctx.settings.is_postgres:
        result = await run_in_threadpool(accept, ctx.engine, notification, raw, ctx.settings.meli_client_id)
    else:
        # One local SQLite insert (~0.5 ms): cheaper inline than a thread hop, and writes serialise anyway.
        result = _accept_sqlite(ctx, notification, raw)
    if result.outcome == "accepted":
        dispatcher = getattr(request.app.state, "dispatcher", None)
        if dispatcher is not None:
            dispatcher.wake.set()
    return JSONResponse({"status": result.outcome})
