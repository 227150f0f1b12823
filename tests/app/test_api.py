"""The REST API through real HTTP: the app served on a loopback port in front of a sandbox seller.

An answer sent through the API is posted by the outbox pipeline exactly once; keys are scoped to their
workspace (another workspace's ids are 404), a read key cannot write (403), a revoked key is 401;
pages walk every row once; errors are problem details; the committed docs/api.md matches the API.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from mostrador.cli.api_keys_cmd import render_api_doc
from mostrador.cli.servers import ServerThread
from mostrador.store import conversations as conversations_store
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import Account
from mostrador.users import api_keys
from mostrador.web.app import create_app

from .sandbox_grant import Connected, ask_question, deliver, ingest, sandbox_log

PROBLEM = "application/problem+json"
DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


@dataclass
class Api:
    url: str
    connected: Connected
    keys: dict[str, str]  # read | write | other (another workspace's, read-write)
    other_conversation: int

    def client(self, key: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[key]}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def make_key(connected: Connected, workspace: str, scope: api_keys.Scope) -> str:
    with transaction(connected.ctx.sessions) as s:
        ws = people_store.get_or_create_workspace(s, workspace)
        return api_keys.create_key(s, ws.id, f"{workspace} {scope.value}", scope).secret


def seed_other_workspace(connected: Connected) -> int:
    """Another workspace with an account and a question thread; the thread's id."""
    with transaction(connected.ctx.sessions) as s:
        ws = people_store.get_or_create_workspace(s, "otra")
        theirs = Account(workspace_id=ws.id, meli_user_id=9_100_000_001, nickname="OTRA", site_id="MLB")
        s.add(theirs)
        s.flush()
        contact = conversations_store.ensure_contact(s, theirs, "questions", "7001", "COMPRADORA")
        conv = conversations_store.ensure_conversation(
            s, theirs, "questions", "MLB1:7001", contact, subject="Mate", item_id="MLB1"
        )
        conversations_store.upsert_message(
            s, conv.id, "in", "88001", author="buyer", text="¿Tenés stock?", status="received"
        )
        return conv.id


@pytest.fixture
def api(connected: Connected) -> Iterator[Api]:
    with served_api(connected) as served:
        yield served


@contextlib.contextmanager
def served_api(connected: Connected) -> Iterator[Api]:
    """The app on a loopback port with keys of two workspaces (the `api` fixture; other modules' too)."""
    keys = {
        "read": make_key(connected, "w", api_keys.Scope.READ),
        "write": make_key(connected, "w", api_keys.Scope.READ_WRITE),
        "other": make_key(connected, "otra", api_keys.Scope.READ_WRITE),
    }
    other = seed_other_workspace(connected)
    server = ServerThread(
        create_app(connected.ctx.settings, connected.ctx, durable=False), name="api"
    ).start()
    try:
        yield Api(server.url, connected, keys, other)
    finally:
        server.stop()


def question_in_inbox(api: Api, text: str, buyer: str = "PREGUNTON") -> dict[str, Any]:
    question = ask_question(api.connected, text, buyer=buyer)
    ingest(api.connected, "questions", question["id"])  # a new account's bot only drafts: nothing sent
    return question


def answers_at_meli(api: Api, question_id: int) -> list[str]:
    return [e["text"] for e in sandbox_log(api.connected, "answers") if int(e["question_id"]) == question_id]


def is_problem(r: httpx.Response, status: int) -> bool:
    body = r.json()
    return (
        r.status_code == status
        and r.headers["content-type"].startswith(PROBLEM)
        and body["status"] == status
        and {"type", "title", "detail"} <= set(body)
    )


