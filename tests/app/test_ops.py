"""/healthz, /readyz, /metrics and request ids, through the app's ASGI interface on a real database."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from mostrador.context import AppContext
from mostrador.observability.logs import HANDLER_NAME, configure_logging
from mostrador.settings import Settings
from mostrador.web.app import create_app

from .conftest import SELLER_ID


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of a scrape (0 when absent: a counter never incremented)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


@asynccontextmanager
async def client_of(
    app: Any, client: tuple[str, int] = ("127.0.0.1", 50000)
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def notification(settings: Settings, topic: str = "questions", **over: Any) -> dict[str, Any]:
    body = {
        "_id": f"n-{topic}-{over.get('user_id', SELLER_ID)}",
        "resource": "/questions/5036111111",
        "user_id": SELLER_ID,
        "topic": topic,
        "application_id": int(settings.meli_client_id),
        "attempts": 1,
        "sent": "2026-11-28T10:00:00.000Z",
        "received": "2026-11-28T10:00:00.000Z",
    }
    return {**body, **over}


async def test_healthz_answers_and_echoes_the_callers_request_id(ctx: AppContext) -> None:
    async with client_of(create_app(ctx.settings, ctx, durable=False)) as c:
        given = await c.get("/healthz", headers={"X-Request-ID": "lb-7f3a.1"})
        fresh = await c.get("/healthz")
        hostile = await c.get("/healthz", headers={"X-Request-ID": "a b\tc<script>"})
    assert given.status_code == 200 and given.json() == {"status": "ok"}
    assert given.headers["x-request-id"] == "lb-7f3a.1"
    assert len(fresh.headers["x-request-id"]) == 32  # generated
    assert hostile.headers["x-request-id"] not in ("a b\tc<script>", "")


async def test_readyz_is_ready_on_a_migrated_database(ctx: AppContext) -> None:
    async with client_of(create_app(ctx.settings, ctx, durable=False)) as c:
        r = await c.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}


async def test_readyz_says_which_migration_is_missing(settings: Settings) -> None:
    settings.auto_migrate = False
    app = create_app(settings)  # never migrated: the lifespan would not migrate it either
    async with client_of(app) as c:
        r = await c.get("/readyz")
    await app.state.ctx.aclose()
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "not_ready"
    assert body["reason"].startswith("migrations: at never migrated, code expects ")
    assert "mostrador migrate" in body["reason"]


async def test_readyz_waits_for_dbos_in_a_durable_process(ctx: AppContext) -> None:
    app = create_app(ctx.settings, ctx, durable=True)  # ASGITransport runs no lifespan: DBOS never launched
    async with client_of(app) as c:
        r = await c.get("/readyz")
    assert r.status_code == 503
    assert r.json()["reason"] == "dbos: not launched yet"
    assert r.json()["checks"]["database"] == "ok"


async def test_readyz_reports_an_unreachable_database(settings: Settings, tmp_path: Any) -> None:
    broken = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path}/missing/dir/db.sqlite"})
    app = create_app(broken, auto_migrate=False, durable=False)
    async with client_of(app) as c:
        r = await c.get("/readyz")
        alive = await c.get("/healthz")
    await app.state.ctx.aclose()
    assert r.status_code == 503
    assert r.json()["reason"] == "database: unreachable: OperationalError"
    assert alive.status_code == 200  # liveness does no I/O


async def test_metrics_count_webhooks_by_outcome(ctx: AppContext, account_id: int) -> None:
    app = create_app(ctx.settings, ctx, durable=False)
    async with client_of(app) as c:
        before = (await c.get("/metrics")).text
        sent = [notification(ctx.settings), notification(ctx.settings)]
        sent.append(notification(ctx.settings, application_id=99))
        outcomes = [(await c.post("/notifications", json=body)).json()["status"] for body in sent]
        assert outcomes == ["accepted", "duplicate", "ignored_application"]
        assert (await c.post("/notifications", content=b"{nope")).status_code == 400
        r = await c.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    after = r.text

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("mostrador_notifications_received_total") == 4
    assert moved("mostrador_notifications_acknowledged_total", outcome="accepted") == 1
    assert moved("mostrador_notifications_acknowledged_total", outcome="duplicate") == 1
    assert moved("mostrador_notifications_acknowledged_total", outcome="ignored") == 1
    assert moved("mostrador_notifications_ignored_total", reason="ignored_application") == 1
    assert moved("mostrador_notifications_refused_total", status="400") == 1
    # DBOS never ran here, so its tables do not exist: the scrape still answers and says so.
    assert sample(after, "mostrador_queue_depth_up") == 0


async def test_metrics_without_a_token_answer_only_this_host_and_no_proxy(ctx: AppContext) -> None:
    app = create_app(ctx.settings, ctx, durable=False)
    async with client_of(app, client=("10.1.2.3", 40000)) as remote:
        far = await remote.get("/metrics")
    async with client_of(app) as local:
        proxied = await local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        here = await local.get("/metrics")
    assert far.status_code == 403 and far.json()["error"] == "forbidden"
    assert "MOSTRADOR_METRICS_TOKEN" in far.json()["message"]
    assert proxied.status_code == 403
    assert here.status_code == 200


async def test_metrics_with_a_token_need_it_from_everywhere(ctx: AppContext) -> None:
    ctx.settings.metrics_token = SecretStr("scrape-me-0123456789")
    app = create_app(ctx.settings, ctx, durable=False)
    async with client_of(app) as local, client_of(app, client=("10.1.2.3", 40000)) as remote:
        none = await local.get("/metrics")
        wrong = await remote.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await remote.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"})
    assert none.status_code == 401 and none.headers["www-authenticate"] == "Bearer"
    assert wrong.status_code == 401
    assert right.status_code == 200 and "mostrador_notifications_received_total" in right.text


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("INFO", "json", workflow_id=lambda: None, stream=stream)
    yield stream
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.name == HANDLER_NAME]:
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


async def test_log_lines_written_during_a_request_carry_its_id(
    ctx: AppContext, account_id: int, json_logs: io.StringIO
) -> None:
    app = create_app(ctx.settings, ctx, durable=False)
    async with client_of(app) as c:
        r = await c.post(
            "/notifications",
            json=notification(ctx.settings, topic="a_topic_nobody_knows"),
            headers={"X-Request-ID": "req-from-proxy-42"},
        )
    assert r.json()["status"] == "unsupported_topic"
    logging.getLogger("mostrador.test").info("outside any request", extra={"account": 7})
    found = lines(json_logs)
    warned = [x for x in found if "unsupported notification topic" in x["message"]]
    assert len(warned) == 1
    assert warned[0]["request_id"] == "req-from-proxy-42"
    assert warned[0]["level"] == "WARNING" and warned[0]["logger"] == "mostrador.intake.service"
    assert warned[0]["workflow_id"] is None
    outside = [x for x in found if x["message"] == "outside any request"]
    assert outside == [{**outside[0], "request_id": None, "account": 7}]


def test_text_logs_name_both_ids() -> None:
    stream = io.StringIO()
    handler = configure_logging("INFO", "text", workflow_id=lambda: "question:77", stream=stream)
    try:
        logging.getLogger("mostrador.test").warning("plain line")
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
    assert "WARNING mostrador.test [req=None wf=question:77] plain line" in stream.getvalue()


async def test_a_nul_byte_in_the_address_is_a_clear_400_for_pages_and_the_api(ctx: AppContext) -> None:
    """PostgreSQL's text cannot hold NUL: a filter carrying one must be refused, never reach a query."""
    app = create_app(ctx.settings, ctx, durable=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        page = await client.get("/inbox?q=a%00b")
        api = await client.get("/api/v1/conversations?item_id=MLA%001")
        fine = await client.get("/healthz?x=%01")
    assert page.status_code == 400 and "byte nulo" in page.text
    assert api.status_code == 400 and api.headers["content-type"] == "application/problem+json"
    assert api.json()["status"] == 400
    assert fine.status_code == 200
