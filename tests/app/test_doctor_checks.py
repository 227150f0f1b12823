"""`mostrador doctor`'s checks one by one, on real settings and a real database (the whole command
against a running app and the sandbox is in tests/e2e/test_operations.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from mostrador.cli.doctor import Finding, check_database, check_settings, diagnose, report
from mostrador.settings import Settings
from mostrador.store import migrate
from mostrador.store.db import make_engine


def by_check(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


def test_good_settings_have_no_problem(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    found = list(check_settings(settings))
    assert [f for f in found if f.severity != "ok"] == []


def test_each_broken_setting_is_named_with_its_fix(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "not-there"))
    broken = settings.model_copy(
        update={
            "secret_key": SecretStr("short"),
            "meli_client_secret": SecretStr(""),
            "meli_api_url": "api.mercadolibre.com",
            "public_url": "http://mostrador.example.com",
        }
    )
    found = by_check(list(check_settings(broken)))
    secret = found["settings: session secret key"]
    assert secret.severity == "problem" and "5 bytes" in secret.message and "token_urlsafe" in secret.fix
    assert found["settings: Mercado Libre application"].severity == "problem"
    assert found["settings: meli_api_url"].severity == "problem"
    assert "MOSTRADOR_MELI_API_URL" in found["settings: meli_api_url"].fix
    assert found["settings: public_url"].severity == "warning"  # not HTTPS and not loopback
    multiproc = found["settings: PROMETHEUS_MULTIPROC_DIR"]
    assert multiproc.severity == "problem" and "mkdir -p" in multiproc.fix


def test_a_database_behind_the_code_needs_migrate(settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine, "0001")
    engine.dispose()
    found = by_check(list(check_database(settings)))
    assert found["database"].severity == "ok"
    assert found["migrations"].severity == "problem"
    assert found["migrations"].message.startswith("the database is at 0001; this version expects ")
    assert found["migrations"].fix.startswith("run `mostrador migrate`")


def test_an_unreachable_database_stops_the_account_checks(settings: Settings, tmp_path: Path) -> None:
    from mostrador.cli.servers import free_port

    closed = f"http://127.0.0.1:{free_port()}"  # nothing of anyone else's answers the callback check
    missing = f"sqlite:///{tmp_path}/no/such/dir/db.sqlite"
    gone = settings.model_copy(update={"database_url": missing, "public_url": closed})
    lines: list[str] = []
    status = report(diagnose(gone), lines.append)
    assert status == 1
    assert any(line.startswith("PROBLEM  database: cannot connect to sqlite:///") for line in lines)
    assert "WARNING  accounts: not checked" in lines
    assert lines[-1].endswith("warning(s)")
