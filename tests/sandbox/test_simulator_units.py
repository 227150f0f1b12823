"""Simulator parts that need no server: the arrival schedule, config checks, PNG photos, HTTP back-off."""

from __future__ import annotations

import asyncio
import itertools
import random
import struct
import zlib
from collections import Counter

import httpx
import pytest

from mostrador.sandbox.sim_http import SandboxGateway, SandboxRequestFailed
from mostrador.sandbox.sim_png import PNG_SIGNATURE, buyer_photo, make_png
from mostrador.sandbox.simulator import SimulatorConfig, event_schedule


def _config(**overrides: object) -> SimulatorConfig:
    return SimulatorConfig(sandbox_url="http://127.0.0.1:1", **overrides)  # type: ignore[arg-type]


def test_schedule_is_seeded_increasing_and_follows_the_rates() -> None:
    config = _config(
        seed=5, questions_per_minute=30, purchases_per_minute=10, messages_per_minute=10, claims_per_minute=0
    )
    first = list(itertools.islice(event_schedule(config), 4000))
    assert first == list(itertools.islice(event_schedule(config), 4000))
    assert first != list(itertools.islice(event_schedule(_config(seed=6)), 4000))
    times = [t for t, _ in first]
    assert all(b > a for a, b in itertools.pairwise(times))
    kinds = Counter(kind for _, kind in first)
    assert kinds["claim"] == 0
    assert 0.55 < kinds["question"] / len(first) < 0.65
    # 50 events per minute: 4000 events take about 80 simulated minutes.
    assert 70 * 60 < times[-1] < 90 * 60


@pytest.mark.parametrize(
    "overrides",
    [
        {"questions_per_minute": -1},
        {
            "questions_per_minute": 0,
            "purchases_per_minute": 0,
            "messages_per_minute": 0,
            "claims_per_minute": 0,
        },
        {"sites": ("MLX",)},
        {"sites": ()},
        {"attachment_share": 1.5},
        {"speed": 0},
        {"buyers_per_site": 0},
    ],
)
def test_config_refuses_impossible_runs(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        _config(**overrides)


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png.startswith(PNG_SIGNATURE)
    chunks, offset = [], len(PNG_SIGNATURE)
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind, data = png[offset + 4 : offset + 8], png[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", png[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF
        chunks.append((kind, data))
        offset += 12 + length
    return chunks


def test_photos_are_valid_pngs_that_differ() -> None:
    png = make_png(4, 3, (10, 20, 30))
    chunks = _chunks(png)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks[0][1][:10])
    assert (width, height, depth, colour_type) == (4, 3, 8, 2)
    assert zlib.decompress(chunks[1][1]) == (b"\x00" + bytes((10, 20, 30)) * 4) * 3
    rng = random.Random(1)
    photos = [buyer_photo(rng) for _ in range(5)]
    assert len(set(photos)) == 5 and all(len(p) < 4096 for p in photos)
    with pytest.raises(ValueError):
        make_png(0, 1, (0, 0, 0))


def _gateway(handler, stop: asyncio.Event, retries: int = 3) -> tuple[SandboxGateway, httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://127.0.0.1:9")
    gateway = SandboxGateway(
        client,
        max_retries=retries,
        backoff_base_s=0.001,
        backoff_max_s=0.004,
        jitter=random.Random(0),
        stop=stop,
    )
    return gateway, client


async def test_gateway_retries_429_and_5xx_then_succeeds() -> None:
    statuses = iter([429, 503, 500, 201])
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        status = next(statuses)
        return httpx.Response(status, json={"id": 7} if status == 201 else {"status": status})

    gateway, client = _gateway(handler, asyncio.Event())
    async with client:
        assert await gateway.call("POST", "/questions", token="APP_USR-1", json={}) == {"id": 7}
    assert gateway.retries == 3
    assert seen == ["Bearer APP_USR-1"] * 4


async def test_gateway_gives_up_after_its_retries_and_never_retries_a_4xx() -> None:
    calls = Counter[str]()

    def handler(request: httpx.Request) -> httpx.Response:
        calls[request.url.path] += 1
        return httpx.Response(503 if request.url.path == "/busy" else 400, json={"error": "bad_request"})

    gateway, client = _gateway(handler, asyncio.Event(), retries=2)
    async with client:
        with pytest.raises(SandboxRequestFailed) as busy:
            await gateway.call("GET", "/busy")
        with pytest.raises(SandboxRequestFailed) as refused:
            await gateway.call("GET", "/refused")
    assert (busy.value.status, calls["/busy"]) == (503, 3)
    assert (refused.value.status, calls["/refused"]) == (400, 1)
    assert refused.value.body == {"error": "bad_request"}


async def test_gateway_stops_retrying_once_the_run_is_stopped() -> None:
    stop = asyncio.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        stop.set()
        raise httpx.ConnectError("refused", request=request)

    gateway, client = _gateway(handler, stop, retries=50)
    async with client:
        with pytest.raises(SandboxRequestFailed) as failed:
            await gateway.call("GET", "/anything")
    assert failed.value.status is None
    assert gateway.retries == 0
