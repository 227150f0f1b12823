"""Retries: capped exponential backoff with full jitter, and never a blind re-post (§10)."""

from __future__ import annotations

import random

import httpx
import pytest
from meli_fakes import FakeMeli, RecordingSleep, make_client

from mostrador.meli import MeliClient, RetryPolicy, errors

TOKEN = "APP_USR-123-090515-abc-42"
QUESTION = {"id": 1, "status": "ANSWERED", "text": "q", "answer": {"text": "a", "status": "ACTIVE"}}


def error_body(status: int) -> dict[str, object]:
    return {"message": "boom", "error": "internal_server_error", "status": status, "cause": []}


@pytest.mark.parametrize(
    ("error", "method", "unsafe", "expected"),
    [
        (errors.ServerError(), "GET", False, True),
        (errors.TransportError(request_sent=True), "GET", False, True),
        (errors.RateLimited(), "GET", False, True),
        (errors.NotFound(), "GET", False, False),
        (errors.BadRequest(), "GET", True, False),
        (errors.CircuitOpen(), "GET", False, False),
        (errors.ServerError(), "POST", False, False),
        (errors.TransportError(request_sent=True), "POST", False, False),
        (errors.TransportError(request_sent=False), "POST", False, True),
        (errors.RateLimited(), "POST", False, True),
        (errors.ServerError(), "POST", True, True),
        (errors.ServerError(), "PUT", False, False),
        (errors.ServerError(), "DELETE", True, True),
    ],
)
def test_should_retry_only_when_safe(
    error: errors.MeliError, method: str, unsafe: bool, expected: bool
) -> None:
    assert RetryPolicy().should_retry(error, method, retry_unsafe=unsafe) is expected


