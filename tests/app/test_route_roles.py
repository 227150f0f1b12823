"""Every route of the app, called as every role: refused below its declared minimum, served at or above
it, and 404 for any id of another workspace. The REST API's routes (`/api/v1`), which take API keys
instead of logins, are called with every kind of key: none, revoked, read, read-write, and another
workspace's.

The routes are read from the app itself, and each one's minimum role from its `requires(...)`
dependency, so a new route is covered without touching this file (and one that declares no access
stops the app from being built at all). The app runs with its durable runtime (DBOS) as a real server
in front of a sandbox seller, so routes that start workflows (answers, replies, sync) run for real.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from dbos import DBOS
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import SecretStr
from sqlalchemy import MetaData, String, Text, select, update

from mostrador.cli.servers import ServerThread
from mostrador.settings import Settings
from mostrador.store import conversations as conversations_store
from mostrador.store import outbox as outbox_store
from mostrador.store import people as people_store
from mostrador.store import templates as templates_store
from mostrador.store.db import transaction
from mostrador.store.models import (
    Account,
    Invitation,
    OAuthState,
    ReplyTemplate,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
    utcnow,
)
from mostrador.users import api_keys
from mostrador.users.roles import ROLES, Role
from mostrador.users.service import create_user
from mostrador.web.api.access import KeyAccess
from mostrador.web.app import create_app
from mostrador.web.deps import DeclaredAccess, Public, Requires
from mostrador.workflows import housekeeping

from ..conftest import PG_URL, _drop_pg_database, _fresh_pg_database
from .sandbox_grant import connected_seller

PASSWORD = "correct horse battery staple"
ANONYMOUS = "anonymous"
# The routes anyone may call. Making another route public means editing this line on purpose.
# /metrics needs no login but refuses callers without its token or off this host (tests/app/test_ops.py).
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/invite/{token}"),
    ("POST", "/invite/{token}"),
    ("GET", "/password/forgot"),
    ("POST", "/password/forgot"),
    ("GET", "/password/reset/{token}"),
    ("POST", "/password/reset/{token}"),
}
# The kinds of API key a REST API route is called with.
KEYS = ("none", "revoked", "read", "read-write")
DEAD_TOKEN = "not-a-token"  # one-time links: the token is the credential, not an id of a workspace


# ---- the app's routes, read from the app ------------------------------------------------------------
@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    minimum: Role | None  # None: public (or an API route: see `key`)
    params: tuple[str, ...]  # path parameters
    form: tuple[str, ...]  # body fields
    key: str | None = None  # API routes: the key scope they need, "read" or "read-write"

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def declared_access(dependant: Any) -> list[Requires | Public | DeclaredAccess]:
    found: list[Requires | Public | DeclaredAccess] = []
    stack = list(dependant.dependencies)
    while stack:
        sub = stack.pop()
        if isinstance(sub.call, Requires | Public | DeclaredAccess):
            found.append(sub.call)
        stack.extend(sub.dependencies)
    return list(dict.fromkeys(found))


def endpoints_of_the_app() -> tuple[list[Endpoint], list[str]]:
    """Every (method, path) the app serves with its declared minimum role; and what is not a route."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            database_url=f"sqlite:///{tmp}/routes.sqlite",
            secret_key=SecretStr(secrets.token_urlsafe(32)),
            token_keys=[SecretStr(Fernet.generate_key().decode())],
        )
        app = create_app(settings, durable=False)
        endpoints, others = [], []
        for route in iter_route_contexts(app.routes):
            if not isinstance(route.original_route, APIRoute):
                others.append(f"{type(route.original_route).__name__} {route.path}")
                continue
            access = declared_access(route.dependant)
            assert len(access) == 1, f"{route.path} declares {access}"
            minimum = access[0].minimum if isinstance(access[0], Requires) else None
            key = None
            if isinstance(access[0], KeyAccess):
                key = "read-write" if access[0].write else "read"
            else:
                assert not isinstance(access[0], DeclaredAccess), f"{route.path}: teach this test {access[0]}"
            params = tuple(re.findall(r"{(\w+)", str(route.path)))
            form = tuple(f.alias for f in route.dependant.body_params)
            endpoints += [
                Endpoint(m, str(route.path), minimum, params, form, key) for m in sorted(route.methods)
            ]
        asyncio.run(app.state.ctx.aclose())
    return endpoints, others


ENDPOINTS, NOT_ROUTES = endpoints_of_the_app()
PAGES = [e for e in ENDPOINTS if e.key is None]
API = [e for e in ENDPOINTS if e.key is not None]
NOT_IDS = {"board", "token"}  # path parameters that name no object of a workspace
WITH_IDS = [e for e in PAGES if set(e.params) - NOT_IDS]
API_WITH_IDS = [e for e in API if set(e.params) - NOT_IDS]


