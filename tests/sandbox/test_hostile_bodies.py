"""Every route the sandbox serves answers hostile bodies with a documented error, never a bare 500.

The routes, their bodies and their query parameters come from the app's own route table (its OpenAPI
document), so a new route is covered without editing this file. Each route gets a fresh world (a seller,
a buyer, an item with variations, a question, an order with its pack and shipment, a buyer message, a
claim and attachments) whose ids fill the path, then:

* malformed bodies (empty, form-encoded, not JSON, not UTF-8, not an object, NaN, nested too deep,
  broken multipart) must get a 400 in the route's error envelope when the route takes a body;
* every declared field set to each JSON type it does not accept must get a 400 too;
* odd values of the right type (empty, huge, negative, control characters) may succeed or fail, but
  never with a 5xx, and every error must be one of Mercado Libre's documented error bodies.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mostrador.sandbox.app import create_app
from mostrador.sandbox.config import SandboxConfig
from tests.sandbox.conftest import Actors, bearer

# §2.5: /oauth/token refuses in the OAuth envelope; every other API route in the §10 envelope.
OAUTH_ROUTES = {"/oauth/token"}

MALFORMED: list[tuple[str, str | None, bytes]] = [
    ("empty", "application/json", b""),
    ("empty-no-type", None, b""),
    ("whitespace", "application/json", b"  \n "),
    ("form", "application/x-www-form-urlencoded", b"text=hola&question_id=1&item_id=MLA1"),
    ("truncated-json", "application/json", b'{"text": '),
    ("not-utf8", "application/json", b'{"text": "\xff\xfe"}'),
    ("array", "application/json", b"[]"),
    ("string", "application/json", b'"text"'),
    ("number", "application/json", b"42"),
    ("null", "application/json", b"null"),
    ("nan", "application/json", b'{"price": NaN, "text": NaN}'),
    ("overflow", "application/json", b'{"price": 1e999}'),
    ("deep", "application/json", b"[" * 100_000 + b"]" * 100_000),
    ("text-plain", "text/plain", b"hola"),
    ("multipart-garbage", "multipart/form-data; boundary=zz", b"--zz\r\nnot a part\r\n"),
    ("multipart-no-boundary", "multipart/form-data", b"abc"),
]

# One value of each JSON type, to find the ones a field does not accept.
SAMPLES: list[Any] = ["x", 7, 1.5, True, None, [], {}, [7], [{"x": 1}]]
EDGES: dict[str, list[Any]] = {
    "string": ["", " ", "x" * 5000, "nul\u0000l", "🙂" * 10, "../../etc", "%s%n"],
    "integer": [0, -1, 2**63, -(2**63), 10**30],
    "number": [0, -1, 0.0001, 1e308, -1e308],
    "boolean": [True, False],
    "array": [[]],
    "object": [{}],
}


@dataclass
class World:
    """Ids of real resources, to fill paths, query parameters and example bodies."""

    values: dict[str, Any]
    token: str
    examples: dict[str, Any] = field(default_factory=dict)


def _operations(app: FastAPI) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "operation" in metafunc.fixturenames:
        routes = sorted((method, path) for method, path, _ in _operations(create_app(SandboxConfig())))
        metafunc.parametrize("operation", routes, ids=[f"{m} {p}" for m, p in routes])


async def _world(client: httpx.AsyncClient, actors: Actors) -> World:
    app = await actors.app()
    seller = await actors.connect(app=app)
    buyer = await actors.user("buyer")
    colours = [{"id": "COLOR", "name": "Color", "value_name": c} for c in ("Negro", "Rojo")]
    item = await actors.item(
        seller,
        variations=[
            {"attribute_combinations": [colour], "available_quantity": 5, "seller_custom_field": f"SKU-{i}"}
            for i, colour in enumerate(colours)
        ],
    )
    question = await actors.ask(buyer, item["id"])
    order = (
        await client.post(
            "/_sandbox/orders",
            json={
                "buyer_id": buyer["id"],
                "item_id": item["id"],
                "variation_id": item["variations"][0]["id"],
            },
        )
    ).json()
    pack_id = order["pack_id"]
    message = (
        await client.post(f"/_sandbox/packs/{pack_id}/buyer_messages", json={"text": "¿Cuándo llega?"})
    ).json()
    attachment = (
        await client.post(
            "/messages/attachments",
            params={"tag": "post_sale"},
            files={"file": ("nota.pdf", b"%PDF-1.4", "application/pdf")},
            headers=bearer(seller.user),
        )
    ).json()
    claim = (await client.post("/_sandbox/claims", json={"order_id": order["id"]})).json()
    claim_file = (
        await client.post(
            f"/post-purchase/v1/claims/{claim['id']}/attachments",
            files={"file": ("foto.png", b"\x89PNG", "image/png")},
            headers=bearer(seller.user),
        )
    ).json()
    values = {
        "item_id": item["id"],
        "user_id": seller.user["id"],
        "seller_id": seller.user["id"],
        "question_id": question["id"],
        "pack_id": pack_id,
        "order_id": order["id"],
        "shipment_id": order["shipping"]["id"],
        "claim_id": claim["id"],
        "message_id": message["id"],
        "attachment_id": attachment["id"],
        "filename": claim_file["filename"],
        "reason_id": "PDD9944",
        "app_id": app["client_id"],
    }
    # Example bodies refer to these resources by field name.
    examples = {
        "question_id": question["id"],
        "item_id": item["id"],
        "user_id": buyer["id"],
        "buyer_id": buyer["id"],
        "order_id": order["id"],
    }
    return World(values=values, token=seller.user["access_token"], examples=examples)


def _resolve(schema: Any, document: dict[str, Any]) -> Any:
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _resolve(document["components"]["schemas"][name], document)
    return schema


def _types(schema: dict[str, Any], document: dict[str, Any]) -> set[str] | None:
    """The JSON types a schema accepts (None: anything)."""
    schema = _resolve(schema, document)
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return set(kinds) | ({"number"} if "integer" in kinds else set())
    variants = schema.get("anyOf") or schema.get("oneOf")
    if variants:
        found: set[str] = set()
        for variant in variants:
            kinds = _types(variant, document)
            if kinds is None:
                return None
            found |= kinds
        return found
    return {"object"} if "properties" in schema else None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}[type(value)]


def _accepts(kinds: set[str], value: Any) -> bool:
    kind = _json_type(value)
    return kind in kinds or (kind == "integer" and "number" in kinds)


def _array_items(schema: dict[str, Any], document: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _resolve(schema, document)
    variants = [schema, *(schema.get("anyOf") or []), *(schema.get("oneOf") or [])]
    return [
        v["items"]
        for v in map(lambda v: _resolve(v, document), variants)
        if v.get("type") == "array" and v.get("items")
    ]


def _wrong(schema: dict[str, Any], document: dict[str, Any]) -> list[Any]:
    """Values of the JSON types the schema refuses, and lists holding items of a refused type."""
    kinds = _types(schema, document)
    if kinds is None:
        return []
    wrong = [value for value in SAMPLES if not _accepts(kinds, value)]
    for items in _array_items(schema, document):
        wrong += [[value] for value in _wrong(items, document)[:3]]
    return wrong


def _properties(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    schema = _resolve(schema, document)
    return dict(schema.get("properties") or {})


def wrong_bodies(schema: dict[str, Any], document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Each declared field (and each field of a nested object or list of objects) with each wrong type."""
    everything: dict[str, Any] = {}
    for name, prop in _properties(schema, document).items():
        for value in _wrong(prop, document):
            everything.setdefault(name, value)
            yield {name: value}
        resolved = _resolve(prop, document)
        nested = [_resolve(v, document) for v in [resolved, *(resolved.get("anyOf") or [])]]
        for variant in nested:
            for sub, sub_prop in _properties(variant, document).items():
                for value in _wrong(sub_prop, document)[:2]:
                    yield {name: {sub: value}}
        for items in _array_items(prop, document):
            for sub, sub_prop in _properties(items, document).items():
                for value in _wrong(sub_prop, document)[:2]:
                    yield {name: [{sub: value}]}
    if everything:
        yield everything


