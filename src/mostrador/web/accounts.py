"""Accounts page (everyone), and what changes accounts (admins): OAuth connect and callback,
disconnect, a sync started by hand."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from mostrador.accounts import connect
from mostrador.accounts.health import account_health, recent_runs
from mostrador.i18n import N_
from mostrador.i18n import gettext as _
from mostrador.meli import errors as meli_errors
from mostrador.users.roles import Role
from mostrador.web import trail
from mostrador.web.deps import CurrentUser, get_ctx, page, requires
from mostrador.workflows import schedules

router = APIRouter()

# Words in Spanish (the source text), shown in the reader's language: `_(ERRORS[...])`.
ERRORS = {
    "sync_throttled": N_(
        "Ya se pidió una revisión hace menos de un minuto: esperá un momento y volvé a probar."
    ),
    "access_denied": N_("La conexión no se completó: en Mercado Libre no se dio el permiso."),
    "missing_code": N_("La conexión no se completó: Mercado Libre no devolvió el código. Probá de nuevo."),
}
NOT_COMPLETED = N_("La conexión no se completó.")
NOTICES = {"sync_started": N_("Revisión iniciada: los resultados aparecen abajo en unos segundos.")}
ELSEWHERE = N_(
    "Esta cuenta de Mercado Libre ya está conectada a otro espacio de trabajo de Mostrador, así que no se "
    "puede conectar acá. Si hay que moverla, pedíselo a quien administra Mostrador."
)


@router.get("/accounts")
async def accounts_page(
    request: Request, user: Annotated[CurrentUser, Depends(requires(Role.VIEWER))]
) -> object:
    ctx = get_ctx(request)
    rows = await run_in_threadpool(account_health, ctx, user.workspace_id)
    runs = await run_in_threadpool(recent_runs, ctx, user.workspace_id)
    error = request.query_params.get("error")
    notice = request.query_params.get("notice") or ""
    return page(
        request,
        "accounts.html",
        accounts=rows,
        runs=runs,
        error=_(ERRORS.get(error, NOT_COMPLETED)) if error else None,
        notice=_(NOTICES[notice]) if notice in NOTICES else None,
    )


@router.post("/accounts/sync")
async def sync_now(
    request: Request, user: Annotated[CurrentUser, Depends(requires(Role.ADMIN))]
) -> RedirectResponse:
    """Sweep this workspace's accounts now (reconciliation also runs on a schedule); once a minute."""
    started = await schedules.sync_workspace_now(user.workspace_id)
    target = "/accounts?notice=sync_started" if started else "/accounts?error=sync_throttled"
    return RedirectResponse(target, status_code=303)


@router.get("/accounts/connect")
async def connect_start(
    request: Request, user: Annotated[CurrentUser, Depends(requires(Role.ADMIN))]
) -> RedirectResponse:
    url = await run_in_threadpool(connect.begin, get_ctx(request), user.workspace_id, user.id)
    return RedirectResponse(url, status_code=303)


@router.get("/oauth/callback")
async def connect_callback(
    request: Request,
    user: Annotated[CurrentUser, Depends(requires(Role.ADMIN))],
    code: str = "",
    state: str = "",
    error: str = "",
) -> object:
    if error or not code or not state:
        # Only codes this page knows are passed on (and shown); anything else reads as "not completed".
        known = error if error in ERRORS else "missing_code"
        return RedirectResponse(f"/accounts?error={quote(known)}", status_code=303)
    try:
        connected = await connect.complete(get_ctx(request), user.workspace_id, user.id, code, state)
    except connect.AccountConnectedElsewhere:
        return page(request, "accounts_error.html", status_code=409, message=_(ELSEWHERE))
    except connect.ConnectError:  # its message (English) is for the log: an unknown, used or stale attempt
        message = _(
            "El intento de conexión venció o ya se usó: empezalo de nuevo desde «Conectar una cuenta»."
        )
        return page(request, "accounts_error.html", status_code=400, message=message)
    except meli_errors.MeliError as exc:
        message = _("Mercado Libre no completó la conexión (%(detail)s). Probá de nuevo.") % {"detail": exc}
        return page(request, "accounts_error.html", status_code=400, message=message)
    await trail.note(request, user, "account.connected", f"account:{connected}")
    return RedirectResponse("/accounts", status_code=303)


@router.post("/accounts/{account_id}/disconnect")
async def disconnect(
    request: Request, account_id: int, user: Annotated[CurrentUser, Depends(requires(Role.ADMIN))]
) -> object:
    try:
        await run_in_threadpool(connect.disconnect, get_ctx(request), user.workspace_id, account_id)
    except connect.ConnectError:
        message = _("Esa cuenta no está en tu espacio de trabajo.")
        return page(request, "accounts_error.html", status_code=404, message=message)
    await trail.note(request, user, "account.disconnected", f"account:{account_id}")
    return RedirectResponse("/accounts", status_code=303)
