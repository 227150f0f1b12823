"""`mostrador users create · set-password · list`.

Passwords are never options (they would stay in the shell history and in `ps`): they are prompted for,
twice and hidden, or read from the first line of standard input with `--password-stdin`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from mostrador.security.passwords import WeakPassword
from mostrador.settings import Settings
from mostrador.store import migrate
from mostrador.store.db import make_engine, make_sessionmaker
from mostrador.users import errors
from mostrador.users.roles import ROLES, Role
from mostrador.users.service import create_user, list_users, set_password, user_info

app = typer.Typer(help="Inbox users: create, set a password, list.", no_args_is_help=True)

DataDir = Annotated[Path | None, typer.Option(help="Data directory (default MOSTRADOR_DATA_DIR).")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
]


@contextmanager
def _sessions(data_dir: Path | None) -> Iterator[sessionmaker[Session]]:
    """The migrated database's sessions; the engine is closed when the command ends."""
    settings = Settings()
    if data_dir is not None:
        settings.data_dir = data_dir
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    try:
        migrate.upgrade(engine)
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


@app.command("create")
def create(
    email: Annotated[str, typer.Argument(help="Login e-mail.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    workspace: Annotated[str, typer.Option(help="Workspace (created with its first user).")] = "default",
    role: Annotated[
        str | None,
        typer.Option(
            help="owner, admin, agent or viewer; default: owner for a new workspace's first user, else agent."
        ),
    ] = None,
    password_stdin: PasswordStdin = False,
    data_dir: DataDir = None,
) -> None:
    """Create an inbox login (password hashed with Argon2id)."""
    try:
        chosen = Role.parse(role) if role is not None else None
    except errors.UnknownRole as exc:
        raise typer.BadParameter(str(exc), param_hint="--role") from exc
    secret = _password(password_stdin)
    with _sessions(data_dir) as sessions:
        try:
            create_user(sessions, email, secret, name, workspace, chosen)
        except (errors.UserExists, errors.InvalidEmail, WeakPassword) as exc:
            raise _fail(exc) from exc
        user = user_info(sessions, email)
    typer.echo(f"created {user.role.value} {user.email} (id {user.id}) in workspace {user.workspace!r}")


@app.command("set-password")
def set_password_cmd(
    email: Annotated[str, typer.Argument(help="The user's login e-mail.")],
    password_stdin: PasswordStdin = False,
    data_dir: DataDir = None,
) -> None:
    """Set a user's password; every session of that user ends."""
    secret = _password(password_stdin)
    with _sessions(data_dir) as sessions:
        try:
            ended = set_password(sessions, email, secret)
        except (errors.UnknownUser, WeakPassword) as exc:
            raise _fail(exc) from exc
    typer.echo(f"password set for {email.strip().lower()}; {ended} session(s) ended")


@app.command("list")
def list_cmd(
    workspace: Annotated[str | None, typer.Option(help="Only this workspace.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Users with their role and workspace."""
    with _sessions(data_dir) as sessions:
        try:
            users = list_users(sessions, workspace)
        except errors.UnknownWorkspace as exc:
            raise _fail(exc) from exc
    width = max([len(u.email) for u in users] + [5])
    role_width = max(len(r.value) for r in ROLES)
    typer.echo(f"{'id':>5}  {'email':<{width}}  {'role':<{role_width}}  workspace")
    for u in users:
        typer.echo(f"{u.id:>5}  {u.email:<{width}}  {u.role.value:<{role_width}}  {u.workspace}")
    if not users:
        typer.echo("(no users)", err=True)
