"""The audit log through the real app: the pages' actions write entries (who, what, on what), admins
read them filtered and paged, and one workspace never sees another's."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from mostrador.context import AppContext
from mostrador.store import audit
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import AuditEntry, utcnow
from mostrador.users.audit_log import PAGE_SIZE
from mostrador.users.roles import Role
from mostrador.users.service import create_user
from mostrador.web.app import create_app

from .conftest import AGENT_PASSWORD
from .conftest import log_in as form_log_in


@pytest.fixture
async def owner(ctx: AppContext, agent_email: str) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(ctx.settings, ctx, durable=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await form_log_in(client, agent_email)).status_code == 303
        client.app = app  # type: ignore[attr-defined]
        yield client


def entries(ctx: AppContext) -> list[AuditEntry]:
    with transaction(ctx.sessions) as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def ids_of(ctx: AppContext, *emails: str) -> list[int]:
    with transaction(ctx.sessions) as s:
        users = [people_store.user_by_email(s, e) for e in emails]
        return [u.id for u in users if u is not None]


def rows(page: httpx.Response) -> list[str]:
    return re.findall(r'<tr data-action="([^"]+)"', page.text)


async def test_settings_and_connections_changed_in_the_pages_are_recorded_with_who_did_it(
    owner: httpx.AsyncClient, ctx: AppContext, account_id: int, agent_email: str
) -> None:
    assert (await owner.post(f"/accounts/{account_id}/bot/mode", data={"mode": "draft"})).status_code == 303
    bad = await owner.post(f"/accounts/{account_id}/bot/mode", data={"mode": "loud"})
    assert bad.status_code != 303  # refused: nothing changed, nothing recorded
    assert (await owner.post(f"/accounts/{account_id}/disconnect")).status_code == 303
    [ana] = ids_of(ctx, agent_email)
    assert [(e.action, e.target, e.user_id, e.details) for e in entries(ctx)] == [
        ("bot.mode_changed", f"account:{account_id}", ana, {"mode": "draft"}),
        ("account.disconnected", f"account:{account_id}", ana, {}),
    ]
    assert entries(ctx)[0].actor == f"Ana <{agent_email}>"
    page = await owner.get("/audit")
    assert rows(page) == ["account.disconnected", "bot.mode_changed"]  # newest first
    assert "Cambió el modo del bot" in page.text and "Desconectó una cuenta" in page.text


async def test_admins_read_their_workspace_s_entries_filtered_and_paged(
    owner: httpx.AsyncClient, ctx: AppContext, agent_email: str
) -> None:
    bea = create_user(ctx.sessions, "bea@example.com", AGENT_PASSWORD, "Bea", "w1", Role.AGENT)
    other = create_user(ctx.sessions, "otra@example.com", AGENT_PASSWORD, "Otra", "w2")
    [ana] = ids_of(ctx, agent_email)
    old = utcnow() - timedelta(days=3)
    with transaction(ctx.sessions) as s:
        w1 = people_store.user_by_id(s, ana).workspace_id  # type: ignore[union-attr]
        w2 = people_store.user_by_id(s, other).workspace_id  # type: ignore[union-attr]
        for n in range(PAGE_SIZE + 10):
            audit.record(s, w1, ana, "question.answered", f"conversation:{n}", {"n": n})
        audit.record(s, w1, bea, "message.sent", "conversation:7", {}, at=old)
        audit.record(s, w1, None, "account.connected", "account:1")
        for _ in range(3):
            audit.record(s, w2, other, "person.removed", "SECRETO-W2@example.com")
    first = await owner.get("/audit")
    assert len(rows(first)) == PAGE_SIZE and "SECRETO-W2" not in first.text
    assert rows(first)[0] == "account.connected" and "sistema" in first.text  # the system did it
    older = re.search(r'<a rel="next" href="([^"]+)"', first.text)
    assert older is not None
    second = await owner.get(older.group(1).replace("&amp;", "&"))
    assert len(rows(second)) == 12 and 'rel="next"' not in second.text  # 62 in all, none twice
    assert "SECRETO-W2" not in second.text

    by_bea = await owner.get("/audit", params={"who": str(bea)})
    assert rows(by_bea) == ["message.sent"]
    sent = await owner.get("/audit", params={"what": "message.sent"})
    assert rows(sent) == ["message.sent"]
    today = utcnow().date().isoformat()
    recent = await owner.get("/audit", params={"what": "message.sent", "since": today})
    assert rows(recent) == []
    then = await owner.get(
        "/audit", params={"since": old.date().isoformat(), "until": old.date().isoformat()}
    )
    assert rows(then) == ["message.sent"]
    theirs = await owner.get("/audit", params={"who": str(other)})
    assert rows(theirs) == []  # another workspace's person: nothing, not their entries
    nonsense = await owner.get("/audit", params={"who": "x", "what": "<script>", "since": "yesterday"})
    assert (
        nonsense.status_code == 200 and len(rows(nonsense)) == PAGE_SIZE and "<script>" not in nonsense.text
    )


async def test_only_admins_read_the_log(owner: httpx.AsyncClient, ctx: AppContext) -> None:
    create_user(ctx.sessions, "agt@example.com", AGENT_PASSWORD, "Agt", "w1", Role.AGENT)
    app = owner.app  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as agent:
        await form_log_in(agent, "agt@example.com")
        r = await agent.get("/audit")
        assert r.status_code == 403 and "No tenés permiso" in r.text
        assert 'href="/audit"' not in (await agent.get("/inbox")).text
    assert 'href="/audit"' in (await owner.get("/inbox")).text
