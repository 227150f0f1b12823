"""Settings → API keys: admins make keys for the REST API (shown once, on the page that made them),
see them listed by prefix, and revoke them. Forms carry the session's CSRF token like every other."""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from mostrador.context import AppContext
from mostrador.i18n import gettext as _
from mostrador.store.db import transaction
from mostrador.users import api_keys
from mostrador.users.roles import Role
from mostrador.web.deps import CurrentUser, get_ctx, page, requires

router = APIRouter()
Admin = Annotated[CurrentUser, Depends(requires(Role.ADMIN))]
PATH = "/settings/api-keys"


def _keys(ctx: AppContext, workspace_id: int) -> list[api_keys.KeyInfo]:
    with transaction(ctx.sessions) as s:
        return api_keys.keys_of(s, workspace_id)


def _create(ctx: AppContext, user: CurrentUser, name: str, scope: api_keys.Scope) -> api_keys.NewKey:
    with transaction(ctx.sessions) as s:
        return api_keys.create_key(s, user.workspace_id, name, scope, created_by=user.id)


def _revoke(ctx: AppContext, workspace_id: int, key_id: int) -> None:
    with transaction(ctx.sessions) as s:
        api_keys.revoke(s, workspace_id, key_id)


async def _render(request: Request, user: CurrentUser, status_code: int = 200, **extra: object) -> object:
    found = await run_in_threadpool(_keys, get_ctx(request), user.workspace_id)
    scopes = {
        api_keys.Scope.READ.value: _("Solo lectura"),
        api_keys.Scope.READ_WRITE.value: _("Lectura y escritura"),
    }
    return page(request, "api_keys.html", status_code=status_code, keys=found, scopes=scopes, **extra)


@router.get(PATH)
async def show(request: Request, user: Admin) -> object:
    return await _render(request, user, revoked=request.query_params.get("revoked") == "1")


@router.post(PATH)
async def create(request: Request, user: Admin, name: str = Form(""), scope: str = Form("read")) -> object:
    """Make a key and show it on this answer only (never in a URL, never again)."""
    try:
        made = await run_in_threadpool(_create, get_ctx(request), user, name, api_keys.parse_scope(scope))
    except (api_keys.UnknownScope, api_keys.InvalidKeyName) as exc:
        error = (
            _("Elegí un alcance válido.")
            if isinstance(exc, api_keys.UnknownScope)
            else _("Poné un nombre de 1 a 80 caracteres (para qué es la clave).")
        )
        return await _render(request, user, status_code=422, error=error, key_name=name)
    response = await _render(request, user, made=made)
    response.headers["Cache-Control"] = "no-store"  # type: ignore[attr-defined]
    return response


@router.post(PATH + "/{key_id}/revoke")
async def revoke(request: Request, user: Admin, key_id: int) -> RedirectResponse:
    with contextlib.suppress(api_keys.UnknownKey):  # already revoked: the list says so
        await run_in_threadpool(_revoke, get_ctx(request), user.workspace_id, key_id)
    return RedirectResponse(PATH + "?revoked=1", status_code=303)