def test_every_route_declares_its_access_and_few_are_public() -> None:
    assert len(ENDPOINTS) >= 15
    assert {(e.method, e.path) for e in PAGES if e.minimum is None} == PUBLIC
    assert NOT_ROUTES == ["Mount /static"]  # the webhook is a middleware in front of the app, not a route
    for needed, paths in [
        (
            Role.VIEWER,
            [
                "GET /inbox",
                "GET /inbox/events",
                "GET /accounts",
                "GET /accounts/{account_id}/bot.yaml",
                "GET /api/docs",
                "GET /templates",
                "POST /inbox/{conversation_id}/presence",
                "GET /inbox/{conversation_id}/presence",
            ],
        ),
        (
            Role.AGENT,
            [
                "POST /inbox/{conversation_id}/answer",
                "POST /inbox/{conversation_id}/reply",
                "POST /inbox/{conversation_id}/answer-all",
                "POST /inbox/{conversation_id}/check",
                "POST /inbox/{conversation_id}/assign",
                "POST /inbox/{conversation_id}/takeover",
                "POST /inbox/{conversation_id}/handback",
                "POST /templates",
                "POST /templates/{template_id}/delete",
            ],
        ),
        (
            Role.ADMIN,
            [
                "POST /accounts/sync",
                "POST /accounts/{account_id}/bot",
                "GET /accounts/connect",
                "GET /webhooks",
                "POST /webhooks/{endpoint_id}/test",
                "POST /webhooks/{endpoint_id}/recover",
                "POST /webhooks/{endpoint_id}/delete",
                "GET /settings/api-keys",
                "POST /settings/api-keys",
                "POST /settings/api-keys/{key_id}/revoke",
                "GET /people",
                "POST /people/invite",
                "POST /people/invitations/{invitation_id}/revoke",
                "POST /people/{person_id}/role",
                "POST /people/{person_id}/remove",
                "GET /audit",
            ],
        ),
    ]:
        for path in paths:
            assert {str(e): e.minimum for e in ENDPOINTS}[path] == needed, path
    scopes = {str(e): e.key for e in API}
    assert len(API) >= 10 and all(e.path.startswith("/api/v1/") for e in API)
    for path in ["GET /api/v1/accounts", "GET /api/v1/conversations", "GET /api/v1/dashboards/{board}"]:
        assert scopes[path] == "read", path
    for path in [
        "POST /api/v1/questions/{question_id}/answer",
        "POST /api/v1/conversations/{conversation_id}/messages",
        "POST /api/v1/conversations/{conversation_id}/actions",
    ]:
        assert scopes[path] == "read-write", path
    for path in [
        "GET /api/v1/webhook-endpoints",
        "GET /api/v1/webhook-endpoints/{endpoint_id}",
        "GET /api/v1/webhook-endpoints/{endpoint_id}/deliveries",
        "GET /api/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}",
    ]:
        assert scopes[path] == "read", path
    for path in [
        "POST /api/v1/webhook-endpoints",
        "PATCH /api/v1/webhook-endpoints/{endpoint_id}",
        "DELETE /api/v1/webhook-endpoints/{endpoint_id}",
        "POST /api/v1/webhook-endpoints/{endpoint_id}/secret",
        "POST /api/v1/webhook-endpoints/{endpoint_id}/test",
        "POST /api/v1/webhook-endpoints/{endpoint_id}/recover",
    ]:
        assert scopes[path] == "read-write", path
    assert {e.method for e in API if e.key == "read"} == {"GET"}
    assert {e.method for e in API if e.key == "read-write"} == {"POST", "PATCH", "DELETE"}


# ---- one world for the module: a sandbox seller, users of every role, another workspace -------------
@dataclass
class World:
    url: str
    clients: dict[str, httpx.Client]
    csrf: dict[str, str]
    mine: dict[str, str]  # path parameter -> an object of the callers' workspace
    theirs: dict[str, str]  # path parameter -> an object of another workspace
    untouched_conversation: str  # no route test writes in it
    question_id: str
    emails: dict[str, str]
    sessions: Any  # the app's sessionmaker
    keys: dict[str, str]  # API key kind (KEYS) -> the key ("" for none)
    sandbox_state: Any = None  # the sandbox's state: where buyers' and listings' words come from


