"""OAuth HTTP surface (§2): the consent page at `/authorization` and `POST /oauth/token`."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from mostrador.sandbox.caller import sandbox_state
from mostrador.sandbox.errors import OAuthError
from mostrador.sandbox.oauth import check_login, exchange_token, issue_code, parse_form_strict
from mostrador.sandbox.state import App, SandboxState

router = APIRouter()

# §2.1: documented texts of the consent error pages.
REDIRECT_MISMATCH = "your client callback has to match with the redirect_uri param"
CANNOT_CONNECT = "Sorry, the application cannot connect to your account"
_HIDDEN = ("response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method")

_PAGE = """<!doctype html>
<html lang="es"><head><meta charset="utf-8"><title>Mercado Libre sandbox - autorización</title></head>
<body>
<h1>{app_name} quiere acceder a tu cuenta</h1>
<p>La aplicación podrá leer y escribir tus publicaciones, preguntas, ventas y mensajes.</p>
{error}
<form method="post" action="/authorization">
{hidden}
<label>Usuario <input name="nickname" autocomplete="username"></label>
<label>Contraseña <input name="password" type="password" autocomplete="current-password"></label>
<button name="decision" value="allow" type="submit">Permitir</button>
<button name="decision" value="deny" type="submit">Cancelar</button>
</form></body></html>"""


def _error_page(text: str, status: int = 400) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><body><h1>{escape(text)}</h1></body></html>", status_code=status
    )


def _check_request(state: SandboxState, params: dict[str, str]) -> App | HTMLResponse:
    raw_id = params.get("client_id", "")
    app = state.apps.get(int(raw_id)) if raw_id.isdigit() else None
    if app is None or app.internal or params.get("response_type") != "code":
        return _error_page(CANNOT_CONNECT)
    # §2.1: redirect_uri must match the registered one character for character.
    if params.get("redirect_uri") != app.redirect_uri:
        return _error_page(REDIRECT_MISMATCH)
    method = params.get("code_challenge_method")
    if app.pkce and not params.get("code_challenge"):
        return _error_page(CANNOT_CONNECT)
    if params.get("code_challenge") and method not in (None, "", "S256", "plain"):
        return _error_page(CANNOT_CONNECT)
    return app


def _render(app: App, params: dict[str, str], error: str = "") -> HTMLResponse:
    hidden = "\n".join(
        f'<input type="hidden" name="{name}" value="{escape(params.get(name, ""))}">' for name in _HIDDEN
    )
    body = _PAGE.format(
        app_name=escape(app.name),
        hidden=hidden,
        error=f'<p class="error">{escape(error)}</p>' if error else "",
    )
    return HTMLResponse(body, status_code=401 if error else 200)


@router.get("/authorization", response_model=None)
async def consent_page(request: Request) -> Response:
    params = dict(request.query_params)
    checked = _check_request(sandbox_state(request), params)
    return checked if isinstance(checked, HTMLResponse) else _render(checked, params)


@router.post("/authorization", response_model=None)
async def consent_submit(request: Request) -> Response:
    params = {key: str(value) for key, value in (await request.form()).items()}
    state = sandbox_state(request)
    checked = _check_request(state, params)
    if isinstance(checked, HTMLResponse):
        return checked
    app = checked
    redirect_uri = params["redirect_uri"]
    if params.get("decision") != "allow":
        query = {"error": "access_denied", "error_description": "The user denied the authorization"}
        if params.get("state"):
            query["state"] = params["state"]
        return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)
    user = check_login(state, params.get("nickname", ""), params.get("password", ""))
    if user is None:
        return _render(app, params, error="Usuario o contraseña incorrectos")
    code = issue_code(
        state,
        app,
        user,
        redirect_uri,
        params.get("code_challenge"),
        params.get("code_challenge_method") or ("plain" if params.get("code_challenge") else None),
    )
    query = {"code": code}
    if params.get("state"):
        query["state"] = params["state"]
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(query)}", status_code=302)


@router.post("/oauth/token")
async def token(request: Request) -> JSONResponse:
    """§2.2: parameters only in a form-encoded body; query-string credentials are refused."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        raise OAuthError("invalid_request", "parameters must be sent form-encoded in the body")
    if "client_secret" in request.query_params:
        raise OAuthError("invalid_request", "client credentials must not be sent in the query string")
    raw = parse_qs((await request.body()).decode("utf-8"), keep_blank_values=True)
    body: dict[str, Any] = exchange_token(sandbox_state(request), parse_form_strict(raw))
    return JSONResponse(body, headers={"cache-control": "no-store"})
