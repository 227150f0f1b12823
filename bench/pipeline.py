"""The question path end to end: latency, CPU and counted work per answered question, at several rates.

Processes, besides this one (the load generator, buyers asking over HTTP):

* **the app**: `mostrador serve` as deployed on one machine (DBOS, dispatcher and workers on, SQLite in
  a temporary data directory), connected through OAuth to a seller, its bot answering on its own; run
  through `bench/app_probe.py`, which counts the transactions and SQL statements per database file;
* **the sandbox** in its own process, counting every request the app makes to it (user agent
  `mostrador-meli`) by endpoint, and every notification it delivers.

For each rate in `--rates`, buyers ask stock questions for `--seconds`; then the run waits for the
backlog to drain. Per phase it reports question → answer latency on the sandbox's clock (p50/p99),
whether the rate was sustained (drained within `SUSTAINED_DRAIN_S` of the last question), and per
answered question: app CPU (user + system, from /proc), DBOS workflows and steps (counted in DBOS's
system database), transactions and statements per database, HTTP calls to Mercado Libre by endpoint and
notifications received. `--profile DIR` records a py-spy flame graph (SVG) of the app per phase.

    .venv/bin/python bench/pipeline.py --rates 10,50,100 --seconds 20 --profile docs/profiles
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from deployment import cpu_seconds, deployed, load_average, percentile, running_sandbox, wait_ms
from sqlalchemy import create_engine, text

GOALS = {"p50_ms_at_50_per_s": 150, "p99_ms_at_50_per_s": 500, "sustained_per_s": 100, "app_cpu_ms": 15}
SUSTAINED_DRAIN_S = 5.0  # a phase whose backlog drains within this after its last question kept up


# ---- measuring --------------------------------------------------------------------------------------
def dbos_counts(dbos_url: str) -> dict[str, int]:
    """Workflows by name and steps (recorded operation outputs) so far."""
    from mostrador.settings import normalise_db_url

    engine = create_engine(normalise_db_url(dbos_url))
    with engine.connect() as conn:
        counts = {
            f"workflows:{name}": int(n)
            for name, n in conn.execute(text("SELECT name, count(*) FROM workflow_status GROUP BY name"))
        }
        counts["steps"] = int(conn.execute(text("SELECT count(*) FROM operation_outputs")).scalar_one())
    engine.dispose()
    return counts


def probe_counts(path: Path) -> dict[str, int]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {
        **{f"transactions:{db}": n for db, n in data["commits"].items()},
        **{f"statements:{db}": n for db, n in data["statements"].items()},
    }


def snapshot(dep: Any) -> dict[str, float]:
    notifications = dep.sandbox.api.get("/_sandbox/notifications").json()
    return {
        "cpu_s": cpu_seconds(dep.pid),
        **dbos_counts(dep.settings.resolved_dbos_url),
        **probe_counts(dep.probe),
        **{f"http:{k}": v for k, v in dep.sandbox.calls().items()},
        "notifications_delivered": sum(int(d["attempts"]) for d in notifications),
    }


def phase(dep: Any, rate: float, seconds: float, stall_s: float, profile: Path | None, raw: bool) -> dict:
    rng = random.Random(int(rate * 1000))
    spies = []
    spy_bin = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if profile is not None and Path(spy_bin).exists():
        # A flame graph to look at, and the same samples as collapsed stacks to add up (`--raw`).
        profile.mkdir(parents=True, exist_ok=True)
        name = profile / f"question-path-{int(rate)}qps"
        formats = [("flamegraph", ".svg"), ("raw", ".txt")] if raw else [("flamegraph", ".svg")]
        for fmt, suffix in formats:
            out = f"{name}{suffix}"
            spies.append(
                subprocess.Popen(
                    [spy_bin, "record", "--pid", str(dep.pid), "--rate", "100", "-f", fmt, "-o", out],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        time.sleep(1.0)  # attached before the first question
    before = snapshot(dep)
    asked: list[int] = []
    count = max(1, int(rate * seconds))
    started = time.monotonic()
    for n in range(count):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        asked.append(dep.ask(rng))
    asking_s = time.monotonic() - started
    last_asked = time.monotonic()
    found: dict[int, list[dict[str, Any]]] = {}
    progress_at, progress = time.monotonic(), -1
    while time.monotonic() - progress_at < stall_s:
        found = dep.sandbox.answers()
        done = sum(1 for q in asked if q in found)
        if done == len(asked):
            break
        if done > progress:
            progress_at, progress = time.monotonic(), done
        time.sleep(0.1)
    drain_s = time.monotonic() - last_asked
    time.sleep(1.5)  # the "answered" notifications and their workflows finish too
    after = snapshot(dep)
    for spy in spies:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
    waits = sorted(wait_ms(found[q][0]) for q in asked if q in found)
    n_answered = len(waits)
    per_question = {
        key: round((after.get(key, 0) - before.get(key, 0)) / max(n_answered, 1), 2)
        for key in sorted(set(after) | set(before))
        if key != "cpu_s" and after.get(key, 0) != before.get(key, 0)
    }
    return {
        "rate_per_s": rate,
        "asked": len(asked),
        "asking_took_s": round(asking_s, 1),
        "answered": n_answered,
        "answered_twice": sum(1 for q in asked if len(found.get(q, [])) > 1),
        "p50_ms": round(statistics.median(waits), 1) if waits else None,
        "p99_ms": percentile(waits, 0.99),
        "drain_after_last_question_s": round(drain_s, 1),
        "sustained": n_answered == len(asked) and drain_s <= SUSTAINED_DRAIN_S,
        "app_cpu_ms_per_question": round(1000 * (after["cpu_s"] - before["cpu_s"]) / max(n_answered, 1), 1),
        "per_question": per_question,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rates", default="10,50,100", help="questions per second, one phase each")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--stall-s", type=float, default=30.0, help="stop waiting after no progress")
    parser.add_argument("--profile", type=Path, default=None, help="write py-spy SVGs here")
    parser.add_argument("--raw", action="store_true", help="also keep the samples as collapsed stacks")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]

    results: list[dict[str, Any]] = []
    with running_sandbox() as sandbox, deployed(sandbox, executor_id="bench-pipeline", probe=True) as dep:
        phase(dep, 5, 2, args.stall_s, None, False)  # warm-up: first model load, connection pools
        for rate in rates:
            results.append(phase(dep, rate, args.seconds, args.stall_s, args.profile, args.raw))
    sustained = [r["rate_per_s"] for r in results if r["sustained"]]
    result = {
        "benchmark": "pipeline",
        "database": "sqlite",
        "phases": results,
        "highest_sustained_rate_per_s": max(sustained) if sustained else None,
        "goals": GOALS,
        "cpu_count": os.cpu_count(),
        "load_average_1m_at_end": load_average(),
    }
    text_out = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text_out + "\n")
    print(text_out)


if __name__ == "__main__":
    main()