def module_settings(data_dir: Path, cache_dir: Path) -> tuple[Settings, str | None]:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "secret_key": SecretStr(secrets.token_urlsafe(32)),
        "token_keys": [SecretStr(Fernet.generate_key().decode())],
        "executor_id": f"roles-{uuid.uuid4().hex[:8]}",
        "queue_polling_interval_s": 0.02,
        "cache_dir": cache_dir,
        "run_workers": False,  # record and enqueue; nothing in the background posts to the sandbox
        "api_rate_burst": 10_000,  # every API route is called many times with the same few keys
    }
    created = None
    if PG_URL:
        values["database_url"], created = _fresh_pg_database(PG_URL)
    return Settings(**values), created


def seed_conversation(s: Any, account: Account, question_id: str) -> dict[str, str]:
    """A question thread with one question and a failed send; its ids by path parameter name."""
    contact = conversations_store.ensure_contact(s, account, "questions", "7001", "COMPRADOR")
    conv = conversations_store.ensure_conversation(
        s, account, "questions", f"MLA1:{question_id}", contact, subject="Mate", item_id="MLA1"
    )
    conversations_store.upsert_message(
        s, conv.id, "in", question_id, author="buyer", text="¿Tenés stock?", status="received"
    )
    entry_id = outbox_store.insert_entry(
        s,
        {
            "account_id": account.id,
            "conversation_id": conv.id,
            "channel": "questions",
            "target_id": f"earlier-{question_id}",
            "text": "Sí, hay stock.",
            "status": "failed",
            "failure": "rejected",
        },
    )
    return {"account_id": str(account.id), "conversation_id": str(conv.id), "entry_id": str(entry_id)}


def seed_keys(s: Any, workspace_id: int) -> dict[str, str]:
    """An API key of each kind (KEYS) for the workspace."""
    keys = {"none": ""}
    for kind in ("revoked", "read", "read-write"):
        scope = api_keys.Scope.READ_WRITE if kind == "read-write" else api_keys.Scope.READ
        made = api_keys.create_key(s, workspace_id, kind, scope)
        keys[kind] = made.secret
        if kind == "revoked":
            api_keys.revoke(s, workspace_id, made.info.id)
    return keys


def seed_template(s: Any, workspace_id: int) -> str:
    return str(templates_store.add_template(s, workspace_id, None, "Saludo", None, "¡Gracias!").id)


def put_back_template(world: World, template_id: str) -> None:
    """A delete route removes its object: put the template back so each role's call finds one."""
    with transaction(world.sessions) as s:
        if s.get(ReplyTemplate, int(template_id)) is None:
            workspace_id = people_store.get_or_create_workspace(s, "w").id
            s.add(
                ReplyTemplate(id=int(template_id), workspace_id=workspace_id, name="Saludo", text="¡Gracias!")
            )


def seed_endpoint(s: Any, workspace_id: int, endpoint_id: int | None = None) -> str:
    """A webhook endpoint (the test posts to it with private addresses refused: nothing is sent)."""
    endpoint = WebhookEndpoint(
        workspace_id=workspace_id,
        url="https://hooks.example.com/mostrador",
        event_types=["question.received"],
        secret_enc="not-used",
        enabled=True,
    )
    if endpoint_id is not None:
        endpoint.id = endpoint_id
    s.add(endpoint)
    s.flush()
    return str(endpoint.id)


def seed_delivery(s: Any, workspace_id: int, endpoint_id: str, delivery_id: int | None = None) -> str:
    """A delivery of a test event to the endpoint (the log's routes read it)."""
    message = s.scalars(
        select(WebhookMessage).where(WebhookMessage.dedup_key == f"roles:{workspace_id}")
    ).first()
    if message is None:
        message = WebhookMessage(
            workspace_id=workspace_id,
            msg_id=f"msg_roles{workspace_id}",
            event_type="webhook.test",
            dedup_key=f"roles:{workspace_id}",
            subject=f"endpoint:{endpoint_id}",
            body='{"data":{},"type":"webhook.test"}',
        )
        s.add(message)
        s.flush()
    delivery = WebhookDelivery(message_id=message.id, endpoint_id=int(endpoint_id), status="succeeded")
    if delivery_id is not None:
        delivery.id = delivery_id
    s.add(delivery)
    s.flush()
    return str(delivery.id)


def put_back_endpoint(world: World, endpoint_id: str) -> None:
    """The delete routes remove the endpoint with its log: put both back so each call finds them."""
    with transaction(world.sessions) as s:
        if s.get(WebhookEndpoint, int(endpoint_id)) is None:
            workspace_id = people_store.get_or_create_workspace(s, "w").id
            seed_endpoint(s, workspace_id, int(endpoint_id))
            seed_delivery(s, workspace_id, endpoint_id, int(world.mine["delivery_id"]))


