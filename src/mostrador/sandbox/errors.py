"""Errors the emulator answers with, each carrying its HTTP status and documented body (§10, §2.5).

SandboxError                 {"message", "error", "status", "cause"}  (§10 envelope)
├── NotFound                 404 not_found
├── BadRequest               400 bad_request
├── Forbidden                403 forbidden
├── Unauthorized             401 invalid_token / expired_token (error literally "not_found", §2.5)
└── TooManyRequests          429 too_many_requests
OAuthError                   {"error_description", "error", "status", "cause"} (§2.5)
RawError                     any other documented body, sent verbatim

install_error_handlers also renders FastAPI's validation errors, Starlette's own refusals (404, 405, a
body it cannot parse) and any unexpected exception (500) in the §10 envelope: no route answers plain text.
Bodies are parsed and typed by `bodies.JsonBody` before a handler runs.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class SandboxError(Exception):
    """An API error rendered with the §10 envelope."""

    status = 400
    error = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        error: str | None = None,
        status: int | None = None,
        cause: list[Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if error is not None:
            self.error = error
        if status is not None:
            self.status = status
        self.cause: list[Any] = cause or []

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "error": self.error, "status": self.status, "cause": self.cause}


class BadRequest(SandboxError):
    """Malformed or not allowed request."""


class NotFound(SandboxError):
    """Resource not found."""

    status = 404
    error = "not_found"


class Forbidden(SandboxError):
    """Caller may not touch this resource."""

    status = 403
    error = "forbidden"


class Unauthorized(SandboxError):
    """Missing, unknown, revoked or expired token; §2.5: `error` is literally `not_found` on a 401."""

    status = 401
    error = "not_found"


class TooManyRequests(SandboxError):
    """§10: per-application budget exhausted."""

    status = 429
    error = "too_many_requests"

    def __init__(self) -> None:
        super().__init__("Too Many Requests")


class RawError(Exception):
    """A documented error whose body does not follow the §10 envelope (403 pages, action guide, claims)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body))
        self.status = status
        self.payload = body


INVALID_GRANT_DESCRIPTION = (
    "Error validating grant. Your authorization code or refresh token may be expired or it was already used"
)


class OAuthError(Exception):
    """§2.5: OAuth errors use `error_description` instead of `message`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    @classmethod
    def invalid_grant(cls) -> OAuthError:
        return cls("invalid_grant", INVALID_GRANT_DESCRIPTION)

    def body(self) -> dict[str, Any]:
        return {
            "error_description": self.description,
            "error": self.error,
            "status": self.status,
            "cause": [],
        }


def install_error_handlers(app: FastAPI) -> None:
    """Render every error with a documented body, never FastAPI's default `detail`."""

    @app.exception_handler(SandboxError)
    async def _sandbox_error(_: Request, exc: SandboxError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(OAuthError)
    async def _oauth_error(_: Request, exc: OAuthError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RawError)
    async def _raw_error(_: Request, exc: RawError) -> JSONResponse:
        return JSONResponse(exc.payload, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        cause = [
            {
                "code": "invalid_parameter",
                "message": str(e.get("msg")),
                "references": list(map(str, e.get("loc", ()))),
            }
            for e in exc.errors()
        ]
        body = BadRequest("Invalid request parameters", cause=cause).body()
        return JSONResponse(body, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's own refusals (no route, wrong method, a body it could not parse) in the §10 envelope.
        try:
            error = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_").replace("-", "_")
        except ValueError:
            error = "error"
        message = "Resource not found" if exc.status_code == 404 else str(exc.detail)
        return JSONResponse(
            {"message": message, "error": error, "status": exc.status_code, "cause": []},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # A bug still answers in the envelope Mercado Libre clients parse; Starlette re-raises it after
        # this response is sent, so tests and logs still see the traceback.
        body = SandboxError("Internal Server Error", error="internal_error", status=500).body()
        return JSONResponse(body, status_code=500)
