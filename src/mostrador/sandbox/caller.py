"""Who is calling: the bearer token (header or legacy `?access_token=`, §1) resolved to user and app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from mostrador.sandbox.errors import RawError, Unauthorized
from mostrador.sandbox.oauth import resolve_token
from mostrador.sandbox.ratelimit import RateLimiter
from mostrador.sandbox.state import AccessToken, App, SandboxState, User


@dataclass(frozen=True)
class Caller:
    user: User
    app: App
    token: AccessToken

    def must_be(self, user_id: int) -> None:
        """§2.5 403: a token of another user cannot touch this resource."""
        if self.user.id != user_id:
            raise RawError(
                403,
                {
                    "status": 403,
                    "error": "access_denied",
                    "message": "access to the requested resource is forbidden",
                    "code": "FORBIDDEN",
                },
            )


def sandbox_state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def _raw_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.query_params.get("access_token") or None


def _resolve(request: Request, raw: str) -> Caller:
    state = sandbox_state(request)
    token = resolve_token(state, raw)
    limiter: RateLimiter = request.app.state.rate_limiter
    if not state.apps[token.app_id].internal:
        # Budgets are per third-party app (§10); the built-in app stands for Mercado Libre's own clients.
        limiter.check(token.app_id, request.method, request.url.path, state.now())
    return Caller(user=state.user(token.user_id), app=state.apps[token.app_id], token=token)


async def optional_caller(request: Request) -> Caller | None:
    """Public resources accept anonymous calls, but a bad token is still a 401."""
    raw = _raw_token(request)
    return _resolve(request, raw) if raw else None


async def require_caller(request: Request) -> Caller:
    raw = _raw_token(request)
    if not raw:
        raise Unauthorized("invalid_token")
    return _resolve(request, raw)


CallerDep = Annotated[Caller, Depends(require_caller)]
OptionalCallerDep = Annotated[Caller | None, Depends(optional_caller)]