def seed_invitation(s: Any, workspace_id: int) -> str:
    """A pending invitation (its link is never opened: the token is not known to anyone)."""
    invitation = Invitation(
        workspace_id=workspace_id,
        email=f"invited-{workspace_id}@example.com",
        role="agent",
        token_hash=secrets.token_hex(32),
        expires_at=utcnow() + timedelta(days=7),
    )
    s.add(invitation)
    s.flush()
    return str(invitation.id)


def put_back_person(world: World, person_id: str) -> None:
    """The remove route removes the person: bring them back so each role's call finds one."""
    with transaction(world.sessions) as s:
        s.execute(update(User).where(User.id == int(person_id)).values(removed_at=None, role="agent"))


def seed_chat_with_a_file(s: Any, account: Account, pack_id: str, filename: str) -> str:
    """A post-sale chat whose buyer message lists `filename` (the files route serves only listed files)."""
    contact = conversations_store.ensure_contact(s, account, "messages", "7002", "COMPRADOR")
    conv = conversations_store.ensure_conversation(s, account, "messages", pack_id, contact, subject="Mate")
    attachment = {"filename": filename, "name": "foto.png", "type": "image/png", "size": 9}
    conversations_store.upsert_message(
        s, conv.id, "in", f"m-{pack_id}", author="buyer", text="Llegó así", status="received"
    ).meta = {"attachments": [attachment]}
    return str(conv.id)


def buyer_file_in_the_sandbox(sandbox_url: str, seller: dict[str, Any]) -> tuple[str, str, str]:
    """A sale of the seller and a file its buyer uploaded: (pack id, the file's name at Mercado Libre,
    the order id)."""
    with httpx.Client(base_url=sandbox_url) as c:
        item = c.post(
            "/items",
            json={
                "title": "Mate",
                "category_id": "MLA1",
                "price": 900,
                "currency_id": "ARS",
                "available_quantity": 3,
                "buying_mode": "buy_it_now",
                "listing_type_id": "gold_special",
                "condition": "new",
            },
            headers={"Authorization": f"Bearer {seller['access_token']}"},
        ).json()
        buyer = c.post("/_sandbox/users", json={"nickname": "B", "site_id": "MLA", "role": "buyer"}).json()
        order = c.post("/_sandbox/orders", json={"buyer_id": buyer["id"], "item_id": item["id"]}).json()
        pack_id = str(order["pack_id"] or order["id"])
        upload = c.post(
            "/_sandbox/attachments", params={"pack_id": pack_id}, files={"file": ("foto.png", PNG)}
        )
        upload.raise_for_status()
        return pack_id, str(upload.json()["id"]), str(order["id"])


PNG = b"\x89PNG\r\n\x1a\n\x00"


