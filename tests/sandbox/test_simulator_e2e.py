"""The simulator against a real sandbox server on a loopback port: what it reports really exists there."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner

from mostrador.sandbox.catalog import demo_listings
from mostrador.sandbox.server import free_port
from mostrador.sandbox.simulator import (
    SimulatorConfig,
    SimulatorSetupError,
    SimulatorStats,
    register_simulate,
    run_simulator,
)
from mostrador.sandbox.testing import running_sandbox

FAST = {"speed": float("inf"), "backoff_base_s": 0.001, "backoff_max_s": 0.01}


@pytest.fixture
def sandbox_url() -> Iterator[str]:
    with running_sandbox() as url:
        yield url


async def open_shop(url: str, site_id: str, listings: int) -> dict[str, Any]:
    """A seller on `site_id` with the first `listings` demo listings, created over HTTP."""
    async with httpx.AsyncClient(base_url=url) as client:
        seller = (await client.post("/_sandbox/users", json={"site_id": site_id, "role": "seller"})).json()
        for body in demo_listings(site_id)[:listings]:
            response = await client.post("/items", json=body, headers=_auth(seller))
            assert response.status_code == 201, response.text
    return dict(seller)


def _auth(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {user['access_token']}"}


def _config(url: str, **overrides: Any) -> SimulatorConfig:
    values: dict[str, Any] = {
        "sandbox_url": url,
        "seed": 42,
        "sites": ("MLA", "MLB"),
        "buyers_per_site": 2,
        "messages_per_minute": 0,
        "claims_per_minute": 0,
        "max_events": 24,
        **FAST,
    }
    values.update(overrides)
    return SimulatorConfig(**values)


async def test_questions_and_orders_it_reports_exist_in_the_sandbox(sandbox_url: str) -> None:
    sellers = {site: await open_shop(sandbox_url, site, 6) for site in ("MLA", "MLB")}
    stats = await run_simulator(_config(sandbox_url, questions_per_minute=10, purchases_per_minute=5))

    assert stats.events == 24 and stats.failed == 0
    assert stats.questions + stats.purchases == 24
    assert stats.questions >= 8 and stats.purchases >= 3
    assert (stats.buyers_created, stats.sellers, stats.listings) == (4, 2, 12)
    async with httpx.AsyncClient(base_url=sandbox_url) as client:
        buyers = {u["id"]: u for u in (await client.get("/_sandbox/users", params={"role": "buyer"})).json()}
        for event in (e for e in stats.transcript if e.kind == "question"):
            question = (
                await client.get(f"/questions/{event.resource_id}", params={"api_version": "4"})
            ).json()
            assert question["text"] == event.text
            assert question["buyer_id"] in buyers
            assert question["seller_id"] == sellers[event.site_id]["id"]
        bought: Counter[str] = Counter()
        for event in (e for e in stats.transcript if e.kind == "purchase"):
            order = (
                await client.get(f"/orders/{event.resource_id}", headers=_auth(sellers[event.site_id]))
            ).json()
            assert order["buyer"]["id"] in buyers
            item_id, quantity = str(event.detail).split(" x")
            assert order["order_items"][0]["item"]["id"] == item_id
            bought[item_id] += int(quantity)
        items = (await client.get("/_sandbox/items")).json()
    initial = {
        body["title"]: body["available_quantity"] for site in ("MLA", "MLB") for body in demo_listings(site)
    }
    for item in items:
        assert item["available_quantity"] == initial[item["title"]] - bought[item["id"]]


async def test_same_seed_same_traffic_on_fresh_sandboxes() -> None:
    runs: list[SimulatorStats] = []
    for _ in range(2):
        with running_sandbox() as url:
            await open_shop(url, "MLA", 4)
            await open_shop(url, "MLB", 4)
            runs.append(await run_simulator(_config(url, seed=9, max_events=15, purchases_per_minute=3)))
    first, second = (
        [(e.kind, e.site_id, e.text, e.detail, e.resource_id) for e in r.transcript] for r in runs
    )
    assert first == second
    assert len({e[2] for e in first if e[0] == "question"}) > 5


async def test_transient_errors_are_retried_and_the_run_goes_on(sandbox_url: str) -> None:
    await open_shop(sandbox_url, "MLA", 4)
    async with httpx.AsyncClient(base_url=sandbox_url) as client:
        faults = {"error_rate": 0.4, "error_statuses": [429, 503], "path_pattern": "^/questions"}
        assert (await client.put("/_sandbox/faults", json=faults)).status_code == 200
    stats = await run_simulator(
        _config(sandbox_url, sites=("MLA",), max_events=15, purchases_per_minute=0, max_retries=8)
    )
    assert stats.retries > 0
    assert stats.questions == 15 and stats.failed == 0
    async with httpx.AsyncClient(base_url=sandbox_url) as client:
        assert (await client.put("/_sandbox/faults", json={"error_rate": 0})).status_code == 200
        for question_id in stats.question_ids:
            assert (await client.get(f"/questions/{question_id}")).status_code == 200


async def test_refused_calls_are_counted_not_raised(sandbox_url: str) -> None:
    await open_shop(sandbox_url, "MLA", 3)
    async with httpx.AsyncClient(base_url=sandbox_url) as client:
        faults = {"error_rate": 1.0, "error_statuses": [500], "path_pattern": "^/questions"}
        assert (await client.put("/_sandbox/faults", json=faults)).status_code == 200
    stats = await run_simulator(
        _config(sandbox_url, sites=("MLA",), max_events=4, purchases_per_minute=0, max_retries=1)
    )
    assert (stats.events, stats.failed, stats.questions) == (4, 4, 0)
    assert all(not e.ok and e.detail == "http 500" for e in stats.transcript)


async def test_a_bare_sandbox_is_a_setup_error_unless_a_demo_shop_is_asked_for(sandbox_url: str) -> None:
    with pytest.raises(SimulatorSetupError, match="no active listings"):
        await run_simulator(_config(sandbox_url, max_events=1))
    stats = await run_simulator(_config(sandbox_url, sites=("MLM",), max_events=3, create_demo_shop=True))
    assert stats.listings == len(demo_listings("MLM")) and stats.sellers == 1
    assert stats.questions + stats.purchases == 3


async def test_an_unreachable_sandbox_is_a_setup_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SimulatorSetupError, match="cannot reach"):
        await run_simulator(_config(url, max_retries=1))


async def test_a_run_without_limits_ends_when_stopped(sandbox_url: str) -> None:
    await open_shop(sandbox_url, "MLA", 2)
    stop = asyncio.Event()
    config = _config(
        sandbox_url,
        sites=("MLA",),
        max_events=None,
        duration_s=None,
        speed=1.0,
        questions_per_minute=0.01,
        purchases_per_minute=0,
    )
    run = asyncio.create_task(run_simulator(config, stop))
    asyncio.get_running_loop().call_soon(stop.set)
    stats = await asyncio.wait_for(run, timeout=10)
    assert stats.events == 0 and stats.transcript == []


def test_simulate_command_prints_json_stats(sandbox_url: str) -> None:
    asyncio.run(open_shop(sandbox_url, "MLB", 3))
    app = typer.Typer()
    register_simulate(app)

    @app.command("noop")
    def noop() -> None:
        """A second command so typer keeps `simulate` as a named sub-command."""

    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--sandbox-url",
            sandbox_url,
            "--seed",
            "3",
            "--sites",
            "MLB",
            "--max-events",
            "6",
            "--speed",
            "inf",
            "--purchases-per-minute",
            "0",
            "--messages-per-minute",
            "0",
            "--claims-per-minute",
            "0",
            "--transcript",
        ],
    )
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["questions"] == 6 and len(stats["question_ids"]) == 6
    assert len(stats["transcript"]) == 6 and all(e["kind"] == "question" for e in stats["transcript"])
    assert sum(stats["intents"].values()) >= 6


async def test_post_sale_messages_and_photos_it_reports_exist_in_the_sandbox(sandbox_url: str) -> None:
    sellers = {site: await open_shop(sandbox_url, site, 5) for site in ("MLA", "MLB")}
    config = _config(
        sandbox_url,
        seed=4,
        max_events=30,
        questions_per_minute=2,
        purchases_per_minute=4,
        messages_per_minute=8,
        attachment_share=0.5,
    )
    stats = await run_simulator(config)

    assert stats.failed == 0
    assert stats.messages >= 8 and len(stats.message_ids) == stats.messages
    assert 0 < stats.attachments < stats.messages
    with_photo = 0
    async with httpx.AsyncClient(base_url=sandbox_url) as client:
        for event in (e for e in stats.transcript if e.kind == "message"):
            seller = sellers[event.site_id]
            response = await client.get(
                f"/messages/{event.resource_id}",
                params={"tag": "post_sale", "mark_as_read": "false"},
                headers=_auth(seller),
            )
            assert response.status_code == 200, response.text
            (message,) = response.json()["messages"]
            assert message["text"] == event.text
            assert str(message["to"]["user_id"]) == str(seller["id"])
            photos = message["message_attachments"] or []
            with_photo += len(photos)
            assert all(p["original_filename"].endswith(".png") for p in photos)
    assert with_photo == stats.attachments


async def test_claims_and_claim_messages_it_reports_exist_in_the_sandbox(sandbox_url: str) -> None:
    sellers = {site: await open_shop(sandbox_url, site, 5) for site in ("MLA", "MLB")}
    config = _config(
        sandbox_url,
        seed=8,
        max_events=30,
        questions_per_minute=1,
        purchases_per_minute=4,
        messages_per_minute=1,
        claims_per_minute=6,
    )
    stats = await run_simulator(config)

    assert stats.failed == 0
    assert stats.claims >= 4 and stats.claim_messages > stats.claims
    async with httpx.AsyncClient(base_url=sandbox_url) as client:
        for event in (e for e in stats.transcript if e.kind == "claim"):
            seller = sellers[event.site_id]
            claim = (
                await client.get(f"/post-purchase/v1/claims/{event.resource_id}", headers=_auth(seller))
            ).json()
            assert claim["reason_id"] == event.detail
            assert int(claim["resource_id"]) in stats.order_ids
            sent = [
                e.text
                for e in stats.transcript
                if e.kind == "claim_message" and e.resource_id == event.resource_id
            ]
            messages = (
                await client.get(
                    f"/post-purchase/v1/claims/{event.resource_id}/messages", headers=_auth(seller)
                )
            ).json()
            assert sent and sorted(m["message"] for m in messages) == sorted(sent)
