"""`mostrador worker`: a process that only runs workflows (PostgreSQL mode, any number per host)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer

from mostrador.settings import Settings


def worker(
    executor_id: Annotated[
        str | None,
        typer.Option(
            help="Stable id of this worker slot; a replacement must reuse a dead one's id "
            "(default: MOSTRADOR_EXECUTOR_ID, else the id kept in the data directory)."
        ),
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Data directory.")] = None,
) -> None:
    """Run workflows from the shared queue until SIGINT/SIGTERM (PostgreSQL: MOSTRADOR_DATABASE_URL)."""
    from mostrador.workflows import runtime
    from mostrador.workflows.executor import ExecutorLockError

    settings = Settings()
    if data_dir is not None:
        settings.data_dir = data_dir
    if executor_id:
        settings.executor_id = executor_id
    settings.ensure_secrets()
    if not settings.is_postgres and settings.meli_budget_store != "database":
        # Each process would keep its own Mercado Libre budget: N processes, N budgets (docs/operations.md).
        typer.echo(
            "error: on SQLite, `mostrador serve` already runs the workers and extra workers need "
            "PostgreSQL (or MOSTRADOR_MELI_BUDGET_STORE=database, so they share one request budget)",
            err=True,
        )
        raise typer.Exit(2)
    try:
        runtime.claim_executor(settings)  # held until run_worker shuts the runtime down
    except ExecutorLockError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    asyncio.run(run_worker(settings))


async def run_worker(settings: Settings) -> None:
    from mostrador.context import build_context
    from mostrador.workflows import runtime
    from mostrador.workflows.dispatch import Dispatcher

    ctx = build_context(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runtime.launch(ctx, consume=True)
    if ctx.checkpointer is not None:
        ctx.checkpointer.start()
    dispatcher = Dispatcher(ctx)  # also picks up notifications a crashed web process left behind
    dispatcher.start()
    try:
        await stop.wait()
    finally:
        await dispatcher.stop()
        await ctx.aclose()
        runtime.shutdown()
