"""Accounts page, OAuth connect and callback, disconnect."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from mostrador.accounts import connect
from mostrador.accounts.health import account_health, recent_runs
from mostrador.meli import errors as meli_errors
from mostrador.web.deps import CurrentAgent, current_agent, get_ctx, page, require_csrf

router = APIRouter()


@router.get("/accounts")
async def accounts_page(request: Request, agent: CurrentAgent = Depends(current_agent)) -> object:
    ctx = get_ctx(request)
    rows = await run_in_threadpool(account_health, ctx, agent.workspace_id)
    runs = await run_in_threadpool(recent_runs, ctx, agent.workspace_id)
    return page(
        request,
        "accounts.html",
        agent=agent,
        accounts=rows,
        runs=runs,
        error=request.query_params.get("error"),
    )


@router.post("/accounts/sync", dependencies=[Depends(require_csrf)])
async def sync_now(request: Request, agent: CurrentAgent = Depends(current_agent)) -> RedirectResponse:
    """Sweep this workspace's accounts now (reconciliation also runs on a schedule); once a minute."""
    from mostrador.workflows.schedules import sync_workspace_now

    started = await sync_workspace_now(agent.workspace_id)
    return RedirectResponse("/accounts" if started else "/accounts?error=sync_throttled", status_code=303)


@router.get("/accounts/connect")
async def connect_start(request: Request, agent: CurrentAgent = Depends(current_agent)) -> RedirectResponse:
    url = await run_in_threadpool(connect.begin, get_ctx(request), agent.workspace_id, agent.id)
    return RedirectResponse(url, status_code=303)


@router.get("/oauth/callback")
async def connect_callback(
    request: Request,
    code: str = "",
    state: str = "",
    error: str = "",
    agent: CurrentAgent = Depends(current_agent),
) -> object:
    if error or not code or not state:
        return RedirectResponse(f"/accounts?error={error or 'missing_code'}", status_code=303)
    try:
        await connect.complete(get_ctx(request), agent.workspace_id, code, state)
    except (connect.ConnectError, meli_errors.MeliError) as exc:
        return page(request, "accounts_error.html", status_code=400, agent=agent, message=str(exc))
    return RedirectResponse("/accounts", status_code=303)


@router.post("/accounts/{account_id}/disconnect", dependencies=[Depends(require_csrf)])
async def disconnect(
    request: Request, account_id: int, agent: CurrentAgent = Depends(current_agent)
) -> object:
    try:
        await run_in_threadpool(connect.disconnect, get_ctx(request), agent.workspace_id, account_id)
    except connect.ConnectError as exc:
        return page(request, "accounts_error.html", status_code=404, agent=agent, message=str(exc))
    return RedirectResponse("/accounts", status_code=303)
