"""Fault injection and per-application rate limits (§10)."""

import dataclasses

import httpx

from mostrador.sandbox.app import create_app
from mostrador.sandbox.config import RateLimitBudgets, SandboxConfig

from .conftest import Actors

TOO_MANY = {"message": "Too Many Requests", "error": "too_many_requests", "status": 429, "cause": []}


async def test_faults_hit_only_matching_paths(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    item = await actors.item(seller)
    settings = {"error_rate": 1.0, "error_statuses": [503], "path_pattern": "^/items/"}
    assert (await client.put("/_sandbox/faults", json=settings)).status_code == 200
    failed = await client.get(f"/items/{item['id']}")
    assert failed.status_code == 503
    assert failed.json() == {
        "message": "Service Unavailable",
        "error": "service_unavailable",
        "status": 503,
        "cause": [],
    }
    assert (await client.get("/users/me", headers=seller.headers)).status_code == 200
    assert (await client.get("/_sandbox/faults")).json()["error_rate"] == 1.0
    await client.put("/_sandbox/faults", json={})
    assert (await client.get(f"/items/{item['id']}")).status_code == 200


async def test_fault_rolls_are_deterministic_per_seed(config: SandboxConfig) -> None:
    async def statuses() -> list[int]:
        transport = httpx.ASGITransport(app=create_app(config))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            await http.put("/_sandbox/faults", json={"error_rate": 0.5, "error_statuses": [500, 429]})
            return [(await http.get("/sites")).status_code for _ in range(20)]

    first = await statuses()
    assert first == await statuses()
    assert 200 in first and set(first) - {200}, "a 50% error rate must produce both outcomes"


async def test_bad_fault_settings_are_refused(client: httpx.AsyncClient) -> None:
    assert (await client.put("/_sandbox/faults", json={"error_statuses": [418]})).status_code == 400
    assert (await client.put("/_sandbox/faults", json={"error_rate": 2})).status_code == 400


async def test_general_budget_per_app_per_minute(config: SandboxConfig) -> None:
    limited = dataclasses.replace(config, rate_limits=RateLimitBudgets(general_per_minute=3))
    transport = httpx.ASGITransport(app=create_app(limited))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        seller = await Actors(http).connect()
        codes = [(await http.get("/users/me", headers=seller.headers)).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = await http.get("/users/me", headers=seller.headers)
        assert refused.json() == TOO_MANY
        # Another app has its own budget.
        other = await Actors(http).connect()
        assert (await http.get("/users/me", headers=other.headers)).status_code == 200
        await http.post("/_sandbox/clock", json={"advance_s": 60})
        assert (await http.get("/users/me", headers=seller.headers)).status_code == 200


async def test_reset_forgets_everything(client: httpx.AsyncClient, actors: Actors) -> None:
    seller = await actors.connect()
    await client.put("/_sandbox/faults", json={"latency_ms": 1})
    assert (await client.post("/_sandbox/reset")).status_code == 200
    assert (await client.get("/users/me", headers=seller.headers)).status_code == 401
    assert (await client.get("/_sandbox/users")).json() == []
    assert (await client.get("/_sandbox/faults")).json()["latency_ms"] == 0


async def test_dropped_notifications_never_exist(client: httpx.AsyncClient, actors: Actors) -> None:
    app = await actors.app(callback_url="http://127.0.0.1:9/hook", topics=["questions"])
    seller = await actors.connect(app)
    item = await actors.item(seller)
    buyer = await actors.user(role="buyer")
    await client.put("/_sandbox/faults", json={"notification": {"drop_rate": 1.0}})
    await actors.ask(buyer, item["id"])
    assert (await client.get("/_sandbox/notifications")).json() == []
    await client.put("/_sandbox/faults", json={})
    await actors.ask(buyer, item["id"], "otra")
    queued = (await client.get("/_sandbox/notifications", params={"topic": "questions"})).json()
    assert len(queued) == 1 and queued[0]["user_id"] == seller.user["id"]
