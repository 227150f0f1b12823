"""Webhook delivery (§4.3-4.5) against real loopback servers, driven by the sandbox clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from mostrador.sandbox.config import SandboxConfig
from mostrador.sandbox.testing import running_asgi_server, running_sandbox_app

from .conftest import Actors


@dataclass
class Receiver:
    """A webhook endpoint that records every POST and answers with `status` after `delay_s`."""

    status: int = 200
    delay_s: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/notifications")
        async def receive(request: Request) -> Response:
            self.received.append(await request.json())
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            return Response(status_code=self.status)

        return app


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def receiver_url(receiver: Receiver) -> Iterator[str]:
    with running_asgi_server(receiver.app()) as url:
        yield f"{url}/notifications"


@pytest.fixture
def live_config() -> SandboxConfig:
    return SandboxConfig(seed=5, topic_switch_off_after=2)


@pytest.fixture
async def live(live_config: SandboxConfig) -> AsyncIterator[httpx.AsyncClient]:
    with running_sandbox_app(live_config) as sandbox:
        async with httpx.AsyncClient(base_url=sandbox.url, timeout=5) as http:
            yield http


async def eventually(check: Callable[[], Any], timeout_s: float = 3.0) -> Any:
    """Poll `check` until it returns something truthy; fail after the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.02)


async def _question_flow(
    live: httpx.AsyncClient, receiver_url: str
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    actors = Actors(live)
    seller = await actors.connect(await actors.app(callback_url=receiver_url, topics=["questions"]))
    item = await actors.item(seller)
    buyer = await actors.user(role="buyer")
    return seller, item, await actors.ask(buyer, item["id"])


async def test_question_and_answer_notify_immediately(
    live: httpx.AsyncClient, receiver: Receiver, receiver_url: str
) -> None:
    seller, _, question = await _question_flow(live, receiver_url)
    await eventually(lambda: len(receiver.received) == 1)
    envelope = receiver.received[0]
    assert set(envelope) == {
        "_id",
        "resource",
        "user_id",
        "topic",
        "application_id",
        "attempts",
        "sent",
        "received",
    }
    assert envelope["resource"] == f"/questions/{question['id']}" and envelope["topic"] == "questions"
    assert envelope["user_id"] == seller.user["id"] and envelope["application_id"] == seller.app["client_id"]
    assert envelope["attempts"] == 1 and envelope["sent"].endswith("Z")
    await live.post("/answers", json={"question_id": question["id"], "text": "Sí"}, headers=seller.headers)
    await eventually(lambda: len(receiver.received) == 2)
    delivered = (await live.get("/_sandbox/notifications", params={"status": "delivered"})).json()
    assert len(delivered) == 2


async def test_failures_retry_on_schedule_then_land_in_missed_feeds(
    live: httpx.AsyncClient, receiver: Receiver, receiver_url: str
) -> None:
    receiver.status = 500
    seller, _, question = await _question_flow(live, receiver_url)
    await eventually(lambda: len(receiver.received) == 1)
    for attempt, wait_s in enumerate((30, 30, 60, 120, 240, 420, 900), start=2):
        await live.post("/_sandbox/clock", json={"advance_s": wait_s - 1})
        await asyncio.sleep(0.05)
        assert len(receiver.received) == attempt - 1, f"attempt {attempt} came early"
        await live.post("/_sandbox/clock", json={"advance_s": 1})
        await eventually(lambda n=attempt: len(receiver.received) == n)
    assert [e["attempts"] for e in receiver.received] == list(range(1, 9))
    assert len({e["_id"] for e in receiver.received}) == 1
    params = {"app_id": seller.app["client_id"]}
    missed = await eventually(lambda: _missed(live, seller.headers, params))
    entry = missed[0]
    assert entry["resource"] == f"/questions/{question['id']}" and entry["attempts"] == 8
    assert entry["response"]["http_code"] == 500 and entry["request"]["url"] == receiver_url
    await live.post("/_sandbox/clock", json={"advance_s": 2 * 24 * 3600 + 1})
    refreshed = await Actors(live).token(
        seller.app, grant_type="refresh_token", refresh_token=seller.tokens["refresh_token"]
    )
    headers = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    assert await _missed(live, headers, params) == []


async def _missed(live: httpx.AsyncClient, headers: dict[str, str], params: dict[str, Any]) -> list[Any]:
    response = await live.get("/missed_feeds", params=params, headers=headers)
    assert response.status_code == 200, response.text
    messages: list[Any] = response.json()["messages"]
    return messages


async def test_slow_answer_counts_as_failure(
    live: httpx.AsyncClient, receiver: Receiver, receiver_url: str
) -> None:
    receiver.delay_s = 0.7
    await _question_flow(live, receiver_url)

    async def failed_once() -> bool:
        views = (await live.get("/_sandbox/notifications")).json()
        return bool(views and views[0]["attempts"] == 1 and views[0]["status"] == "pending")

    await eventually(failed_once)
    history = (await live.get("/_sandbox/notifications")).json()[0]["history"]
    assert history[0]["http_code"] in (0, 200) and history[0]["req_time"] >= 400


async def test_missed_feeds_items_needs_site(live: httpx.AsyncClient, receiver_url: str) -> None:
    actors = Actors(live)
    seller = await actors.connect(await actors.app(callback_url=receiver_url, topics=["items"]))
    response = await live.get(
        "/missed_feeds", params={"app_id": seller.app["client_id"], "topic": "items"}, headers=seller.headers
    )
    assert response.status_code == 400
    other = await live.get("/missed_feeds", params={"app_id": 1}, headers=seller.headers)
    assert other.status_code == 403


async def test_topic_switched_off_after_repeated_misses(
    live: httpx.AsyncClient, receiver: Receiver, receiver_url: str
) -> None:
    receiver.status = 503
    _, item, _ = await _question_flow(live, receiver_url)
    buyer = await Actors(live).user(role="buyer")
    await Actors(live).ask(buyer, item["id"], "segunda")
    await eventually(lambda: len(receiver.received) == 2)
    await live.post("/_sandbox/clock", json={"advance_s": 3600})
    await eventually(lambda: len(receiver.received) == 16, timeout_s=5)

    async def switched_off() -> bool:
        apps = (await live.get("/_sandbox/apps")).json()
        return apps[0]["switched_off_topics"] == ["questions"]

    await eventually(switched_off)
    await Actors(live).ask(buyer, item["id"], "tercera")
    assert len((await live.get("/_sandbox/notifications")).json()) == 2


async def test_duplicate_fault_sends_two_notifications(
    live: httpx.AsyncClient, receiver: Receiver, receiver_url: str
) -> None:
    await live.put("/_sandbox/faults", json={"notification": {"duplicate_rate": 1.0}})
    await _question_flow(live, receiver_url)
    await eventually(lambda: len(receiver.received) == 2)
    assert receiver.received[0]["resource"] == receiver.received[1]["resource"]
    assert receiver.received[0]["_id"] != receiver.received[1]["_id"]
