"""Scale-out on PostgreSQL: answered questions per second with 1, 2 and 4 `mostrador worker` processes
when Mercado Libre's latency is the bottleneck, and exactly-once intact (issue 12: 4 workers ≥ 3× one).

Per worker count, a fresh deployment (`bench/deployment.py`): its own database on the PostgreSQL server
of `MOSTRADOR_TEST_DATABASE_URL` (`scripts/with-postgres.sh` starts a throwaway one), a web process
(`MOSTRADOR_RUN_WORKERS=false mostrador serve`: intake and dispatch) and N `mostrador worker` processes,
each running at most `--concurrency` question workflows at a time; the sandbox in its own process
answers the app's Mercado Libre calls (`GET /questions/{id}`, `GET /items/{id}`, `POST /answers`) after
`--latency-ms` each. Buyers ask `--per-worker` × N stock questions at once (a backlog every worker can
take from); the run waits until every one is answered (or nothing moves for `--stall-s`).

Reported per worker count: answered questions per second on the sandbox's clock (from the first
question's creation to the last answer), how many questions each worker ran (DBOS's `workflow_status`),
the app's CPU per question (web process + workers, from /proc), and the sandbox's own count of answers
per question: none answered twice, none lost.

    scripts/with-postgres.sh .venv/bin/python bench/pg_workers.py --workers 1,2,4 --per-worker 30
"""

from __future__ import annotations

import argparse
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from deployment import Deployment, cpu_seconds, deployed, emit, load_average, running_sandbox, ts
from sqlalchemy import create_engine, text

GOALS = {"ratio_4_vs_1": 3.0, "answered_twice": 0, "lost": 0}
# The app's three calls per question; the buyers' own `POST /questions` is not slowed.
LATENCY_PATHS = r"^/(questions/\d|items/|answers)"


def executors(dep: Deployment) -> dict[str, int]:
    """Question workflows run, by the executor that ran them (a worker's id replaces the enqueuer's)."""
    from mostrador.settings import normalise_db_url

    engine = create_engine(normalise_db_url(dep.settings.resolved_dbos_url))
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT executor_id, count(*) FROM dbos.workflow_status"
                " WHERE name = 'conversation_resource' GROUP BY executor_id"
            )
        ).all()
    engine.dispose()
    return {str(executor): int(n) for executor, n in rows}


def run(sandbox: Any, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    env = {"run_workers": "false", "worker_concurrency": str(args.concurrency)}
    with deployed(sandbox, executor_id="bench-web", postgres=True, env=env, buyers=40) as dep:
        dep.spawn_workers(workers)
        sandbox.faults({"latency_ms": args.latency_ms, "path_pattern": LATENCY_PATHS})
        cpu_before = {pid: cpu_seconds(pid) for pid in dep.pids()}
        rng = random.Random(workers)
        count = args.per_worker * workers
        # Distinct buyers and listings: one conversation per question, so none waits for another's.
        with ThreadPoolExecutor(8) as pool:
            asked = list(pool.map(lambda _: dep.ask(random.Random(rng.random())), range(count)))
        progress_at, done = time.monotonic(), -1
        answers: dict[int, list[dict[str, Any]]] = {}
        while time.monotonic() - progress_at < args.stall_s:
            answers = sandbox.answers()
            n = sum(1 for q in asked if q in answers)
            if n == len(asked):
                break
            if n > done:
                progress_at, done = time.monotonic(), n
            time.sleep(0.2)
        time.sleep(2.0)  # a second answer, if any were coming, lands before counting
        answers = sandbox.answers()
        sandbox.faults({})
        cpu = sum(cpu_seconds(pid) - before for pid, before in cpu_before.items())
        ran = executors(dep)
    mine = [answers[q] for q in asked if q in answers]
    first_asked = min(ts(entries[0]["question_created_at"]) for entries in mine) if mine else 0.0
    last_answer = max(ts(entries[0]["answered_at"]) for entries in mine) if mine else 0.0
    span = last_answer - first_asked
    return {
        "workers": workers,
        "asked": len(asked),
        "answered": len(mine),
        "lost": len(asked) - len(mine),
        "answered_twice": sum(1 for entries in mine if len(entries) > 1),
        "seconds_first_question_to_last_answer": round(span, 2),
        "answered_per_s": round(len(mine) / span, 2) if span > 0 else None,
        "questions_by_executor": ran,
        "app_cpu_ms_per_question": round(1000 * cpu / max(len(mine), 1), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", default="1,2,4", help="worker process counts, one run each")
    parser.add_argument("--per-worker", type=int, default=30, help="questions asked per worker process")
    parser.add_argument("--latency-ms", type=int, default=500, help="added to each of the app's calls")
    parser.add_argument("--concurrency", type=int, default=2, help="question workflows per worker at once")
    parser.add_argument("--stall-s", type=float, default=60.0, help="stop waiting after no progress")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    if not os.environ.get("MOSTRADOR_TEST_DATABASE_URL"):
        parser.error(
            "needs PostgreSQL: run under scripts/with-postgres.sh (or set MOSTRADOR_TEST_DATABASE_URL)"
        )
    counts = [int(n) for n in args.workers.split(",")]
    with running_sandbox() as sandbox:
        runs = [run(sandbox, n, args) for n in counts]
    by_count = {r["workers"]: r["answered_per_s"] for r in runs}
    ratio = round(by_count[4] / by_count[1], 2) if by_count.get(1) and by_count.get(4) else None
    result = {
        "benchmark": "pg_workers",
        "database": "postgresql",
        "latency_ms_per_call": args.latency_ms,
        "latency_paths": LATENCY_PATHS,
        "concurrency_per_worker": args.concurrency,
        "runs": runs,
        "ratio_4_vs_1": ratio,
        "ratio_vs_1": {n: round(v / by_count[1], 2) for n, v in by_count.items() if v and by_count.get(1)},
        "exactly_once": all(r["lost"] == 0 and r["answered_twice"] == 0 for r in runs),
        "goals": GOALS,
        "goal_met": ratio is not None and ratio >= GOALS["ratio_4_vs_1"],
        "cpu_count": os.cpu_count(),
        "load_average_1m_at_end": load_average(),
    }
    emit(result, args.out)


if __name__ == "__main__":
    main()
