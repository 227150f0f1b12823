"""OAuth (§2): consent page, code exchange, PKCE, refresh rotation, revocation and token expiry."""

import re

import httpx

from mostrador.sandbox.errors import INVALID_GRANT_DESCRIPTION

from .conftest import REDIRECT, Actors

INVALID_GRANT = {
    "error_description": INVALID_GRANT_DESCRIPTION,
    "error": "invalid_grant",
    "status": 400,
    "cause": [],
}


async def test_consent_page_renders_form_with_hidden_fields(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    app = await actors.app()
    params = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": REDIRECT,
        "state": "xyz",
    }
    response = await client.get("/authorization", params=params)
    assert response.status_code == 200
    for name in (
        "response_type",
        "client_id",
        "redirect_uri",
        "state",
        "code_challenge",
        "nickname",
        "password",
    ):
        assert f'name="{name}"' in response.text
    assert 'value="allow"' in response.text and 'value="deny"' in response.text


async def test_redirect_uri_must_match_exactly(client: httpx.AsyncClient, actors: Actors) -> None:
    app = await actors.app()
    params = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": REDIRECT + "/"}
    response = await client.get("/authorization", params=params)
    assert response.status_code == 400
    assert "your client callback has to match with the redirect_uri param" in response.text


async def test_deny_and_bad_password(client: httpx.AsyncClient, actors: Actors) -> None:
    app, user = await actors.app(), await actors.user()
    form = {
        "response_type": "code",
        "client_id": str(app["client_id"]),
        "redirect_uri": REDIRECT,
        "state": "s",
        "nickname": user["nickname"],
        "password": "wrong",
        "decision": "allow",
    }
    assert (await client.post("/authorization", data=form)).status_code == 401
    denied = await client.post("/authorization", data=form | {"decision": "deny"})
    assert denied.status_code == 302 and "error=access_denied" in denied.headers["location"]


async def test_code_exchange_shape_and_single_use(actors: Actors) -> None:
    app, user = await actors.app(), await actors.user()
    code = await actors.authorize(app, user)
    assert re.fullmatch(rf"TG-[0-9a-f]{{24}}-{user['id']}", code)
    first = await actors.token(app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "user_id", "refresh_token"}
    assert body["expires_in"] == 21600 and body["user_id"] == user["id"] and body["token_type"] == "bearer"
    assert re.fullmatch(
        rf"APP_USR-{app['client_id']}-\d{{6}}-[0-9a-f]{{32}}-{user['id']}", body["access_token"]
    )
    again = await actors.token(app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert again.status_code == 400 and again.json() == INVALID_GRANT


async def test_code_needs_same_redirect_and_expires(client: httpx.AsyncClient, actors: Actors) -> None:
    app, user = await actors.app(), await actors.user()
    wrong = await actors.token(
        app,
        grant_type="authorization_code",
        code=await actors.authorize(app, user),
        redirect_uri=REDIRECT + "?x=1",
    )
    assert wrong.json()["error"] == "invalid_grant"
    code = await actors.authorize(app, user)
    await client.post("/_sandbox/clock", json={"advance_s": 601})
    late = await actors.token(app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert late.json() == INVALID_GRANT


async def test_token_errors(client: httpx.AsyncClient, actors: Actors) -> None:
    app = await actors.app()
    bad_secret = await client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": app["client_id"],
            "client_secret": "nope",
            "refresh_token": "TG-x",
        },
    )
    assert bad_secret.status_code == 400 and bad_secret.json()["error"] == "invalid_client"
    unsupported = await actors.token(app, grant_type="password")
    assert unsupported.json()["error"] == "unsupported_grant_type"
    as_json = await client.post("/oauth/token", json={"grant_type": ["refresh_token"]})
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    twice = await actors.token(app, grant_type="refresh_token", refresh_token="TG-x")
    assert twice.json()["error"] == "invalid_grant"
    missing = await actors.token(app, grant_type="authorization_code")
    assert missing.json()["error"] == "invalid_request"
    assert set(missing.json()) == {"error_description", "error", "status", "cause"}


