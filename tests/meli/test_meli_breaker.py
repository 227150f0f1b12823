"""Circuit breaker: open after consecutive failures, fail fast, probe, close on success."""

from __future__ import annotations

import httpx
import pytest
from meli_fakes import FakeMeli, RecordingSleep, make_client, payload

from mostrador.meli import CircuitBreaker, CircuitBreakers, CircuitState, RetryPolicy, breaker_family, errors


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_threshold_and_fails_fast_until_cool_down() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout=10.0, clock=clock)
    for _ in range(2):
        breaker.before_call()
        breaker.record_failure()
    assert breaker.state is CircuitState.CLOSED
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN
    clock.now = 4.0
    with pytest.raises(errors.CircuitOpen) as caught:
        breaker.before_call()
    assert caught.value.retry_after == pytest.approx(6.0)


def test_success_resets_the_consecutive_count() -> None:
    breaker = CircuitBreaker(failure_threshold=2, clock=Clock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is CircuitState.CLOSED


def test_half_open_lets_one_probe_and_closes_on_success() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=10.0, clock=clock)
    breaker.record_failure()
    clock.now = 10.0
    assert breaker.state is CircuitState.HALF_OPEN
    breaker.before_call()  # the probe
    with pytest.raises(errors.CircuitOpen):
        breaker.before_call()  # a second caller while the probe is in flight
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED
    breaker.before_call()


def test_failed_probe_reopens_for_another_cool_down() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=5, reset_timeout=10.0, clock=clock)
    for _ in range(5):
        breaker.record_failure()
    clock.now = 10.0
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN
    clock.now = 15.0
    with pytest.raises(errors.CircuitOpen):
        breaker.before_call()


def test_probe_that_never_reports_frees_the_slot_after_a_cool_down() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=10.0, clock=clock)
    breaker.record_failure()
    clock.now = 10.0
    breaker.before_call()  # probe cancelled, never reports
    clock.now = 20.0
    breaker.before_call()  # a new probe is allowed


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0)


async def test_client_opens_on_5xx_then_fails_fast_without_sending(fake: FakeMeli) -> None:
    sleep = RecordingSleep()
    breakers = CircuitBreakers(failure_threshold=2, reset_timeout=30.0, clock=sleep.clock)
    client, http = make_client(fake, sleep, retry=RetryPolicy(max_attempts=1), breakers=breakers)
    fake.on("GET", "/items/MLA1", httpx.Response(500, json={"message": "x"}), httpx.ConnectError("down"))
    async with http:
        with pytest.raises(errors.ServerError):
            await client.get_item("MLA1", "tok")
        with pytest.raises(errors.TransportError):
            await client.get_item("MLA1", "tok")
        with pytest.raises(errors.CircuitOpen):
            await client.get_item("MLA1", "tok")
        assert len(fake.requests) == 2
        # 4xx answers mean the API is up: after the cool-down a 404 probe closes the circuit.
        sleep.now += 30.0
        fake.on("GET", "/items/MLA2", httpx.Response(404, json={"message": "Item not found"}))
        with pytest.raises(errors.NotFound):
            await client.get_item("MLA2", "tok")
    assert breakers.for_family("items").state is CircuitState.CLOSED


