"""The language of the pages: the browser's `Accept-Language` for every request (a pure ASGI
middleware, so the words a handler makes before rendering are in it too), overridden by the person's own
choice once the login dependency knows who they are (web/deps.py), which they make here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from mostrador import i18n
from mostrador.users.roles import Role
from mostrador.users.service import choose_language
from mostrador.web.deps import CurrentUser, get_ctx, page, requires

router = APIRouter()
BROWSER = ""  # the form's value for "as my browser says"


class Language:
    """Sets the request's language from `Accept-Language` before anything else reads words."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = next((v for k, v in scope["headers"] if k == b"accept-language"), b"")
            i18n.activate(i18n.negotiate(header.decode("latin-1")))
        await self.app(scope, receive, send)


@router.post("/account/language")
async def language_change(
    request: Request,
    user: Annotated[CurrentUser, Depends(requires(Role.VIEWER))],
    locale: str = Form(BROWSER),
) -> object:
    """One's own pages' language (every role): one of ours, or back to the browser's."""
    if locale != BROWSER and locale not in i18n.LOCALES:
        message = i18n.gettext("Ese idioma no está disponible.")
        return page(request, "password.html", status_code=422, error=message, done=False)
    await run_in_threadpool(choose_language, get_ctx(request).sessions, user.id, locale or None)
    return RedirectResponse("/account/password?language=1", status_code=303)