def form_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def log_in(client: httpx.Client, email: str) -> str:
    csrf = form_token(client.get("/login").text)
    r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf})
    assert r.status_code == 303, r.text
    return form_token(client.get("/account/password").text)  # a login issues a new CSRF token


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, model_cache_dir: Path) -> Iterator[World]:
    settings, created_db = module_settings(tmp_path_factory.mktemp("roles"), model_cache_dir)
    try:
        with connected_seller(settings, ["questions", "messages"], seed=21) as seller:
            ctx = seller.ctx
            emails = {role.value: f"{role.value}@example.com" for role in ROLES}
            create_user(ctx.sessions, emails["owner"], PASSWORD, "Olga", "w")  # first user: the owner
            for role in (Role.ADMIN, Role.AGENT, Role.VIEWER):
                create_user(ctx.sessions, emails[role.value], PASSWORD, role.value, "w", role)
            other_person = create_user(ctx.sessions, "otra@example.com", PASSWORD, "Otra", "otra")
            # The person the people routes act on (removed, role changed): none of the callers.
            my_person = create_user(ctx.sessions, "extra@example.com", PASSWORD, "Extra", "w", Role.AGENT)
            with transaction(ctx.sessions) as s:
                mine = s.get(Account, seller.account_id)
                assert mine is not None
                other_ws = people_store.get_or_create_workspace(s, "otra")
                theirs = Account(
                    workspace_id=other_ws.id, meli_user_id=9_100_000_001, nickname="OTRA", site_id="MLB"
                )
                s.add(theirs)
                s.flush()
                my_ids = seed_conversation(s, mine, "9001")
                their_ids = seed_conversation(s, theirs, "9002")
                pack_id, filename, order_id = buyer_file_in_the_sandbox(seller.sandbox.url, seller.seller)
                my_ids["filename"] = their_ids["filename"] = filename
                my_ids["order_id"] = their_ids["order_id"] = order_id  # Mercado Libre's: scoped by account
                my_ids["chat_id"] = seed_chat_with_a_file(s, mine, pack_id, filename)
                their_ids["chat_id"] = seed_chat_with_a_file(s, theirs, "9102", filename)
                untouched = seed_conversation(s, mine, "9003")["conversation_id"]
                my_ids["template_id"] = seed_template(s, mine.workspace_id)
                their_ids["template_id"] = seed_template(s, other_ws.id)
                my_ids["endpoint_id"] = seed_endpoint(s, mine.workspace_id)
                their_ids["endpoint_id"] = seed_endpoint(s, other_ws.id)
                my_ids["delivery_id"] = seed_delivery(s, mine.workspace_id, my_ids["endpoint_id"])
                their_ids["delivery_id"] = seed_delivery(s, other_ws.id, their_ids["endpoint_id"])
                keys = seed_keys(s, mine.workspace_id)
                their_key = api_keys.create_key(s, other_ws.id, "otra", api_keys.Scope.READ_WRITE)
                keys["other"] = their_key.secret
                my_ids["key_id"] = str(
                    api_keys.create_key(s, mine.workspace_id, "x", api_keys.Scope.READ).info.id
                )
                their_ids["key_id"] = str(their_key.info.id)
                my_ids["question_id"], their_ids["question_id"] = "9001", "9002"
                my_ids["board"] = their_ids["board"] = "questions"
                my_ids["invitation_id"] = seed_invitation(s, mine.workspace_id)
                their_ids["invitation_id"] = seed_invitation(s, other_ws.id)
                my_ids["person_id"], their_ids["person_id"] = str(my_person), str(other_person)
                my_ids["token"] = their_ids["token"] = DEAD_TOKEN
            server = ServerThread(create_app(settings, ctx), name="roles-app").start()
            clients = {name: httpx.Client(base_url=server.url, timeout=30) for name in [*emails, ANONYMOUS]}
            try:
                csrf = {role: log_in(clients[role], email) for role, email in emails.items()}
                csrf[ANONYMOUS] = form_token(clients[ANONYMOUS].get("/login").text)
                yield World(
                    url=server.url,
                    clients=clients,
                    csrf=csrf,
                    mine=my_ids,
                    theirs=their_ids,
                    untouched_conversation=untouched,
                    question_id="9001",
                    emails=emails,
                    sessions=ctx.sessions,
                    keys=keys,
                    sandbox_state=seller.sandbox.app.state,
                )
            finally:
                for client in clients.values():
                    client.close()
                server.stop()
    finally:
        if created_db and PG_URL:
            _drop_pg_database(PG_URL, created_db)


def sample_form(world: World, caller: str, fields: tuple[str, ...]) -> dict[str, str]:
    """Plausible values for a route's form, so an allowed call goes past validation into the route."""
    known = {
        "text": "Sí, tenemos stock. ¡Gracias por preguntar!",
        "question_id": world.question_id,
        "reply_key": "",
        "mode": "draft",
        "yaml": "mode: draft\n",
        "email": world.emails.get(caller, "nadie@example.com"),
        "password": PASSWORD,
        "next": "/inbox",
        "current_password": PASSWORD,
        "new_password": PASSWORD,
        "new_password_again": PASSWORD,
        "name": "Nueva Persona",
        "scope": "read",
        "password_again": PASSWORD,
        "role": "agent",
        "state": "viewing",
        "assignee": "",  # to nobody: valid for every workspace
        "seen": "",
        "locale": "",  # one's language: back to the browser's
    }
    return {name: known.get(name, "1") for name in fields if name != "upload"}


def call(world: World, caller: str, endpoint: Endpoint, objects: dict[str, str]) -> httpx.Response:
    client = world.clients[caller]
    if caller != ANONYMOUS:
        still_in = client.get("/account/password")
        if still_in.status_code != 200:  # an earlier call ended the session (logout): log in again
            world.csrf[caller] = log_in(client, world.emails[caller])
        else:  # an earlier call may have started a new session (a login, a password change): its token
            world.csrf[caller] = form_token(still_in.text)
    missing = [p for p in endpoint.params if p not in objects]
    assert not missing, f"{endpoint}: teach this test (World.mine/theirs) and store.scope about {missing}"
    if "filename" in endpoint.params:  # a file lives in a chat, not in the question thread
        objects = {**objects, "conversation_id": objects["chat_id"]}
    if endpoint.path == "/templates/{template_id}/delete" and objects is world.mine:
        put_back_template(world, objects["template_id"])
    if endpoint.path == "/webhooks/{endpoint_id}/delete" and objects is world.mine:
        put_back_endpoint(world, objects["endpoint_id"])
    if endpoint.path == "/people/{person_id}/remove" and objects is world.mine:
        put_back_person(world, objects["person_id"])
    path = endpoint.path.format(**{p: objects[p] for p in endpoint.params})
    if endpoint.method == "GET" and endpoint.path in STREAMS:
        return opened_stream(client, path)
    if endpoint.method == "GET":
        return client.get(path)
    data = {**sample_form(world, caller, endpoint.form), "csrf_token": world.csrf.get(caller, "")}
    return client.request(endpoint.method, path, data=data)