async def test_circuit_open_is_not_retried(fake: FakeMeli) -> None:
    sleep = RecordingSleep()
    breakers = CircuitBreakers(failure_threshold=1, reset_timeout=30.0, clock=sleep.clock)
    client, http = make_client(fake, sleep, breakers=breakers)
    fake.on("GET", "/items/MLA1", httpx.Response(503, json={"message": "x"}))
    async with http:
        with pytest.raises(errors.CircuitOpen):
            await client.get_item("MLA1", "tok")
    # First attempt fails (opens the circuit), the retry hits the open circuit and stops there.
    assert len(fake.requests) == 1
    assert len(sleep.delays) == 1


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("/answers", "answers"),
        ("/questions/123", "questions"),
        ("/questions/search?item=MLA1", "questions"),
        ("/items/MLA1", "items"),
        ("/items?ids=MLA1,MLA2", "items"),
        ("/items/MLA1/description", "items"),
        ("/users/99/items/search", "items"),
        ("/users/me", "users"),
        ("/messages/packs/1/sellers/2", "messages"),
        ("/messages/unread", "messages"),
        ("/messages/attachments", "messages"),
        ("/post-purchase/v1/claims/5/messages", "claims"),
        ("/post-purchase/v1/claims/search", "claims"),
        ("/v1/claims/5", "claims"),
        ("/post-purchase/v2/claims/5/returns", "claims"),
        ("/orders/search", "orders"),
        ("/packs/2", "packs"),
        ("/shipments/3", "shipments"),
        ("/missed_feeds", "missed_feeds"),
        ("/oauth/token", "oauth"),
        ("/", "root"),
    ],
)
def test_breaker_family(path: str, family: str) -> None:
    assert breaker_family(path) == family


async def test_failing_answers_do_not_stop_items_or_messages(fake: FakeMeli) -> None:
    sleep = RecordingSleep()
    breakers = CircuitBreakers(failure_threshold=2, reset_timeout=30.0, clock=sleep.clock)
    client, http = make_client(fake, sleep, retry=RetryPolicy(max_attempts=1), breakers=breakers)
    fake.on("POST", "/answers", httpx.Response(503, json={"message": "x"}))
    fake.json("GET", "/items/MLA1", payload("items/docs_item_minimal_after_notification.json"))
    fake.on("GET", "/messages/unread", httpx.Response(200, json={"user_id": 1, "results": []}))
    async with http:
        for _ in range(2):
            with pytest.raises(errors.ServerError):
                await client.post_answer(1, "hola", "tok")
        with pytest.raises(errors.CircuitOpen):
            await client.post_answer(1, "hola", "tok")
        await client.get_item("MLA1", "tok")
        await client.get_unread("tok")
    assert [r.url.path for r in fake.requests] == ["/answers", "/answers", "/items/MLA1", "/messages/unread"]
    assert breakers.states() == {
        "answers": CircuitState.OPEN,
        "items": CircuitState.CLOSED,
        "messages": CircuitState.CLOSED,
    }


def test_breakers_share_their_settings_and_refuse_invalid_ones() -> None:
    clock = Clock()
    breakers = CircuitBreakers(failure_threshold=1, reset_timeout=10.0, clock=clock)
    breakers.for_path("/answers").record_failure()
    assert breakers.for_family("answers") is breakers.for_path("/answers")
    clock.now = 10.0
    assert breakers.for_family("answers").state is CircuitState.HALF_OPEN
    with pytest.raises(ValueError):
        CircuitBreakers(reset_timeout=0)


async def test_a_call_refused_by_an_open_breaker_spends_no_rate_permit() -> None:
    """An outage of one family must not use up (nor wait for) budget that healthy families share."""
    import httpx

    from mostrador.meli import CircuitBreakers, MeliClient, RateLimiter
    from mostrador.meli.errors import CircuitOpen

    def failing_answers(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/answers":
            return httpx.Response(
                503, json={"message": "down", "error": "service_unavailable", "status": 503}
            )
        return httpx.Response(200, json={"id": "MLA1", "title": "x"})

    limiter = RateLimiter(budgets={}, default_budget=3, window=60.0, margin=0.0)
    client = MeliClient(
        api_url="https://api.test",
        auth_url="https://auth.test",
        client_id="1",
        client_secret="s",
        http=httpx.AsyncClient(transport=httpx.MockTransport(failing_answers)),
        limiter=limiter,
        breakers=CircuitBreakers(failure_threshold=1, reset_timeout=60.0),
    )
    with pytest.raises(Exception):  # noqa: B017 - the 503 itself (after the requester's own retries)
        await client.post_answer(1, "hola", "token")
    for _ in range(5):  # the breaker is open: refused at once, no permit taken
        with pytest.raises(CircuitOpen):
            await client.post_answer(1, "hola", "token")
    await client.get_item("MLA1", "token")  # the shared default family still has budget
    await client.aclose()