def test_backoff_doubles_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=3.0, jitter=False)
    assert [policy.backoff(attempt) for attempt in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_full_jitter_stays_between_zero_and_the_ceiling() -> None:
    policy = RetryPolicy(base_delay=0.2, max_delay=5.0, jitter=True)
    rng = random.Random(7)
    for attempt in range(1, 10):
        ceiling = min(5.0, 0.2 * 2 ** (attempt - 1))
        samples = [policy.backoff(attempt, rng) for _ in range(50)]
        assert all(0.0 <= sample <= ceiling for sample in samples)
        assert len(set(samples)) > 1


def test_rate_limited_waits_at_least_retry_after() -> None:
    policy = RetryPolicy(base_delay=0.2, jitter=False)
    assert policy.delay(errors.RateLimited(retry_after=4.0), 1) == 4.0
    assert policy.delay(errors.ServerError(), 1) == 0.2


def test_invalid_policy_is_refused() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


async def test_get_retries_server_errors_then_succeeds(
    client: MeliClient, fake: FakeMeli, sleep: RecordingSleep
) -> None:
    fake.on(
        "GET",
        "/questions/1",
        httpx.Response(503, json=error_body(503)),
        httpx.Response(500, json=error_body(500)),
        httpx.Response(200, json=QUESTION),
    )
    question = await client.get_question(1, TOKEN)
    assert question.id == 1
    assert len(fake.requests) == 3
    assert sleep.delays == [0.2, 0.4]


async def test_get_gives_up_after_max_attempts(
    client: MeliClient, fake: FakeMeli, sleep: RecordingSleep
) -> None:
    fake.on("GET", "/questions/1", httpx.Response(502, json=error_body(502)))
    with pytest.raises(errors.ServerError):
        await client.get_question(1, TOKEN)
    assert len(fake.requests) == 4
    assert sleep.delays == [0.2, 0.4, 0.8]


async def test_get_retries_transport_errors(client: MeliClient, fake: FakeMeli) -> None:
    fake.on("GET", "/questions/1", httpx.ReadTimeout("slow"), httpx.Response(200, json=QUESTION))
    assert (await client.get_question(1, TOKEN)).id == 1
    assert len(fake.requests) == 2


async def test_client_errors_are_not_retried(
    client: MeliClient, fake: FakeMeli, sleep: RecordingSleep
) -> None:
    fake.json(
        "GET", "/questions/1", {"message": "question not found", "error": "not_found", "status": 404}, 404
    )
    with pytest.raises(errors.NotFound):
        await client.get_question(1, TOKEN)
    assert len(fake.requests) == 1 and sleep.delays == []


async def test_rate_limit_waits_for_retry_after(
    client: MeliClient, fake: FakeMeli, sleep: RecordingSleep
) -> None:
    fake.on(
        "GET",
        "/questions/1",
        httpx.Response(429, json=error_body(429), headers={"Retry-After": "3"}),
        httpx.Response(429, json=error_body(429)),
        httpx.Response(200, json=QUESTION),
    )
    await client.get_question(1, TOKEN)
    # Header says 3 s; without a header the policy default (1 s) beats the 0.4 s backoff.
    assert sleep.delays == [3.0, 1.0]


async def test_answer_is_not_reposted_after_a_server_error(
    client: MeliClient, fake: FakeMeli, sleep: RecordingSleep
) -> None:
    fake.on("POST", "/answers", httpx.Response(500, json=error_body(500)), httpx.Response(200, json=QUESTION))
    with pytest.raises(errors.ServerError):
        await client.post_answer(1, "Hola", TOKEN)
    assert len(fake.requests) == 1 and sleep.delays == []


async def test_answer_is_not_reposted_after_a_read_timeout(client: MeliClient, fake: FakeMeli) -> None:
    fake.on("POST", "/answers", httpx.ReadTimeout("no answer"), httpx.Response(200, json=QUESTION))
    with pytest.raises(errors.TransportError) as caught:
        await client.post_answer(1, "Hola", TOKEN)
    assert caught.value.request_sent is True
    assert len(fake.requests) == 1


async def test_answer_is_retried_when_it_never_left(client: MeliClient, fake: FakeMeli) -> None:
    fake.on("POST", "/answers", httpx.ConnectError("refused"), httpx.Response(200, json=QUESTION))
    assert (await client.post_answer(1, "Hola", TOKEN)).status == "ANSWERED"
    assert len(fake.requests) == 2


async def test_message_post_is_retried_after_429(
    client: MeliClient, fake: FakeMeli, sleep: RecordingSleep
) -> None:
    path = "/messages/packs/2000000089077943/sellers/415458330"
    created = {"id": "fd1d2e37ad004ede9e0bf25d1215002d", "text": "Hola", "status": "available"}
    fake.on("POST", path, httpx.Response(429, json=error_body(429)), httpx.Response(201, json=created))
    message = await client.send_message(2000000089077943, 415458330, 1234567890, "Hola", TOKEN)
    assert message.id == created["id"]
    assert sleep.delays == [1.0]


async def test_message_post_is_not_retried_after_5xx(client: MeliClient, fake: FakeMeli) -> None:
    path = "/messages/packs/1/sellers/2"
    fake.on("POST", path, httpx.Response(503, json=error_body(503)))
    with pytest.raises(errors.ServerError):
        await client.send_message(1, 2, 3, "Hola", TOKEN)
    assert len(fake.requests) == 1


async def test_retry_unsafe_opts_in_for_posts(client: MeliClient, fake: FakeMeli) -> None:
    fake.on("POST", "/answers", httpx.Response(500, json=error_body(500)), httpx.Response(200, json=QUESTION))
    response = await client.request(
        "POST", "/answers", token=TOKEN, json={"question_id": 1, "text": "x"}, retry_unsafe=True
    )
    assert response.status_code == 200 and len(fake.requests) == 2


async def test_jittered_delays_come_from_the_injected_rng(fake: FakeMeli) -> None:
    fake.on("GET", "/questions/1", httpx.Response(500, json=error_body(500)))
    sleep = RecordingSleep()
    policy = RetryPolicy(max_attempts=3, base_delay=1.0, jitter=True)
    meli, http = make_client(fake, sleep, retry=policy, rng=random.Random(1))
    async with http:
        with pytest.raises(errors.ServerError):
            await meli.get_question(1, TOKEN)
    expected_rng = random.Random(1)
    assert sleep.delays == [expected_rng.uniform(0, 1.0), expected_rng.uniform(0, 2.0)]