# Routes whose answer never ends (Server-Sent Events): called, they are read up to their first event.
STREAMS = {"/inbox/events"}


def opened_stream(client: httpx.Client, path: str) -> httpx.Response:
    """The head and the first event of a stream (or the whole answer, when it is not a stream), then
    hang up: the server ends its side when the client is gone."""
    with client.stream("GET", path) as r:
        if r.status_code != 200:
            r.read()
            return r
        first: list[str] = []
        for line in r.iter_lines():
            first.append(line)
            if line == "" and any(f.startswith("event:") for f in first):
                break
    return httpx.Response(r.status_code, headers=r.headers, text="\n".join(first))


def refused_for_role(r: httpx.Response) -> bool:
    return r.status_code == 403 and "No tenés permiso" in r.text


def sent_to_login(r: httpx.Response) -> bool:
    return (r.status_code == 303 and r.headers["location"].startswith("/login?next=")) or (
        r.status_code == 401 and "hx-redirect" in r.headers
    )


def describe(r: httpx.Response) -> str:
    return f"{r.status_code} {r.headers.get('location', '')} {r.text[:300]!r}"


@pytest.mark.parametrize("caller", [*[r.value for r in ROLES], ANONYMOUS])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_each_role_is_refused_below_the_route_s_minimum_and_served_at_or_above(
    world: World, endpoint: Endpoint, caller: str
) -> None:
    r = call(world, caller, endpoint, world.mine)
    if endpoint.key is not None:  # the REST API takes keys, never a login's cookie
        assert is_problem(r, 401), describe(r)
    elif endpoint.minimum is None:
        assert r.status_code < 500 and r.status_code != 403 and not sent_to_login(r), describe(r)
    elif caller == ANONYMOUS:
        assert sent_to_login(r), describe(r)
    elif not Role(caller).at_least(endpoint.minimum):
        assert refused_for_role(r), describe(r)
    else:
        assert r.status_code < 500 and r.status_code != 403 and not sent_to_login(r), describe(r)
        if endpoint.params:
            assert r.status_code != 404, describe(r)  # the objects are the caller's own


@pytest.mark.parametrize("caller", [r.value for r in ROLES])
@pytest.mark.parametrize("endpoint", WITH_IDS, ids=str)
def test_ids_of_another_workspace_are_not_found_for_any_role(
    world: World, endpoint: Endpoint, caller: str
) -> None:
    r = call(world, caller, endpoint, world.theirs)
    assert r.status_code == 404, describe(r)
    assert "OTRA" not in r.text


# ---- the REST API: keys instead of logins ----------------------------------------------------------------
def call_api(world: World, key: str, endpoint: Endpoint, objects: dict[str, str]) -> httpx.Response:
    if "endpoint_id" in endpoint.params and objects is world.mine:  # a DELETE before may have removed it
        put_back_endpoint(world, objects["endpoint_id"])
    path = endpoint.path.format(**{p: objects[p] for p in endpoint.params})
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    with httpx.Client(base_url=world.url, headers=headers, timeout=30) as c:
        if endpoint.method in ("GET", "DELETE"):
            return c.request(endpoint.method, path)
        return c.request(endpoint.method, path, json=api_body(endpoint))


def api_body(endpoint: Endpoint) -> dict[str, Any] | None:
    """A valid body for the route, so an allowed call goes past validation into the route."""
    if not endpoint.form:
        return None
    if endpoint.path.endswith("/actions"):
        return {"action": "refund", "fields": {}}
    if endpoint.path == "/api/v1/webhook-endpoints":
        return {"url": "https://hooks.example.com/new", "event_types": ["claim.opened"]}
    if endpoint.path.startswith("/api/v1/webhook-endpoints/"):
        return {"description": "cambiado"}  # PATCH: keeps it enabled for the test-event route
    return {"text": "Sí, tenemos stock. ¡Gracias por preguntar!"}


