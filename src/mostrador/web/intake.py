"""POST /notifications: Mercado Libre's webhook. Validate, record, wake the dispatcher, answer 200.

A pure ASGI middleware rather than a FastAPI route: Mercado Libre waits at most 500 ms and sends
bursts, and at 1,000 notifications/s the route machinery (request object, middleware stack, response
classes) cost as much CPU as the work itself (bench/intake.py). Recording goes through the group-commit
writer (intake/writer.py). Every other request goes to the app.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mostrador.context import AppContext
from mostrador.intake.service import InvalidNotification, parse, screen
from mostrador.intake.writer import IntakeWriter

PATH = "/notifications"


class IntakeEndpoint:
    """Answers `POST /notifications` itself; passes every other request to the wrapped app."""

    def __init__(self, app: ASGIApp, ctx: AppContext, writer: IntakeWriter, wake: Any) -> None:
        self.app = app
        self.writer = writer
        self.wake = wake  # () -> None: tells this process's dispatcher there is new work
        self.limit = ctx.settings.max_notification_bytes
        self.application_id = ctx.settings.meli_client_id
        self.metrics = ctx.metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        status, body = await self._handle(scope, receive)
        self.metrics.notification(status, body.get("status"))
        await _respond(send, status, body)

    async def _handle(self, scope: Scope, receive: Receive) -> tuple[int, dict[str, str]]:
        limit = self.limit
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
            return 413, {"error": "payload_too_large", "message": f"body larger than {limit} bytes"}
        raw_body = await _read_body(receive, limit)
        if raw_body is None:
            return 413, {"error": "payload_too_large", "message": f"body larger than {limit} bytes"}
        try:
            notification, raw = parse(raw_body, limit)
        except InvalidNotification as exc:
            return 400, {"error": "invalid_notification", "message": str(exc)}
        try:
            result = await self.writer.submit(screen(notification, raw, self.application_id))
        except Exception:  # logged by the writer; not acknowledged, so Mercado Libre delivers it again
            return 503, {"error": "unavailable", "message": "could not record the notification; retry"}
        if result.outcome == "accepted":
            self.wake()
        return 200, {"status": result.outcome}


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None as soon as it grows past `limit` (a chunked body has no length)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(send: Send, status: int, body: dict[str, str]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
