"""The team's reply templates: everyone reads them, agents and up write, change and delete them.

A template names the channel it is for (or every channel) and may use that channel's variables
(`{price}`, `{tracking_number}` …), filled from the live listing or order when a reply is sent.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from mostrador.channels.registry import CHANNELS
from mostrador.i18n import gettext as _
from mostrador.inbox import composing
from mostrador.users.roles import Role
from mostrador.web.deps import CurrentUser, get_ctx, page, requires

router = APIRouter()


async def _render(request: Request, user: CurrentUser, status_code: int = 200, **extra: object) -> object:
    found = await run_in_threadpool(composing.templates_for, get_ctx(request), user.workspace_id)
    # Channels' names and their variables' descriptions are Spanish source text: shown translated.
    channels = {
        c.name: (_(c.presentation.label), {k: _(v) for k, v in c.presentation.template_variables.items()})
        for c in CHANNELS
    }
    return page(
        request, "reply_templates.html", status_code=status_code, templates=found, channels=channels, **extra
    )


@router.get("/templates")
async def show(request: Request, user: Annotated[CurrentUser, Depends(requires(Role.VIEWER))]) -> object:
    return await _render(request, user, saved=request.query_params.get("saved") == "1")


@router.post("/templates")
async def create(
    request: Request,
    user: Annotated[CurrentUser, Depends(requires(Role.AGENT))],
    name: str = Form(""),
    channel: str = Form(""),
    text: str = Form(""),
) -> object:
    return await _save(request, user, None, name, channel, text)


@router.post("/templates/{template_id}")
async def change(
    request: Request,
    user: Annotated[CurrentUser, Depends(requires(Role.AGENT))],
    template_id: int,
    name: str = Form(""),
    channel: str = Form(""),
    text: str = Form(""),
) -> object:
    return await _save(request, user, template_id, name, channel, text)


@router.post("/templates/{template_id}/delete")
async def delete(
    request: Request, user: Annotated[CurrentUser, Depends(requires(Role.AGENT))], template_id: int
) -> object:
    if not await run_in_threadpool(
        composing.delete_template, get_ctx(request), user.workspace_id, template_id
    ):
        raise HTTPException(404, _("Plantilla no encontrada"))
    return RedirectResponse("/templates?saved=1", status_code=303)


async def _save(
    request: Request, user: CurrentUser, template_id: int | None, name: str, channel: str, text: str
) -> object:
    try:
        await run_in_threadpool(
            composing.save_template,
            get_ctx(request),
            user.workspace_id,
            user.id,
            template_id,
            name,
            channel or None,
            text,
        )
    except composing.TemplateRefused as exc:
        draft = {"id": template_id, "name": name, "channel": channel, "text": text}
        return await _render(request, user, status_code=422, error=str(exc), draft=draft)
    except LookupError as exc:
        raise HTTPException(404, _("Plantilla no encontrada")) from exc
    return RedirectResponse("/templates?saved=1", status_code=303)
