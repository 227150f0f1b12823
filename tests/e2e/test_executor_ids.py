"""`mostrador serve` with the default executor id: a second live process with it is refused, and a
restart after SIGKILL takes the id back from the data directory and resumes the dead one's work."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select, text

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
from mostrador.settings import Settings, normalise_db_url
from mostrador.store.db import make_engine, make_sessionmaker, transaction
from mostrador.store.models import OutboxEntry

from ..conftest import PG_URL, _drop_pg_database, _fresh_pg_database
from .conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def slot(tmp_path: Path, model_cache_dir: Path) -> Iterator[dict[str, Any]]:
    """A sandbox and `mostrador serve` as a child process with no MOSTRADOR_EXECUTOR_ID set."""
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    created_db = None
    with running_sandbox_app(SandboxConfig(seed=9)) as sandbox:
        world = setup_sandbox(sandbox.url, app_url, "MLA")
        extra = {
            "queue_polling_interval_s": "0.05",
            "cache_dir": str(model_cache_dir),
            # No safety-net pass during the test: only DBOS recovery may finish the interrupted work.
            "sweep_interval_s": "3600",
        }
        if PG_URL:
            extra["database_url"], created_db = _fresh_pg_database(PG_URL)
        settings, env = child_process_settings(app_url, sandbox.url, world["app"], tmp_path / "data", **extra)
        env.pop("MOSTRADOR_EXECUTOR_ID", None)
        password = secrets.token_urlsafe(12)
        _create_admin(settings, password)
        app = ChildApp(env, port, str(tmp_path / "app.log"))
        app.start()
        try:
            connect_seller_via_oauth(app_url, DEMO_EMAIL, password, world["seller"])
            yield {"app": app, "sandbox": sandbox, "world": world, "settings": settings, "tmp": tmp_path}
        finally:
            app.stop()
            if created_db and PG_URL:
                _drop_pg_database(PG_URL, created_db)


def _workflow(settings: Settings, workflow_id: str) -> tuple[str, str] | None:
    """(status, executor_id) of a DBOS workflow, read from DBOS's own tables."""
    url = settings.resolved_dbos_url
    table = "dbos.workflow_status" if url.startswith("postgresql") else "workflow_status"
    engine = create_engine(normalise_db_url(url))
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(f"SELECT status, executor_id FROM {table} WHERE workflow_uuid = :id"),
                {"id": workflow_id},
            ).first()
    finally:
        engine.dispose()
    return (row[0], row[1]) if row else None


def _reply_attempts(settings: Settings, question_id: int) -> tuple[str, int] | None:
    engine = make_engine(settings.resolved_database_url)
    try:
        with transaction(make_sessionmaker(engine)) as s:
            reply = s.scalars(select(OutboxEntry).where(OutboxEntry.target_id == str(question_id))).first()
            return (reply.status, reply.attempts) if reply else None
    finally:
        engine.dispose()


def test_a_second_process_is_refused_and_a_restart_after_sigkill_resumes_under_the_same_id(
    slot: dict[str, Any],
) -> None:
    app, sandbox, world, settings = (slot[k] for k in ("app", "sandbox", "world", "settings"))
    executor_id = (settings.data_dir / "executor_id").read_text().strip()
    assert executor_id.startswith("mostrador-")

    twin = ChildApp(app.env, free_port(), str(slot["tmp"] / "twin.log"))
    with pytest.raises(RuntimeError) as refused:
        twin.start()
    assert twin.proc is not None and twin.proc.returncode == 2
    assert f"executor id {executor_id!r} is already in use" in " ".join(str(refused.value).split())

    api = httpx.Client(base_url=sandbox.url, timeout=10)
    buyer = api.post("/_sandbox/users", json={"nickname": "B9", "site_id": "MLA", "role": "buyer"}).json()
    seller_auth = {"Authorization": f"Bearer {world['seller']['access_token']}"}
    item_id = next(
        i for i in world["items"] if api.get(f"/items/{i}", headers=seller_auth).json()["available_quantity"]
    )
    api.put("/_sandbox/faults", json={"latency_ms": 3000, "path_pattern": "^/answers"}).raise_for_status()
    question = api.post(
        "/questions",
        json={"item_id": item_id, "text": "hola, tenés stock?"},
        headers={"Authorization": f"Bearer {buyer['access_token']}"},
    ).json()
    workflow_id = f"question:{question['id']}"
    wait_for(lambda: (st := _reply_attempts(settings, question["id"])) and st[1] >= 1, timeout=30)
    app.kill()  # mid-send: the workflow stays PENDING under this executor id
    assert _workflow(settings, workflow_id) == ("PENDING", executor_id)
    api.put("/_sandbox/faults", json={}).raise_for_status()

    app.start()  # a new process (as a restarted container would be), same data directory
    assert (settings.data_dir / "executor_id").read_text().strip() == executor_id
    wait_for(lambda: _workflow(settings, workflow_id) == ("SUCCESS", executor_id), timeout=45)

    def answers() -> list[dict[str, Any]]:
        log = api.get("/_sandbox/log", params={"kind": "answers"}).json()
        return [e for e in log if int(e["question_id"]) == int(question["id"])]

    wait_for(answers, timeout=15)
    time.sleep(1.0)  # a duplicate post, if any, would land in this window
    assert len(answers()) == 1
    api.close()
