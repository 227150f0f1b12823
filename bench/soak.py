"""Soak: many questions through faults, dropped webhooks and SIGKILLed workers; count lost and doubled.

A sandbox (in this process) with faults on — a share of API calls answer 5xx/429, added latency,
every notification delivered three times, reordered, a share dropped — and `mostrador serve` as a child
process that is killed with SIGKILL several times and restarted (same executor id, so DBOS resumes its
workflows). Buyers ask stock questions the bot can answer. At the end every question must have been
answered exactly once. Prints JSON: lost, duplicated, p50/p99 question→answer time (sandbox clock),
and the same figures for a fault-free baseline run measured first in the same run.

    .venv/bin/python bench/soak.py --questions 2000 --rate 25 --kills 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from mostrador.cli.demo import (
    DEMO_EMAIL,
    _create_admin,
    child_process_settings,
    connect_seller_via_oauth,
    setup_sandbox,
)
from mostrador.cli.servers import ChildApp, free_port
from mostrador.context import build_context
from mostrador.sandbox.config import SandboxConfig
from mostrador.sandbox.testing import running_sandbox_app
from mostrador.settings import normalise_db_url

QUESTIONS = ["Hola, tenés stock?", "hay disponible?", "Buenas, tienen stock de este?", "sigue disponible?"]
FAULTS = {
    "error_rate": 0.2,
    "error_statuses": [500, 503, 429],
    "latency_ms": 30,
    "path_pattern": "^/(questions|answers|items|users|missed_feeds)",
    "notification": {"duplicate_rate": 1.0, "drop_rate": 0.1, "delay_ms": 50, "reorder_rate": 0.3},
}


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process (Linux): a cost per question that machine noise barely moves."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _answers(api: httpx.Client) -> dict[int, list[dict[str, Any]]]:
    """Every answer the sandbox received, per question (a second entry means answered twice)."""
    answers: dict[int, list[dict[str, Any]]] = {}
    for entry in api.get("/_sandbox/log", params={"kind": "answers"}).json():
        answers.setdefault(int(entry["question_id"]), []).append(entry)
    return answers


def _fresh_pg_database(base_url: str) -> str:
    """A new database on the PostgreSQL server, so the baseline and the soak never share rows."""
    name = f"soak_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_db_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{normalise_db_url(base_url).rpartition('/')[0]}/{name}"


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
    with tempfile.TemporaryDirectory() as tmp, running_sandbox_app(SandboxConfig(seed=seed)) as sandbox:
        port = free_port()
        app_url = f"http://127.0.0.1:{port}"
        world = setup_sandbox(sandbox.url, app_url, "MLA")
        extra = {"executor_id": "soak-slot-1", "sweep_interval_s": "10", "log_level": "ERROR"}
        if os.environ.get("MOSTRADOR_TEST_DATABASE_URL"):
            extra["database_url"] = _fresh_pg_database(os.environ["MOSTRADOR_TEST_DATABASE_URL"])
        settings, env = child_process_settings(
            app_url, sandbox.url, world["app"], Path(f"{tmp}/data"), **extra
        )
        password = secrets.token_urlsafe(12)
        _create_admin(settings, password)
        build_context(settings).bots.warm()  # trained once into the data dir: restarts load it in ms
        app = ChildApp(env, port, f"{tmp}/app.log")
        app.start()
        # PostgreSQL mode: extra `mostrador worker` processes share the queue with the web process.
        extra_workers = [app.spawn_worker(f"soak-worker-{i}") for i in range(workers)]
        connect_seller_via_oauth(app_url, DEMO_EMAIL, password, world["seller"])
        api = httpx.Client(base_url=sandbox.url, timeout=30)
        seller_auth = {"Authorization": f"Bearer {world['seller']['access_token']}"}
        items = [
            i
            for i in world["items"]
            if api.get(f"/items/{i}", headers=seller_auth).json()["available_quantity"] > 0
        ]
        # Plenty of stock so that no listing runs out during the soak.
        for item_id in items:
            body = api.get(f"/items/{item_id}", headers=seller_auth).json()
            if not body.get("variations"):
                api.put(f"/items/{item_id}", json={"available_quantity": 500}, headers=seller_auth)
        buyers = [
            api.post(
                "/_sandbox/users", json={"nickname": f"SOAK{i}", "site_id": "MLA", "role": "buyer"}
            ).json()
            for i in range(20)
        ]
        if faults:
            api.put("/_sandbox/faults", json=faults).raise_for_status()
        asked: list[int] = []
        app_cpu = 0.0
        kill_at = sorted(rng.sample(range(questions // 10, questions), kills)) if kills else []
        started = time.monotonic()
        for n in range(questions):
            delay = started + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            buyer = rng.choice(buyers)
            r = api.post(
                "/questions",
                json={"item_id": rng.choice(items), "text": rng.choice(QUESTIONS)},
                headers={"Authorization": f"Bearer {buyer['access_token']}"},
            )
            while r.status_code >= 500 or r.status_code == 429:  # buyers retry too
                time.sleep(0.05)
                r = api.post(
                    "/questions",
                    json={"item_id": rng.choice(items), "text": rng.choice(QUESTIONS)},
                    headers={"Authorization": f"Bearer {buyer['access_token']}"},
                )
            r.raise_for_status()
            asked.append(int(r.json()["id"]))
            if kill_at and n == kill_at[0]:
                kill_at.pop(0)
                app_cpu += _cpu_seconds(app.proc.pid)
                app.kill()
                app.start()
        asked_all_at = time.monotonic()
        # Wait for the backlog to drain: give up only when answers stop coming for `stall_s`.
        answers: dict[int, list[dict[str, Any]]] = {}
        last_progress, answered_count = time.monotonic(), -1
        while time.monotonic() - last_progress < stall_s:
            answers = _answers(api)
            count = sum(1 for q in asked if q in answers)
            if count == len(asked):
                break
            if count > answered_count:
                last_progress, answered_count = time.monotonic(), count
            time.sleep(2)
        drained_s = time.monotonic() - asked_all_at
        time.sleep(3)  # let any late duplicate land before counting
        answers = _answers(api)
        api.put("/_sandbox/faults", json={})
        app_cpu += _cpu_seconds(app.proc.pid)
        for proc in extra_workers:
            app_cpu += _cpu_seconds(proc.pid)
            proc.terminate()
            proc.wait(timeout=30)
        app.stop()
        api.close()
    asked_set = set(asked)
    waits = sorted(
        (_ts(v[0]["answered_at"]) - _ts(v[0]["question_created_at"])) * 1000
        for q, v in answers.items()
        if q in asked_set
    )
    return {
        "questions": len(asked),
        "answered": sum(1 for q in asked if q in answers),
        "lost": sum(1 for q in asked if q not in answers),
        "duplicated": sum(1 for q in asked if len(answers.get(q, [])) > 1),
        "p50_ms": round(statistics.median(waits), 1) if waits else None,
        "p99_ms": round(waits[max(0, int(len(waits) * 0.99) - 1)], 1) if waits else None,
        "wall_s": round(time.monotonic() - started, 1),
        "drain_after_last_question_s": round(drained_s, 1),
        "answers_per_s": round(len(waits) / (time.monotonic() - started), 2),
        "app_cpu_s": round(app_cpu, 1),
        "app_cpu_ms_per_question": round(1000 * app_cpu / len(asked), 1) if asked else None,
    }


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
