"""`mostrador users`: passwords never on the command line, roles by default, set-password ends sessions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from mostrador.cli.users_cmd import app
from mostrador.settings import Settings
from mostrador.store import migrate
from mostrador.store.db import make_engine, make_sessionmaker
from mostrador.users import sessions
from mostrador.users.errors import BadCredentials
from mostrador.users.roles import Role
from mostrador.users.service import list_users, log_in

PASSWORD = "correct horse battery staple"


@pytest.fixture
def run(settings: Settings) -> Any:
    env = {"MOSTRADOR_DATA_DIR": str(settings.data_dir)}
    if settings.database_url:
        env["MOSTRADOR_DATABASE_URL"] = settings.database_url

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(app, list(args), input=input, env=env)

    return invoke


@pytest.fixture
def db(settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


def roles(db: sessionmaker[Session]) -> dict[str, Role]:
    return {u.email: u.role for u in list_users(db)}


def test_a_new_workspace_s_first_user_is_its_owner_and_later_ones_agents(
    run: Any, db: sessionmaker[Session]
) -> None:
    first = run("create", "Ana@Example.com", "--workspace", "Tienda", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert first.exit_code == 0, first.output
    assert "created owner ana@example.com" in first.output
    assert PASSWORD not in first.output
    second = run("create", "beto@example.com", "--workspace", "Tienda", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert "created agent beto@example.com" in second.output
    third = run(
        "create",
        "caro@example.com",
        "--workspace",
        "Tienda",
        "--role",
        "viewer",
        "--password-stdin",
        input=f"{PASSWORD}\n",
    )
    assert third.exit_code == 0, third.output
    other = run(
        "create",
        "dani@example.com",
        "--workspace",
        "Otra",
        "--role",
        "ADMIN",
        "--password-stdin",
        input=f"{PASSWORD}\n",
    )
    assert other.exit_code == 0, other.output
    assert roles(db) == {
        "ana@example.com": Role.OWNER,
        "beto@example.com": Role.AGENT,
        "caro@example.com": Role.VIEWER,
        "dani@example.com": Role.ADMIN,
    }
    assert log_in(db, "caro@example.com", PASSWORD, "127.0.0.1")  # the stdin password, without its newline


def test_a_password_is_never_an_option_and_a_mistyped_one_creates_nobody(
    run: Any, db: sessionmaker[Session]
) -> None:
    refused = run("create", "ana@example.com", "--password", PASSWORD)
    assert refused.exit_code == 2 and "No such option" in refused.output
    mistyped = run("create", "ana@example.com", input=f"{PASSWORD}\n{PASSWORD}x\n")
    assert mistyped.exit_code != 0 and "do not match" in mistyped.output
    weak = run("create", "ana@example.com", "--password-stdin", input="short\n")
    assert weak.exit_code == 2 and "10 characters" in weak.output
    bad_role = run("create", "ana@example.com", "--role", "boss", "--password-stdin", input=f"{PASSWORD}\n")
    assert bad_role.exit_code == 2 and "unknown role" in bad_role.output
    assert roles(db) == {}


def test_set_password_ends_every_session_of_the_user(run: Any, db: sessionmaker[Session]) -> None:
    run("create", "ana@example.com", "--password-stdin", input=f"{PASSWORD}\n")
    tokens = [log_in(db, "ana@example.com", PASSWORD, "127.0.0.1") for _ in range(2)]
    changed = run("set-password", "ANA@example.com", input="a brand new password\na brand new password\n")
    assert changed.exit_code == 0, changed.output
    assert "2 session(s) ended" in changed.output
    assert [sessions.resume(db, t) for t in tokens] == [None, None]
    with pytest.raises(BadCredentials):
        log_in(db, "ana@example.com", PASSWORD, "127.0.0.1")
    assert log_in(db, "ana@example.com", "a brand new password", "127.0.0.1")
    unknown = run("set-password", "nadie@example.com", "--password-stdin", input=f"{PASSWORD}\n")
    assert unknown.exit_code == 2 and "No user has this e-mail" in unknown.output


def test_list_shows_users_with_role_and_workspace(run: Any) -> None:
    run("create", "ana@example.com", "--workspace", "Tienda", "--password-stdin", input=f"{PASSWORD}\n")
    run("create", "dani@example.com", "--workspace", "Otra", "--password-stdin", input=f"{PASSWORD}\n")
    everyone = run("list")
    assert everyone.exit_code == 0
    lines = everyone.output.splitlines()
    assert lines[0].split() == ["id", "email", "role", "workspace"]
    assert [line.split()[1:] for line in lines[1:]] == [
        ["ana@example.com", "owner", "Tienda"],
        ["dani@example.com", "owner", "Otra"],
    ]
    only = run("list", "--workspace", "Otra")
    assert "dani@example.com" in only.output and "ana@example.com" not in only.output
    missing = run("list", "--workspace", "Nadie")
    assert missing.exit_code == 2 and "No workspace has this name" in missing.output
