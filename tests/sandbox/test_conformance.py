"""Conformance: for every real payload under tests/fixtures/conformance/payloads, the sandbox's answer for the
same kind of resource has the same keys with the same JSON types (recursively). Deliberate differences are
listed, with their reason, in docs/sandbox-differences.md (its YAML block is loaded here)."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI, Response

from mostrador.sandbox.app import create_app
from mostrador.sandbox.config import SandboxConfig
from mostrador.sandbox.testing import running_asgi_server

from .conformance_world import PRODUCERS, World, build_world
from .test_notifications import eventually

ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = ROOT / "tests" / "fixtures" / "conformance" / "payloads"
DIFFERENCES = ROOT / "docs" / "sandbox-differences.md"
KINDS = sorted(p.name for p in PAYLOADS.iterdir() if p.is_dir())


@dataclasses.dataclass(frozen=True)
class Differences:
    skipped: dict[str, str]
    paths: dict[str, list[str]]

    def allows(self, fixture: str, path: str) -> bool:
        return any(
            path == p or path.startswith(p + ".") or path.startswith(p + "[")
            for p in self.paths.get(fixture, [])
        )


def load_differences() -> Differences:
    text = DIFFERENCES.read_text(encoding="utf-8")
    block = re.search(r"```yaml conformance\n(.*?)```", text, re.S)
    assert block, "docs/sandbox-differences.md must hold a ```yaml conformance block"
    data = yaml.safe_load(block.group(1))
    skipped = {entry["file"]: entry["reason"] for entry in data.get("skip", [])}
    paths: dict[str, list[str]] = {}
    for entry in data.get("paths", []):
        assert entry.get("reason"), f"exception without a reason: {entry}"
        paths.setdefault(entry["file"], []).extend(entry["paths"])
    return Differences(skipped, paths)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", dict: "object", list: "array", type(None): "null"}[type(value)]


def shape_mismatches(fixture: Any, actual: Any, path: str = "") -> Iterator[str]:
    """Same keys and JSON types; null in the fixture matches anything; lists compare element shapes."""
    if fixture is None:
        return
    if _json_type(fixture) != _json_type(actual):
        yield f"{path or '<root>'}: expected {_json_type(fixture)}, got {_json_type(actual)}"
        return
    if isinstance(fixture, dict):
        for key, value in fixture.items():
            child = f"{path}.{key}" if path else key
            if key not in actual:
                yield f"{child}: missing"
            else:
                yield from shape_mismatches(value, actual[key], child)
    elif isinstance(fixture, list) and fixture:
        if not actual:
            yield f"{path}[]: empty where the fixture has elements"
            return
        for index, element in enumerate(fixture):
            yield from shape_mismatches(element, actual[min(index, len(actual) - 1)], f"{path}[]")


def _check(name: str, actual: Any, differences: Differences) -> list[str]:
    fixture = json.loads((PAYLOADS / name).read_text(encoding="utf-8"))
    found = sorted(
        {m for m in shape_mismatches(fixture, actual) if not differences.allows(name, m.split(":")[0])}
    )
    return [f"{name}: {m}" for m in found]


def test_every_fixture_is_covered_or_explained() -> None:
    differences = load_differences()
    names = {f"{p.parent.name}/{p.name}" for p in PAYLOADS.glob("*/*.json")}
    notification_names = set(NOTIFICATION_TOPICS) | {"notifications/docs_missed_feeds.json"}
    uncovered = names - set(PRODUCERS) - notification_names - set(differences.skipped)
    assert not uncovered, (
        f"fixtures with no sandbox producer and no documented difference: {sorted(uncovered)}"
    )
    stale = (set(differences.skipped) | set(differences.paths)) - names
    assert not stale, f"differences listed for files that do not exist: {sorted(stale)}"


def test_shape_comparison_catches_mismatches() -> None:
    fixture = {"a": 1, "b": {"c": "x"}, "d": [{"e": True}], "f": None}
    assert list(shape_mismatches(fixture, {"a": 2.5, "b": {"c": "y"}, "d": [{"e": False}], "f": 3})) == []
    problems = list(shape_mismatches(fixture, {"a": "1", "b": {}, "d": [], "f": None}))
    assert problems == [
        "a: expected number, got string",
        "b.c: missing",
        "d[]: empty where the fixture has elements",
    ]


@pytest.fixture
async def world() -> Any:
    app = create_app(SandboxConfig(seed=3, public_url="http://127.0.0.1:8099"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8099"
    ) as http:
        yield await build_world(http)


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "notifications"])
async def test_sandbox_answers_have_the_fixture_shapes(kind: str, world: World) -> None:
    differences = load_differences()
    problems: list[str] = []
    for name, produce in PRODUCERS.items():
        if name.startswith(f"{kind}/") and name not in differences.skipped:
            problems += _check(name, await produce(world), differences)
    assert not problems, "\n".join(problems)


NOTIFICATION_TOPICS = {
    "notifications/docs_items.json": ("items", None),
    "notifications/docs_items_price.json": ("items", None),
    "notifications/docs_messages_created.json": ("messages", ["created"]),
    "notifications/docs_orders_v2.json": ("orders_v2", None),
    "notifications/docs_post_purchase_claims.json": ("post_purchase", ["claims"]),
    "notifications/docs_questions.json": ("questions", None),
    "notifications/docs_shipments.json": ("shipments", None),
    "notifications/real_messages_notification_2019.json": ("messages", ["created"]),
    "notifications/real_orders_notification_2019.json": ("orders_v2", None),
    "notifications/real_orders_notification_noshipping_2019.json": ("orders_v2", None),
    "notifications/real_orders_notification_shipping_2019.json": ("orders_v2", None),
    "notifications/real_questions_notification_2019.json": ("questions", None),
}


async def test_notification_envelopes_and_missed_feeds_have_the_fixture_shapes() -> None:
    received: list[dict[str, Any]] = []
    receiver = FastAPI()

    @receiver.post("/hook")
    async def hook(body: dict[str, Any]) -> Response:
        received.append(body)
        return Response("nope", status_code=500)

    # One failed attempt goes straight to missed feeds. The test is about shapes, not Mercado Libre's
    # 500 ms deadline: on a loaded machine a delivery could time out before the receiver saw it.
    config = SandboxConfig(seed=4, retry_schedule_s=(0.0,), notification_timeout_s=10.0)
    app = create_app(config)
    differences = load_differences()
    with running_asgi_server(receiver) as receiver_url:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as http,
        ):
            world = await build_world(http, callback_url=f"{receiver_url}/hook")
            for delivery in app.state.notifier.deliveries:
                assert delivery.status != "missed" or delivery.attempts
            await eventually(
                lambda: all(d.status == "missed" for d in app.state.notifier.deliveries), timeout_s=10
            )
            problems: list[str] = []
            for name, (topic, actions) in NOTIFICATION_TOPICS.items():
                envelope = next(
                    (e for e in received if e["topic"] == topic and e.get("actions") == actions), None
                )
                assert envelope is not None, f"no {topic} {actions} notification was delivered"
                problems += _check(name, envelope, differences)
            missed = await world.get("/missed_feeds", app_id=world.seller.app["client_id"], limit=50)
            assert missed["messages"], "failed deliveries must land in missed feeds"
            problems += _check("notifications/docs_missed_feeds.json", missed, differences)
    assert not problems, "\n".join(problems)
