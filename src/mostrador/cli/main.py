"""`mostrador` command line: serve, demo, sandbox, migrate, users, bot."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mostrador.settings import InsecureSecretKey, Settings

app = typer.Typer(help="Mostrador: the customer-service hub for Mercado Libre sellers.", no_args_is_help=True)


def _settings(data_dir: Path | None = None) -> Settings:
    settings = Settings()
    if data_dir is not None:
        settings.data_dir = data_dir
    return settings.ensure_secrets()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    data_dir: Annotated[
        Path | None, typer.Option(help="Data directory (default MOSTRADOR_DATA_DIR).")
    ] = None,
) -> None:
    """Run the web app with its workers (intake, inbox, workflows)."""
    import uvicorn

    from mostrador.web.app import create_app
    from mostrador.workflows import runtime
    from mostrador.workflows.executor import ExecutorLockError

    settings = _settings(data_dir)
    configure_process_logging(settings)
    try:
        # Held until the app shuts down (its start-up reuses this claim): refuse before serving
        # anything when another live process has this executor id (DBOS-NOTES edges 3 and 5).
        runtime.claim_executor(settings)
    except ExecutorLockError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        log_config=None,  # uvicorn's lines go through our handler (JSON or text, with request ids)
        # A line per request (every webhook) only when asked for: at 1,000 notifications/s it cost
        # ~14 % of the event loop (bench/intake.py); counters and the inbox say what arrived.
        access_log=settings.log_level in ("DEBUG", "INFO"),
        timeout_graceful_shutdown=2,
    )


def configure_process_logging(settings: Settings) -> None:
    """One handler for the whole process, in `MOSTRADOR_LOG_FORMAT`, with DBOS's workflow id."""
    from dbos import DBOS

    from mostrador.observability.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format, workflow_id=lambda: DBOS.workflow_id)


@app.command()
def migrate(
    data_dir: Annotated[Path | None, typer.Option(help="Data directory.")] = None,
    revision: Annotated[str, typer.Option(help="Target revision (head, base or an id).")] = "head",
    down: Annotated[bool, typer.Option("--down", help="Downgrade to the revision instead.")] = False,
) -> None:
    """Apply (or roll back) database migrations."""
    from mostrador.store import migrate as store_migrate
    from mostrador.store.db import make_engine

    settings = _settings(data_dir)
    engine = make_engine(settings.resolved_database_url)
    if down:
        store_migrate.downgrade(engine, revision if revision != "head" else "base")
    else:
        store_migrate.upgrade(engine, revision)
    typer.echo(f"database at {revision if not down else 'downgraded'}: {engine.url.render_as_string()}")


def _mount_optional_apps() -> None:
    from mostrador.cli import api_keys_cmd, demo, doctor, worker
    from mostrador.cli.accounts_cmd import app as accounts_app
    from mostrador.cli.api_keys_cmd import app as api_keys_app
    from mostrador.cli.bot_cmd import app as bot_app
    from mostrador.cli.i18n_cmd import app as i18n_app
    from mostrador.cli.notifications_cmd import app as notifications_app
    from mostrador.cli.sandbox_cmd import app as sandbox_app
    from mostrador.cli.users_cmd import app as users_app

    app.add_typer(sandbox_app, name="sandbox", help="The offline Mercado Libre sandbox.")
    app.add_typer(bot_app, name="bot", help="Try and evaluate the question bot.")
    app.command(name="demo")(demo.demo)
    app.command(name="worker")(worker.worker)
    app.command(name="doctor")(doctor.doctor)
    app.add_typer(accounts_app, name="accounts")
    app.add_typer(users_app, name="users", help="Inbox users: create, set a password, list.")
    app.add_typer(notifications_app, name="notifications")
    app.add_typer(api_keys_app, name="api-keys", help="REST API keys: create (shown once), list, revoke.")
    app.command(name="api-docs")(api_keys_cmd.api_docs)
    app.add_typer(i18n_app, name="i18n", help="Page languages: update and check the translation catalogs.")


def main() -> None:
    _mount_optional_apps()
    try:
        app(args=sys.argv[1:], prog_name="mostrador")
    except InsecureSecretKey as exc:  # a configuration mistake: say what to do, no traceback
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
