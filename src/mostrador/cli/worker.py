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
    metrics_port: Annotated[
        int | None,
        typer.Option(
            help="Serve /metrics, /healthz and /readyz on this port (one worker per host: with "
            "PROMETHEUS_MULTIPROC_DIR it reports every process of the host)."
        ),
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="Interface of --metrics-port.")] = "127.0.0.1",
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
    from mostrador.cli.main import configure_process_logging

    configure_process_logging(settings)
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
    asyncio.run(run_worker(settings, metrics_port=metrics_port, metrics_host=metrics_host))


async def run_worker(
    settings: Settings, *, metrics_port: int | None = None, metrics_host: str = "127.0.0.1"
) -> None:
    from mostrador.context import build_context
    from mostrador.workflows import runtime
    from mostrador.workflows.dispatch import Dispatcher

    ctx = build_context(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    probes = None
    if metrics_port is not None:
        from mostrador.cli.servers import ServerThread
        from mostrador.web.ops import probe_app

        probe = probe_app(ctx)
        probes = ServerThread(probe, metrics_host, metrics_port, "metrics", log_config=None).start()
    # Train (or load) the intent model before taking work, as `serve` does at start: the first question
    # this worker takes must not wait for it.
    await asyncio.to_thread(ctx.bots.warm)
    await runtime.launch(ctx, consume=True)
    if probes is not None:
        probe.state.readiness.dbos_launched = True
    if ctx.checkpointer is not None:
        ctx.checkpointer.start()
    dispatcher = Dispatcher(ctx)  # also picks up notifications a crashed web process left behind
    dispatcher.start()
    try:
        await stop.wait()
    finally:
        if probes is not None:
            probes.stop()
        await dispatcher.stop()
        await ctx.aclose()
        runtime.shutdown()
