"""Rate limiting per application and endpoint family, waiting rather than failing (§8, §10)."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest
from meli_fakes import FakeMeli, RecordingSleep, make_client

from mostrador.meli import MemoryBudget, Rate, RateLimiter, endpoint_family
from mostrador.meli.ratelimit import MESSAGING_READ, MESSAGING_WRITE


@pytest.mark.parametrize(
    ("method", "path", "family"),
    [
        ("GET", "/messages/packs/1/sellers/2", MESSAGING_READ),
        ("GET", "/messages/unread?role=seller&tag=post_sale", MESSAGING_READ),
        ("GET", "/messages/attachments/x.pdf", MESSAGING_READ),
        ("POST", "/messages/packs/1/sellers/2", MESSAGING_WRITE),
        ("put", "/messages/x", MESSAGING_WRITE),
        ("POST", "/messages/attachments", MESSAGING_WRITE),
        ("GET", "/questions/1", "default"),
        ("POST", "/answers", "default"),
        ("GET", "/messagesx", "default"),
        ("GET", "/post-purchase/v1/claims/1/messages", "default"),
    ],
)
def test_endpoint_family(method: str, path: str, family: str) -> None:
    assert endpoint_family(method, path) == family


def test_messaging_budgets_are_500_per_minute_each() -> None:
    limiter = RateLimiter(default_budget=100)
    assert limiter.budget(MESSAGING_READ) == 500
    assert limiter.budget(MESSAGING_WRITE) == 500
    assert limiter.budget("default") == 100


def test_the_margin_widens_the_interval_the_backend_enforces() -> None:
    limiter = RateLimiter(budgets={}, default_budget=100, window=60.0, margin=2.0)
    assert limiter.rate("default") == Rate(permits=100, per=62.0)


async def test_waits_for_the_oldest_call_to_leave_the_window() -> None:
    sleep = RecordingSleep()
    limiter = RateLimiter(
        budgets={}, default_budget=3, window=60.0, margin=0.0, clock=sleep.clock, sleep=sleep
    )
    for _ in range(3):
        assert await limiter.acquire("app", "default") == 0.0
        sleep.now += 10.0
    # Calls at t=0, 10, 20; now t=30: the fourth must wait until t=60.
    assert await limiter.acquire("app", "default") == pytest.approx(30.0)
    assert sleep.delays == [pytest.approx(30.0)]
    assert isinstance(limiter.backend, MemoryBudget)
    assert limiter.backend.in_window("app", "default", 60.0) == 3


async def test_the_margin_keeps_calls_further_apart() -> None:
    sleep = RecordingSleep()
    limiter = RateLimiter(
        budgets={}, default_budget=1, window=60.0, margin=2.0, clock=sleep.clock, sleep=sleep
    )
    await limiter.acquire("app", "default")
    assert await limiter.acquire("app", "default") == pytest.approx(62.0)


async def test_budgets_are_separate_per_application_and_family() -> None:
    sleep = RecordingSleep()
    limiter = RateLimiter(
        budgets={MESSAGING_READ: 1, MESSAGING_WRITE: 1}, margin=0.0, clock=sleep.clock, sleep=sleep
    )
    await limiter.acquire("app-1", MESSAGING_READ)
    await limiter.acquire("app-1", MESSAGING_WRITE)
    await limiter.acquire("app-2", MESSAGING_READ)
    assert sleep.delays == []
    await limiter.acquire("app-1", MESSAGING_READ)
    assert sleep.delays == [pytest.approx(60.0)]


async def test_concurrent_waiters_are_admitted_in_order_within_budget() -> None:
    sleep = RecordingSleep()
    limiter = RateLimiter(
        budgets={}, default_budget=2, window=60.0, margin=0.0, clock=sleep.clock, sleep=sleep
    )
    admitted: list[tuple[int, float]] = []

    async def call(number: int) -> None:
        await limiter.acquire("app", "default")
        admitted.append((number, sleep.now))

    await asyncio.gather(*(call(number) for number in range(5)))
    assert [number for number, _ in admitted] == [0, 1, 2, 3, 4]
    times = [at for _, at in admitted]
    # No 60-second window ever holds more than two admissions.
    assert all(later - earlier >= 60.0 for earlier, later in zip(times, times[2:], strict=False))


class LateSleep(RecordingSleep):
    """Wakes up ``late_by`` seconds after the requested time, the first ``times`` times."""

    def __init__(self, late_by: float, times: int) -> None:
        super().__init__()
        self.late_by, self.times = late_by, times

    async def __call__(self, seconds: float) -> None:
        extra = self.late_by if self.times > 0 else 0.0
        self.times -= 1
        self.delays.append(seconds)
        self.now += seconds + extra


async def test_a_permit_woken_too_late_is_given_up_for_a_fresh_one() -> None:
    sleep = LateSleep(late_by=5.0, times=1)
    limiter = RateLimiter(
        budgets={}, default_budget=1, window=60.0, margin=2.0, clock=sleep.clock, sleep=sleep
    )
    start = sleep.now
    await limiter.acquire("app", "default")
    # The second permit is for t+62; waking at t+67 is later than half the margin, so the limiter
    # takes the next permit (t+124) instead of crowding the interval after it.
    waited = await limiter.acquire("app", "default")
    assert sleep.delays == [pytest.approx(62.0), pytest.approx(57.0)]
    assert sleep.now - start == pytest.approx(124.0)
    assert waited == pytest.approx(124.0)


async def test_a_slightly_late_wake_up_keeps_its_permit() -> None:
    sleep = LateSleep(late_by=0.5, times=1)
    limiter = RateLimiter(
        budgets={}, default_budget=1, window=60.0, margin=2.0, clock=sleep.clock, sleep=sleep
    )
    await limiter.acquire("app", "default")
    await limiter.acquire("app", "default")
    assert sleep.delays == [pytest.approx(62.0)]


async def test_memory_budget_never_admits_more_than_the_budget_in_any_interval() -> None:
    rng = random.Random(7)
    clock = [0.0]
    budget = MemoryBudget(clock=lambda: clock[0])
    rate = Rate(permits=5, per=10.0)
    slots: list[float] = []
    for _ in range(300):
        clock[0] += rng.expovariate(2.0)  # ~2 calls/s against a budget of 0.5/s
        slots.append(clock[0] + await budget.reserve("app", "default", rate))
    assert slots == sorted(slots)  # served in arrival order
    assert all(later - earlier >= 10.0 - 1e-9 for earlier, later in zip(slots, slots[5:], strict=False))
    # ... and it is not slower than it must be: the busy stretch runs at the full budget.
    assert slots[-1] - slots[5] == pytest.approx((len(slots) - 6) / 5 * 10.0, abs=10.0)


class RecordingBackend:
    """A budget backend that grants every permit after ``wait`` seconds and records the requests."""

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self.requests: list[tuple[str, str, Rate]] = []

    async def reserve(self, application: str, family: str, rate: Rate) -> float:
        self.requests.append((application, family, rate))
        return self.wait


async def test_the_limiter_sleeps_as_long_as_a_pluggable_backend_says() -> None:
    sleep = RecordingSleep()
    backend = RecordingBackend(wait=1.5)
    limiter = RateLimiter(
        budgets={MESSAGING_READ: 50}, window=60.0, margin=2.0, backend=backend, clock=sleep.clock, sleep=sleep
    )
    assert await limiter.acquire("app", MESSAGING_READ) == pytest.approx(1.5)
    assert backend.requests == [("app", MESSAGING_READ, Rate(permits=50, per=62.0))]
    assert sleep.delays == [1.5]


def test_invalid_budgets_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(default_budget=0)
    with pytest.raises(ValueError):
        RateLimiter(window=0)
    with pytest.raises(ValueError):
        RateLimiter(margin=-1)
    with pytest.raises(ValueError):
        Rate(permits=0, per=60.0)


async def test_client_waits_on_the_limiter_before_sending(fake: FakeMeli) -> None:
    sleep = RecordingSleep()
    budget = MemoryBudget(clock=sleep.clock)
    limiter = RateLimiter(
        budgets={MESSAGING_READ: 1}, margin=0.0, backend=budget, clock=sleep.clock, sleep=sleep
    )
    fake.on("GET", "/messages/unread", httpx.Response(200, json={"user_id": 1, "results": []}))
    client, http = make_client(fake, sleep, limiter=limiter)
    async with http:
        await client.get_unread("tok")
        await client.get_unread("tok")
    assert len(fake.requests) == 2
    assert sleep.delays == [pytest.approx(60.0)]
    assert budget.in_window("123", MESSAGING_READ, 60.0) == 1
