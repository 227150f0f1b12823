"""`mostrador sandbox`: run the offline Mercado Libre emulator (and, once registered, the buyer simulator)."""

from __future__ import annotations

from typing import Annotated

import typer

from mostrador.sandbox.config import SandboxConfig
from mostrador.sandbox.server import serve as serve_sandbox

app = typer.Typer(
    help="The offline Mercado Libre sandbox.", invoke_without_command=True, no_args_is_help=False
)

HostOption = Annotated[str, typer.Option(help="Interface to bind (loopback by default).")]
PortOption = Annotated[int, typer.Option(help="TCP port.")]
SeedOption = Annotated[int, typer.Option(help="Seed for ids and fault injection (same seed, same ids).")]
PublicUrlOption = Annotated[
    str | None, typer.Option(help="Base URL clients use to reach the sandbox (default http://HOST:PORT).")
]


def _run(host: str, port: int, seed: int, public_url: str | None) -> None:
    config = SandboxConfig(public_url=public_url or f"http://{host}:{port}", seed=seed)
    typer.echo(f"Mercado Libre sandbox on {config.public_url} (control API under /_sandbox)")
    serve_sandbox(host, port, config)


@app.callback()
def default(
    ctx: typer.Context,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8099,
    seed: SeedOption = 0,
    public_url: PublicUrlOption = None,
) -> None:
    """Without a subcommand, `mostrador sandbox` runs the server."""
    if ctx.invoked_subcommand is None:
        _run(host, port, seed, public_url)


@app.command()
def serve(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8099,
    seed: SeedOption = 0,
    public_url: PublicUrlOption = None,
) -> None:
    """Run the sandbox server (blocking)."""
    _run(host, port, seed, public_url)


def _register_simulator() -> None:
    # The buyer simulator lives in its own module, written separately; it adds `simulate` to this Typer.
    try:
        from mostrador.sandbox.simulator import register_simulate
    except ModuleNotFoundError as exc:
        if exc.name != "mostrador.sandbox.simulator":
            raise
        return
    register_simulate(app)


_register_simulator()
