"""People pages: the workspace's people and invitations (admins), the audit log (admins), and the
one-time links anyone opens — accepting an invitation, asking for and using a password reset.

Thin: each route parses the form, calls one function of `users.invitations`, `users.resets`,
`users.team` or `users.audit_log`, and renders or redirects.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from mostrador.security.passwords import MIN_PASSWORD_LENGTH, WeakPassword
from mostrador.store.audit import ACTIONS, AuditFilter
from mostrador.users import audit_log, errors, invitations, resets, team
from mostrador.users.roles import ROLES, Role
from mostrador.users.sessions import SessionPolicy
from mostrador.web.auth import _client, _new_session
from mostrador.web.deps import CurrentUser, get_ctx, is_id, page, public, require_csrf, requires

router = APIRouter()
Admin = Annotated[CurrentUser, Depends(requires(Role.ADMIN))]
Public = [Depends(public)]
PublicForm = [Depends(public), Depends(require_csrf)]

NOTICES = {
    "invited": "Invitación creada. No hay servidor de correo: el enlace quedó en el log del servidor "
    "(línea «INVITE LINK for …»); mandáselo a la persona.",
    "revoked": "Invitación revocada: su enlace ya no sirve.",
    "role": "Rol cambiado.",
    "removed": "La persona ya no está en el equipo; sus sesiones se cerraron.",
}
DEAD_LINK = {
    errors.LinkExpired: "Este enlace venció. Pedí uno nuevo.",
    errors.LinkInvalid: "Este enlace ya se usó, fue revocado o no existe. Pedí uno nuevo.",
}
FORGOT_SENT = (
    "Si ese e-mail tiene una cuenta, le mandamos un enlace para elegir una contraseña nueva. "
    "Vence en una hora y sirve una sola vez."
)


def _password_error(exc: Exception) -> str:
    if isinstance(exc, errors.PasswordsDiffer):
        return "Las dos contraseñas no coinciden."
    return f"La contraseña necesita al menos {MIN_PASSWORD_LENGTH} caracteres."


def _dead(request: Request, exc: errors.LinkInvalid) -> object:
    message = DEAD_LINK[type(exc)] if type(exc) in DEAD_LINK else DEAD_LINK[errors.LinkInvalid]
    return page(request, "link_dead.html", status_code=410, message=message)


# ---- the workspace's people (admins) -------------------------------------------------------------
async def _people_page(
    request: Request, user: CurrentUser, status_code: int = 200, **extra: object
) -> object:
    ctx = get_ctx(request)
    found = await run_in_threadpool(team.people, ctx.sessions, user.workspace_id)
    pending = await run_in_threadpool(invitations.pending, ctx.sessions, user.workspace_id)
    grantable = [r for r in ROLES if r is not Role.OWNER or user.role is Role.OWNER]
    notice = NOTICES.get(request.query_params.get("done", ""))
    return page(
        request,
        "people.html",
        status_code=status_code,
        people=found,
        pending=pending,
        roles=grantable,
        notice=notice,
        **{"error": None, "email": "", **extra},
    )


@router.get("/people")
async def people(request: Request, user: Admin) -> object:
    return await _people_page(request, user)


@router.post("/people/invite")
async def invite(request: Request, user: Admin, email: str = Form(...), role: str = Form(...)) -> object:
    ctx = get_ctx(request)
    lifetime = timedelta(seconds=ctx.settings.invitation_lifetime_s)
    try:
        await run_in_threadpool(
            invitations.invite,
            ctx.sessions,
            user.session,
            email,
            Role.parse(role),
            ctx.settings.public_url,
            lifetime,
        )
    except errors.UsersError as exc:
        message = {
            errors.InvalidEmail: "Eso no es un e-mail.",
            errors.UnknownRole: "Elegí un rol de la lista.",
            errors.UserExists: "Ese e-mail ya tiene una cuenta en Mostrador.",
            errors.OwnerProtected: "Solo un propietario puede invitar a otro propietario.",
        }.get(type(exc), str(exc))
        return await _people_page(request, user, status_code=422, error=message, email=email)
    return RedirectResponse("/people?done=invited", status_code=303)


@router.post("/people/invitations/{invitation_id}/revoke")
async def revoke(request: Request, user: Admin, invitation_id: int) -> object:
    await run_in_threadpool(invitations.revoke, get_ctx(request).sessions, user.session, invitation_id)
    return RedirectResponse("/people?done=revoked", status_code=303)


@router.post("/people/{person_id}/role")
async def change_role(request: Request, user: Admin, person_id: int, role: str = Form(...)) -> object:
    try:
        new = Role.parse(role)
        await run_in_threadpool(team.change_role, get_ctx(request).sessions, user.session, person_id, new)
    except errors.UsersError as exc:
        status, message = _team_refusal(exc)
        return await _people_page(request, user, status_code=status, error=message)
    return RedirectResponse("/people?done=role", status_code=303)


@router.post("/people/{person_id}/remove")
async def remove(request: Request, user: Admin, person_id: int) -> object:
    try:
        await run_in_threadpool(team.remove, get_ctx(request).sessions, user.session, person_id)
    except errors.UsersError as exc:
        status, message = _team_refusal(exc)
        return await _people_page(request, user, status_code=status, error=message)
    if person_id == user.id:  # removing oneself ends one's own session too
        request.session.clear()
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/people?done=removed", status_code=303)


def _team_refusal(exc: errors.UsersError) -> tuple[int, str]:
    return {
        errors.UnknownRole: (422, "Elegí un rol de la lista."),
        errors.OwnerProtected: (403, "Solo un propietario puede cambiar, quitar o nombrar a un propietario."),
        errors.LastOwner: (409, "El espacio necesita al menos un propietario: nombrá otro antes."),
        errors.UnknownUser: (404, "Esa persona no está en el equipo."),
    }.get(type(exc), (422, str(exc)))


# ---- the audit log (admins) ----------------------------------------------------------------------
@router.get("/audit")
async def audit_page(
    request: Request,
    user: Admin,
    who: str = "",
    what: str = "",
    since: str = "",
    until: str = "",
    before: str = "",
) -> object:
    where = AuditFilter(
        user_id=int(who) if is_id(who) else None,
        action=what if what in ACTIONS else None,
        since=_day(since),
        until=(d + timedelta(days=1)) if (d := _day(until)) is not None else None,
    )
    older = int(before) if is_id(before) else None
    found = await run_in_threadpool(
        audit_log.read, get_ctx(request).sessions, user.workspace_id, where, older
    )
    chosen = {"who": who, "what": what, "since": since, "until": until}
    return page(request, "audit.html", log=found, actions=ACTIONS, chosen=chosen)


def _day(value: str) -> datetime | None:
    """A date of the filter form (YYYY-MM-DD) as the start of that day in UTC; anything else: no filter."""
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        return None


# ---- invitations: the person who got the link ---------------------------------------------------
@router.get("/invite/{token}", dependencies=Public)
async def invitation(request: Request, token: str) -> object:
    try:
        found = await run_in_threadpool(invitations.look_up, get_ctx(request).sessions, token)
    except errors.LinkInvalid as exc:
        return _dead(request, exc)
    return page(request, "invite.html", invitation=found, token=token, error=None, given_name="")


@router.post("/invite/{token}", dependencies=PublicForm)
async def accept(
    request: Request,
    token: str,
    name: str = Form(""),
    password: str = Form(...),
    password_again: str = Form(...),
) -> object:
    ctx = get_ctx(request)
    try:
        session_token = await run_in_threadpool(
            invitations.accept,
            ctx.sessions,
            token,
            name,
            password,
            password_again,
            None,
            SessionPolicy.of(ctx.settings),
        )
    except errors.LinkInvalid as exc:
        return _dead(request, exc)
    except errors.UserExists:
        return page(request, "link_dead.html", status_code=409, message="Ese e-mail ya tiene una cuenta.")
    except (errors.PasswordsDiffer, WeakPassword) as exc:
        found = await run_in_threadpool(invitations.look_up, ctx.sessions, token)
        return page(
            request,
            "invite.html",
            status_code=422,
            invitation=found,
            token=token,
            error=_password_error(exc),
            given_name=name,
        )
    _new_session(request, session_token)
    return RedirectResponse("/inbox", status_code=303)


# ---- password reset ------------------------------------------------------------------------------
@router.get("/password/forgot", dependencies=Public)
async def forgot_form(request: Request) -> object:
    return page(request, "forgot.html", sent=None)


@router.post("/password/forgot", dependencies=PublicForm)
async def forgot(request: Request, email: str = Form(...)) -> object:
    """The same answer for every e-mail, known or not, throttled or not."""
    ctx = get_ctx(request)
    lifetime = timedelta(seconds=ctx.settings.password_reset_lifetime_s)
    await run_in_threadpool(
        resets.request, ctx.sessions, email, _client(request), ctx.settings.public_url, lifetime
    )
    return page(request, "forgot.html", sent=FORGOT_SENT)


@router.get("/password/reset/{token}", dependencies=Public)
async def reset_form(request: Request, token: str) -> object:
    try:
        email = await run_in_threadpool(resets.check, get_ctx(request).sessions, token)
    except errors.LinkInvalid as exc:
        return _dead(request, exc)
    return page(request, "reset.html", email=email, token=token, error=None)


@router.post("/password/reset/{token}", dependencies=PublicForm)
async def reset(
    request: Request, token: str, new_password: str = Form(...), new_password_again: str = Form(...)
) -> object:
    ctx = get_ctx(request)
    try:
        session_token = await run_in_threadpool(
            resets.use,
            ctx.sessions,
            token,
            new_password,
            new_password_again,
            None,
            SessionPolicy.of(ctx.settings),
        )
    except errors.LinkInvalid as exc:
        return _dead(request, exc)
    except (errors.PasswordsDiffer, WeakPassword) as exc:
        email = await run_in_threadpool(resets.check, ctx.sessions, token)
        return page(
            request, "reset.html", status_code=422, email=email, token=token, error=_password_error(exc)
        )
    _new_session(request, session_token)
    return RedirectResponse("/inbox", status_code=303)
