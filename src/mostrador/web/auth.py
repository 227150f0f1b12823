"""Login (throttled), logout and the password change page; sessions live in the database
(users.sessions), the signed cookie carries only their token."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from mostrador.i18n import gettext as _
from mostrador.i18n import ngettext
from mostrador.security.passwords import MIN_PASSWORD_LENGTH, WeakPassword
from mostrador.users import errors
from mostrador.users import sessions as user_sessions
from mostrador.users.roles import Role
from mostrador.users.service import change_password, log_in
from mostrador.web.deps import SESSION_KEY, CurrentUser, get_ctx, page, public, require_csrf, requires

router = APIRouter()


def _client(request: Request) -> str:
    """The client address (uvicorn puts the proxy's X-Forwarded-For here for trusted proxies)."""
    return request.client.host if request.client else "unknown"


def _minutes(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return ngettext("%(num)d minuto", "%(num)d minutos", minutes) % {"num": minutes}


def _throttled(seconds: int) -> str:
    return _("Demasiados intentos fallidos. Esperá %(wait)s y volvé a intentar.") % {
        "wait": _minutes(seconds)
    }


@router.get("/login", dependencies=[Depends(public)])
async def login_form(request: Request, next: str = "/inbox", out: str = "") -> object:
    notice = _("Cerraste la sesión.") if out else None
    return page(request, "login.html", next=_safe_next(next), error=None, notice=notice)


@router.post("/login", dependencies=[Depends(public), Depends(require_csrf)])
async def login(
    request: Request, email: str = Form(...), password: str = Form(...), next: str = Form("/inbox")
) -> object:
    ctx = get_ctx(request)
    try:
        token = await run_in_threadpool(
            log_in,
            ctx.sessions,
            email,
            password,
            _client(request),
            None,
            user_sessions.SessionPolicy.of(ctx.settings),
        )
    except errors.LoginThrottled as exc:
        # Said the same way for every e-mail, known or not.
        message = _throttled(exc.retry_after_s)
        response = page(request, "login.html", status_code=429, next=_safe_next(next), error=message)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    except errors.BadCredentials:
        return page(
            request,
            "login.html",
            status_code=401,
            next=_safe_next(next),
            error=_("E-mail o contraseña incorrectos."),
        )
    _new_session(request, token)
    return RedirectResponse(_safe_next(next), status_code=303)


def _new_session(request: Request, token: str) -> None:
    """A new cookie and a new CSRF token (fixation: nothing planted before survives a login)."""
    request.session.clear()
    request.session.update({SESSION_KEY: token, "csrf": secrets.token_urlsafe(32)})


@router.post("/logout")
async def logout(
    request: Request, user: Annotated[CurrentUser, Depends(requires(Role.VIEWER))]
) -> RedirectResponse:
    token = request.session.get(SESSION_KEY)
    if token:
        await run_in_threadpool(user_sessions.end, get_ctx(request).sessions, str(token))
    request.session.clear()
    return RedirectResponse("/login?out=1", status_code=303)


@router.get("/account/password")
async def password_form(
    request: Request, user: Annotated[CurrentUser, Depends(requires(Role.VIEWER))]
) -> object:
    return page(request, "password.html", error=None, done=request.query_params.get("done") == "1")


@router.post("/account/password")
async def password_change(
    request: Request,
    user: Annotated[CurrentUser, Depends(requires(Role.VIEWER))],
    current_password: str = Form(...),
    new_password: str = Form(...),
    new_password_again: str = Form(...),
) -> object:
    """Change one's own password; every session of the user ends (a copied cookie stops working)."""
    ctx = get_ctx(request)
    try:
        token = await run_in_threadpool(
            change_password,
            ctx.sessions,
            user.session,
            current_password,
            new_password,
            new_password_again,
            _client(request),
            None,
            user_sessions.SessionPolicy.of(ctx.settings),
        )
    except errors.LoginThrottled as exc:
        message = _throttled(exc.retry_after_s)
        response = page(request, "password.html", status_code=429, error=message, done=False)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    except (errors.WrongPassword, errors.PasswordsDiffer, WeakPassword) as exc:
        message = {
            errors.WrongPassword: _("La contraseña actual no es correcta."),
            errors.PasswordsDiffer: _("Las dos contraseñas nuevas no coinciden."),
            WeakPassword: _("La contraseña nueva necesita al menos %(num)d caracteres.")
            % {"num": MIN_PASSWORD_LENGTH},
        }[type(exc)]
        return page(request, "password.html", status_code=422, error=message, done=False)
    _new_session(request, token)  # every session ended, this one too: the browser gets a new one
    return RedirectResponse("/account/password?done=1", status_code=303)


def _safe_next(target: str) -> str:
    """Only local paths: never redirect a login to another site."""
    local = target.startswith("/") and not target.startswith(("//", "/\\"))  # browsers read /\ as //
    return target if local else "/inbox"
