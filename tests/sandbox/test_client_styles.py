"""Client styles met in Mercado Libre libraries from the package index, and how the sandbox answers each.

docs/sandbox.md ("Client styles") lists them: token parameters in the query string (the old official
SDKs), the form repeated in the body under a JSON Content-Type, a JSON token body (Mercado Pago's
reference for the same OAuth server), media types in any case, the legacy `?access_token=` parameter
(§1: an emulator accepts it), form bodies sent to JSON resources, JSON sent without a Content-Type, and
trailing slashes.
"""

from __future__ import annotations

from urllib.parse import urlencode

import httpx

from tests.sandbox.conftest import REDIRECT, Actors, bearer


async def test_token_parameters_in_the_query_string(client: httpx.AsyncClient, actors: Actors) -> None:
    """The old official Python SDK: all in the query string, `Content-type: application/json`, no body."""
    app, user = await actors.app(), await actors.user()
    code = await actors.authorize(app, user)
    query = {
        "grant_type": "authorization_code",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "code": code,
        "redirect_uri": REDIRECT,
    }
    response = await client.post(
        f"/oauth/token?{urlencode(query)}",
        headers={"Content-type": "application/json", "Accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["user_id"] == user["id"]


async def test_refresh_with_the_form_in_query_and_body(client: httpx.AsyncClient, actors: Actors) -> None:
    """The same SDK's refresh: the form in the query string and again in a body labelled JSON."""
    seller = await actors.connect()
    form = {
        "grant_type": "refresh_token",
        "client_id": str(seller.app["client_id"]),
        "client_secret": seller.app["client_secret"],
        "refresh_token": seller.tokens["refresh_token"],
    }
    response = await client.post(
        f"/oauth/token?{urlencode(form)}",
        content=urlencode(form).encode(),
        headers={"Content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["refresh_token"] != seller.tokens["refresh_token"]


async def test_token_as_a_json_body(client: httpx.AsyncClient, actors: Actors) -> None:
    """Mercado Pago's reference for the same server sends a JSON body (client_id may be a number)."""
    app, user = await actors.app(), await actors.user()
    code = await actors.authorize(app, user)
    body = {
        "grant_type": "authorization_code",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "code": code,
        "redirect_uri": REDIRECT,
    }
    response = await client.post("/oauth/token", json=body)
    assert response.status_code == 200, response.text


async def test_media_types_are_compared_without_case(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    form = {
        "grant_type": "refresh_token",
        "client_id": str(seller.app["client_id"]),
        "client_secret": seller.app["client_secret"],
        "refresh_token": seller.tokens["refresh_token"],
    }
    response = await client.post(
        "/oauth/token",
        content=urlencode(form).encode(),
        headers={"Content-Type": "Application/X-WWW-Form-Urlencoded; Charset=UTF-8"},
    )
    assert response.status_code == 200, response.text


async def test_a_parameter_given_twice_with_two_values_is_invalid_request(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    seller = await actors.connect()
    form = {
        "grant_type": "refresh_token",
        "client_id": str(seller.app["client_id"]),
        "client_secret": seller.app["client_secret"],
        "refresh_token": seller.tokens["refresh_token"],
    }
    response = await client.post("/oauth/token?client_secret=another", data=form)
    assert response.status_code == 400
    assert response.json() == {
        "error_description": "duplicated parameter: client_secret",
        "error": "invalid_request",
        "status": 400,
        "cause": [],
    }
    # Nothing was spent: the refresh token still works.
    assert (
        await actors.token(seller.app, grant_type="refresh_token", refresh_token=form["refresh_token"])
    ).status_code == 200


async def test_legacy_access_token_parameter_on_reads_and_writes(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    """§1: `?access_token=` still appears in legacy samples; the sandbox accepts it like the header."""
    seller = await actors.connect()
    buyer = await actors.user("buyer")
    item = await actors.item(seller)
    question = await actors.ask(buyer, item["id"])
    token = {"access_token": seller.tokens["access_token"]}
    me = await client.get("/users/me", params=token)
    assert me.status_code == 200 and me.json()["id"] == seller.user["id"]
    answered = await client.post(
        "/answers", params=token, json={"question_id": question["id"], "text": "Sí, hay."}
    )
    assert answered.status_code == 200 and answered.json()["status"] == "ANSWERED"
    bad = await client.get("/users/me", params={"access_token": "APP_USR-1-2-3-4"})
    assert bad.status_code == 401
    assert bad.json() == {"message": "invalid_token", "error": "not_found", "status": 401, "cause": []}


async def test_a_form_body_on_a_json_resource_is_a_400_in_the_envelope(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    seller = await actors.connect()
    response = await client.post(
        "/answers", data={"question_id": "1", "text": "hola"}, headers=seller.headers
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"message", "error", "status", "cause"}
    assert body["error"] == "invalid_post_body" and body["status"] == 400
    item = await client.post("/items", data={"title": "x"}, headers=seller.headers)
    assert item.status_code == 400 and item.json()["error"] == "validation_error"


async def test_json_without_a_content_type_is_read(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    buyer = await actors.user("buyer")
    item = await actors.item(seller)
    response = await client.post(
        "/questions",
        content=b'{"item_id": "%s", "text": "Hola"}' % item["id"].encode(),
        headers=bearer(buyer),
    )
    assert response.status_code == 201, response.text


async def test_a_trailing_slash_is_served_not_redirected(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    item = await actors.item(seller)
    response = await client.get("/items/", params={"ids": item["id"]})
    assert response.status_code == 200, response.text
    assert [entry["body"]["id"] for entry in response.json()] == [item["id"]]
    me = await client.get("/users/me/", headers=seller.headers)
    assert me.status_code == 200
