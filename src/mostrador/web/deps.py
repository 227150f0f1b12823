"""Request-scoped helpers: the app context, who is logged in and what their role allows, CSRF tokens
and templates.

Every route declares its access with one dependency: `requires(Role.X)` (logged in, role X or above;
returns the user), an API key's (`web.api.access`, a `DeclaredAccess`) or, for the short PUBLIC
allow-list, `public`. `check_routes` refuses to build an
app where a route declares neither, so a forgotten check fails at start, not in production.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Mount

from mostrador import i18n
from mostrador.context import AppContext
from mostrador.inbox import views as inbox_views
from mostrador.outbox.failures import failure_label
from mostrador.store import scope
from mostrador.store.db import transaction
from mostrador.users import sessions as user_sessions
from mostrador.users.roles import Role
from mostrador.web.formatting import duration, local_time, money, since, status_label, time_left, urgency

TEMPLATES = Path(__file__).parent / "templates"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_KEY = "sid"  # the cookie's session token (the database keeps only its hash)
# Routes anyone may call, logged in or not: (method, path). The webhook (POST /notifications) is not
# a route at all but an ASGI middleware in front of the app (web/intake.py), and /static is a mount.
# The REST API's OpenAPI document is public on purpose: integrators read it before they hold a key.
# /metrics needs no login but has its own rule (a bearer token, or this host only: web/ops.py).
PUBLIC = frozenset(
    {
        ("GET", "/login"),
        ("POST", "/login"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/api/v1/openapi.json"),
        # One-time links (web/people.py): the token in the path is the credential.
        ("GET", "/invite/{token}"),
        ("POST", "/invite/{token}"),
        ("GET", "/password/forgot"),
        ("POST", "/password/forgot"),
        ("GET", "/password/reset/{token}"),
        ("POST", "/password/reset/{token}"),
    }
)
PUBLIC_MOUNTS = frozenset({"/static"})
MAX_ID = 2**31 - 1  # our ids are INTEGER columns


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))  # autoescape on for .html: buyer text is escaped
    # Words in the reader's language (mostrador.i18n): {% trans %}…{% endtrans %} and _("…").
    templates.env.add_extension("jinja2.ext.i18n")
    templates.env.policies["ext.i18n.trimmed"] = True  # {% trans %} blocks: whitespace folded, as extracted
    templates.env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
    )
    templates.env.globals.update(csrf_token=csrf_token, locale=i18n.current, languages=i18n.NAMES)
    templates.env.filters.update(
        local_time=local_time,
        money=money,
        status_label=status_label,
        failure_label=failure_label,
        time_left=time_left,
        urgency=urgency,
        since=since,
        duration=duration,
    )
    return templates


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


async def require_csrf(request: Request) -> None:
    """Every state-changing form carries the session's CSRF token (synchroniser-token pattern)."""
    form = await request.form()
    sent = str(form.get("csrf_token") or request.headers.get("x-csrf-token") or "")
    expected = str(request.session.get("csrf") or "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise HTTPException(
            status_code=403, detail="CSRF token missing or invalid; reload the page and try again"
        )


@dataclass(frozen=True)
class CurrentUser:
    """The logged-in user of a request."""

    id: int
    workspace_id: int
    email: str
    name: str
    role: Role
    session_id: int
    locale: str | None = None  # their chosen language (None: the browser's Accept-Language)

    def can(self, minimum: Role | str) -> bool:
        """What templates ask to hide what the role may not do (the server check is `requires`)."""
        return self.role.at_least(Role(minimum))

    @property
    def session(self) -> user_sessions.SessionUser:
        return user_sessions.SessionUser(
            self.session_id, self.id, self.workspace_id, self.email, self.name, self.role, self.locale
        )


class LoginRequired(Exception):
    """No live session; the app turns it into a redirect to /login."""


class Forbidden(Exception):
    """The user's role is below what the route needs; the app shows a 403 page."""

    def __init__(self, role: Role, minimum: Role) -> None:
        super().__init__(f"{role.value} may not do what needs {minimum.value}")
        self.role, self.minimum = role, minimum


class NotInWorkspace(Exception):
    """An id in the URL names an object of another workspace (or none); the app shows a 404 page."""


class DeclaredAccess:
    """Base of access dependencies declared elsewhere (the REST API's keys): `check_routes` counts them."""


