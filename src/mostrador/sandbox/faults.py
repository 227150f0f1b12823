"""Fault injection: random API errors, latency and notification misbehaviour, from a seeded RNG."""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from mostrador.sandbox.bodies import ControlBody
from mostrador.sandbox.errors import BadRequest

# A delay is a fault to test time-outs with, not a way to hang the sandbox: one minute at most.
MAX_DELAY_MS = 60_000


class NotificationFaults(ControlBody):
    duplicate_rate: float = Field(0.0, ge=0, le=1)
    drop_rate: float = Field(0.0, ge=0, le=1)
    delay_ms: int = Field(0, ge=0, le=MAX_DELAY_MS)
    reorder_rate: float = Field(0.0, ge=0, le=1)


class FaultSettings(ControlBody):
    error_rate: float = Field(0.0, ge=0, le=1)
    error_statuses: list[int] = Field(default_factory=lambda: [500, 503, 429])
    latency_ms: int = Field(0, ge=0, le=MAX_DELAY_MS)
    path_pattern: str | None = None
    notification: NotificationFaults = Field(default_factory=NotificationFaults)


_ERRORS_BY_STATUS = {
    # Refusals Mercado Libre answers that a client must not retry (§10), for tests of how they are shown.
    401: ("invalid access token", "unauthorized"),
    403: ("forbidden", "forbidden"),
    409: ("conflict", "conflict"),
    451: ("the user is not available", "unavailable_for_legal_reasons"),
    429: ("Too Many Requests", "too_many_requests"),
    500: ("Internal Server Error", "internal_error"),
    502: ("Bad Gateway", "bad_gateway"),
    503: ("Service Unavailable", "service_unavailable"),
    504: ("Gateway Timeout", "gateway_timeout"),
}


@dataclass
class FaultInjector:
    """Holds the current fault settings and the RNG that decides each roll."""

    seed: int
    settings: FaultSettings = field(default_factory=FaultSettings)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed + 7919)
        self._pattern: re.Pattern[str] | None = None

    def update(self, settings: FaultSettings) -> None:
        try:
            self._pattern = re.compile(settings.path_pattern) if settings.path_pattern else None
        except re.error as exc:
            raise BadRequest(f"invalid path_pattern: {exc}", error="invalid_parameter") from exc
        if any(status not in _ERRORS_BY_STATUS for status in settings.error_statuses):
            raise BadRequest(
                f"error_statuses must be among {sorted(_ERRORS_BY_STATUS)}", error="invalid_parameter"
            )
        self.settings = settings

    def applies_to(self, path: str) -> bool:
        if path.startswith("/_sandbox") or path.startswith("/authorization"):
            return False
        return self._pattern is None or self._pattern.search(path) is not None

    def roll(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate

    def error_response(self) -> Response:
        status = self.rng.choice(self.settings.error_statuses) if self.settings.error_statuses else 500
        message, error = _ERRORS_BY_STATUS[status]
        return JSONResponse(
            {"message": message, "error": error, "status": status, "cause": []}, status_code=status
        )


class FaultMiddleware:
    """ASGI middleware: adds latency and turns a share of API calls into documented errors."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        faults: Any = getattr(request.app.state, "faults", None)
        if isinstance(faults, FaultInjector) and faults.applies_to(request.url.path):
            if faults.settings.latency_ms:
                await asyncio.sleep(faults.settings.latency_ms / 1000)
            if faults.roll(faults.settings.error_rate):
                await faults.error_response()(scope, receive, send)
                return
        await self.app(scope, receive, send)
