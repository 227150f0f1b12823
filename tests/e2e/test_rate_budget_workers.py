"""Three worker processes on PostgreSQL share one Mercado Libre budget: the sandbox refuses nothing.

The sandbox counts its general budget in fixed minutes of sandbox time and answers 429 beyond it
(§10). Its clock runs `SPEED` times faster than real time, so a sandbox minute lasts `WINDOW_S`
real seconds, and the app is told the same window (`MOSTRADOR_MELI_RATE_WINDOW_S`). The buyers ask
at once enough questions that answering them takes several budgets' worth of calls: processes that
each kept their own budget, or no budget, would be refused. With the budget shared in the database,
every question is answered exactly once and the sandbox counts zero 429s.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from mostrador.cli.demo import (
    DEMO_EMAIL,
    _create_admin,
    child_process_settings,
    connect_seller_via_oauth,
    setup_sandbox,
)
from mostrador.cli.servers import ChildApp, free_port
from mostrador.sandbox.config import RateLimitBudgets, SandboxConfig
from mostrador.sandbox.testing import running_sandbox_app
from mostrador.settings import normalise_db_url

from ..conftest import PG_URL, _drop_pg_database, _fresh_pg_database
from .conftest import wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="several processes share one budget only on PostgreSQL"),
]

SPEED = 8.0  # sandbox seconds per real second
WINDOW_S = 60.0 / SPEED  # one sandbox minute, in real seconds
BUDGET = 30  # general calls per sandbox minute, for the app
QUESTIONS = 24  # three calls each (question, item, answer): 2.4 budgets' worth, asked at once
WORKERS = ("worker-1", "worker-2", "worker-3")


@pytest.fixture
def deployment(tmp_path: Path, model_cache_dir: Path) -> Iterator[dict[str, Any]]:
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    assert PG_URL is not None
    database_url, created_db = _fresh_pg_database(PG_URL)
    config = SandboxConfig(seed=9, clock_speed=SPEED, rate_limits=RateLimitBudgets(general_per_minute=BUDGET))
    workers: list[subprocess.Popen[bytes]] = []
    app: ChildApp | None = None
    try:
        with running_sandbox_app(config) as sandbox:
            world = setup_sandbox(sandbox.url, app_url, "MLA")
            settings, env = child_process_settings(
                app_url,
                sandbox.url,
                world["app"],
                tmp_path / "data",
                database_url=database_url,
                executor_id="web-1",
                run_workers="false",
                queue_polling_interval_s="0.05",
                cache_dir=str(model_cache_dir),
                meli_default_per_minute=str(BUDGET),
                meli_rate_window_s=str(WINDOW_S),
                meli_rate_margin_s=str(WINDOW_S / 10),
            )
            password = secrets.token_urlsafe(12)
            _create_admin(settings, password)  # also migrates the database
            app = ChildApp(env, port, str(tmp_path / "app.log"))
            app.start()  # creates DBOS's tables before the workers look for them
            # Every worker up before the questions come, and two workflows at a time each: the first
            # worker up cannot answer the whole batch alone.
            app.env = {**app.env, "MOSTRADOR_WORKER_CONCURRENCY": "2"}
            ports = [free_port() for _ in WORKERS]
            workers = [app.spawn_worker(name, metrics_port=p) for name, p in zip(WORKERS, ports, strict=True)]
            for p in ports:
                ChildApp.wait_until_ready(p)
            connect_seller_via_oauth(app_url, DEMO_EMAIL, password, world["seller"])
            yield {"sandbox": sandbox, "world": world, "database_url": database_url}
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        if app is not None:
            app.stop()
        _drop_pg_database(PG_URL, created_db)


def test_three_workers_stay_within_one_shared_budget(deployment: dict[str, Any]) -> None:
    sandbox, world = deployment["sandbox"], deployment["world"]
    api = httpx.Client(base_url=sandbox.url, timeout=10)
    seller = {"Authorization": f"Bearer {world['seller']['access_token']}"}  # the sandbox's own app
    items = [
        i for i in world["items"] if api.get(f"/items/{i}", headers=seller).json()["available_quantity"] > 0
    ]
    buyers = [
        api.post("/_sandbox/users", json={"nickname": f"RB{n}", "site_id": "MLA", "role": "buyer"}).json()
        for n in range(QUESTIONS)
    ]
    asked = []
    for n, buyer in enumerate(buyers):
        r = api.post(
            "/questions",
            json={"item_id": items[n % len(items)], "text": "hola, tenés stock?"},
            headers={"Authorization": f"Bearer {buyer['access_token']}"},
        )
        assert r.status_code in (200, 201), r.text
        asked.append(r.json()["id"])

    def answers() -> list[dict[str, Any]]:
        return [
            e
            for e in api.get("/_sandbox/log", params={"kind": "answers"}).json()
            if e["question_id"] in asked
        ]

    wait_for(lambda: {e["question_id"] for e in answers()} >= set(asked), timeout=120, interval=0.5)
    counts = [sum(1 for e in answers() if e["question_id"] == q) for q in asked]
    assert counts == [1] * len(asked), "every question answered exactly once"

    scores = api.get("/_sandbox/rate_limits").json()
    general = next(s for s in scores if s["app_id"] == world["app"]["id"] and s["bucket"] == "general")
    assert general["refused"] == 0, f"the sandbox refused calls over the budget: {general}"
    # The point was made: the work needed more than one budget, and it was spread over minutes.
    assert general["admitted"] > 2 * BUDGET, general
    assert general["peak_per_minute"] <= BUDGET
    assert general["minutes"] >= 3, general

    engine = create_engine(normalise_db_url(deployment["database_url"]))
    with engine.connect() as conn:
        executors = set(
            conn.execute(
                text(
                    "select distinct executor_id from dbos.workflow_status"
                    " where name = 'conversation_resource' and status <> 'ENQUEUED'"
                )
            ).scalars()
        )
        budgets = (
            conn.execute(
                text("select family from api_budgets where application = :app"),
                {"app": str(world["app"]["client_id"])},
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert executors == set(WORKERS), f"every worker should have taken work, saw {executors}"
    assert "default" in budgets, "the shared budget lives in the database"
    api.close()