# ---- writes go through the outbox, once ------------------------------------------------------------------
def test_an_answer_through_the_api_lands_at_mercado_libre_exactly_once(api: Api) -> None:
    question = question_in_inbox(api, "¿Tiene garantía?")
    qid = question["id"]
    with api.client("write") as c:
        listed = c.get("/api/v1/questions", params={"status": "waiting"}).json()["data"]
        assert [q["id"] for q in listed] == [str(qid)]
        r = c.post(f"/api/v1/questions/{qid}/answer", json={"text": "Sí, 12 meses de garantía oficial."})
        assert r.status_code == 202, r.text
        sends = r.json()["sends"]
        assert len(sends) == 1 and sends[0]["status"] == "pending"
        # What a send workflow does (this app runs no workers): the outbox pipeline posts it.
        assert deliver(api.connected, sends[0]["id"]) == "sent"
        assert deliver(api.connected, sends[0]["id"]) == "sent"  # a repeated run posts nothing
        again = c.post(f"/api/v1/questions/{qid}/answer", json={"text": "Sí, 12 meses de garantía oficial."})
        assert again.status_code == 202 and again.json()["sends"] == []
        other = c.post(f"/api/v1/questions/{qid}/answer", json={"text": "Otra respuesta distinta."})
        assert is_problem(other, 409)
        shown = c.get("/api/v1/questions", params={"status": "answered"}).json()["data"]
    assert answers_at_meli(api, qid) == ["Sí, 12 meses de garantía oficial."]
    assert [q["answer"]["status"] for q in shown if q["id"] == str(qid)] == ["sent"]
    assert shown[0]["answer"]["by"] == "agent"


def test_the_guard_refuses_through_the_api_as_in_the_inbox(api: Api) -> None:
    question = question_in_inbox(api, "¿Me pasás tu teléfono?")
    with api.client("write") as c:
        r = c.post(f"/api/v1/questions/{question['id']}/answer", json={"text": "Llamame al 11 4444 5555"})
    assert is_problem(r, 422), r.text
    assert answers_at_meli(api, question["id"]) == []


def test_a_read_key_cannot_write_and_a_revoked_key_is_refused(api: Api) -> None:
    question = question_in_inbox(api, "¿Hacen envíos?")
    with api.client("read") as c:
        assert c.get("/api/v1/questions").status_code == 200
        r = c.post(f"/api/v1/questions/{question['id']}/answer", json={"text": "Sí, a todo el país."})
        assert is_problem(r, 403)
    with transaction(api.connected.ctx.sessions) as s:
        ws = people_store.workspace_by_name(s, "w")
        assert ws is not None
        read_key = next(k for k in api_keys.keys_of(s, ws.id) if k.scope is api_keys.Scope.READ)
        api_keys.revoke(s, ws.id, read_key.id)
    with api.client("read") as c:
        assert is_problem(c.get("/api/v1/accounts"), 401)
    with httpx.Client(base_url=api.url) as anonymous:
        r = anonymous.get("/api/v1/accounts")
        assert is_problem(r, 401) and r.headers["www-authenticate"].startswith("Bearer")
        assert is_problem(anonymous.get("/api/v1/accounts", headers={"Authorization": "Bearer mst_x.y"}), 401)
    assert answers_at_meli(api, question["id"]) == []


def test_another_workspace_s_ids_are_not_found(api: Api) -> None:
    question = question_in_inbox(api, "¿Tenés en rojo?")
    with api.client("write") as c:
        mine = c.get("/api/v1/conversations").json()["data"]
        assert [t["id"] for t in mine] and api.other_conversation not in [t["id"] for t in mine]
        assert is_problem(c.get(f"/api/v1/conversations/{api.other_conversation}"), 404)
        assert is_problem(c.get(f"/api/v1/conversations/{api.other_conversation}/messages"), 404)
        r = c.post(f"/api/v1/conversations/{api.other_conversation}/messages", json={"text": "hola"})
        assert is_problem(r, 404)
        assert is_problem(c.post("/api/v1/questions/88001/answer", json={"text": "Sí, hay stock."}), 404)
    with api.client("other") as theirs:
        mine_id = mine[0]["id"]
        assert is_problem(theirs.get(f"/api/v1/conversations/{mine_id}"), 404)
        r = theirs.post(f"/api/v1/questions/{question['id']}/answer", json={"text": "Sí, hay en rojo."})
        assert is_problem(r, 404)
        assert [q["id"] for q in theirs.get("/api/v1/questions").json()["data"]] == ["88001"]
        assert [a["nickname"] for a in theirs.get("/api/v1/accounts").json()["data"]] == ["OTRA"]
    assert answers_at_meli(api, question["id"]) == []


