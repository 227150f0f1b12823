"""Agent login and logout (CSRF-protected forms, Argon2 hashes, session cookie)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from mostrador.users.service import authenticate
from mostrador.web.deps import get_ctx, page, require_csrf

router = APIRouter()


@router.get("/login")
async def login_form(request: Request, next: str = "/inbox") -> object:
    return page(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login", dependencies=[Depends(require_csrf)])
async def login(
    request: Request, email: str = Form(...), password: str = Form(...), next: str = Form("/inbox")
) -> object:
    ctx = get_ctx(request)
    agent_id = await run_in_threadpool(authenticate, ctx.sessions, email, password)
    if agent_id is None:
        return page(
            request,
            "login.html",
            status_code=401,
            next=_safe_next(next),
            error="E-mail o contraseña incorrectos.",
        )
    csrf = request.session.get("csrf")
    request.session.clear()  # new session on login (fixation)
    request.session.update({"agent_id": agent_id, "csrf": csrf})
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(require_csrf)])
async def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _safe_next(target: str) -> str:
    """Only local paths: never redirect a login to another site."""
    return target if target.startswith("/") and not target.startswith("//") else "/inbox"
