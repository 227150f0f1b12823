"""Operation of a running installation: metrics after real traffic through the sandbox, workflow ids in
the logs, and `mostrador doctor` against the real database, DBOS and the sandbox."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from dbos import DBOS
from sqlalchemy import update

from mostrador.cli.doctor import diagnose
from mostrador.observability.logs import HANDLER_NAME, configure_logging
from mostrador.settings import Settings
from mostrador.store.db import make_engine
from mostrador.store.models import Account

from ..app.test_ops import sample
from .conftest import World, wait_for
from .test_question_flow import item_with_stock

pytestmark = pytest.mark.e2e


def scrape(world: World) -> str:
    r = httpx.get(f"{world.app_url}/metrics", timeout=10)
    assert r.status_code == 200, r.text
    return r.text


def expire_tokens(settings: Settings) -> None:
    """Make every account's access token look expired: the next call must refresh it."""
    engine = make_engine(settings.resolved_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(update(Account).values(token_expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    finally:
        engine.dispose()


def test_metrics_move_with_a_question_answered_through_the_sandbox(world: World) -> None:
    item = item_with_stock(world)
    before = scrape(world)
    expire_tokens(world.settings)
    question = world.ask(item["id"], "Hola, tenés stock de este?")
    wait_for(lambda: world.answers_for(question["id"]), timeout=20)

    def answered_counted() -> str | None:
        # The answer is counted when its send settles, just after Mercado Libre shows it; the workflow's
        # duration once the workflow returns, after its send step (a moment later, longer under load).
        text = scrape(world)
        counted = [
            ("mostrador_answers_total", {"channel": "questions", "author": "bot"}),
            ("mostrador_workflow_seconds_count", {"topic": "questions", "outcome": "reply_pending"}),
        ]
        return text if all(sample(text, n, **ls) > sample(before, n, **ls) for n, ls in counted) else None

    after = wait_for(answered_counted, timeout=10)

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("mostrador_notifications_received_total") >= 1
    assert moved("mostrador_notifications_acknowledged_total", outcome="accepted") >= 1
    assert moved("mostrador_workflow_seconds_count", topic="questions", outcome="reply_pending") >= 1
    assert moved("mostrador_meli_calls_total", family="questions", status="2xx") >= 1  # read the question
    assert moved("mostrador_meli_calls_total", family="answers", status="2xx") == 1  # posted the answer
    assert moved("mostrador_meli_calls_total", family="oauth", status="2xx") >= 1  # the refresh
    assert moved("mostrador_token_refreshes_total", outcome="ok") >= 1
    assert moved("mostrador_answers_total", channel="questions", author="bot") == 1
    assert moved("mostrador_meli_call_seconds_count", family="answers") == 1
    assert sample(after, "mostrador_queue_depth_up") == 1  # read from DBOS's system database


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("WARNING", "json", workflow_id=lambda: DBOS.workflow_id, stream=stream)
    yield stream
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.name == HANDLER_NAME]:
        root.removeHandler(handler)


def test_errors_from_mercado_libre_are_counted_and_logged_with_the_workflow_id(
    world: World, captured_logs: io.StringIO
) -> None:
    item = item_with_stock(world)
    before = scrape(world)
    with world.sandbox() as sb:
        # Reading a question fails (the buyer's POST /questions has no id: it is not matched).
        faults = {"error_rate": 1.0, "error_statuses": [503], "path_pattern": r"^/questions/\d"}
        sb.put("/_sandbox/faults", json=faults).raise_for_status()
        try:
            question = world.ask(item["id"], "Buenas, hay stock?")

            def retry_lines() -> list[dict[str, Any]]:
                found = [json.loads(line) for line in captured_logs.getvalue().splitlines() if line]
                return [x for x in found if f"/questions/{question['id']}" in x["message"]]

            lines = wait_for(retry_lines, timeout=20)
        finally:
            sb.put("/_sandbox/faults", json={}).raise_for_status()
    wait_for(lambda: world.answers_for(question["id"]), timeout=60)
    assert lines[0]["level"] == "WARNING" and lines[0]["logger"] == "mostrador.meli.requester"
    assert lines[0]["workflow_id"] is not None and str(question["id"]) in lines[0]["workflow_id"]
    assert lines[0]["request_id"] is None  # a workflow is not a request
    after = scrape(world)
    errors = sample(after, "mostrador_meli_errors_total", family="questions", error="ServerError")
    assert (
        errors - sample(before, "mostrador_meli_errors_total", family="questions", error="ServerError") >= 1
    )
    assert sample(after, "mostrador_meli_calls_total", family="questions", status="5xx") >= 1


def test_doctor_finds_nothing_wrong_and_refreshes_an_expired_token(world: World) -> None:
    expire_tokens(world.settings)
    findings = diagnose(world.settings.model_copy())
    problems = [f for f in findings if f.severity == "problem"]
    assert problems == []
    checks = {f.check: f for f in findings}
    assert checks["database"].severity == "ok"
    assert checks["migrations"].message.startswith("at head")
    assert checks["DBOS system database"].severity == "ok"
    assert checks["OAuth callback URL"].message == f"{world.app_url}/oauth/callback"
    account = [f for f in findings if f.check.startswith("account ") and f.severity == "ok"]
    assert [f.message for f in account] == ["token refreshed now, works"]


def doctor_env(settings: Settings, **changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOSTRADOR_", "PROMETHEUS_"))}
    env.update(
        {
            "MOSTRADOR_DATA_DIR": str(settings.data_dir),
            "MOSTRADOR_PUBLIC_URL": settings.public_url,
            "MOSTRADOR_MELI_API_URL": settings.meli_api_url,
            "MOSTRADOR_MELI_AUTH_URL": settings.meli_auth_url,
            "MOSTRADOR_MELI_CLIENT_ID": settings.meli_client_id,
            "MOSTRADOR_MELI_CLIENT_SECRET": settings.meli_client_secret.get_secret_value(),
            "MOSTRADOR_SECRET_KEY": settings.secret_key.get_secret_value() if settings.secret_key else "",
            "MOSTRADOR_TOKEN_KEYS": json.dumps([k.get_secret_value() for k in settings.token_keys]),
        }
    )
    if settings.database_url:
        env["MOSTRADOR_DATABASE_URL"] = settings.database_url
    env.update(changes)
    return env


def run_doctor(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mostrador.cli.main", "doctor"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(env["MOSTRADOR_DATA_DIR"]),  # no stray .env file
    )


def test_doctor_command_exits_zero_on_a_healthy_installation(world: World) -> None:
    done = run_doctor(doctor_env(world.settings))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 problem(s)" in done.stdout
    assert "PROBLEM" not in done.stdout


def test_doctor_names_a_broken_token_key_and_its_fix(world: World) -> None:
    done = run_doctor(doctor_env(world.settings, MOSTRADOR_TOKEN_KEYS='["not-a-fernet-key"]'))
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout.splitlines()
    at = next(i for i, line in enumerate(out) if line.startswith("PROBLEM  settings: token keys"))
    assert "is not a Fernet key" in out[at]
    assert out[at + 1].strip().startswith("fix: replace it with a new key")
    assert "accounts: not checked" in done.stdout  # nothing is read with a key that cannot work


def test_doctor_says_when_the_callback_url_does_not_reach_the_app(world: World) -> None:
    from mostrador.cli.servers import free_port

    closed = f"http://127.0.0.1:{free_port()}"
    done = run_doctor(doctor_env(world.settings, MOSTRADOR_PUBLIC_URL=closed))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"PROBLEM  OAuth callback URL: {closed}/oauth/callback cannot be reached" in done.stdout
    assert "fix: start `mostrador serve`" in done.stdout