def is_problem(r: httpx.Response, status: int) -> bool:
    return (
        r.status_code == status
        and r.headers.get("content-type", "").startswith("application/problem+json")
        and r.json()["status"] == status
    )


@pytest.mark.parametrize("kind", KEYS)
@pytest.mark.parametrize("endpoint", API, ids=str)
def test_each_api_route_takes_keys_of_its_scope_and_refuses_the_others(
    world: World, endpoint: Endpoint, kind: str
) -> None:
    r = call_api(world, world.keys[kind], endpoint, world.mine)
    if kind in ("none", "revoked"):
        assert is_problem(r, 401), describe(r)
    elif kind == "read" and endpoint.key == "read-write":
        assert is_problem(r, 403), describe(r)
    else:
        assert r.status_code < 500 and r.status_code not in (401, 403, 404), describe(r)


@pytest.mark.parametrize("endpoint", API_WITH_IDS, ids=str)
def test_api_ids_of_another_workspace_are_not_found_with_any_key(world: World, endpoint: Endpoint) -> None:
    for key, objects in [
        (world.keys["read-write"], world.theirs),
        (world.keys["read"], world.theirs),
        (world.keys["other"], world.mine),
    ]:
        r = call_api(world, key, endpoint, objects)
        assert is_problem(r, 404), describe(r)
        assert "OTRA" not in r.text and "COMPRADOR" not in r.text


def test_pages_show_each_role_only_what_it_may_do(world: World) -> None:
    conversation = f"/inbox/{world.untouched_conversation}"
    bot = f"/accounts/{world.mine['account_id']}/bot"
    admin_only = ['action="/accounts/sync"', 'href="/accounts/connect"', "/bot/mode", 'name="yaml"']
    admin_only += ['href="/people"', 'href="/audit"']  # the navigation's Equipo and Registro
    for role in ROLES:
        client = world.clients[role.value]
        if client.get("/account/password").status_code != 200:
            world.csrf[role.value] = log_in(client, world.emails[role.value])
        pages = client.get("/accounts").text + client.get(bot).text
        for marker in admin_only:
            assert (marker in pages) == role.at_least(Role.ADMIN), (role, marker)
        shown = client.get(conversation).text
        answer_form = f'action="{conversation}/answer"' in shown
        assert answer_form == role.at_least(Role.AGENT), role
        for own in ("assign", "takeover"):  # viewers see who owns it, never the forms that change it
            assert (f'action="{conversation}/{own}"' in shown) == role.at_least(Role.AGENT), (role, own)
        assert role.label in client.get("/inbox").text  # who is logged in, and as what


def test_a_second_sync_within_the_minute_is_refused_with_a_clear_message(world: World) -> None:
    admin = world.clients["admin"]
    if admin.get("/account/password").status_code != 200:
        world.csrf["admin"] = log_in(admin, world.emails["admin"])
    # Three quick clicks: at most one minute boundary falls between them, so one is throttled.
    targets = [admin.post("/accounts/sync", data={"csrf_token": world.csrf["admin"]}) for _ in range(3)]
    throttled = [r.headers["location"] for r in targets if r.headers["location"].endswith("sync_throttled")]
    assert throttled, [r.headers["location"] for r in targets]
    page = admin.get(throttled[0])
    assert "Ya se pidió una revisión hace menos de un minuto" in page.text


def test_housekeeping_is_scheduled_and_deletes_expired_oauth_states(world: World) -> None:
    schedule = DBOS.get_schedule(housekeeping.SCHEDULE_NAME)
    assert schedule is not None and schedule["schedule"] == housekeeping.SCHEDULE
    with transaction(world.sessions) as s:
        ws = people_store.get_or_create_workspace(s, "w")
        s.add(
            OAuthState(
                state="stale-1",
                workspace_id=ws.id,
                code_verifier="v",
                created_at=utcnow() - timedelta(hours=1),
            )
        )
    handle = DBOS.start_workflow(housekeeping.housekeeping, utcnow(), None)
    handle.get_result()
    with transaction(world.sessions) as s:
        assert s.get(OAuthState, "stale-1") is None


