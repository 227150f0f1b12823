"""Shared fixtures: settings on a temporary SQLite file, or on PostgreSQL when CI provides one.

`MOSTRADOR_TEST_DATABASE_URL` (set by `.ci/run` for the PostgreSQL pass) switches every test that
uses `settings`/`db` to a fresh database on that server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import create_engine, text

from mostrador.settings import Settings, normalise_db_url

PG_URL = os.environ.get("MOSTRADOR_TEST_DATABASE_URL")


def _fresh_pg_database(base_url: str) -> tuple[str, str]:
    """A new database on the test server, so tests never see each other's rows."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_db_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    head, _, _ = normalise_db_url(base_url).rpartition("/")
    return f"{head}/{name}", name


def _drop_pg_database(base_url: str, name: str) -> None:
    admin = create_engine(normalise_db_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Trained bot models shared by every test of the run (training costs seconds; loading, milliseconds)."""
    return tmp_path_factory.mktemp("bot-models")


@pytest.fixture
def settings(tmp_path: Path, model_cache_dir: Path) -> Iterator[Settings]:
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "secret_key": SecretStr("test-secret-key-" + uuid.uuid4().hex),
        "token_keys": [SecretStr(Fernet.generate_key().decode())],
        "meli_client_id": "1234567890123456",
        "meli_client_secret": SecretStr("test-client-secret"),
        "executor_id": f"test-{uuid.uuid4().hex[:8]}",
        "queue_polling_interval_s": 0.02,
        "cache_dir": model_cache_dir,
    }
    created = None
    if PG_URL:
        url, created = _fresh_pg_database(PG_URL)
        values["database_url"] = url
    s = Settings(**values)  # type: ignore[arg-type]
    s.data_dir.mkdir(parents=True, exist_ok=True)
    yield s
    if created and PG_URL:
        _drop_pg_database(PG_URL, created)
