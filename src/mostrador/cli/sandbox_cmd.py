"""`mostrador sandbox`: run the offline Mercado Libre emulator (and, once registered, the buyer simulator)."""

from __future__ import annotations

from typing import Annotated

import typer

from mostrador.sandbox.config import SandboxConfig
from mostrador.sandbox.server import serve as serve_sandbox

app = typer.Typer(
    help="The offline Mercado Libre sandbox.", invoke_without_command=True, no_args_is_help=False
)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8099
DEFAULT_SEED = 0

HostOption = Annotated[str | None, typer.Option(help=f"Interface to bind (default {DEFAULT_HOST}).")]
PortOption = Annotated[int | None, typer.Option(help=f"TCP port (default {DEFAULT_PORT}).")]
SeedOption = Annotated[
    int | None,
    typer.Option(help=f"Seed for ids and fault injection (same seed, same ids) (default {DEFAULT_SEED})."),
]
PublicUrlOption = Annotated[
    str | None, typer.Option(help="Base URL clients use to reach the sandbox (default http://HOST:PORT).")
]


def _run(host: str | None, port: int | None, seed: int | None, public_url: str | None) -> None:
    host = DEFAULT_HOST if host is None else host
    port = DEFAULT_PORT if port is None else port
    config = SandboxConfig(
        public_url=public_url or f"http://{host}:{port}", seed=DEFAULT_SEED if seed is None else seed
    )
    typer.echo(f"Mercado Libre sandbox on {config.public_url} (control API under /_sandbox)")
    serve_sandbox(host, port, config)


@app.callback()
def default(
    ctx: typer.Context,
    host: HostOption = None,
    port: PortOption = None,
    seed: SeedOption = None,
    public_url: PublicUrlOption = None,
) -> None:
    """Without a subcommand, `mostrador sandbox` runs the server; its options also reach `serve`."""
    given = [f"--{name.replace('_', '-')}" for name, value in ctx.params.items() if value is not None]
    if ctx.invoked_subcommand is None:
        _run(host, port, seed, public_url)
    elif ctx.invoked_subcommand != "serve" and given:
        # `mostrador sandbox --port 9000 simulate` would otherwise drop the option without a word.
        verb = "applies" if len(given) == 1 else "apply"
        raise typer.BadParameter(
            f"{', '.join(given)} {verb} to the server, not to `{ctx.invoked_subcommand}`"
        )


@app.command()
def serve(
    ctx: typer.Context,
    host: HostOption = None,
    port: PortOption = None,
    seed: SeedOption = None,
    public_url: PublicUrlOption = None,
) -> None:
    """Run the sandbox server (blocking). Options given before `serve` count too; after it, they win."""
    group = ctx.parent.params if ctx.parent is not None else {}

    _run(
        host if host is not None else group.get("host"),
        port if port is not None else group.get("port"),
        seed if seed is not None else group.get("seed"),
        public_url if public_url is not None else group.get("public_url"),
    )


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
