"""Who calls the REST API: an API key of one workspace (`Authorization: Bearer <key>`).

Each route declares `read_key` or `write_key`, the API's counterpart of `requires(...)`. In order:
a missing, unknown or revoked key is 401; past the key's rate, 429 with `Retry-After`; an id in the
path of another workspace (or none) is 404; a `read` key on a route that writes is 403.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from mostrador.channels.registry import QUESTION_CHANNEL_NAME
from mostrador.limits import BudgetUnavailable
from mostrador.limits.api_rate import ApiRate
from mostrador.store import conversations as conversations_store
from mostrador.store import scope
from mostrador.store.db import transaction
from mostrador.users import api_keys
from mostrador.users.api_keys import KeyHolder
from mostrador.web.api.paging import MAX_ID
from mostrador.web.api.problems import ApiProblem
from mostrador.web.deps import DeclaredAccess, get_ctx

_BEARER = HTTPBearer(
    auto_error=False, description="An API key: `mostrador api-keys create` or Settings → API keys."
)
UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="mostrador"'}


class KeyAccess(DeclaredAccess):
    """The dependency behind `read_key` and `write_key`."""

    def __init__(self, write: bool) -> None:
        self.write = write

    def __repr__(self) -> str:
        return "write_key" if self.write else "read_key"

    async def __call__(
        self, request: Request, bearer: HTTPAuthorizationCredentials | None = Depends(_BEARER)
    ) -> KeyHolder:
        if bearer is None or bearer.scheme.lower() != "bearer":
            raise ApiProblem(
                401,
                "Send an API key: `Authorization: Bearer <key>`.",
                kind="unauthorized",
                headers=UNAUTHORIZED,
            )
        ctx = get_ctx(request)
        holder = await run_in_threadpool(api_keys.authenticate, ctx.sessions, bearer.credentials)
        if holder is None:
            raise ApiProblem(
                401, "The API key is unknown or revoked.", kind="unauthorized", headers=UNAUTHORIZED
            )
        rate: ApiRate = request.app.state.api_rate
        try:
            verdict = await run_in_threadpool(rate.take, holder.key_id)
        except BudgetUnavailable as exc:
            raise ApiProblem(
                503, "The request count could not be kept; try again shortly.", headers={"Retry-After": "1"}
            ) from exc
        if not verdict.allowed:
            raise ApiProblem(
                429,
                f"Too many requests for this key (at most {rate.per_minute} a minute, {rate.burst} at once).",
                kind="rate-limited",
                headers={"Retry-After": str(max(1, math.ceil(verdict.retry_after_s)))},
            )
        _refuse_unknown_query(request)
        await run_in_threadpool(_check_ids, request, holder)
        if self.write and not holder.scope.may_write:
            raise ApiProblem(
                403, "This key may only read: writing needs a read-write key.", kind="read-only-key"
            )
        return holder


def _refuse_unknown_query(request: Request) -> None:
    """A query parameter the route does not take is refused (422), not ignored: `stauts=waiting` would
    otherwise list everything and look like an answer."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    known = {p.alias for p in dependant.query_params} if dependant is not None else set()
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        errors = [
            {"loc": ["query", name], "msg": "Unknown parameter", "type": "extra_forbidden"}
            for name in unknown
        ]
        raise ApiProblem(
            422, f"Unknown query parameters: {', '.join(unknown)}.", kind="invalid-fields", errors=errors
        )


# Mercado Libre's ids the API's paths take, besides our own (store.scope.SCOPED): the workspace holds
# the object when one of its threads holds it.
MELI_IDS: dict[str, Callable[[Session, int, str], bool]] = {
    "question_id": lambda s, workspace_id, value: (
        conversations_store.thread_of_text(s, workspace_id, QUESTION_CHANNEL_NAME, value) is not None
    ),
}


def _check_ids(request: Request, holder: KeyHolder) -> None:
    """Every object id in the path is of the key's workspace, or the answer is 404 (before any 403, as
    for the pages: a read key learns nothing about another workspace's ids either)."""
    params = {name: str(value) for name, value in request.path_params.items()}
    ids = [(name, value) for name, value in params.items() if name in scope.SCOPED or name in MELI_IDS]
    if not ids:
        return
    with transaction(get_ctx(request).sessions) as s:
        for name, value in ids:
            known = value.isascii() and value.isdigit() and len(value) <= 20
            if not known or (name not in MELI_IDS and int(value) > MAX_ID):
                held = False
            elif name in MELI_IDS:
                held = MELI_IDS[name](s, holder.workspace_id, value)
            else:
                held = scope.workspace_holds(s, holder.workspace_id, name, int(value))
            if not held:
                raise ApiProblem(404, "Not found in this workspace.", kind="not-found")


read_key = KeyAccess(write=False)
write_key = KeyAccess(write=True)
Reader = Annotated[KeyHolder, Depends(read_key)]
Writer = Annotated[KeyHolder, Depends(write_key)]