class Requires:
    """The dependency behind `requires(role)`: login, then ids of the URL in the user's workspace (404),
    then the role (403), then the CSRF token on state-changing methods (403)."""

    def __init__(self, minimum: Role) -> None:
        self.minimum = minimum

    def __repr__(self) -> str:
        return f"requires({self.minimum.value})"

    async def __call__(self, request: Request) -> CurrentUser:
        user = await run_in_threadpool(_session_user, request)
        request.state.user = user  # pages, the 403 and 404 pages included, show who is logged in
        if user.locale:  # their choice beats the browser's (web/language.py set that one)
            i18n.activate(user.locale)
        await run_in_threadpool(_check_ids, request, user)
        if not user.role.at_least(self.minimum):
            raise Forbidden(user.role, self.minimum)
        if request.method not in SAFE_METHODS:
            await require_csrf(request)
        return user


class Public:
    """The dependency of the routes in PUBLIC: declares on purpose that no login is needed."""

    def __repr__(self) -> str:
        return "public"

    async def __call__(self) -> None:
        return None


_REQUIRES = {role: Requires(role) for role in Role}
public = Public()


def requires(minimum: Role) -> Requires:
    """The dependency a route declares: `user: Annotated[CurrentUser, Depends(requires(Role.AGENT))]`,
    or `dependencies=[Depends(requires(Role.AGENT))]` when the route does not need the user.

    One instance per role, so FastAPI runs it once per request however often a route names it.
    """
    return _REQUIRES[minimum]


def _session_user(request: Request) -> CurrentUser:
    token = request.session.get(SESSION_KEY)
    ctx = get_ctx(request)
    policy = user_sessions.SessionPolicy.of(ctx.settings)
    found = user_sessions.resume(ctx.sessions, str(token), policy=policy) if token else None
    if found is None:
        request.session.pop(SESSION_KEY, None)
        raise LoginRequired()
    return CurrentUser(
        found.user_id, found.workspace_id, found.email, found.name, found.role, found.session_id, found.locale
    )


def _check_ids(request: Request, user: CurrentUser) -> None:
    """Every object id in the path is of the user's workspace, or the answer is 404 (whatever the role)."""
    ids = [(name, str(value)) for name, value in request.path_params.items() if name in scope.SCOPED]
    if not ids:
        return
    with transaction(get_ctx(request).sessions) as s:
        for name, value in ids:
            if not is_id(value) or not scope.workspace_holds(s, user.workspace_id, name, int(value)):
                raise NotInWorkspace(name)


def is_id(value: str) -> bool:
    """A database id: ASCII digits ('²' is a digit to Python) within INTEGER's range (PostgreSQL's
    int4: a larger value fails the query instead of finding nothing)."""
    return value.isascii() and value.isdigit() and len(value) <= 10 and int(value) <= MAX_ID


def access_of(dependant: Dependant | None) -> list[Requires | Public | DeclaredAccess]:
    """The access dependencies a route declares, however deep (decorator, router or parameter)."""
    found: list[Requires | Public | DeclaredAccess] = []

    def walk(node: Dependant) -> None:
        for sub in node.dependencies:
            if isinstance(sub.call, Requires | Public | DeclaredAccess) and sub.call not in found:
                found.append(sub.call)
            walk(sub)

    if dependant is not None:
        walk(dependant)
    return found


class AccessNotDeclared(RuntimeError):
    """A route declares no access (requires(...) or public), or a public one is not in the allow-list."""


def check_routes(routes: Sequence[BaseRoute]) -> None:
    """Refuse an app where any route lacks exactly one access declaration, or is public by accident."""
    for route in iter_route_contexts(routes):
        if isinstance(route.original_route, Mount) and route.path in PUBLIC_MOUNTS:
            continue
        if not isinstance(route.original_route, APIRoute):
            raise AccessNotDeclared(f"{route.path} is not a FastAPI route: it cannot declare requires(...)")
        methods = sorted(route.methods or ())
        declared = access_of(route.dependant)
        if len(declared) != 1:
            raise AccessNotDeclared(f"{methods} {route.path} declares {declared or 'no access'}")
        if isinstance(declared[0], Public) and not {(m, route.path) for m in methods} <= PUBLIC:
            raise AccessNotDeclared(f"{methods} {route.path} is public but not in deps.PUBLIC")


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> Any:
    """Render a template; `user` (the logged-in user, if any) is always in its context."""
    context.setdefault("user", getattr(request.state, "user", None))
    user = context["user"]
    if user is not None and not name.startswith("_") and "urgent" not in context:
        # Threads due within a day (claims' deadlines): counted in the navigation of every page.
        context["urgent"] = inbox_views.urgent(get_ctx(request), user.workspace_id)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status_code)
