"""`mostrador sandbox` command wiring."""

import subprocess
import sys

import httpx
from typer.testing import CliRunner

from mostrador.cli.sandbox_cmd import app
from mostrador.sandbox.server import free_port


def test_serve_command_and_options_exist() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--seed", "--public-url"):
        assert option in result.output


def test_group_runs_without_subcommand_flag() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0 and "serve" in result.output


def test_options_before_simulate_are_refused_not_dropped() -> None:
    result = CliRunner().invoke(app, ["--port", "9123", "simulate"])
    assert result.exit_code == 2
    assert "--port" in result.output and "simulate" in result.output


def test_port_given_before_serve_is_the_port_it_binds() -> None:
    """`mostrador sandbox --port N serve` used to bind the default port without a word."""
    port = free_port()
    # The sandbox's own Typer app, as `mostrador sandbox` mounts it (without the rest of the CLI).
    entry = "from mostrador.cli.sandbox_cmd import app; app(prog_name='mostrador sandbox')"
    command = [sys.executable, "-c", entry, "--port", str(port), "serve"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        try:
            assert process.stdout is not None
            seen = []
            # uvicorn says where it listens once the socket is bound; the process ending stops the loop.
            for line in process.stdout:
                seen.append(line)
                if "Uvicorn running on" in line:
                    break
            assert f"http://127.0.0.1:{port}" in "".join(seen), "".join(seen)
            response = httpx.get(f"http://127.0.0.1:{port}/sites", timeout=10)
            assert response.status_code == 200
            assert "MLA" in {site["id"] for site in response.json()}
        finally:
            process.terminate()
            process.wait(timeout=10)
