"""Every benchmark in bench/ still runs: each script, with tiny sizes, exits 0 and prints one JSON
object that carries its goals (issue 12: "CI runs a quick bench smoke"). Nothing here looks at the
figures: timing belongs to `make bench` and docs/benchmarks.md, never to assertions."""

from __future__ import annotations

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


def test_every_benchmark_script_is_in_the_smoke() -> None:
    scripts = {p.name for p in BENCH.glob("*.py") if p.name not in ("app_probe.py", "plot.py")}
    assert scripts == set(TINY)


@pytest.mark.timeout(900)  # an app start, a model training and a sandbox each: minutes on a busy machine
@pytest.mark.parametrize("script", sorted(TINY))
def test_a_benchmark_runs_tiny_and_prints_json_with_its_goals(script: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MOSTRADOR_TEST_DATABASE_URL"}  # SQLite only
    src = str(BENCH.parent / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *TINY[script]],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=BENCH.parent,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert isinstance(result, dict)
    assert "goals" in result or "goal" in result, sorted(result)
