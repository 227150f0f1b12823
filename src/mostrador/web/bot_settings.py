"""Bot settings per account: mode, and the whole configuration as YAML (edit, import, export); the
seller's history replayed by the bot, and the examples the team taught it.

Everyone reads them (page and YAML export: the same text, no secrets in it); admins change them;
agents may remove an example.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import PlainTextResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from mostrador.accounts import bot_history, bot_settings
from mostrador.accounts.tokens import AccountUnavailable, TokenRefreshFailed
from mostrador.bot.errors import BotConfigError
from mostrador.bot.learning import EXAMPLE_WEIGHT
from mostrador.i18n import gettext as _
from mostrador.inbox import learning
from mostrador.meli import errors as meli_errors
from mostrador.users.roles import Role
from mostrador.web import trail
from mostrador.web.deps import CurrentUser, get_ctx, page, requires
from mostrador.workflows import learning as learning_workflows

router = APIRouter()
MAX_UPLOAD = 256 * 1024
HISTORY_LIMIT = 50  # questions replayed by the history page (the CLI takes --limit)


def _refusal(exc: BotConfigError) -> str:
    """A refused configuration in the reader's words; the bot's own reasons (field and rule, technical
    English from `mostrador.bot`, which has no page words) are quoted as they are."""
    if isinstance(exc, bot_settings.SettingsRefused):
        return str(exc)
    return _("No se guardó la configuración: %(detail)s") % {"detail": exc}


async def _render(request: Request, user: CurrentUser, account_id: int, **extra: object) -> object:
    try:
        account, config = await run_in_threadpool(
            bot_settings.load, get_ctx(request), user.workspace_id, account_id
        )
    except bot_settings.UnknownAccount as exc:
        raise HTTPException(404, _("Cuenta no encontrada")) from exc
    context = {"account": account, "config": config, "yaml": bot_settings.as_yaml(config)}
    context.update(extra)
    status = 422 if extra.get("error") else 200
    return page(request, "bot_settings.html", status_code=status, **context)


@router.get("/accounts/{account_id}/bot")
async def show(
    request: Request, account_id: int, user: Annotated[CurrentUser, Depends(requires(Role.VIEWER))]
) -> object:
    return await _render(request, user, account_id, saved=request.query_params.get("saved") == "1")


@router.get("/accounts/{account_id}/bot.yaml")
async def export(
    request: Request, account_id: int, user: Annotated[CurrentUser, Depends(requires(Role.VIEWER))]
) -> object:
    try:
        account, config = await run_in_threadpool(
            bot_settings.load, get_ctx(request), user.workspace_id, account_id
        )
    except bot_settings.UnknownAccount as exc:
        raise HTTPException(404, _("Cuenta no encontrada")) from exc
    filename = f"mostrador-bot-{account.nickname}.yaml"
    return PlainTextResponse(
        bot_settings.as_yaml(config),
        media_type="application/yaml",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/accounts/{account_id}/bot")
async def save(
    request: Request,
    user: Annotated[CurrentUser, Depends(requires(Role.ADMIN))],
    account_id: int,
    yaml_text: str = Form("", alias="yaml"),
    upload: UploadFile | None = File(None),
) -> object:
    ctx = get_ctx(request)
    text = yaml_text
    try:
        if upload is not None and upload.filename:
            raw = await upload.read(MAX_UPLOAD + 1)
            if len(raw) > MAX_UPLOAD:
                raise bot_settings.SettingsRefused(_("El archivo pesa más de 256 KB."))
            text = bot_settings.parse_upload(raw)
        await run_in_threadpool(bot_settings.save_yaml, ctx, user.workspace_id, account_id, text)
    except BotConfigError as exc:
        return await _render(request, user, account_id, error=_refusal(exc), yaml_override=text)
    except bot_settings.UnknownAccount as exc:
        raise HTTPException(404, _("Cuenta no encontrada")) from exc
    await trail.note(request, user, "bot.settings_changed", f"account:{account_id}")
    return RedirectResponse(f"/accounts/{account_id}/bot?saved=1", status_code=303)


@router.post("/accounts/{account_id}/bot/mode")
async def mode(
    request: Request,
    user: Annotated[CurrentUser, Depends(requires(Role.ADMIN))],
    account_id: int,
    mode: str = Form(...),
) -> object:
    try:
        await run_in_threadpool(bot_settings.set_mode, get_ctx(request), user.workspace_id, account_id, mode)
    except BotConfigError as exc:
        return await _render(request, user, account_id, error=_refusal(exc))
    except bot_settings.UnknownAccount as exc:
        raise HTTPException(404, _("Cuenta no encontrada")) from exc
    await trail.note(request, user, "bot.mode_changed", f"account:{account_id}", {"mode": mode})
    return RedirectResponse(f"/accounts/{account_id}/bot?saved=1", status_code=303)


@router.get("/accounts/{account_id}/bot/history")
async def history(
    request: Request, account_id: int, user: Annotated[CurrentUser, Depends(requires(Role.VIEWER))]
) -> object:
    """What the bot would have answered to the account's last answered questions, and its examples."""
    ctx = get_ctx(request)
    try:
        account, _config = await run_in_threadpool(bot_settings.load, ctx, user.workspace_id, account_id)
    except bot_settings.UnknownAccount as exc:
        raise HTTPException(404, _("Cuenta no encontrada")) from exc
    limit = HISTORY_LIMIT
    replayed, error = None, None
    try:
        replayed = await bot_history.replay(ctx, account_id, limit)
    except (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed) as exc:
        error = _("No se pudieron leer las preguntas de Mercado Libre: %(detail)s") % {"detail": exc}
    examples = await run_in_threadpool(learning.examples, ctx, user.workspace_id, account_id)
    return page(
        request,
        "bot_history.html",
        account=account,
        history=replayed,
        error=error,
        limit=limit,
        examples=examples,
        example_weight=EXAMPLE_WEIGHT,
    )


@router.post("/accounts/{account_id}/bot/examples/delete")
async def delete_example(
    request: Request,
    account_id: int,
    user: Annotated[CurrentUser, Depends(requires(Role.AGENT))],
    example_id: int = Form(...),
) -> object:
    """Remove an example the team taught; the account's model retrains without it. Removing one that is
    already gone (a second click) changes nothing."""
    try:
        removed = await run_in_threadpool(
            learning.remove_example, get_ctx(request), user.workspace_id, user.id, example_id, account_id
        )
    except learning.ExampleNotFound:
        removed = None
    if removed is not None:
        await learning_workflows.schedule_quietly(removed.account_id, removed.revision)
    return RedirectResponse(f"/accounts/{account_id}/bot/history", status_code=303)
