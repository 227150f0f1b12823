"""Soak: many questions through faults, dropped webhooks and SIGKILLed workers; count lost and doubled.

A sandbox (in its own process, `bench/deployment.py`) with faults on — a share of API calls answer
5xx/429, added latency, every notification delivered three times, reordered, a share dropped — and
`mostrador serve` as a child process that is killed with SIGKILL several times and restarted (same
executor id, so DBOS resumes its workflows). Buyers ask stock questions the bot can answer. At the end
every question must have been answered exactly once. Prints JSON: lost, duplicated, p50/p99
question→answer time (sandbox clock), and the same figures for a fault-free baseline run measured first
in the same run.

    .venv/bin/python bench/soak.py --questions 2000 --rate 25 --kills 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from typing import Any

from deployment import Deployment, cpu_seconds, deployed, load_average, percentile, running_sandbox, wait_ms

FAULTS = {
    "error_rate": 0.2,
    "error_statuses": [500, 503, 429],
    "latency_ms": 30,
    "path_pattern": "^/(questions|answers|items|users|missed_feeds)",
    "notification": {"duplicate_rate": 1.0, "drop_rate": 0.1, "delay_ms": 50, "reorder_rate": 0.3},
}


def run(
    questions: int,
    rate: float,
    kills: int,
    faults: dict[str, Any] | None,
    seed: int,
    stall_s: float,
    workers: int = 0,
) -> dict[str, Any]:
    rng = random.Random(seed)
    postgres = bool(os.environ.get("MOSTRADOR_TEST_DATABASE_URL"))
    with (
        running_sandbox(seed) as sandbox,
        deployed(
            sandbox,
            executor_id="soak-slot-1",
            postgres=postgres,
            stock=500,  # plenty: no listing runs out during the soak
            buyers=20,
            env={"sweep_interval_s": "10", "sweep_account_every_s": "0"},  # every pass sweeps the account
        ) as dep,
    ):
        # PostgreSQL mode: extra `mostrador worker` processes share the queue with the web process.
        if workers:
            dep.spawn_workers(workers)
        if faults:
            sandbox.faults(faults)
        asked, app_cpu, started, drained_s = _ask_and_drain(dep, rng, questions, rate, kills, stall_s)
        answers = sandbox.answers()
        sandbox.faults({})
        app_cpu += sum(cpu_seconds(pid) for pid in dep.pids())
    asked_set = set(asked)
    waits = sorted(wait_ms(v[0]) for q, v in answers.items() if q in asked_set)
    return {
        "questions": len(asked),
        "answered": sum(1 for q in asked if q in answers),
        "lost": sum(1 for q in asked if q not in answers),
        "duplicated": sum(1 for q in asked if len(answers.get(q, [])) > 1),
        "p50_ms": round(statistics.median(waits), 1) if waits else None,
        "p99_ms": percentile(waits, 0.99),
        "wall_s": round(time.monotonic() - started, 1),
        "drain_after_last_question_s": round(drained_s, 1),
        "answers_per_s": round(len(waits) / (time.monotonic() - started), 2),
        "app_cpu_s": round(app_cpu, 1),
        "app_cpu_ms_per_question": round(1000 * app_cpu / len(asked), 1) if asked else None,
    }


def _ask_and_drain(
    dep: Deployment, rng: random.Random, questions: int, rate: float, kills: int, stall_s: float
) -> tuple[list[int], float, float, float]:
    """Ask at `rate`, SIGKILL and restart the app `kills` times on the way, wait for the backlog to drain.
    Returns the question ids, the CPU of the killed app processes, the start and the drain time."""
    asked: list[int] = []
    app_cpu = 0.0
    kill_at = sorted(rng.sample(range(questions // 10, questions), kills)) if kills else []
    started = time.monotonic()
    for n in range(questions):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        asked.append(dep.ask(rng))
        if kill_at and n == kill_at[0]:
            kill_at.pop(0)
            app_cpu += cpu_seconds(dep.pid)
            dep.app.kill()
            dep.app.start()  # same executor id: DBOS resumes its workflows
    asked_all_at = time.monotonic()
    # Wait for the backlog to drain: give up only when answers stop coming for `stall_s`.
    last_progress, answered_count = time.monotonic(), -1
    while time.monotonic() - last_progress < stall_s:
        answers = dep.sandbox.answers()
        count = sum(1 for q in asked if q in answers)
        if count == len(asked):
            break
        if count > answered_count:
            last_progress, answered_count = time.monotonic(), count
        time.sleep(2)
    drained_s = time.monotonic() - asked_all_at
    time.sleep(3)  # let any late duplicate land before counting
    return asked, app_cpu, started, drained_s


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=25.0, help="questions per second")
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--baseline-questions", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="extra `mostrador worker` processes (needs MOSTRADOR_TEST_DATABASE_URL: PostgreSQL)",
    )
    parser.add_argument(
        "--stall-s", type=float, default=120.0, help="stop waiting when no answer arrived for this long"
    )
    args = parser.parse_args()
    if args.workers and not os.environ.get("MOSTRADOR_TEST_DATABASE_URL"):
        parser.error("--workers needs PostgreSQL: set MOSTRADOR_TEST_DATABASE_URL (scripts/with-postgres.sh)")
    baseline = run(args.baseline_questions, args.rate, 0, None, args.seed, args.stall_s, args.workers)
    soak = run(args.questions, args.rate, args.kills, FAULTS, args.seed + 1, args.stall_s, args.workers)
    result = {
        "benchmark": "soak",
        "faults": FAULTS,
        "kills": args.kills,
        "database": "postgresql" if os.environ.get("MOSTRADOR_TEST_DATABASE_URL") else "sqlite",
        "extra_workers": args.workers,
        "goals": {"lost": 0, "duplicated": 0},
        "cpu_count": os.cpu_count(),
        "load_average_1m_at_end": load_average(),
        "baseline_no_faults": baseline,
        "soak": soak,
        "ratio_p50": round(soak["p50_ms"] / baseline["p50_ms"], 2)
        if soak["p50_ms"] and baseline["p50_ms"]
        else None,
        "ratio_p99": round(soak["p99_ms"] / baseline["p99_ms"], 2)
        if soak["p99_ms"] and baseline["p99_ms"]
        else None,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
