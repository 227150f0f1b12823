"""PostgreSQL mode: a web-only process and two worker processes share the work; each question once."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from mostrador.cli.servers import ChildApp, free_port
from mostrador.settings import normalise_db_url

from ..conftest import PG_URL
from .conftest import wait_for
from .test_crash_recovery import deployment  # noqa: F401 - the same child-process deployment

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not PG_URL, reason="several processes share work only on PostgreSQL (CI runs this pass)"
    ),
]


@pytest.fixture
def web_only(deployment: dict[str, Any], tmp_path: Path) -> Any:  # noqa: F811
    app = deployment["app"]
    app.stop()
    app.env = {**app.env, "MOSTRADOR_RUN_WORKERS": "false", "MOSTRADOR_EXECUTOR_ID": "web-1"}
    app.start()
    # Both workers up before the questions come (a worker up seconds before the other would answer them
    # all), and two workflows at a time each.
    app.env = {**app.env, "MOSTRADOR_WORKER_CONCURRENCY": "2"}
    ports = [free_port(), free_port()]
    workers: list[subprocess.Popen[bytes]] = [
        app.spawn_worker(f"worker-{i}", metrics_port=port) for i, port in zip((1, 2), ports, strict=True)
    ]
    for port in ports:
        ChildApp.wait_until_ready(port)
    yield deployment
    for proc in workers:
        proc.send_signal(signal.SIGTERM)
    for proc in workers:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_two_workers_share_questions_and_answer_each_once(web_only: dict[str, Any]) -> None:
    sandbox, world = web_only["sandbox"], web_only["world"]
    api = httpx.Client(base_url=sandbox.url, timeout=10)
    seller = {"Authorization": f"Bearer {world['seller']['access_token']}"}
    items = [
        i for i in world["items"] if api.get(f"/items/{i}", headers=seller).json()["available_quantity"] > 0
    ]
    asked = []
    for n in range(12):
        buyer = api.post(
            "/_sandbox/users", json={"nickname": f"PGB{n}", "site_id": "MLA", "role": "buyer"}
        ).json()
        q = api.post(
            "/questions",
            json={"item_id": items[n % len(items)], "text": "hola, tenés stock?"},
            headers={"Authorization": f"Bearer {buyer['access_token']}"},
        )
        asked.append(q.json()["id"])

    def answered() -> bool:
        log = api.get("/_sandbox/log", params={"kind": "answers"}).json()
        return {int(e["question_id"]) for e in log} >= set(asked)

    wait_for(answered, timeout=90, interval=0.5)
    log = api.get("/_sandbox/log", params={"kind": "answers"}).json()
    counts = [sum(1 for e in log if int(e["question_id"]) == q) for q in asked]
    assert counts == [1] * len(asked)
    url = normalise_db_url(web_only["app"].env["MOSTRADOR_DATABASE_URL"])
    engine = create_engine(url)
    with engine.connect() as conn:
        executors = set(
            conn.execute(
                text(
                    # A workflow still waiting in the queue carries its enqueuer's id (the web process);
                    # a worker's id replaces it when the worker claims it.
                    "select distinct executor_id from dbos.workflow_status"
                    " where name = 'conversation_resource' and status <> 'ENQUEUED'"
                )
            ).scalars()
        )
    engine.dispose()
    assert executors <= {"worker-1", "worker-2"}, executors
    assert len(executors) == 2, f"both workers should have taken work, saw {executors}"
    api.close()
