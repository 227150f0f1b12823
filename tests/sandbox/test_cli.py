"""`mostrador sandbox` command wiring."""

from typer.testing import CliRunner

from mostrador.cli.sandbox_cmd import app


def test_serve_command_and_options_exist() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--seed", "--public-url"):
        assert option in result.output


def test_group_runs_without_subcommand_flag() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0 and "serve" in result.output
