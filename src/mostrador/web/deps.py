"""Request-scoped helpers: the app context, the logged-in agent, CSRF tokens and templates."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates

from mostrador.context import AppContext
from mostrador.store.db import transaction
from mostrador.store.models import Agent
from mostrador.web.formatting import local_time, money, status_label

TEMPLATES = Path(__file__).parent / "templates"


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))  # autoescape on for .html: buyer text is escaped
    templates.env.globals["csrf_token"] = csrf_token
    templates.env.filters.update(local_time=local_time, money=money, status_label=status_label)
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
class CurrentAgent:
    id: int
    workspace_id: int
    email: str
    name: str
    role: str


class LoginRequired(Exception):
    """Raised by `current_agent`; the app turns it into a redirect to /login."""


def current_agent(request: Request, ctx: AppContext = Depends(get_ctx)) -> CurrentAgent:
    agent_id = request.session.get("agent_id")
    if not agent_id:
        raise LoginRequired()
    with transaction(ctx.sessions) as s:
        agent = s.get(Agent, int(agent_id))
        if agent is None:
            request.session.clear()
            raise LoginRequired()
        return CurrentAgent(agent.id, agent.workspace_id, agent.email, agent.name, agent.role)


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> Any:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status_code)