def edge_bodies(
    schema: dict[str, Any], document: dict[str, Any], base: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """The route's example with one field at a time set to an odd value of the right type."""
    for name, prop in _properties(schema, document).items():
        for kind in sorted(_types(prop, document) or set()):
            for value in EDGES.get(kind, []):
                yield {**base, name: value}


def _documented_error(body: Any, status: int) -> bool:
    """§10 envelope, §2.5 OAuth envelope, §2.5 403 page, §8.7 action-guide body."""
    if not isinstance(body, dict):
        return False
    keys = set(body)
    if keys == {"message", "error", "status", "cause"} or keys == {
        "error_description",
        "error",
        "status",
        "cause",
    }:
        return body["status"] == status and isinstance(body["cause"], list) and isinstance(body["error"], str)
    if "code" in keys and keys <= {"status", "error", "message", "code"}:
        return body["status"] == status
    if keys == {"status_code", "code", "message"}:
        return body["status_code"] == status
    return False


def _substitute(value: Any, known: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {key: known[key] if key in known else _substitute(item, known) for key, item in value.items()}
    return value


def _example(operation: dict[str, Any], world: World) -> dict[str, Any]:
    """The route's documented example body, its ids replaced by the world's (by field name)."""
    content = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {})
    examples = content.get("schema", {}).get("examples") or []
    return dict(_substitute(examples[0], world.examples)) if examples else {}


async def test_route_answers_hostile_bodies_with_documented_errors(
    operation: tuple[str, str], app: FastAPI, client: httpx.AsyncClient, actors: Actors
) -> None:
    method, template = operation
    document = app.openapi()
    spec = document["paths"][template][method.lower()]
    world = await _world(client, actors)
    path = template.format_map(_Missing({k: str(v) for k, v in world.values.items()}))
    query = _query(spec, world)
    html = "text/html" in str(spec.get("responses", {}).get("200", {}).get("content", {}))
    request_body = spec.get("requestBody")
    media = set((request_body or {}).get("content", {}))
    headers = {"Authorization": f"Bearer {world.token}"}

    async def send(content: bytes, content_type: str | None, **multipart: Any) -> httpx.Response:
        sent = dict(headers, **({"content-type": content_type} if content_type else {}))
        body: dict[str, Any] = multipart or {"content": content}
        return await client.request(method, path, params=query, headers=sent, **body)

    def check(response: httpx.Response, label: str, malformed: bool) -> None:
        where = f"{method} {path} with {label}: {response.status_code} {response.text[:300]}"
        assert response.status_code < 500, where
        if malformed:
            assert response.status_code == 400, where
        if html:
            if response.status_code >= 400:
                assert response.headers["content-type"].startswith("text/html"), where
            return
        if response.status_code >= 400:
            assert _documented_error(response.json(), response.status_code), where
        if malformed:
            oauth = template in OAUTH_ROUTES
            envelope = {"error_description" if oauth else "message", "error", "status", "cause"}
            assert set(response.json()) == envelope, where

    # A route that takes a body gets none of what it needs from any of these: always a 400.
    for label, content_type, content in MALFORMED:
        check(await send(content, content_type), label, malformed=request_body is not None)

    takes_json = media == {"application/json"}
    if "application/json" in media:
        schema = request_body["content"]["application/json"]["schema"]  # type: ignore[index]
        for body in wrong_bodies(schema, document):
            check(
                await send(json.dumps(body).encode(), "application/json"), f"wrong types {body}", takes_json
            )
        base = _example(spec, world)
        for body in edge_bodies(schema, document, base):
            label = f"odd value {json.dumps(body)[:200]}"
            check(await send(json.dumps(body).encode(), "application/json"), label, malformed=False)
    if "multipart/form-data" in media:
        schema = request_body["content"]["multipart/form-data"]["schema"]  # type: ignore[index]
        as_text = {name: (None, "not a file") for name in _properties(schema, document)}
        check(await send(b"", None, files=as_text), "fields sent as text", malformed=True)
        for filename, data in (("", b""), ("x" * 300 + ".png", b"x"), ("a.exe", b"MZ"), ("b.png", b"")):
            label = f"file {filename[:20]!r}"
            check(await send(b"", None, files={"file": (filename, data)}), label, malformed=False)


def _query(spec: dict[str, Any], world: World) -> dict[str, str]:
    """Declared query parameters: world ids by name, else the documented example, else a plausible id."""
    query: dict[str, str] = {}
    for parameter in spec.get("parameters", []):
        if parameter["in"] != "query":
            continue
        name, schema = parameter["name"], parameter.get("schema", {})
        examples = schema.get("examples") or []
        if name in world.values:
            query[name] = str(world.values[name])
        elif examples:
            query[name] = str(examples[0])
        elif parameter.get("required"):
            query[name] = "1"
    return query


class _Missing(dict[str, str]):
    """Path parameters the world has no value for get a plausible id (the route answers 404)."""

    def __missing__(self, key: str) -> str:
        return "1"
