"""Shared fixtures: settings on a temporary SQLite file, or on PostgreSQL when CI provides one.

`MOSTRADOR_TEST_DATABASE_URL` (set by `.ci/run` for the PostgreSQL pass) switches every test that
uses `settings`/`db` to a fresh database on that server.

Migrations run once per session, into a template (`migrated_template`); a test that needs a migrated
database (the `migrated` fixture, under `ctx`, `connected`, `postsale`) gets a copy of it: a file copy
on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL. Running Alembic for each test cost about a
second per test on either database (docs/testing.md).
"""

from __future__ import annotations

import os
import shutil
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import create_engine, text

from mostrador.settings import Settings, normalise_db_url
from mostrador.store import migrate
from mostrador.store.db import make_engine

PG_URL = os.environ.get("MOSTRADOR_TEST_DATABASE_URL")


def _fresh_pg_database(base_url: str, template: str | None = None) -> tuple[str, str]:
    """A new database on the test server, so tests never see each other's rows (a copy of `template`
    when given)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_db_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()
    head, _, _ = normalise_db_url(base_url).rpartition("/")
    return f"{head}/{name}", name


def _drop_pg_database(base_url: str, name: str) -> None:
    admin = create_engine(normalise_db_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """Argon2id at its lowest cost for the tests' own passwords: the production parameters (RFC 9106's,
    about 0.3 s per hash or check on a loaded CI core) cost minutes over the suite's logins. Hashes carry
    their parameters, so checking works the same; tests/app/test_login_security.py pins the production
    hasher. Processes the tests start (workers, `mostrador serve`) keep the production cost."""
    from argon2 import PasswordHasher

    from mostrador.security import passwords

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@pytest.fixture(scope="session", autouse=True)
def one_tls_context_for_httpx() -> Iterator[None]:
    """Every httpx client built with the default `verify=True` shares one verifying SSL context: httpx
    builds a new one per client (reading certifi's CA bundle: 0.05-0.15 s on a loaded CI core), and the
    tests build thousands of clients (sandbox helpers, the Mercado Libre client of each context), all
    for plain HTTP on loopback. Anything else (`verify=False`, a context, a certificate) goes to httpx."""
    import functools

    import httpx._transports.default as transports

    build = transports.create_ssl_context

    @functools.cache
    def default_context(trust_env: bool) -> ssl.SSLContext:
        return build(verify=True, cert=None, trust_env=trust_env)

    def shared(verify: object = True, cert: object = None, trust_env: bool = True) -> ssl.SSLContext:
        if verify is True and cert is None:
            return default_context(trust_env)
        return build(verify=verify, cert=cert, trust_env=trust_env)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(transports, "create_ssl_context", shared)
        yield


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database every migration ran on, once per session: a SQLite file's path, or the name of a
    PostgreSQL database (nobody connects to it afterwards, as `CREATE DATABASE … TEMPLATE` requires)."""
    if PG_URL:
        url, name = _fresh_pg_database(PG_URL)
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield name
        _drop_pg_database(PG_URL, name)
        return
    path = tmp_path_factory.mktemp("migrated-template") / "mostrador.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file and removes it
    assert not path.with_name(path.name + "-wal").exists()
    yield str(path)


def install_migrated_template(settings: Settings, template: str) -> None:
    """Give `settings` (on SQLite) a fully migrated database of its own, copied from `template` before
    anything connects to it: what `migrate.upgrade` would build, without running Alembic."""
    url = settings.resolved_database_url
    assert url.startswith("sqlite:///"), url
    target = url.removeprefix("sqlite:///")
    assert not os.path.exists(target), f"{target} exists: copy the template before connecting"
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(template, target)


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Trained bot models shared by every test of the run (training costs seconds; loading, milliseconds)."""
    return tmp_path_factory.mktemp("bot-models")


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, model_cache_dir: Path) -> Iterator[Settings]:
    """Settings on a database of the test's own: empty, or a copy of the migrated template when the test
    also asks for `migrated` (tests/app/conftest.py)."""
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
    template = request.getfixturevalue("migrated_template") if "migrated" in request.fixturenames else None
    created = None
    if PG_URL:
        url, created = _fresh_pg_database(PG_URL, template)
        values["database_url"] = url
    s = Settings(**values)  # type: ignore[arg-type]
    s.data_dir.mkdir(parents=True, exist_ok=True)
    if template and not PG_URL:
        install_migrated_template(s, template)
    yield s
    if created and PG_URL:
        _drop_pg_database(PG_URL, created)
