"""OAuth 2.0 grants and tokens (§2): single-use codes, PKCE, rotating refresh tokens, early revocation."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from mostrador.sandbox.errors import OAuthError, Unauthorized
from mostrador.sandbox.state import AccessToken, App, AuthorizationCode, Grant, SandboxState, User

# Internal-app tokens (given to users made through the control API) outlive any test run.
INTERNAL_TOKEN_TTL_S = 10 * 365 * 24 * 3600


def _same(left: str, right: str) -> bool:
    """Constant-time comparison that also accepts non-ASCII input (compare_digest on str does not)."""
    return hmac.compare_digest(left.encode("utf-8"), right.encode("utf-8"))


def register_app(
    state: SandboxState,
    *,
    name: str,
    callback_url: str | None,
    redirect_uri: str,
    topics: list[str],
    pkce: bool,
) -> App:
    app = App(
        id=state.ids.app_id(),
        name=name,
        secret=state.ids.secret(),
        callback_url=callback_url,
        redirect_uri=redirect_uri,
        topics=list(topics),
        pkce=pkce,
        created_ts=state.now(),
        last_call_ts=state.now(),
    )
    state.apps[app.id] = app
    return app


def app_view(app: App) -> dict[str, Any]:
    return {
        "id": app.id,
        "client_id": app.id,
        "client_secret": app.secret,
        "name": app.name,
        "callback_url": app.callback_url,
        "redirect_uri": app.redirect_uri,
        "topics": app.topics,
        "pkce": app.pkce,
        "switched_off_topics": sorted(app.switched_off_topics),
    }


def check_login(state: SandboxState, nickname: str, password: str) -> User | None:
    for user in state.users.values():
        if user.nickname.lower() == nickname.strip().lower() and _same(user.password, password):
            return user
    return None


def issue_code(
    state: SandboxState,
    app: App,
    user: User,
    redirect_uri: str,
    code_challenge: str | None,
    code_challenge_method: str | None,
) -> str:
    code = state.ids.grant_token(user.id)
    state.codes[code] = AuthorizationCode(
        code=code,
        app_id=app.id,
        user_id=user.id,
        redirect_uri=redirect_uri,
        expires_ts=state.now() + state.config.authorization_code_ttl_s,
        code_challenge=code_challenge or None,
        code_challenge_method=(code_challenge_method or None),
    )
    return code


def _token_stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%m%d%H")


def issue_pair(state: SandboxState, grant: Grant) -> dict[str, Any]:
    """New access token + new refresh token; §2.3 rule 1: the previous refresh token dies at once."""
    now = state.now()
    app = state.apps[grant.app_id]
    ttl = INTERNAL_TOKEN_TTL_S if app.internal else state.config.access_token_ttl_s
    token = state.ids.access_token(app.id, grant.user_id, _token_stamp(now))
    state.tokens[token] = AccessToken(token=token, app_id=app.id, user_id=grant.user_id, expires_ts=now + ttl)
    if grant.refresh_token is not None:
        state.refresh_tokens.pop(grant.refresh_token, None)
    grant.refresh_token = state.ids.grant_token(grant.user_id)
    grant.refresh_expires_ts = now + state.config.refresh_token_ttl_s
    state.refresh_tokens[grant.refresh_token] = (grant.user_id, grant.app_id)
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": ttl,
        "scope": " ".join(grant.scopes),
        "user_id": grant.user_id,
        "refresh_token": grant.refresh_token,
    }


def grant_for(state: SandboxState, app: App, user_id: int) -> Grant:
    key = (user_id, app.id)
    grant = state.grants.get(key)
    if grant is None or grant.revoked:
        grant = Grant(user_id=user_id, app_id=app.id, created_ts=state.now())
        state.grants[key] = grant
    return grant


def _authenticate_client(state: SandboxState, form: dict[str, str]) -> App:
    raw_id = form.get("client_id", "")
    app = state.apps.get(int(raw_id)) if raw_id.isdigit() else None
    if app is None or app.internal or not _same(app.secret, form.get("client_secret", "")):
        raise OAuthError("invalid_client", "invalid client_id or client_secret")
    return app


def _pkce_matches(code: AuthorizationCode, verifier: str) -> bool:
    if code.code_challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode("utf-8")).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        return _same(expected, code.code_challenge or "")
    return _same(verifier, code.code_challenge or "")


def exchange_token(state: SandboxState, form: dict[str, str]) -> dict[str, Any]:
    """`POST /oauth/token` for both grant types (§2.2, §2.3)."""
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "the grant_type parameter is required")
    if grant_type not in ("authorization_code", "refresh_token"):
        raise OAuthError("unsupported_grant_type", f"unsupported grant_type: {grant_type}")
    app = _authenticate_client(state, form)
    if grant_type == "authorization_code":
        return _exchange_code(state, app, form)
    return _refresh(state, app, form)


def _exchange_code(state: SandboxState, app: App, form: dict[str, str]) -> dict[str, Any]:
    raw = form.get("code")
    if not raw or not form.get("redirect_uri"):
        raise OAuthError("invalid_request", "code and redirect_uri are required")
    code = state.codes.get(raw)
    # §2.1: single use, 10 minutes, bound to client and to the exact redirect_uri.
    if (
        code is None
        or code.used
        or code.app_id != app.id
        or code.expires_ts < state.now()
        or code.redirect_uri != form["redirect_uri"]
    ):
        raise OAuthError.invalid_grant()
    code.used = True
    if app.pkce or code.code_challenge:
        verifier = form.get("code_verifier")
        if not verifier:
            raise OAuthError("invalid_request", "code_verifier is required")
        if not code.code_challenge or not _pkce_matches(code, verifier):
            raise OAuthError.invalid_grant()
    grant = grant_for(state, app, code.user_id)
    app.last_call_ts = state.now()
    return issue_pair(state, grant)


def _refresh(state: SandboxState, app: App, form: dict[str, str]) -> dict[str, Any]:
    raw = form.get("refresh_token")
    if not raw:
        raise OAuthError("invalid_request", "the refresh_token parameter is required")
    owner = state.refresh_tokens.get(raw)
    if owner is None or owner[1] != app.id:
        raise OAuthError.invalid_grant()
    grant = state.grants.get(owner)
    expire_idle_grants(state, app)
    if grant is None or grant.revoked or grant.refresh_token != raw or grant.refresh_expires_ts < state.now():
        raise OAuthError.invalid_grant()
    app.last_call_ts = state.now()
    return issue_pair(state, grant)


def revoke_grant(state: SandboxState, user_id: int, app_id: int) -> bool:
    """§2.4: revoking kills the access and refresh tokens of the grant."""
    grant = state.grants.get((user_id, app_id))
    if grant is None or grant.revoked:
        return False
    grant.revoked = True
    if grant.refresh_token:
        state.refresh_tokens.pop(grant.refresh_token, None)
    for token in state.tokens.values():
        if token.user_id == user_id and token.app_id == app_id:
            token.revoked = True
    return True


def revoke_user_tokens(state: SandboxState, user_id: int) -> None:
    """§2.4: a password change kills every grant of the user (the internal app keeps working)."""
    for uid, app_id in list(state.grants):
        if uid == user_id and not state.apps[app_id].internal:
            revoke_grant(state, uid, app_id)


def rotate_secret(state: SandboxState, app: App) -> None:
    """§2.4: a new Client Secret invalidates the tokens issued to the app."""
    app.secret = state.ids.secret()
    for uid, app_id in list(state.grants):
        if app_id == app.id:
            revoke_grant(state, uid, app_id)


def expire_idle_grants(state: SandboxState, app: App) -> None:
    """§2.4: an app that makes no call for 4 months loses its tokens."""
    if app.internal or state.now() - app.last_call_ts <= state.config.idle_grant_ttl_s:
        return
    for uid, app_id in list(state.grants):
        if app_id == app.id:
            revoke_grant(state, uid, app_id)


def resolve_token(state: SandboxState, raw: str) -> AccessToken:
    """Check a bearer token; §2.5: 401 `invalid_token`, or `expired_token` once its 6 hours are over."""
    token = state.tokens.get(raw)
    if token is None or token.revoked:
        raise Unauthorized("invalid_token")
    app = state.apps[token.app_id]
    expire_idle_grants(state, app)
    if token.revoked:
        raise Unauthorized("invalid_token")
    if token.expires_ts <= state.now():
        raise Unauthorized("expired_token")
    app.last_call_ts = state.now()
    return token


def internal_token(state: SandboxState, user: User) -> str:
    """A token of the built-in sandbox app, handed out with control-API users."""
    grant = grant_for(state, state.internal_app, user.id)
    return str(issue_pair(state, grant)["access_token"])


def parse_form_strict(raw_form: dict[str, list[str]]) -> dict[str, str]:
    """§2.5 invalid_request: duplicated parameters are refused."""
    form: dict[str, str] = {}
    for key, values in raw_form.items():
        if len(values) > 1:
            raise OAuthError("invalid_request", f"duplicated parameter: {key}")
        form[key] = values[0]
    return form