async def test_pkce_is_mandatory_when_enabled(client: httpx.AsyncClient, actors: Actors) -> None:
    app, user = await actors.app(pkce=True), await actors.user()
    no_challenge = await client.get(
        "/authorization",
        params={"response_type": "code", "client_id": app["client_id"], "redirect_uri": REDIRECT},
    )
    assert no_challenge.status_code == 400
    code = await actors.authorize(app, user, verifier="a" * 64)
    missing = await actors.token(app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert missing.json()["error"] == "invalid_request"
    code = await actors.authorize(app, user, verifier="a" * 64)
    wrong = await actors.token(
        app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier="b" * 64
    )
    assert wrong.json() == INVALID_GRANT
    code = await actors.authorize(app, user, verifier="a" * 64)
    good = await actors.token(
        app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier="a" * 64
    )
    assert good.status_code == 200
    plain = await actors.authorize(app, user, verifier="p" * 50, method="plain")
    ok = await actors.token(
        app, grant_type="authorization_code", code=plain, redirect_uri=REDIRECT, code_verifier="p" * 50
    )
    assert ok.status_code == 200


async def test_refresh_rotates_and_reuse_fails(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    old_refresh = seller.tokens["refresh_token"]
    rotated = await actors.token(seller.app, grant_type="refresh_token", refresh_token=old_refresh)
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != old_refresh and new["access_token"] != seller.tokens["access_token"]
    reuse = await actors.token(seller.app, grant_type="refresh_token", refresh_token=old_refresh)
    assert reuse.status_code == 400 and reuse.json() == INVALID_GRANT
    me = await client.get("/users/me", headers={"Authorization": f"Bearer {new['access_token']}"})
    assert me.status_code == 200


async def test_refresh_token_bound_to_its_client(actors: Actors) -> None:
    seller = await actors.connect()
    other = await actors.app()
    stolen = await actors.token(
        other, grant_type="refresh_token", refresh_token=seller.tokens["refresh_token"]
    )
    assert stolen.json() == INVALID_GRANT


async def test_access_token_expires_after_six_hours(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    assert (await client.get("/users/me", headers=seller.headers)).status_code == 200
    await client.post("/_sandbox/clock", json={"advance_s": 21600})
    expired = await client.get("/users/me", headers=seller.headers)
    assert expired.status_code == 401
    assert expired.json() == {"message": "expired_token", "error": "not_found", "status": 401, "cause": []}
    unknown = await client.get("/users/me", headers={"Authorization": "Bearer APP_USR-1-2-3-4"})
    assert unknown.json() == {"message": "invalid_token", "error": "not_found", "status": 401, "cause": []}


async def test_legacy_query_token_is_accepted(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    response = await client.get("/users/me", params={"access_token": seller.tokens["access_token"]})
    assert response.status_code == 200 and response.json()["id"] == seller.user["id"]


async def test_revocation_kills_both_tokens(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    path = f"/users/{seller.user['id']}/applications/{seller.app['client_id']}"
    revoked = await client.delete(path, headers=seller.headers)
    assert revoked.json() == {
        "user_id": str(seller.user["id"]),
        "app_id": str(seller.app["client_id"]),
        "msg": "Autorización eliminada",
    }
    assert (await client.get("/users/me", headers=seller.headers)).status_code == 401
    refresh = await actors.token(
        seller.app, grant_type="refresh_token", refresh_token=seller.tokens["refresh_token"]
    )
    assert refresh.json() == INVALID_GRANT


async def test_password_change_and_secret_rotation_kill_tokens(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    seller = await actors.connect()
    await client.post(f"/_sandbox/users/{seller.user['id']}/password_change", json={})
    assert (await client.get("/users/me", headers=seller.headers)).status_code == 401
    # The control-API token (internal app) keeps working for the simulator.
    assert (
        await client.get("/users/me", headers={"Authorization": f"Bearer {seller.user['access_token']}"})
    ).status_code == 200
    other = await actors.connect()
    rotated = (await client.post(f"/_sandbox/apps/{other.app['client_id']}/rotate_secret")).json()
    assert rotated["client_secret"] != other.app["client_secret"]
    assert (await client.get("/users/me", headers=other.headers)).status_code == 401


async def test_four_idle_months_kill_the_grant(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    await client.post("/_sandbox/clock", json={"advance_s": 121 * 24 * 3600})
    refresh = await actors.token(
        seller.app, grant_type="refresh_token", refresh_token=seller.tokens["refresh_token"]
    )
    assert refresh.json() == INVALID_GRANT
