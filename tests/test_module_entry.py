"""`python -m mostrador` is the `mostrador` command (the README's commands and the helpers use either)."""

from __future__ import annotations

import subprocess
import sys


def test_python_dash_m_runs_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mostrador", "bot", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "eval" in done.stdout and "classify" in done.stdout
    wrong = subprocess.run(
        [sys.executable, "-m", "mostrador", "no-such-command"], capture_output=True, timeout=120
    )
    assert wrong.returncode == 2
