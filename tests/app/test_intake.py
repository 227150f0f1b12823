"""Webhook intake: bad input gets a clear 4xx, stores nothing; forged or foreign input is acked, dropped."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from mostrador.context import AppContext, build_context
from mostrador.intake.service import screen
from mostrador.intake.writer import IntakeWriter
from mostrador.meli.models import Notification as NotificationModel
from mostrador.settings import Settings
from mostrador.store import notifications as notifications_store
from mostrador.store.db import make_engine, transaction
from mostrador.store.models import Notification
from mostrador.web.app import create_app

from .conftest import SELLER_ID

PAYLOADS = Path(__file__).parents[1] / "fixtures" / "conformance" / "payloads" / "notifications"


def envelope(**overrides: Any) -> dict[str, Any]:
    body = {
        "_id": "5e2827f2-99b7-474e-b68b-6a86e934cc7e",
        "resource": "/questions/11751825075",
        "user_id": SELLER_ID,
        "topic": "questions",
        "application_id": 1234567890123456,
        "attempts": 1,
        "sent": "2025-01-21T13:44:33.006Z",
        "received": "2025-01-21T13:44:32.984Z",
    }
    body.update(overrides)
    return body


@pytest.fixture
async def client(ctx: AppContext, account_id: int) -> Any:
    app = create_app(ctx.settings, ctx, durable=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def stored(ctx: AppContext) -> int:
    with transaction(ctx.sessions) as s:
        return int(s.scalar(select(func.count()).select_from(Notification)) or 0)


def counter(ctx: AppContext, name: str) -> int:
    with transaction(ctx.sessions) as s:
        return notifications_store.counters(s).get(name, 0)


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "not JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (json.dumps({"topic": "questions"}).encode(), 400, "resource"),
        (json.dumps(envelope(user_id="not-a-number")).encode(), 400, "user_id"),
        (b"\xff\xfe", 400, "not JSON"),
    ],
)
async def test_unparseable_bodies_get_a_clear_4xx_and_nothing_is_stored(
    client: httpx.AsyncClient, ctx: AppContext, body: bytes, status: int, message: str
) -> None:
    r = await client.post("/notifications", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status
    assert message in r.json()["message"]
    assert stored(ctx) == 0


async def test_oversized_body_is_refused(client: httpx.AsyncClient, ctx: AppContext) -> None:
    big = json.dumps(envelope(padding="x" * 20_000)).encode()
    r = await client.post("/notifications", content=big)
    assert r.status_code == 413
    assert stored(ctx) == 0


async def test_duplicates_are_stored_once(client: httpx.AsyncClient, ctx: AppContext) -> None:
    outcomes = [(await client.post("/notifications", json=envelope())).json()["status"] for _ in range(3)]
    assert outcomes == ["accepted", "duplicate", "duplicate"]
    assert stored(ctx) == 1
    assert counter(ctx, "intake.duplicate") == 2


async def test_without_id_dedup_uses_topic_resource_received(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    body = envelope()
    del body["_id"]
    first = await client.post("/notifications", json=body)
    again = await client.post("/notifications", json={**body, "attempts": 2})
    later = await client.post("/notifications", json={**body, "received": "2025-01-21T13:50:00.000Z"})
    assert [r.json()["status"] for r in (first, again, later)] == ["accepted", "duplicate", "accepted"]


@pytest.mark.parametrize(
    ("overrides", "outcome"),
    [
        ({"application_id": 999}, "ignored_application"),
        ({"user_id": 42}, "ignored_user"),
        ({"resource": "/questions/../users/me"}, "bad_resource"),
        ({"resource": "https://evil.example/questions/1"}, "bad_resource"),
        ({"resource": "/questions/1?access_token=x"}, "bad_resource"),
        ({"topic": "items", "resource": "/items/MLA1"}, "ignored_topic"),
        ({"topic": "brand_new_topic"}, "unsupported_topic"),
    ],
)
async def test_foreign_or_forged_notifications_are_acked_and_never_stored(
    client: httpx.AsyncClient, ctx: AppContext, overrides: dict[str, Any], outcome: str
) -> None:
    r = await client.post("/notifications", json=envelope(**overrides))
    assert r.status_code == 200
    assert r.json()["status"] == outcome
    assert stored(ctx) == 0


@pytest.mark.parametrize("name", ["docs_questions.json", "real_questions_notification_2019.json"])
async def test_real_question_payloads_are_accepted(
    client: httpx.AsyncClient, ctx: AppContext, name: str
) -> None:
    body = json.loads((PAYLOADS / name).read_text())
    body["user_id"] = SELLER_ID if isinstance(body["user_id"], int) else str(SELLER_ID)
    body["application_id"] = 1234567890123456
    r = await client.post("/notifications", json=body)
    assert r.json()["status"] == "accepted", r.text
    with transaction(ctx.sessions) as s:
        row = s.scalars(select(Notification)).one()
    assert row.topic == "questions" and row.resource_id and row.resource_id.isdigit()


async def test_concurrent_deliveries_in_one_group_commit_keep_each_outcome(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    """Requests that arrive together share one transaction; each still gets its own answer."""
    bodies = [
        envelope(),
        envelope(),  # the same delivery twice in the same batch
        envelope(_id="other-1", resource="/questions/22"),
        envelope(_id="other-2", application_id=999),
        envelope(_id="other-3", user_id=42),
        envelope(_id="other-4", resource="/questions/x"),
        *(envelope(_id=f"many-{i}", resource=f"/questions/{1000 + i}") for i in range(60)),
    ]
    replies = await asyncio.gather(*(client.post("/notifications", json=b) for b in bodies))
    outcomes = [r.json()["status"] for r in replies]
    assert sorted(outcomes[:2]) == ["accepted", "duplicate"]
    assert outcomes[2:6] == ["accepted", "ignored_application", "ignored_user", "bad_resource"]
    assert outcomes[6:] == ["accepted"] * 60
    assert stored(ctx) == 62
    assert counter(ctx, "intake.duplicate") == 1
    assert counter(ctx, "intake.ignored_user") == 1


async def test_a_batch_that_cannot_be_recorded_is_not_acknowledged(tmp_path: Path) -> None:
    """No table to write to: the writer raises and the webhook gets a 503 (Mercado Libre redelivers)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    writer = IntakeWriter(engine)
    try:
        notification = NotificationModel.model_validate(envelope())
        with pytest.raises(OperationalError):
            await writer.submit(screen(notification, envelope(), "1234567890123456"))
    finally:
        await writer.stop()
        engine.dispose()
    unmigrated = build_context(
        Settings(data_dir=tmp_path / "fresh", meli_client_id="1234567890123456").ensure_secrets()
    )
    app = create_app(unmigrated.settings, unmigrated, durable=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        r = await c.post("/notifications", json=envelope())
    assert r.status_code == 503
    assert "retry" in r.json()["message"]
    unmigrated.engine.dispose()
