"""End to end: the sandbox and the app as real servers on loopback ports, talking HTTP.

One world per test module (DBOS is one instance per process): a sandbox, the app registered in it
with its workers, a seller with listings connected through the real OAuth flow, and a buyer.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from mostrador.cli.demo import (
    DEMO_EMAIL,
    _create_admin,
    connect_seller_via_oauth,
    setup_sandbox,
)
from mostrador.cli.servers import ServerThread, free_port
from mostrador.context import build_context
from mostrador.sandbox.config import SandboxConfig
from mostrador.sandbox.testing import running_sandbox_app
from mostrador.settings import Settings
from mostrador.web.app import create_app

from ..conftest import PG_URL, _drop_pg_database, _fresh_pg_database, install_migrated_template
from ..waiting import wait_for  # noqa: F401 - re-exported for this folder's tests


@dataclass
class World:
    app_url: str
    sandbox_url: str
    sandbox_app: Any
    settings: Settings
    seller: dict[str, Any]
    buyer: dict[str, Any]
    items: list[str]
    login: tuple[str, str]

    def sandbox(self) -> httpx.Client:
        return httpx.Client(base_url=self.sandbox_url, timeout=10)

    def ask(self, item_id: str, text: str) -> dict[str, Any]:
        with self.sandbox() as c:
            r = c.post(
                "/questions",
                json={"item_id": item_id, "text": text},
                headers={"Authorization": f"Bearer {self.buyer['access_token']}"},
            )
            r.raise_for_status()
            return r.json()  # type: ignore[no-any-return]

    def answers_for(self, question_id: int) -> list[dict[str, Any]]:
        with self.sandbox() as c:
            log = c.get("/_sandbox/log", params={"kind": "answers"}).json()
        entries = log if isinstance(log, list) else log.get("entries", log.get("results", []))
        return [e for e in entries if int(e["question_id"]) == int(question_id)]

    @contextmanager
    def inbox(self) -> Iterator[httpx.Client]:
        """An httpx client logged into the inbox."""
        from mostrador.cli.demo import _hidden_inputs

        with httpx.Client(base_url=self.app_url, timeout=10, follow_redirects=False) as c:
            csrf = _hidden_inputs(c.get("/login").text)["csrf_token"]
            r = c.post("/login", data={"email": self.login[0], "password": self.login[1], "csrf_token": csrf})
            assert r.status_code == 303, r.text
            yield c


@contextmanager
def running_world(
    data_dir: Path, model_cache_dir: Path, template: str | None = None, **overrides: Any
) -> Iterator[World]:
    """A sandbox and the app (in this process, with its workers) connected to a seller whose bot answers
    on its own (the demo's configuration); `overrides` are `Settings` fields. With `template` (the
    `migrated_template` fixture) its database starts as a copy of that migrated one."""
    app_port = free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    created_db = None
    with running_sandbox_app(SandboxConfig(seed=11)) as sandbox:
        world_data = setup_sandbox(sandbox.url, app_url, "MLA")
        values: dict[str, Any] = {
            "data_dir": data_dir,
            "public_url": app_url,
            "meli_api_url": sandbox.url,
            "meli_auth_url": sandbox.url,
            "meli_client_id": str(world_data["app"]["client_id"]),
            "meli_client_secret": SecretStr(world_data["app"]["client_secret"]),
            "secret_key": SecretStr(secrets.token_urlsafe(32)),
            "token_keys": [SecretStr(Fernet.generate_key().decode())],
            "executor_id": f"e2e-{secrets.token_hex(4)}",
            "queue_polling_interval_s": 0.02,
            "cache_dir": model_cache_dir,
            **overrides,
        }
        if PG_URL:
            values["database_url"], created_db = _fresh_pg_database(PG_URL, template)
        settings = Settings(**values)
        if template and not PG_URL:
            install_migrated_template(settings, template)
        password = secrets.token_urlsafe(12)
        _create_admin(settings, password)
        context = build_context(settings)
        context.bots.warm()  # the first question must not wait for training
        server = ServerThread(create_app(settings, context), port=app_port, name="mostrador-e2e").start()
        try:
            connect_seller_via_oauth(app_url, DEMO_EMAIL, password, world_data["seller"])
            with httpx.Client(base_url=sandbox.url) as c:
                buyer = c.post(
                    "/_sandbox/users", json={"nickname": "COMPRADOR1", "site_id": "MLA", "role": "buyer"}
                ).json()
            yield World(
                app_url=app_url,
                sandbox_url=sandbox.url,
                sandbox_app=sandbox.app,
                settings=settings,
                seller=world_data["seller"],
                buyer=buyer,
                items=world_data["items"],
                login=(DEMO_EMAIL, password),
            )
        finally:
            server.stop()
            if created_db and PG_URL:
                _drop_pg_database(PG_URL, created_db)


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, model_cache_dir: Path, migrated_template: str
) -> Iterator[World]:
    with running_world(tmp_path_factory.mktemp("e2e"), model_cache_dir, migrated_template) as w:
        yield w


# ---- pytest-playwright: drive Debian's Chromium (never a downloaded browser) -------------------------
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",  # CI runs as root, where Chromium refuses its sandbox
    "--disable-gpu",
    "--disable-background-networking",  # no calls to the closed internet
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    import os
    import shutil

    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        message = f"no Chromium at {chromium}: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": chromium, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """Spanish pages, whatever the machine's locale: Chromium sends its own as `Accept-Language`
    (en-US here) and the pages follow it (docs/i18n.md). A test of another language opens its own
    context (`browser.new_context(locale=…)`)."""
    return {**browser_context_args, "locale": "es-AR"}


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """Pages are opened with absolute URLs; this also replaces pytest-playwright's deprecated default."""
    return None