# ---- every page in the reader's language ------------------------------------------------------------
# Words only Spanish has: an English or Portuguese page holding one outside the data (buyers' words,
# listings, names) shows an untranslated string.
EN_NEVER = """el la los las del que con para por una sin más está están son hay sus tus esta este cuenta
cuentas respuesta respuestas pregunta preguntas responder enviar guardar reclamo reclamos comprador
vendedor todavía también ningún ninguna según desde hasta cuando quién qué acá tenés podés borrador
plantilla plantillas bandeja equipo registro"""
PT_NEVER = """el los las del una y pregunta preguntas respuesta respuestas cuenta cuentas todavía también
hasta sin con son hay vos tenés podés reclamo reclamos plantilla plantillas bandeja borrador ningún
ninguna publicación equipo"""
SPANISH_ONLY = {"en": frozenset(EN_NEVER.split()), "pt": frozenset(PT_NEVER.split())}
HTML_PAGES = [
    e
    for e in PAGES
    if e.method == "GET" and e.path not in STREAMS and not e.path.startswith(("/api", "/static"))
]


def data_strings(world: World) -> list[str]:
    """Every text the world's data holds (our tables and the sandbox's state), longest first: what a page
    shows of buyers, listings and people is theirs, not ours to translate."""
    found: set[str] = set()
    with world.sessions() as s:
        tables = MetaData()
        tables.reflect(bind=s.get_bind())
        for table in tables.tables.values():
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            for row in s.execute(select(*columns)) if columns else ():
                found.update(v for v in row if isinstance(v, str))
    seen: set[int] = set()

    def walk(value: Any, depth: int) -> None:
        if id(value) in seen or depth > 8:
            return
        seen.add(id(value))
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            for k, v in list(value.items()):
                walk(k, depth + 1)
                walk(v, depth + 1)
        elif isinstance(value, list | tuple | set | frozenset):
            for v in list(value):
                walk(v, depth + 1)
        elif hasattr(value, "__dict__") and not isinstance(value, type):
            walk(vars(value), depth + 1)

    walk(world.sandbox_state, 0)
    return sorted((f for f in found if len(f.strip()) >= 2), key=len, reverse=True)


def words_left_in_spanish(html: str, data: list[str], language: str) -> list[str]:
    from ..test_i18n import VisibleText

    parser = VisibleText(skip_data=True)
    parser.feed(html)
    text = "\n".join(parser.words)
    for value in data:
        if value in text:
            text = text.replace(value, " ")
    return sorted({w for w in re.findall(r"[^\W\d_]+", text) if w.lower() in SPANISH_ONLY[language]})


@pytest.mark.parametrize("language", ["en", "pt"])
def test_every_page_reads_in_the_reader_s_language(world: World, language: str) -> None:
    """Each page an owner can open (and the pages before logging in), asked for in English or Portuguese
    by the browser, shows no Spanish word outside the data."""
    data = data_strings(world)
    owner = world.clients["owner"]
    if owner.get("/account/password").status_code != 200:
        world.csrf["owner"] = log_in(owner, world.emails["owner"])
    header = {"Accept-Language": {"en": "en-US,en;q=0.9", "pt": "pt-BR,pt;q=0.9"}[language]}
    left: dict[str, list[str]] = {}
    for endpoint in HTML_PAGES:
        client = world.clients[ANONYMOUS if endpoint.minimum is None else "owner"]
        objects = world.mine
        if "filename" in endpoint.params:
            objects = {**objects, "conversation_id": objects["chat_id"]}
        r = client.get(endpoint.path.format(**{p: objects[p] for p in endpoint.params}), headers=header)
        if not r.headers.get("content-type", "").startswith("text/html"):
            continue
        assert f'<html lang="{language}">' in r.text or "<html" not in r.text, endpoint
        words = words_left_in_spanish(r.text, data, language)
        if words:
            left[str(endpoint)] = words
    assert not left, f"Spanish left on {language} pages: {left}"


@pytest.mark.parametrize("huge", ["2147483648", "999999999999999999"])
def test_ids_beyond_any_row_are_not_found_on_every_page(world: World, huge: str) -> None:
    """Ids past INTEGER's range (PostgreSQL's int4) name nothing: 404, never a database error."""
    owner = world.clients["owner"]
    if owner.get("/account/password").status_code != 200:
        world.csrf["owner"] = log_in(owner, world.emails["owner"])
    for endpoint in (e for e in WITH_IDS if e.method == "GET" and e.path not in STREAMS):
        objects = {**world.mine, **{p: huge for p in endpoint.params if p not in NOT_IDS}}
        r = owner.get(endpoint.path.format(**{p: objects[p] for p in endpoint.params}))
        assert r.status_code == 404, (str(endpoint), describe(r))
    for query in ("account", "assigned", "page"):  # the inbox's filters: a bad one is ignored
        for value in (huge, "²"):
            assert owner.get("/inbox", params={query: value}).status_code == 200, (query, value)
    for query in ("who", "before"):  # the audit log's
        for value in (huge, "²"):
            assert owner.get("/audit", params={query: value}).status_code == 200, (query, value)
