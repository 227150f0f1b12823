"""Executor ids: a default that survives restarts, and one live process per id (DBOS-NOTES 3 and 5).

Every claim here is real: flock on SQLite, advisory locks on PostgreSQL (the PostgreSQL pass), held by
this process or by child processes that are killed like a crashed host.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mostrador.settings import Settings, normalise_db_url
from mostrador.workflows import executor
from mostrador.workflows.executor import ExecutorIdInUse, PostgresExecutorLock

from ..conftest import PG_URL
from ..waiting import wait_for


def _default_id(data_dir: str) -> str:
    return Settings(data_dir=Path(data_dir), executor_id=None).resolved_executor_id


def test_default_executor_id_is_generated_once_and_kept_in_the_data_dir(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path / "a", executor_id=None).resolved_executor_id
    # A restarted process (a new Settings, e.g. a container with a new host name) gets the same id back.
    again = Settings(data_dir=tmp_path / "a", executor_id=None).resolved_executor_id
    other = Settings(data_dir=tmp_path / "b", executor_id=None).resolved_executor_id
    assert first == again
    assert (tmp_path / "a" / "executor_id").read_text().strip() == first
    assert other != first
    explicit = Settings(data_dir=tmp_path / "a", executor_id="worker-3").resolved_executor_id
    assert explicit == "worker-3"


def test_processes_starting_together_on_a_fresh_data_dir_agree_on_one_id(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "fresh")
    with mp.get_context("spawn").Pool(4) as pool:
        ids = pool.map(_default_id, [data_dir] * 8)
    assert len(set(ids)) == 1
    assert [p.name for p in Path(data_dir).iterdir()] == ["executor_id"]  # no drafts left behind


@pytest.fixture
def executor_id() -> str:
    return f"slot-{uuid.uuid4().hex[:8]}"


def test_an_executor_id_is_held_by_one_claim_at_a_time(settings: Settings, executor_id: str) -> None:
    url = settings.resolved_dbos_url
    held = executor.claim(executor_id, url)
    try:
        with pytest.raises(ExecutorIdInUse) as refused:
            executor.claim(executor_id, url, wait_s=0.3)
        assert refused.value.executor_id == executor_id
        assert "already in use" in str(refused.value)
        executor.claim(f"{executor_id}-other", url, wait_s=0).release()  # other ids are independent
    finally:
        held.release()
    executor.claim(executor_id, url, wait_s=0).release()


HOLDER = textwrap.dedent(
    """
    import sys, time
    from mostrador.workflows import executor
    lock = executor.claim(sys.argv[1], sys.argv[2], wait_s=0)
    print("held", flush=True)
    time.sleep(120)
    """
)


@pytest.fixture
def holder_process(settings: Settings, executor_id: str) -> Iterator[subprocess.Popen[str]]:
    """Another process holding `executor_id` until it is killed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, executor_id, settings.resolved_dbos_url],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)
    proc.stdout.close()


def test_a_killed_process_frees_its_executor_id(
    settings: Settings, executor_id: str, holder_process: subprocess.Popen[str]
) -> None:
    url = settings.resolved_dbos_url
    with pytest.raises(ExecutorIdInUse) as refused:
        executor.claim(executor_id, url, wait_s=0.3)
    if not PG_URL:
        assert f"pid {holder_process.pid}" in refused.value.holder
    os.kill(holder_process.pid, signal.SIGKILL)
    holder_process.wait(10)
    executor.claim(executor_id, url).release()  # within the default wait: the server noticed the death


def test_the_worker_command_refuses_an_executor_id_in_use(settings: Settings, executor_id: str) -> None:
    held = executor.claim(executor_id, settings.resolved_dbos_url)
    env = {
        **os.environ,
        "MOSTRADOR_DATA_DIR": str(settings.data_dir),
        "MOSTRADOR_CACHE_DIR": str(settings.resolved_cache_dir),
        "MOSTRADOR_MELI_BUDGET_STORE": "database",  # else a SQLite worker is refused before the claim
    }
    if settings.database_url:
        env["MOSTRADOR_DATABASE_URL"] = settings.database_url
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mostrador.cli.main", "worker", "--executor-id", executor_id],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        held.release()
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"executor id {executor_id!r} is already in use" in done.stderr.replace("\n", " ")


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="advisory locks exist on PostgreSQL only")
def test_a_lost_postgres_session_takes_its_claim_back(settings: Settings, executor_id: str) -> None:
    url = settings.resolved_dbos_url
    lock = executor.claim(executor_id, url, watch_interval_s=0.2)
    assert isinstance(lock, PostgresExecutorLock)
    admin = create_engine(normalise_db_url(url), isolation_level="AUTOCOMMIT")

    def sessions() -> set[int]:
        with admin.connect() as conn:
            return set(
                conn.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                    {"name": f"mostrador executor {executor_id}"},
                ).scalars()
            )

    try:
        assert lock.held()
        (before,) = sessions()
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": before}).scalar_one()
        # The server dropped the session, and the advisory lock with it; the watch claims the id again.
        wait_for(lambda: (now := sessions()) and before not in now and lock.held(), timeout=10)
        with pytest.raises(ExecutorIdInUse):
            executor.claim(executor_id, url, wait_s=0)
    finally:
        lock.release()
        admin.dispose()


def test_an_extra_worker_on_sqlite_without_a_shared_budget_is_refused(settings: Settings) -> None:
    """Each process would spend its own Mercado Libre budget: N workers, N budgets."""
    if settings.database_url:
        pytest.skip("SQLite only")
    env = {**os.environ, "MOSTRADOR_DATA_DIR": str(settings.data_dir)}
    env.pop("MOSTRADOR_MELI_BUDGET_STORE", None)
    done = subprocess.run(
        [sys.executable, "-m", "mostrador.cli.main", "worker", "--executor-id", "sqlite-extra"],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 2 and "MOSTRADOR_MELI_BUDGET_STORE=database" in done.stderr
