"""The webhooks pages: an admin's endpoints, each with its delivery log, a "send test event" button and
"send the failed ones again" (after an outage longer than the retries).

Thin: each route parses the form, calls one function of `webhooks.endpoints`, and renders or redirects.
A secret is shown in the page that made it (never in a URL, never again).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from mostrador.channels.webhook_events import EVENT_TYPES
from mostrador.i18n import N_
from mostrador.i18n import gettext as _
from mostrador.store.models import utcnow
from mostrador.users.roles import Role
from mostrador.web import trail
from mostrador.web.deps import CurrentUser, get_ctx, page, requires
from mostrador.webhooks import endpoints
from mostrador.workflows import webhooks as webhook_workflows

router = APIRouter()
Admin = Annotated[CurrentUser, Depends(requires(Role.ADMIN))]
NOT_FOUND = N_("Endpoint no encontrado")


async def _list_page(request: Request, user: CurrentUser, status_code: int = 200, **extra: object) -> object:
    found = await run_in_threadpool(endpoints.list_endpoints, get_ctx(request), user.workspace_id)
    return page(
        request, "webhooks.html", status_code=status_code, endpoints=found, event_types=EVENT_TYPES, **extra
    )


async def _endpoint_page(
    request: Request, user: CurrentUser, endpoint_id: int, status_code: int = 200, **extra: object
) -> object:
    ctx = get_ctx(request)
    try:
        endpoint = await run_in_threadpool(endpoints.get, ctx, user.workspace_id, endpoint_id)
        log_rows = await run_in_threadpool(endpoints.deliveries, ctx, user.workspace_id, endpoint_id)
    except endpoints.EndpointNotFound as exc:
        raise HTTPException(404, _(NOT_FOUND)) from exc
    return page(
        request,
        "webhook_endpoint.html",
        status_code=status_code,
        endpoint=endpoint,
        deliveries=log_rows,
        event_types=EVENT_TYPES,
        recover_hours=RECOVER_HOURS,
        **extra,
    )


@router.get("/webhooks")
async def show(request: Request, user: Admin) -> object:
    return await _list_page(request, user, deleted=request.query_params.get("deleted") == "1")


@router.post("/webhooks")
async def create(
    request: Request,
    user: Admin,
    url: str = Form(""),
    description: str = Form(""),
    event_types: list[str] = Form([]),
) -> object:
    try:
        made, secret = await run_in_threadpool(
            endpoints.create, get_ctx(request), user.workspace_id, url, description, event_types
        )
    except endpoints.EndpointRefused as exc:
        draft = {"url": url, "description": description, "event_types": event_types}
        return await _list_page(request, user, status_code=422, error=str(exc), draft=draft)
    await trail.note(request, user, "webhook.created", f"webhook:{made.id}", {"url": url})
    return await _endpoint_page(request, user, made.id, status_code=201, secret=secret)


@router.get("/webhooks/{endpoint_id}")
async def endpoint(request: Request, user: Admin, endpoint_id: int) -> object:
    flags = {name: request.query_params.get(name) == "1" for name in ("saved", "tested")}
    recovered = request.query_params.get("recovered", "")
    return await _endpoint_page(
        request, user, endpoint_id, recovered=int(recovered) if recovered.isdigit() else None, **flags
    )


@router.post("/webhooks/{endpoint_id}")
async def change(
    request: Request,
    user: Admin,
    endpoint_id: int,
    url: str = Form(""),
    description: str = Form(""),
    event_types: list[str] = Form([]),
    enabled: str = Form(""),
) -> object:
    try:
        await run_in_threadpool(
            endpoints.update,
            get_ctx(request),
            user.workspace_id,
            endpoint_id,
            url,
            description,
            event_types,
            enabled == "on",
        )
    except endpoints.EndpointNotFound as exc:
        raise HTTPException(404, _(NOT_FOUND)) from exc
    except endpoints.EndpointRefused as exc:
        return await _endpoint_page(request, user, endpoint_id, status_code=422, error=str(exc))
    await trail.note(request, user, "webhook.changed", f"webhook:{endpoint_id}", {"url": url})
    return RedirectResponse(f"/webhooks/{endpoint_id}?saved=1", status_code=303)


@router.post("/webhooks/{endpoint_id}/test")
async def send_test(request: Request, user: Admin, endpoint_id: int) -> object:
    try:
        delivery_id = await run_in_threadpool(
            endpoints.send_test, get_ctx(request), user.workspace_id, endpoint_id
        )
    except endpoints.EndpointNotFound as exc:
        raise HTTPException(404, _(NOT_FOUND)) from exc
    except endpoints.EndpointRefused as exc:
        return await _endpoint_page(request, user, endpoint_id, status_code=422, error=str(exc))
    await webhook_workflows.start_soon(delivery_id)  # recorded either way: the feed schedule starts it
    return RedirectResponse(f"/webhooks/{endpoint_id}?tested=1", status_code=303)


# What the "send the failed ones again" form offers: how far back, in hours.
RECOVER_HOURS = (
    (1, N_("la última hora")),
    (24, N_("el último día")),
    (72, N_("los últimos 3 días")),
    (168, N_("los últimos 7 días")),
    (720, N_("los últimos 30 días")),
)


@router.post("/webhooks/{endpoint_id}/recover")
async def recover(request: Request, user: Admin, endpoint_id: int, hours: str = Form("")) -> object:
    """Send again what failed in the last `hours` (an outage longer than the retries, say)."""
    if not hours.isdigit() or int(hours) not in dict(RECOVER_HOURS):
        return await _endpoint_page(
            request, user, endpoint_id, status_code=422, error=_("Elegí desde cuándo reenviar.")
        )
    since = utcnow() - timedelta(hours=int(hours))
    try:
        count = await run_in_threadpool(
            endpoints.recover, get_ctx(request), user.workspace_id, endpoint_id, since
        )
    except endpoints.EndpointNotFound as exc:
        raise HTTPException(404, _(NOT_FOUND)) from exc
    except endpoints.EndpointRefused as exc:
        return await _endpoint_page(request, user, endpoint_id, status_code=422, error=str(exc))
    await trail.note(
        request, user, "webhook.recovered", f"webhook:{endpoint_id}", {"hours": int(hours), "count": count}
    )
    return RedirectResponse(f"/webhooks/{endpoint_id}?recovered={count}", status_code=303)


@router.post("/webhooks/{endpoint_id}/secret")
async def rotate_secret(request: Request, user: Admin, endpoint_id: int) -> object:
    try:
        secret = await run_in_threadpool(
            endpoints.rotate_secret, get_ctx(request), user.workspace_id, endpoint_id
        )
    except endpoints.EndpointNotFound as exc:
        raise HTTPException(404, _(NOT_FOUND)) from exc
    await trail.note(request, user, "webhook.changed", f"webhook:{endpoint_id}", {"secret": "rotated"})
    return await _endpoint_page(request, user, endpoint_id, secret=secret)


@router.post("/webhooks/{endpoint_id}/delete")
async def delete(request: Request, user: Admin, endpoint_id: int) -> object:
    try:
        await run_in_threadpool(endpoints.delete, get_ctx(request), user.workspace_id, endpoint_id)
    except endpoints.EndpointNotFound as exc:
        raise HTTPException(404, _(NOT_FOUND)) from exc
    await trail.note(request, user, "webhook.deleted", f"webhook:{endpoint_id}")
    return RedirectResponse("/webhooks?deleted=1", status_code=303)
