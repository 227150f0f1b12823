"""`mostrador notifications …`: what the dispatcher gave up on, and handing it back to it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mostrador.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

app = typer.Typer(help="Recorded webhook notifications.", no_args_is_help=True)

DataDir = Annotated[Path | None, typer.Option(help="Data directory (default MOSTRADOR_DATA_DIR).")]


def _sessions(data_dir: Path | None) -> tuple[Engine, sessionmaker[Session]]:
    from mostrador.store.db import make_engine, make_sessionmaker

    settings = Settings()
    if data_dir is not None:
        settings.data_dir = data_dir
    engine = make_engine(settings.resolved_database_url)
    return engine, make_sessionmaker(engine)


@app.command("failed")
def failed(
    data_dir: DataDir = None,
    limit: Annotated[int, typer.Option(help="Show at most this many.")] = 100,
) -> None:
    """Notifications whose workflow could not be enqueued after every attempt (`dispatch_failed`)."""
    from mostrador.store import notifications as notifications_store
    from mostrador.store.db import transaction

    engine, sessions = _sessions(data_dir)
    try:
        with transaction(sessions) as s:
            rows = notifications_store.failed_notifications(s, limit=limit)
            for n in rows:
                typer.echo(
                    f"{n.id}\t{n.topic}\t{n.resource}\treceived {n.received_at.isoformat()}"
                    f"\t{n.dispatch_attempts} attempts\t{n.dispatch_error or ''}"
                )
            total = notifications_store.counters(s).get("dispatch.failed", 0)
    finally:
        engine.dispose()
    typer.echo(f"{len(rows)} notification(s) waiting to be re-driven ({total} given up on since install)")


@app.command("redispatch")
def redispatch(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Notification ids (see `failed`); all of them with --all.")
    ] = None,
    all_failed: Annotated[bool, typer.Option("--all", help="Every `dispatch_failed` notification.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Hand `dispatch_failed` notifications back to the dispatcher with fresh attempts; a running
    `mostrador serve` or `worker` picks them up within a second. Fix the cause first (the error is
    in `failed`), or they fail again."""
    from mostrador.store import notifications as notifications_store
    from mostrador.store.db import transaction

    if not ids and not all_failed:
        raise typer.BadParameter("give notification ids, or --all")
    if ids and all_failed:
        raise typer.BadParameter("give notification ids or --all, not both")
    engine, sessions = _sessions(data_dir)
    try:
        with transaction(sessions) as s:
            count = notifications_store.redispatch(s, None if all_failed else ids)
            if count:
                notifications_store.bump_counter(s, "dispatch.redriven", count)
    finally:
        engine.dispose()
    typer.echo(f"{count} notification(s) handed back to the dispatcher")
