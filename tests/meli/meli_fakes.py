"""In-memory Mercado Libre for client tests: an ``httpx.MockTransport`` with scripted answers.

Only the outer edge is faked (the HTTP transport); the client's own code runs unchanged.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict, deque
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from mostrador.meli import CircuitBreakers, MeliClient, RateLimiter, RetryPolicy

PAYLOADS = Path(__file__).resolve().parent.parent / "fixtures" / "conformance" / "payloads"
API_URL = "https://api.test"
AUTH_URL = "https://auth.test"

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def payload(relative: str) -> Any:
    """A recorded payload from tests/fixtures/conformance/payloads."""
    return json.loads((PAYLOADS / relative).read_text(encoding="utf-8"))


class FakeMeli:
    """Scripted answers per (method, path), consumed in order; every request is recorded."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self._answers: dict[tuple[str, str], deque[Answer]] = defaultdict(deque)

    def on(self, method: str, path: str, *answers: Answer) -> None:
        self._answers[(method, path)].extend(answers)

    def json(self, method: str, path: str, body: Any, status: int = 200, **headers: str) -> None:
        self.on(method, path, httpx.Response(status, json=body, headers=headers))

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self._answers.get((request.method, request.url.path))
        if not queue:
            return httpx.Response(
                404, json={"message": "no scripted answer", "error": "not_found", "status": 404}
            )
        answer = queue.popleft() if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def form(self, request: httpx.Request) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(request.content.decode()).items()}


class RecordingSleep:
    """An injectable ``sleep`` that records the delays and advances a fake clock."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.now = 1000.0

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def make_client(
    fake: FakeMeli,
    sleep: RecordingSleep | None = None,
    *,
    retry: RetryPolicy | None = None,
    limiter: RateLimiter | None = None,
    breakers: CircuitBreakers | None = None,
    rng: random.Random | None = None,
) -> tuple[MeliClient, httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=fake.transport())
    client = MeliClient(
        api_url=API_URL,
        auth_url=AUTH_URL,
        client_id="123",
        client_secret="s3cret",
        http=http,
        retry=retry or RetryPolicy(max_attempts=4, base_delay=0.2, max_delay=5.0, jitter=False),
        limiter=limiter,
        breakers=breakers,
        sleep=sleep or RecordingSleep(),
        rng=rng,
    )
    return client, http
