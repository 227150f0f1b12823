"""A worker killed with SIGKILL in the middle of posting an answer resumes and answers exactly once."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from mostrador.cli.demo import (
    DEMO_EMAIL,
    _create_admin,
    child_process_settings,
    connect_seller_via_oauth,
    setup_sandbox,
)
from mostrador.cli.servers import ChildApp, free_port
from mostrador.sandbox.config import SandboxConfig
from mostrador.sandbox.testing import running_sandbox_app
from mostrador.settings import Settings
from mostrador.store.db import make_engine, make_sessionmaker, transaction
from mostrador.store.models import Reply

from ..conftest import PG_URL, _drop_pg_database, _fresh_pg_database
from .conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def deployment(tmp_path: Path, model_cache_dir: Path) -> Iterator[dict[str, Any]]:
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    created_db = None
    with running_sandbox_app(SandboxConfig(seed=5)) as sandbox:
        world = setup_sandbox(sandbox.url, app_url, "MLA")
        extra = {
            "executor_id": "crash-test-slot-1",
            "queue_polling_interval_s": "0.05",
            "cache_dir": str(model_cache_dir),
        }
        if PG_URL:
            extra["database_url"], created_db = _fresh_pg_database(PG_URL)
        settings, env = child_process_settings(app_url, sandbox.url, world["app"], tmp_path / "data", **extra)
        password = secrets.token_urlsafe(12)
        _create_admin(settings, password)
        app = ChildApp(env, port, str(tmp_path / "app.log"))
        app.start()
        try:
            connect_seller_via_oauth(app_url, DEMO_EMAIL, password, world["seller"])
            yield {"app": app, "sandbox": sandbox, "world": world, "settings": settings}
        finally:
            app.stop()
            if created_db and PG_URL:
                _drop_pg_database(PG_URL, created_db)


def _reply_state(settings: Settings, question_id: int) -> tuple[str, int] | None:
    engine = make_engine(settings.resolved_database_url)
    try:
        with transaction(make_sessionmaker(engine)) as s:
            reply = s.scalars(select(Reply).where(Reply.target_id == str(question_id))).first()
            return (reply.status, reply.attempts) if reply else None
    finally:
        engine.dispose()


def test_sigkill_during_send_resumes_and_answers_once(deployment: dict[str, Any]) -> None:
    sandbox, world, settings, app = (deployment[k] for k in ("sandbox", "world", "settings", "app"))
    api = httpx.Client(base_url=sandbox.url, timeout=10)
    buyer = api.post("/_sandbox/users", json={"nickname": "B1", "site_id": "MLA", "role": "buyer"}).json()
    # Slow down only the answer POST so the worker is caught in the middle of sending.
    r = api.put("/_sandbox/faults", json={"latency_ms": 3000, "path_pattern": "^/answers"})
    assert r.status_code == 200, r.text
    item_id = next(
        i
        for i in world["items"]
        if api.get(
            f"/items/{i}", headers={"Authorization": f"Bearer {world['seller']['access_token']}"}
        ).json()["available_quantity"]
        > 0
    )
    question = api.post(
        "/questions",
        json={"item_id": item_id, "text": "hola, tenés stock?"},
        headers={"Authorization": f"Bearer {buyer['access_token']}"},
    ).json()
    wait_for(lambda: (st := _reply_state(settings, question["id"])) and st[1] >= 1, timeout=30)
    app.kill()
    api.put("/_sandbox/faults", json={})
    app.start()

    def answers() -> list[dict[str, Any]]:
        log = api.get("/_sandbox/log", params={"kind": "answers"}).json()
        entries = log if isinstance(log, list) else log.get("entries", [])
        return [e for e in entries if int(e["question_id"]) == int(question["id"])]

    wait_for(answers, timeout=45)
    wait_for(lambda: (st := _reply_state(settings, question["id"])) and st[0] == "sent", timeout=30)
    time.sleep(1.0)  # a duplicate post, if any, would land in this window
    assert len(answers()) == 1
    api.close()
