"""OAuth HTTP surface (§2): the consent page at `/authorization` and `POST /oauth/token`."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from mostrador.sandbox.bodies import parse_json
from mostrador.sandbox.caller import sandbox_state
from mostrador.sandbox.errors import OAuthError
from mostrador.sandbox.oauth import check_login, exchange_token, issue_code, parse_form_strict
from mostrador.sandbox.state import App, SandboxState

router = APIRouter()

# §2.1: documented texts of the consent error pages.
REDIRECT_MISMATCH = "your client callback has to match with the redirect_uri param"
CANNOT_CONNECT = "Sorry, the application cannot connect to your account"
_HIDDEN = ("response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method")


def _form_schema(*names: str) -> dict[str, Any]:
    return {"type": "object", "properties": {name: {"type": "string"} for name in names}}


# The consent page posts its hidden fields plus the login; the token endpoint takes §2.2's parameters.
_CONSENT_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": _form_schema(*_HIDDEN, "nickname", "password", "decision")
            }
        },
    }
}
# §2.2/§2.3, in a form or JSON body or in the query string (see token_parameters).
_TOKEN_PARAMETERS = (
    "grant_type",
    "client_id",
    "client_secret",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
)
_TOKEN_FORM = {
    "requestBody": {
        "required": False,
        "content": {
            media: {"schema": _form_schema(*_TOKEN_PARAMETERS)}
            for media in ("application/x-www-form-urlencoded", "application/json")
        },
    }
}

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


@router.get("/authorization", response_model=None, response_class=HTMLResponse)
async def consent_page(request: Request) -> Response:
    params = dict(request.query_params)
    checked = _check_request(sandbox_state(request), params)
    return checked if isinstance(checked, HTMLResponse) else _render(checked, params)


@router.post("/authorization", response_model=None, response_class=HTMLResponse, openapi_extra=_CONSENT_FORM)
async def consent_submit(request: Request) -> Response:
    try:
        submitted = await request.form()
    except StarletteHTTPException:
        # A multipart body Starlette cannot parse: the consent host answers with its error page (§2.1).
        return _error_page(CANNOT_CONNECT)
    params = {key: value for key, value in submitted.items() if isinstance(value, str)}
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


def _body_parameters(raw: bytes) -> dict[str, list[str]]:
    """The body as a JSON object or, failing that, form-encoded, whatever the Content-Type says."""
    if not raw.strip():
        return {}
    try:
        document = parse_json(raw)
    except (ValueError, RecursionError):
        document = None
    if isinstance(document, dict):
        form: dict[str, list[str]] = {}
        for key, value in document.items():
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise OAuthError("invalid_request", f"parameter {key} must be a string")
            form[key] = [str(value)]
        return form
    try:
        return parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError(
            "invalid_request", "the body must be form-encoded (or a JSON object) in UTF-8"
        ) from None


def token_parameters(query: str, raw_body: bytes) -> dict[str, str]:
    """§2.2's parameters from the query string and the body together.

    The reference documents a form-encoded body and asks clients not to use the query string; the
    official SDKs of the past sent everything in the query string (with `Content-Type:
    application/json` and no body, or the form repeated in the body), and Mercado Pago's reference for
    the same server documents a JSON body. Mercado Libre answered all of them, so the sandbox does too
    (docs/sandbox.md, "Client styles"). A parameter given twice with different values is §2.5's
    `invalid_request` (duplicated parameter).
    """
    sources = [parse_qs(query, keep_blank_values=True), _body_parameters(raw_body)]
    merged: dict[str, list[str]] = {}
    for source in sources:
        for key, values in source.items():
            for value in values:
                if value not in merged.setdefault(key, []):
                    merged[key].append(value)
    return parse_form_strict(merged)


@router.post("/oauth/token", openapi_extra=_TOKEN_FORM)
async def token(request: Request) -> JSONResponse:
    """§2.2/§2.3: both grant types; errors in the §2.5 OAuth envelope."""
    form = token_parameters(request.url.query, await request.body())
    body: dict[str, Any] = exchange_token(sandbox_state(request), form)
    return JSONResponse(body, headers={"cache-control": "no-store"})
