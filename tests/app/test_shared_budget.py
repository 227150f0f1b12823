"""Mercado Libre budgets shared through the database: one atomic update per acquisition, exact under
concurrency from threads and processes, paced so no interval holds more than the budget.

Runs on SQLite, and on PostgreSQL when `MOSTRADOR_TEST_DATABASE_URL` is set.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing as mp
import random
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from mostrador.limits import BudgetUnavailable, SharedBudget, budget_backend, pacing
from mostrador.limits.errors import BudgetMisconfigured
from mostrador.meli import MemoryBudget, Rate, RateLimiter, errors
from mostrador.settings import Settings
from mostrador.store import migrate
from mostrador.store.db import make_engine
from mostrador.store.limits import budget_cell
from mostrador.store.models import ApiBudget

APP = "1234567890123456"


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _tat(engine: Engine, family: str) -> float:
    with engine.connect() as conn:
        cell = budget_cell(conn, APP, family)
    assert cell is not None
    return cell.tat


# ---- the pacing, against the definition of GCRA -------------------------------------------------


def _busiest(times: list[float], per: float) -> int:
    """The most permits any interval [t, t + per) holds."""
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u < t + per - 1e-9) for i, t in enumerate(times))


def _simulate(rate: Rate, block: int, lease: float, gaps: list[float], rng: random.Random) -> list[float]:
    """When permits go out: GCRA as store.limits.take_permits does it, each permit of a block handed
    out at the worst moment the lease allows."""
    plan = pacing(rate, block, lease)
    tat, now, used = 0.0, 0.0, []
    for gap in gaps:
        now += gap
        tat = max(tat, now) + plan.block * plan.interval
        usable = max(now, tat - plan.block * plan.interval)
        used += [usable + rng.choice([0.0, lease]) for _ in range(plan.block)]
    return used


@pytest.mark.parametrize(
    ("permits", "block", "lease"), [(1, 1, 0.0), (5, 1, 0.0), (40, 4, 0.25), (500, 8, 0.5)]
)
def test_pacing_never_puts_more_than_the_budget_in_any_interval(
    permits: int, block: int, lease: float
) -> None:
    rate = Rate(permits=permits, per=10.0)
    rng = random.Random(permits)
    steps = max(12, permits * 4 // block)
    gaps = [rng.choice([0.0, 0.0, rng.uniform(0, 0.1), rng.uniform(0, 3.0)]) for _ in range(steps)]
    assert _busiest(_simulate(rate, block, lease, gaps, rng), rate.per) <= permits
    # Not needlessly slow: under back-to-back demand an interval holds nearly the whole budget.
    saturated = _simulate(rate, block, lease, [0.0] * steps, rng)
    spent = pacing(rate, block, lease).interval * (permits - min(block, permits) + 1)  # per + lease
    assert permits >= _busiest(saturated, rate.per) >= math.floor(permits * rate.per / spent) - 2 * block


def test_a_block_never_exceeds_the_budget() -> None:
    assert pacing(Rate(permits=3, per=60.0), block=10, lease=0.25).block == 3
    # A single permit is handed straight to its caller: no lease to account for.
    assert pacing(Rate(permits=1, per=60.0), block=10, lease=0.25).interval == pytest.approx(60.0)


# ---- the table, under concurrency ----------------------------------------------------------------

COST = 1000.0  # seconds per acquisition: far beyond the test's own duration, so tat always leads now
HORIZON = 1e9  # no cap on how far the schedule may run ahead (the cap has its own test)


def _take_in_child(url: str, family: str, count: int, start: Any, out: Any) -> None:
    engine = make_engine(url)
    shared = SharedBudget(engine)
    start.wait()
    try:
        out.put([shared.take(APP, family, COST, HORIZON).tat for _ in range(count)])
    finally:
        engine.dispose()


def _assert_no_lost_update(tats: list[float], count: int) -> None:
    """Every acquisition moved the budget forward by exactly its cost: none read a stale value."""
    tats = sorted(tats)
    assert len(tats) == count
    assert tats == pytest.approx([tats[0] + i * COST for i in range(count)], rel=0, abs=1e-3)


def test_acquisitions_from_several_processes_are_atomic(settings: Settings, engine: Engine) -> None:
    spawn = mp.get_context("spawn")
    start, out = spawn.Barrier(4), spawn.Queue()
    procs = [
        spawn.Process(target=_take_in_child, args=(settings.resolved_database_url, "default", 40, start, out))
        for _ in range(4)
    ]
    for p in procs:
        p.start()
    tats = [tat for _ in procs for tat in out.get(timeout=120)]
    for p in procs:
        p.join(timeout=30)
    _assert_no_lost_update(tats, 160)
    assert _tat(engine, "default") == pytest.approx(max(tats))


def test_acquisitions_from_several_threads_are_atomic(engine: Engine) -> None:
    shared = SharedBudget(engine)
    tats: list[float] = []
    start = threading.Barrier(6)

    def take() -> None:
        start.wait()
        got = [shared.take(APP, "messaging_read", COST, HORIZON).tat for _ in range(30)]
        tats.extend(got)

    threads = [threading.Thread(target=take) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    _assert_no_lost_update(tats, 180)


# ---- the backend the limiter uses -----------------------------------------------------------------


async def test_permits_are_spaced_by_the_emission_interval(engine: Engine) -> None:
    shared = SharedBudget(engine)
    rate = Rate(permits=5, per=3600.0)
    waits = [await shared.reserve(APP, "default", rate) for _ in range(7)]
    # Five per hour with no burst: one every 720 s (the round trips take milliseconds).
    assert waits == pytest.approx([0, 720, 1440, 2160, 2880, 3600, 4320], abs=5.0)


class FakeSleep:
    """Records delays and advances a clock instead of sleeping."""

    def __init__(self) -> None:
        self.now = 0.0
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


async def test_two_processes_draw_from_one_budget(engine: Engine) -> None:
    """Two limiters, each with its own backend object (as two processes would), share the budget."""
    sleeps = [FakeSleep(), FakeSleep()]
    limiters = [
        RateLimiter(
            budgets={},
            default_budget=2,
            window=100.0,
            margin=0.0,
            backend=SharedBudget(engine),
            clock=sleep.clock,
            sleep=sleep,
        )
        for sleep in sleeps
    ]
    waits = [await limiter.acquire(APP, "default") for limiter in [*limiters, *limiters]]
    # Two per 100 s across both: 50 s apart. Each alone would have let its first two go at once.
    assert waits == pytest.approx([0, 50, 100, 150], abs=5.0)


async def test_a_block_is_one_round_trip_shared_by_concurrent_callers(engine: Engine) -> None:
    shared = SharedBudget(engine, block=4, lease=1000.0)
    rate = Rate(permits=40, per=3600.0)
    plan = shared.pacing(rate)
    waits = await asyncio.gather(*(shared.reserve(APP, "default", rate) for _ in range(8)))
    first = _tat(engine, "default")
    # Eight callers, two blocks of four: the table moved by eight permits in two updates.
    assert plan.block == 4
    assert sorted(waits) == pytest.approx([0] * 4 + [4 * plan.interval] * 4, abs=5.0)
    await shared.reserve(APP, "default", rate)  # a third block
    assert _tat(engine, "default") - first == pytest.approx(4 * plan.interval)


async def test_an_unused_block_expires_after_its_lease(engine: Engine) -> None:
    clock = FakeSleep()
    shared = SharedBudget(engine, block=4, lease=0.25, clock=clock.clock)
    rate = Rate(permits=40, per=3600.0)
    plan = shared.pacing(rate)
    await shared.reserve(APP, "default", rate)
    before = _tat(engine, "default")
    await shared.reserve(APP, "default", rate)
    assert _tat(engine, "default") == before  # served from the block
    clock.now += 0.3  # past the lease: three permits are dropped, never used late
    await shared.reserve(APP, "default", rate)
    assert _tat(engine, "default") == pytest.approx(before + 4 * plan.interval)


async def test_an_unreachable_budget_is_a_transport_error_that_sent_nothing(tmp_path: Any) -> None:
    unreachable = make_engine(f"sqlite:///{tmp_path}/no-such-dir/budget.sqlite")  # cannot even open
    try:
        with pytest.raises(BudgetUnavailable) as caught:
            await SharedBudget(unreachable).reserve(APP, "default", Rate(permits=5, per=60.0))
    finally:
        unreachable.dispose()
    assert isinstance(caught.value, errors.TransportError)
    assert caught.value.request_sent is False


def test_the_backend_follows_the_settings(settings: Settings, engine: Engine) -> None:
    auto = budget_backend(settings, engine)
    assert isinstance(auto, SharedBudget if engine.dialect.name == "postgresql" else MemoryBudget)
    settings.meli_budget_store = "database"
    assert isinstance(budget_backend(settings, engine), SharedBudget)
    settings.meli_budget_store = "memory"
    assert isinstance(budget_backend(settings, engine), MemoryBudget)


def test_the_budget_clock_is_the_database_clock(engine: Engine) -> None:
    """Permits are timed by the database, so hosts whose clocks disagree share one schedule."""
    import time

    cell = SharedBudget(engine).take(APP, "default", 1.0, HORIZON)
    assert math.isclose(cell.tat - cell.now, 1.0, abs_tol=1e-3)
    assert abs(cell.now - time.time()) < 60  # same machine in tests: the same epoch-seconds scale


def test_a_database_clock_that_steps_back_does_not_hold_every_call(engine: Engine) -> None:
    """A schedule written before the clock stepped back an hour (NTP, a restored VM) is capped at the
    rate's window ahead of now: the next call waits at most that long, not an hour."""
    shared = SharedBudget(engine)
    first = shared.take(APP, "stepped", 1.0, 62.0)
    with engine.begin() as conn:  # what an hour's step back looks like from the row's point of view
        conn.execute(
            ApiBudget.__table__.update()
            .where(ApiBudget.__table__.c.family == "stepped")
            .values(tat=first.now + 3600.0)
        )
    after = shared.take(APP, "stepped", 1.0, 62.0)
    assert after.tat - after.now <= 62.0 + 1.0 + 1e-3


def test_a_missing_budget_table_is_a_configuration_error_not_an_outage(engine: Engine) -> None:
    """A worker started on new code before `mostrador migrate` must say so, not retry for ever."""
    with engine.begin() as conn:
        ApiBudget.__table__.drop(conn)
    with pytest.raises(BudgetMisconfigured, match="mostrador migrate"):
        SharedBudget(engine).take(APP, "default", 1.0, HORIZON)
