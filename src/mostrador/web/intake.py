"""POST /notifications: Mercado Libre's webhook. Validate, record, wake the dispatcher, answer 200."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from mostrador.intake.service import InvalidNotification, accept, parse

router = APIRouter()


@router.post("/notifications")
async def receive_notification(request: Request) -> JSONResponse:
    ctx = request.app.state.ctx
    limit = ctx.settings.max_notification_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return JSONResponse({"error": "payload_too_large", "message": f"body larger than {limit} bytes"}, 413)
    body = await request.body()
    try:
        notification = parse(body, limit)
    except InvalidNotification as exc:
        status = 413 if "larger than" in str(exc) else 400
        return JSONResponse({"error": "invalid_notification", "message": str(exc)}, status)
    raw = json.loads(body)
    result = await run_in_threadpool(accept, ctx.sessions, notification, raw, ctx.settings.meli_client_id)
    if result.outcome == "accepted":
        dispatcher = getattr(request.app.state, "dispatcher", None)
        if dispatcher is not None:
            dispatcher.wake.set()
    return JSONResponse({"status": result.outcome})
