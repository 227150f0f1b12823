"""A simulated day of many seller accounts (issue 12: 10,000 accounts, 1,000,000 questions, peaks of 10×
the mean), replayed at accelerated time: backlog and question → answer latency over the day.

The deployment is `bench/deployment.py`'s (`mostrador serve` as deployed on one machine, DBOS on,
SQLite; the sandbox in its own process). One seller is connected through OAuth as a new user would; the
other `--accounts` − 1 sellers are created in the sandbox in bulk (each with one listing and a grant to
the app) and stored in our database through the product's own `save_new_grant` (what the OAuth callback
calls once it has the tokens), with the demo seller's bot settings (answer on its own).

The day: questions arrive following a day's shape over 24 simulated hours — quiet nights, a daytime
curve and an evening campaign peak at 21:00 whose rate is `--peak` × the day's mean — each to a random
account's listing, from one of 50 buyers. `--questions` questions in all over `--minutes` of real time:
the full size is `--accounts 10000 --questions 1000000 --minutes 1440`; a scaled run keeps the accounts
and the shape and divides the questions and the time (both factors are in the JSON). Latency is on the
sandbox's clock, which runs at real speed (compressing it would make token lifetimes and timeouts lie).

Every `--sample-s` the run records questions asked, answered (the sandbox's answer log) and the backlog
between them, the app's CPU and resident memory; at the end, latency per simulated hour, Mercado Libre
calls by endpoint (the sweeps of every account included), none lost, none answered twice.

    .venv/bin/python bench/day.py --accounts 10000 --questions 2400 --minutes 8 --out day.json
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from deployment import (
    Deployment,
    cpu_seconds,
    deployed,
    emit,
    load_average,
    memory_kb,
    percentile,
    running_sandbox,
    ts,
    wait_ms,
)

DAY_S = 86_400
FULL = {"accounts": 10_000, "questions": 1_000_000}
GOALS = {"p50_ms": 150, "p99_ms": 500, "lost": 0, "answered_twice": 0, "backlog_at_end": 0}


def day_shape(peak: float, minutes: int = 1440) -> list[float]:
    """Relative rate per minute of the day, mean 1 and maximum `peak`: a low night, a daytime curve
    (8:00–23:00) and a campaign peak around 21:00 (a Gaussian of 20 minutes)."""

    def base(m: int) -> float:
        h = m / 60
        day = math.sin(math.pi * (h - 7) / 16) if 7 <= h <= 23 else 0.0
        return 0.15 + max(day, 0.0) ** 1.5

    def shape(amplitude: float) -> list[float]:
        raw = [base(m) + amplitude * math.exp(-(((m - 21 * 60) / 20) ** 2) / 2) for m in range(minutes)]
        mean = sum(raw) / len(raw)
        return [r / mean for r in raw]

    low, high = 0.0, 1000.0
    for _ in range(60):  # the spike's height that makes max / mean = peak
        mid = (low + high) / 2
        low, high = (mid, high) if max(shape(mid)) < peak else (low, mid)
    return shape(high)


def arrivals(shape: list[float], count: int) -> list[float]:
    """`count` arrival times (simulated seconds of the day) following `shape`: the inverse of its
    cumulative share at evenly spaced quantiles (deterministic: every run replays the same day)."""
    cumulative, total = [], 0.0
    for r in shape:
        total += r
        cumulative.append(total)
    out, minute = [], 0
    for i in range(count):
        target = (i + 0.5) / count * total
        while cumulative[minute] < target:
            minute += 1
        before = cumulative[minute - 1] if minute else 0.0
        out.append((minute + (target - before) / shape[minute]) * 60)
    return out


def connect_accounts(dep: Deployment, count: int) -> dict[str, Any]:
    """`count` more sellers: created in the sandbox in bulk, stored in our database one by one through
    `save_new_grant`, their bots set as the demo seller's."""
    from sqlalchemy import select, update

    from mostrador.accounts.tokens import save_new_grant
    from mostrador.context import build_context
    from mostrador.meli.models import TokenResponse
    from mostrador.store.models import Account

    started = time.perf_counter()
    ctx = build_context(dep.settings)
    with ctx.engine.connect() as conn:
        workspace_id, bot_config = conn.execute(select(Account.workspace_id, Account.bot_config)).one()
    app_id = dep.world["app"].get("id") or dep.world["app"]["client_id"]
    sellers: list[dict[str, Any]] = []
    for start in range(0, count, 1000):
        body = {
            "app_id": app_id,
            "count": min(1000, count - start),
            "prefix": f"DAY{start}_",
            "quantity": 10**6,
        }
        sellers.extend(dep.sandbox.api.post("/_bench/sellers", json=body).json())
    created_s = time.perf_counter() - started
    for n, seller in enumerate(sellers):
        if n % 2000 == 0:
            print(f"day: {n} accounts stored, {time.perf_counter() - started:.1f} s", file=sys.stderr)
        save_new_grant(
            ctx, workspace_id, seller["id"], seller["nickname"], "MLA", TokenResponse(**seller["tokens"])
        )
    with ctx.engine.begin() as conn:
        conn.execute(update(Account).values(bot_config=bot_config))
    ctx.engine.dispose()
    dep.items.extend(s["item_id"] for s in sellers)
    return {
        "accounts_connected": count + 1,
        "sandbox_seconds": round(created_s, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


class Monitor(threading.Thread):
    """Samples asked / answered / backlog, app CPU and memory every `every` seconds."""

    def __init__(self, dep: Deployment, asked: list[tuple[int, float]], every: float, compress: float):
        super().__init__(daemon=True, name="day-monitor")
        self.dep, self.asked, self.every, self.compress = dep, asked, every, compress
        self.samples: list[dict[str, Any]] = []
        self.stop = threading.Event()
        self.started = time.monotonic()

    def sample(self) -> None:
        answered = self.dep.sandbox.answers()
        asked = len(self.asked)
        mine = sum(1 for q, _ in list(self.asked) if q in answered)
        elapsed = time.monotonic() - self.started
        self.samples.append(
            {
                "real_s": round(elapsed, 1),
                "simulated_h": round(elapsed * self.compress / 3600, 3),
                "asked": asked,
                "answered": mine,
                "backlog": asked - mine,
                "app_cpu_s": round(cpu_seconds(self.dep.pid), 1),
                "app_rss_mb": round(memory_kb(self.dep.pid).get("VmRSS", 0) / 1024, 1),
            }
        )

    def run(self) -> None:
        while not self.stop.wait(self.every):
            try:
                self.sample()
            except Exception as exc:  # a sample lost to a busy sandbox is a gap, not a failed run
                self.samples.append({"real_s": round(time.monotonic() - self.started, 1), "error": str(exc)})


def replay(dep: Deployment, times: list[float], compress: float, args: Any) -> dict[str, Any]:
    rng = random.Random(args.seed)
    items = dep.items
    asked: list[tuple[int, float]] = []
    monitor = Monitor(dep, asked, args.sample_s, compress)
    late = []

    def ask(sim_t: float, item: str, seed: float) -> None:
        asked.append((dep.ask(random.Random(seed), item), sim_t))

    monitor.start()
    with ThreadPoolExecutor(8) as pool:
        for sim_t in times:
            delay = monitor.started + sim_t / compress - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                late.append(-delay)
            pool.submit(ask, sim_t, rng.choice(items), rng.random())
    asked_all = time.monotonic()
    progress_at, done = time.monotonic(), -1
    while time.monotonic() - progress_at < args.stall_s:
        answers = dep.sandbox.answers()
        n = sum(1 for q, _ in asked if q in answers)
        if n == len(asked):
            break
        if n > done:
            progress_at, done = time.monotonic(), n
        time.sleep(1)
    drain_s = time.monotonic() - asked_all
    time.sleep(2)
    monitor.sample()
    monitor.stop.set()
    answers = dep.sandbox.answers()
    bin_s = args.bin_min * 60
    periods: dict[int, list[float]] = {}
    for q, sim_t in asked:
        if q in answers:
            periods.setdefault(int(sim_t // bin_s), []).append(wait_ms(answers[q][0]))
    every = [wait_ms(answers[q][0]) for q, _ in asked if q in answers]
    first = min((ts(answers[q][0]["question_created_at"]) for q, _ in asked if q in answers), default=0)
    return {
        "asked": len(asked),
        "answered": len(every),
        "lost": sum(1 for q, _ in asked if q not in answers),
        "answered_twice": sum(1 for q, _ in asked if len(answers.get(q, [])) > 1),
        "p50_ms": percentile(every, 0.5),
        "p99_ms": percentile(every, 0.99),
        "max_backlog": max((s.get("backlog", 0) for s in monitor.samples), default=0),
        "backlog_at_end": monitor.samples[-1].get("backlog") if monitor.samples else None,
        "drain_after_last_question_s": round(drain_s, 1),
        "asker_late_s_max": round(max(late, default=0.0), 2),
        "first_question_at": first,
        "by_simulated_period": [
            {
                "hour": round(p * bin_s / 3600, 2),
                "questions": len(v),
                "per_real_s": round(len(v) / (bin_s / compress), 2),
                "p50_ms": percentile(v, 0.5),
                "p99_ms": percentile(v, 0.99),
            }
            for p, v in sorted(periods.items())
        ],
        "period_minutes": args.bin_min,
        "timeline": monitor.samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=10_000, help="seller accounts connected")
    parser.add_argument("--questions", type=int, default=2400, help="questions over the day")
    parser.add_argument("--minutes", type=float, default=8.0, help="real minutes the day is replayed in")
    parser.add_argument("--peak", type=float, default=10.0, help="peak rate / mean rate")
    parser.add_argument("--sample-s", type=float, default=2.0)
    parser.add_argument("--bin-min", type=float, default=30.0, help="simulated minutes per latency period")
    parser.add_argument("--stall-s", type=float, default=120.0)
    parser.add_argument(
        "--sweep-interval-s", default="120", help="the reconciliation sweep's interval (product default)"
    )
    parser.add_argument(
        "--sweep-account-every-s",
        default="600",
        help="each account is swept at most this often (product default)",
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    compress = DAY_S / (args.minutes * 60)
    shape = day_shape(args.peak)
    times = arrivals(shape, args.questions)
    mean_per_s = args.questions / DAY_S * compress
    env = {"sweep_interval_s": args.sweep_interval_s, "sweep_account_every_s": args.sweep_account_every_s}
    with (
        running_sandbox() as sandbox,
        deployed(sandbox, executor_id="bench-day", stock=10**6, env=env) as dep,
    ):
        connected = connect_accounts(dep, args.accounts - 1)
        calls_before = sandbox.calls()
        cpu_before = cpu_seconds(dep.pid)
        day = replay(dep, times, compress, args)
        calls = {
            k: v - calls_before.get(k, 0) for k, v in sandbox.calls().items() if v - calls_before.get(k, 0)
        }
        app_cpu = cpu_seconds(dep.pid) - cpu_before
        peak_rss = memory_kb(dep.pid).get("VmHWM", 0)
    result = {
        "benchmark": "day",
        "database": "sqlite",
        "scale": {
            "accounts": args.accounts,
            "questions": args.questions,
            "questions_divided_by": round(FULL["questions"] / args.questions, 1),
            "real_minutes": args.minutes,
            "time_compressed_by": round(compress, 1),
            "mean_questions_per_real_s": round(mean_per_s, 2),
            "peak_questions_per_real_s": round(mean_per_s * max(shape), 2),
            "peak_over_mean": round(max(shape), 2),
            "full_day": "--accounts 10000 --questions 1000000 --minutes 1440 (11.6 questions/s, peak 116/s)",
        },
        "setup": connected,
        "sweep_interval_s": int(args.sweep_interval_s),
        "sweep_account_every_s": int(args.sweep_account_every_s),
        **day,
        "app_cpu_ms_per_question": round(1000 * app_cpu / max(day["answered"], 1), 1),
        "app_peak_rss_mb": round(peak_rss / 1024, 1),
        "meli_calls": calls,
        "goals": GOALS,
        "cpu_count": os.cpu_count(),
        "load_average_1m_at_end": load_average(),
    }
    emit(result, args.out)


if __name__ == "__main__":
    main()
