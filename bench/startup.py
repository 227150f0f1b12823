"""Start-up CPU of a process that answers questions: import the web app, load the stored intent model
and decide one question. Prints JSON (median of a few runs, each in a fresh process) and whether
scikit-learn or SciPy were imported on the way (issue 12: they must not be).

The first run trains the model into a temporary cache directory; the measured runs load it, as a
restarted worker does. `--src DIR` measures another checkout's `src` (e.g. an older commit extracted
with `git archive`) for a before/after comparison.
Run: .venv/bin/python bench/startup.py [--runs 5] [--src DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

GOAL_CPU_S = 1.0  # issue 12: start-up ≤ 1 s of CPU

SNIPPET = """
import json, resource, sys, time
from pathlib import Path
started = time.process_time()
import mostrador.web.app  # noqa: F401 - what `mostrador serve` imports
imported = time.process_time() - started
from mostrador.bot import Bot, BotConfig
from mostrador.bot.model import ModelCache
bot = Bot(BotConfig(), models=ModelCache(directory=Path(sys.argv[1])))
bot.decide("tenes stock?", item={"id": "MLA1", "status": "active", "price": 10})
print(json.dumps({
    "cpu_s": time.process_time() - started,
    "import_web_cpu_s": imported,
    "sklearn": "sklearn" in sys.modules,
    "scipy": "scipy" in sys.modules,
}))
"""


def run_once(cache: str, src: str | None) -> dict[str, object]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    done = subprocess.run(
        [sys.executable, "-c", SNIPPET, cache], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", default=None, help="a checkout's src directory to measure instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        first = run_once(cache, args.src)  # trains and stores the model
        runs = [run_once(cache, args.src) for _ in range(args.runs)]
    result = {
        "runs": args.runs,
        "startup_cpu_s_median": round(statistics.median(float(r["cpu_s"]) for r in runs), 3),  # type: ignore[arg-type]
        "import_web_cpu_s_median": round(
            statistics.median(float(r["import_web_cpu_s"]) for r in runs),  # type: ignore[arg-type]
            3,
        ),
        "first_run_with_training_cpu_s": round(float(first["cpu_s"]), 3),  # type: ignore[arg-type]
        "imports_sklearn": runs[-1]["sklearn"],
        "imports_scipy": runs[-1]["scipy"],
        "goal_cpu_s": GOAL_CPU_S,
        "goals": {"startup_cpu_s_median": GOAL_CPU_S, "imports_sklearn": False, "imports_scipy": False},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