# ---- pages, errors, limits -------------------------------------------------------------------------------
def test_pagination_walks_every_row_once(api: Api) -> None:
    asked = [question_in_inbox(api, f"¿Pregunta número {n}?", f"BUYER{n}")["id"] for n in range(5)]
    seen: list[str] = []
    pages = 0
    with api.client("read") as c:
        cursor = None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            body = c.get("/api/v1/questions", params=params).json()
            seen += [q["id"] for q in body["data"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
            if pages == 2:  # a row added while walking shows up on a later page, once
                asked.append(question_in_inbox(api, "¿Una más?", "BUYERX")["id"])
        walked = [t["id"] for t in _walk(c, "/api/v1/conversations", 1)]
    assert seen == [str(q) for q in asked]  # each once, in the order asked
    assert len(walked) == len(set(walked)) == len(asked)


def _walk(c: httpx.Client, path: str, limit: int) -> list[dict[str, Any]]:
    rows, cursor = [], None
    while True:
        body = c.get(path, params={"limit": limit, **({"cursor": cursor} if cursor else {})}).json()
        rows += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            return rows


def test_errors_are_problem_details(api: Api) -> None:
    with api.client("write") as c:
        assert is_problem(c.get("/api/v1/questions", params={"cursor": "not-ours!"}), 422)
        invalid = c.get("/api/v1/questions", params={"limit": 0})
        assert is_problem(invalid, 422) and invalid.json()["errors"][0]["loc"] == ["query", "limit"]
        assert is_problem(c.get("/api/v1/nothing-here"), 404)
        broken = c.post(
            "/api/v1/conversations/1/messages", content=b"{no", headers={"content-type": "application/json"}
        )
        assert broken.status_code in (400, 404) and broken.headers["content-type"].startswith(PROBLEM)
        assert is_problem(c.get("/api/v1/dashboards/none"), 422)
    # The pages keep their own errors (HTML, FastAPI's JSON): only /api/v1 speaks problem details.
    with httpx.Client(base_url=api.url) as anonymous:
        assert anonymous.get("/inbox").status_code == 303


def test_a_key_past_its_rate_gets_429_with_retry_after(api: Api) -> None:
    api.connected.ctx.settings.api_rate_burst = 3  # read by the app when it was built: a new app
    api.connected.ctx.settings.api_rate_per_minute = 1  # no refill between the requests, however slow
    app = create_app(api.connected.ctx.settings, api.connected.ctx, durable=False)
    server = ServerThread(app, name="api-rate").start()
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {api.keys['read']}"}) as c:
            answers = [c.get("/api/v1/accounts") for _ in range(5)]
    finally:
        server.stop()
    assert [r.status_code for r in answers[:3]] == [200, 200, 200]
    refused = [r for r in answers if r.status_code == 429]
    assert refused and is_problem(refused[0], 429) and int(refused[0].headers["retry-after"]) >= 1


def test_dashboards_figures_and_accounts(api: Api) -> None:
    with api.client("read") as c:
        accounts = c.get("/api/v1/accounts").json()["data"]
        assert [a["id"] for a in accounts] == [api.connected.account_id]
        board = c.get("/api/v1/dashboards/questions", params={"days": 7}).json()
        assert board["tiles"] and {"key", "raw", "value"} <= set(board["tiles"][0])
        assert (board["end"], board["account_id"]) == (board["end"], None)
        assert is_problem(c.get("/api/v1/dashboards/questions", params={"account_id": 999999}), 404)


# ---- keys from the command line, and the document --------------------------------------------------------
def test_the_command_line_makes_lists_and_revokes_keys(connected: Connected) -> None:
    from mostrador.cli.main import _mount_optional_apps, app

    _mount_optional_apps()
    settings = connected.ctx.settings
    env = {
        "MOSTRADOR_DATA_DIR": str(settings.data_dir),
        "MOSTRADOR_DATABASE_URL": settings.resolved_database_url,
    }
    runner = CliRunner()
    made = runner.invoke(app, ["api-keys", "create", "--workspace", "w", "--scope", "read-write"], env=env)
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    holder = api_keys.authenticate(connected.ctx.sessions, secret)
    assert holder is not None and holder.scope is api_keys.Scope.READ_WRITE
    listed = runner.invoke(app, ["api-keys", "list", "--workspace", "w"], env=env)
    assert secret.split(".")[0] in listed.stdout and secret not in listed.stdout
    revoked = runner.invoke(app, ["api-keys", "revoke", str(holder.key_id), "--workspace", "w"], env=env)
    assert revoked.exit_code == 0, revoked.output
    assert api_keys.authenticate(connected.ctx.sessions, secret) is None
    bad = runner.invoke(app, ["api-keys", "create", "--workspace", "w", "--scope", "admin"], env=env)
    assert bad.exit_code != 0
    nowhere = runner.invoke(app, ["api-keys", "create", "--workspace", "nadie"], env=env)
    assert nowhere.exit_code == 2


def test_keys_are_stored_hashed(connected: Connected) -> None:
    with transaction(connected.ctx.sessions) as s:
        ws = people_store.get_or_create_workspace(s, "w")
        made = api_keys.create_key(s, ws.id, "ERP", api_keys.Scope.READ)
    raw = connected.ctx.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SELECT prefix, secret_hash FROM api_keys")
        rows = cur.fetchall()
    finally:
        raw.close()
    assert rows and all(made.secret not in str(row) for row in rows)
    assert made.secret.startswith(rows[0][0] + ".")


def test_the_openapi_document_is_served_and_docs_api_md_matches_it(api: Api) -> None:
    with httpx.Client(base_url=api.url) as anonymous:
        doc = anonymous.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.") and "/api/v1/questions/{question_id}/answer" in doc["paths"]
    assert all(path.startswith("/api/v1/") for path in doc["paths"])
    current = DOC.read_text(encoding="utf-8")
    assert render_api_doc(current) == current, "docs/api.md is out of date: run `mostrador api-docs`"


def test_api_docs_check_fails_on_a_stale_doc(tmp_path: Path) -> None:
    from mostrador.cli.main import _mount_optional_apps, app

    _mount_optional_apps()
    stale = tmp_path / "api.md"
    stale.write_text(DOC.read_text(encoding="utf-8").replace("### `GET /api/v1/accounts`", "### old"))
    runner = CliRunner()
    assert runner.invoke(app, ["api-docs", "--path", str(stale), "--check"]).exit_code == 1
    assert runner.invoke(app, ["api-docs", "--path", str(stale)]).exit_code == 0
    assert stale.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8")
    assert runner.invoke(app, ["api-docs", "--path", str(stale), "--check"]).exit_code == 0


# ---- Settings → API keys (admins) ----------------------------------------------------------------------
async def test_an_admin_makes_a_key_shown_once_and_revokes_it_in_the_settings_page(web: Any) -> None:
    import re

    page = await web.get("/settings/api-keys")
    assert page.status_code == 200 and "Todavía no hay claves" in page.text
    no_token = await web.post(
        "/settings/api-keys", data={"name": "ERP", "scope": "read"}, headers={"x-csrf-token": ""}
    )
    assert no_token.status_code == 403
    made = await web.post("/settings/api-keys", data={"name": "ERP <b>", "scope": "read-write"})
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    secret = re.search(r"data-secret>([^<]+)<", made.text).group(1)  # type: ignore[union-attr]
    assert "ERP &lt;b&gt;" in made.text  # the name is escaped
    listed = (await web.get("/settings/api-keys")).text
    assert secret not in listed and secret.split(".")[0] in listed  # shown once; the prefix stays
    accounts = await web.get("/api/v1/accounts", headers={"Authorization": f"Bearer {secret}"})
    assert accounts.status_code == 200 and accounts.json()["data"][0]["nickname"] == "SELLER1"
    key_id = re.search(r'data-key-id="(\d+)"', listed).group(1)  # type: ignore[union-attr]
    revoked = await web.post(f"/settings/api-keys/{key_id}/revoke")
    assert revoked.status_code == 303
    assert 'data-key-state="revoked"' in (await web.get("/settings/api-keys")).text
    refused = await web.get("/api/v1/accounts", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401
    bad = await web.post("/settings/api-keys", data={"name": "  ", "scope": "read"})
    assert bad.status_code == 422
