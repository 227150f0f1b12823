"""Every route of the app, called as every role: refused below its declared minimum, served at or above
it, and 404 for any id of another workspace.

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

from mostrador.cli.servers import ServerThread
from mostrador.settings import Settings
from mostrador.store import conversations as conversations_store
from mostrador.store import outbox as outbox_store
from mostrador.store import people as people_store
from mostrador.store import templates as templates_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, OAuthState, ReplyTemplate, WebhookEndpoint, utcnow
from mostrador.users.roles import ROLES, Role
from mostrador.users.service import create_user
from mostrador.web.app import create_app
from mostrador.web.deps import Public, Requires
from mostrador.workflows import housekeeping

from ..conftest import PG_URL, _drop_pg_database, _fresh_pg_database
from .sandbox_grant import connected_seller

PASSWORD = "correct horse battery staple"
ANONYMOUS = "anonymous"
# The routes anyone may call. Making another route public means editing this line on purpose.
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/healthz")}


# ---- the app's routes, read from the app ------------------------------------------------------------
@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    minimum: Role | None  # None: public
    params: tuple[str, ...]  # path parameters
    form: tuple[str, ...]  # body fields

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def declared_access(dependant: Any) -> list[Requires | Public]:
    found: list[Requires | Public] = []
    stack = list(dependant.dependencies)
    while stack:
        sub = stack.pop()
        if isinstance(sub.call, Requires | Public):
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
            params = tuple(re.findall(r"{(\w+)", str(route.path)))
            form = tuple(f.alias for f in route.dependant.body_params)
            endpoints += [Endpoint(m, str(route.path), minimum, params, form) for m in sorted(route.methods)]
        asyncio.run(app.state.ctx.aclose())
    return endpoints, others


ENDPOINTS, NOT_ROUTES = endpoints_of_the_app()
WITH_IDS = [e for e in ENDPOINTS if e.params]


def test_every_route_declares_its_access_and_few_are_public() -> None:
    assert len(ENDPOINTS) >= 15
    assert {(e.method, e.path) for e in ENDPOINTS if e.minimum is None} == PUBLIC
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
                "POST /webhooks/{endpoint_id}/delete",
            ],
        ),
    ]:
        for path in paths:
            assert {str(e): e.minimum for e in ENDPOINTS}[path] == needed, path


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


def module_settings(data_dir: Path, cache_dir: Path) -> tuple[Settings, str | None]:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "secret_key": SecretStr(secrets.token_urlsafe(32)),
        "token_keys": [SecretStr(Fernet.generate_key().decode())],
        "executor_id": f"roles-{uuid.uuid4().hex[:8]}",
        "queue_polling_interval_s": 0.02,
        "cache_dir": cache_dir,
        "run_workers": False,  # record and enqueue; nothing in the background posts to the sandbox
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


def put_back_endpoint(world: World, endpoint_id: str) -> None:
    """The delete route removes the endpoint: put it back so each role's call finds one."""
    with transaction(world.sessions) as s:
        if s.get(WebhookEndpoint, int(endpoint_id)) is None:
            seed_endpoint(s, people_store.get_or_create_workspace(s, "w").id, int(endpoint_id))


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
            create_user(ctx.sessions, "otra@example.com", PASSWORD, "Otra", "otra")
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
        "state": "viewing",
        "assignee": "",  # to nobody: valid for every workspace
        "seen": "",
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
    if endpoint.minimum is None:
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


def test_pages_show_each_role_only_what_it_may_do(world: World) -> None:
    conversation = f"/inbox/{world.untouched_conversation}"
    bot = f"/accounts/{world.mine['account_id']}/bot"
    admin_only = ['action="/accounts/sync"', 'href="/accounts/connect"', "/bot/mode", 'name="yaml"']
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
