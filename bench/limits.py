"""Cost of one Mercado Libre budget acquisition, in memory and in the database (SQLite, PostgreSQL).

For each database: the latency of one acquisition (`SharedBudget.take`: one upsert with RETURNING,
autocommit) from one process, the same through the async path the client uses (`reserve`: a thread
hop plus the statement), and the aggregate rate and latency when `--processes` processes hammer the
same (application, family) row at once; plus the in-memory backend for comparison. The budget is set
so high that nobody ever waits: this measures the bookkeeping, not the pacing. Prints JSON (medians,
p99, acquisitions per second).

    .venv/bin/python bench/limits.py                       # SQLite in a temp dir
    scripts/with-postgres.sh .venv/bin/python bench/limits.py   # also PostgreSQL
    .venv/bin/python bench/limits.py --pg-url postgresql://…    # an existing server
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from mostrador.limits import SharedBudget
from mostrador.meli import MemoryBudget, Rate
from mostrador.settings import normalise_db_url
from mostrador.store import migrate
from mostrador.store.db import make_engine

APP = "bench-app"
UNLIMITED = Rate(permits=10**9, per=60.0)


def _summary(samples_s: list[float], cpu_s: float | None = None) -> dict[str, float]:
    """Median and p99 latency; with ``cpu_s``, this process's CPU time per acquisition."""
    ordered = sorted(samples_s)
    summary = {
        "median_ms": round(statistics.median(ordered) * 1000, 4),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 4),
        "n": len(ordered),
    }
    if cpu_s is not None:
        summary["cpu_ms_each"] = round(cpu_s / len(ordered) * 1000, 4)
    return summary


class _Timed:
    """Latency samples plus the process CPU time spent taking them (threads included)."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.cpu = 0.0

    def __enter__(self) -> _Timed:
        self._cpu0 = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu = time.process_time() - self._cpu0

    def summary(self) -> dict[str, float]:
        return _summary(self.samples, self.cpu)


def _sync_latency(url: str, count: int, block: int, pre_ping: bool) -> dict[str, float]:
    engine = make_engine(url, pool_pre_ping=pre_ping) if url.startswith("postgresql") else make_engine(url)
    shared = SharedBudget(engine, block=block)
    shared.take(APP, "sync", 1e-9, 1e9)  # connect outside the measurement
    with _Timed() as timed:
        for _ in range(count):
            started = time.perf_counter()
            shared.take(APP, "sync", 1e-9, 1e9)
            timed.samples.append(time.perf_counter() - started)
    engine.dispose()
    return timed.summary()


async def _async_latency(url: str, count: int, block: int) -> dict[str, float]:
    engine = make_engine(url)
    shared = SharedBudget(engine, block=block)
    await shared.reserve(APP, f"async-{block}", UNLIMITED)
    with _Timed() as timed:
        for _ in range(count):
            started = time.perf_counter()
            await shared.reserve(APP, f"async-{block}", UNLIMITED)
            timed.samples.append(time.perf_counter() - started)
    engine.dispose()
    return timed.summary()


async def _memory_latency(count: int) -> dict[str, float]:
    budget = MemoryBudget()
    with _Timed() as timed:
        for _ in range(count):
            started = time.perf_counter()
            await budget.reserve(APP, "memory", UNLIMITED)
            timed.samples.append(time.perf_counter() - started)
    return timed.summary()


def _hammer(url: str, seconds: float, start: Any, out: Any) -> None:
    engine = make_engine(url)
    shared = SharedBudget(engine)
    shared.take(APP, "warm-up", 1e-9, 1e9)
    start.wait()
    samples = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        shared.take(APP, "contended", 1e-9, 1e9)
        samples.append(time.perf_counter() - began)
    engine.dispose()
    out.put(samples)


def _contended(url: str, processes: int, seconds: float) -> dict[str, Any]:
    spawn = mp.get_context("spawn")
    start, out = spawn.Barrier(processes), spawn.Queue()
    procs = [spawn.Process(target=_hammer, args=(url, seconds, start, out)) for _ in range(processes)]
    for p in procs:
        p.start()
    samples = [s for _ in procs for s in out.get(timeout=seconds + 120)]
    for p in procs:
        p.join(timeout=30)
    return {"processes": processes, "per_second": round(len(samples) / seconds), **_summary(samples)}


def measure(url: str, args: argparse.Namespace) -> dict[str, Any]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    result: dict[str, Any] = {
        "take_one_round_trip": _sync_latency(url, args.count, 1, pre_ping=True),
        "reserve_block_1": asyncio.run(_async_latency(url, args.count, 1)),
        "reserve_block_8": asyncio.run(_async_latency(url, args.count, 8)),
    }
    if url.startswith("postgresql"):
        result["take_without_pool_pre_ping"] = _sync_latency(url, args.count, 1, pre_ping=False)
    result["contended"] = [_contended(url, n, args.seconds) for n in (1, args.processes)]
    return result


def _fresh_pg(base_url: str) -> tuple[str, str]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_db_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    head, _, _ = normalise_db_url(base_url).rpartition("/")
    return f"{head}/{name}", name


def _drop_pg(base_url: str, name: str) -> None:
    admin = create_engine(normalise_db_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=2000, help="sequential acquisitions per measurement")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each contended run")
    parser.add_argument("--processes", type=int, default=3, help="processes in the contended run")
    parser.add_argument("--pg-url", default=os.environ.get("MOSTRADOR_TEST_DATABASE_URL"))
    args = parser.parse_args()
    report: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "memory": {"reserve": asyncio.run(_memory_latency(args.count))},
    }
    with tempfile.TemporaryDirectory() as tmp:
        report["sqlite"] = measure(f"sqlite:///{Path(tmp) / 'limits.sqlite'}", args)
    if args.pg_url:
        url, name = _fresh_pg(args.pg_url)
        try:
            report["postgresql"] = measure(url, args)
        finally:
            _drop_pg(args.pg_url, name)
    # No issue sets a number: the budget is taken once per Mercado Libre call, so its cost should stay
    # a small share of the app's CPU per question (bench/pipeline.py: the issue-12 goal is 15 ms).
    report["goals"] = {"take_one_round_trip_median_ms": 1.0, "per_question_budget_ms": 15}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
