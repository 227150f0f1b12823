"""Rate limiting per application and endpoint family, waiting rather than failing (§8, §10)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from meli_fakes import FakeMeli, RecordingSleep, make_client

from mostrador.meli import RateLimiter, endpoint_family
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


async def test_waits_for_the_oldest_call_to_leave_the_window() -> None:
    sleep = RecordingSleep()
    limiter = RateLimiter(budgets={}, default_budget=3, window=60.0, clock=sleep.clock, sleep=sleep)
    for _ in range(3):
        assert await limiter.acquire("app", "default") == 0.0
        sleep.now += 10.0
    # Calls at t=0, 10, 20; now t=30: the fourth must wait until t=60.
    assert await limiter.acquire("app", "default") == pytest.approx(30.0)
    assert sleep.delays == [pytest.approx(30.0)]
    assert limiter.in_window("app", "default") == 3


async def test_budgets_are_separate_per_application_and_family() -> None:
    sleep = RecordingSleep()
    limiter = RateLimiter(budgets={MESSAGING_READ: 1, MESSAGING_WRITE: 1}, clock=sleep.clock, sleep=sleep)
    await limiter.acquire("app-1", MESSAGING_READ)
    await limiter.acquire("app-1", MESSAGING_WRITE)
    await limiter.acquire("app-2", MESSAGING_READ)
    assert sleep.delays == []
    await limiter.acquire("app-1", MESSAGING_READ)
    assert sleep.delays == [pytest.approx(60.0)]


async def test_concurrent_waiters_are_admitted_in_order_within_budget() -> None:
    sleep = RecordingSleep()
    limiter = RateLimiter(budgets={}, default_budget=2, window=60.0, clock=sleep.clock, sleep=sleep)
    admitted: list[tuple[int, float]] = []

    async def call(number: int) -> None:
        await limiter.acquire("app", "default")
        admitted.append((number, sleep.now))

    await asyncio.gather(*(call(number) for number in range(5)))
    assert [number for number, _ in admitted] == [0, 1, 2, 3, 4]
    times = [at for _, at in admitted]
    # No 60-second window ever holds more than two admissions.
    assert all(later - earlier >= 60.0 for earlier, later in zip(times, times[2:], strict=False))


def test_invalid_budgets_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(default_budget=0)
    with pytest.raises(ValueError):
        RateLimiter(window=0)


async def test_client_waits_on_the_limiter_before_sending(fake: FakeMeli) -> None:
    sleep = RecordingSleep()
    limiter = RateLimiter(budgets={MESSAGING_READ: 1}, clock=sleep.clock, sleep=sleep)
    fake.on("GET", "/messages/unread", httpx.Response(200, json={"user_id": 1, "results": []}))
    client, http = make_client(fake, sleep, limiter=limiter)
    async with http:
        await client.get_unread("tok")
        await client.get_unread("tok")
    assert len(fake.requests) == 2
    assert sleep.delays == [pytest.approx(60.0)]
    assert limiter.in_window("123", MESSAGING_READ) == 1
