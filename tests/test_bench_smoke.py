"""Every benchmark in bench/ still runs: each script, with tiny sizes, exits 0 and prints one JSON
object that carries its goals (issue 12: "CI runs a quick bench smoke"). Nothing here looks at the
figures: timing belongs to `make bench` and docs/benchmarks.md, never to assertions."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"

pytestmark = pytest.mark.slow

TINY = {
    "bot.py": ["--seconds", "0.2"],
    "startup.py": ["--runs", "1"],
    "pipeline.py": ["--rates", "2", "--seconds", "2", "--stall-s", "30"],
    "intake.py": ["--rate", "50", "--seconds", "1"],
    "soak.py": [
        "--questions",
        "6",
        "--rate",
        "3",
        "--kills",
        "0",
        "--baseline-questions",
        "3",
        "--stall-s",
        "30",
    ],
    "limits.py": ["--count", "20", "--seconds", "0.5", "--processes", "2"],
    "inbox_list.py": ["--threads", "30", "--chats", "5", "--small", "5", "--runs", "1"],
    "inbox_events.py": [
        "--agents",
        "2",
        "--seconds",
        "1",
        "--rate",
        "2",
        "--questions-rate",
        "1",
        "--drain-s",
        "2",
    ],
    "memory.py": ["--conversations", "200", "--questions", "2", "--rate", "2", "--stall-s", "30"],
    "day.py": ["--accounts", "50", "--questions", "6", "--minutes", "0.1", "--stall-s", "30"],
    "dashboards.py": [
        "--claims",
        "50",
        "--questions",
        "200",
        "--chat-messages",
        "50",
        "--days",
        "10",
        "--runs",
        "1",
    ],
}


# PostgreSQL only: one worker, two questions (the script's own server when none is given).
PG_TINY = {"pg_workers.py": ["--workers", "1", "--per-worker", "2", "--latency-ms", "50", "--stall-s", "30"]}
HELPERS = ("app_probe.py", "plot.py", "deployment.py")  # modules the scripts use, not benchmarks


def test_every_benchmark_script_is_in_the_smoke() -> None:
    scripts = {p.name for p in BENCH.glob("*.py") if p.name not in HELPERS}
    assert scripts == set(TINY) | set(PG_TINY)


def _run(command: list[str], env: dict[str, str]) -> None:
    src = str(BENCH.parent / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env, cwd=BENCH.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert isinstance(result, dict)
    assert "goals" in result or "goal" in result, sorted(result)


@pytest.mark.timeout(900)  # an app start, a model training and a sandbox each: minutes on a busy machine
@pytest.mark.parametrize("script", sorted(TINY))
def test_a_benchmark_runs_tiny_and_prints_json_with_its_goals(script: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MOSTRADOR_TEST_DATABASE_URL"}  # SQLite only
    _run([sys.executable, str(BENCH / script), *TINY[script]], env)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("script", sorted(PG_TINY))
def test_a_postgresql_benchmark_runs_tiny_and_prints_json_with_its_goals(script: str) -> None:
    """On the suite's PostgreSQL server, else on a throwaway one (`scripts/with-postgres.sh`); skipped
    only off CI on a machine without PostgreSQL's binaries."""
    command = [sys.executable, str(BENCH / script), *PG_TINY[script]]
    if not os.environ.get("MOSTRADOR_TEST_DATABASE_URL"):
        if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
            if os.environ.get("CI"):
                pytest.fail("CI needs PostgreSQL's server binaries (apt-get install postgresql)")
            pytest.skip("PostgreSQL's server binaries are not installed (CI installs them)")
        command = [str(BENCH.parent / "scripts" / "with-postgres.sh"), *command]
    _run(command, dict(os.environ))
