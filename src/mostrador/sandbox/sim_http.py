"""The simulator's only way to the sandbox: HTTP calls with back-off on 429 and 5xx.

Errors::

    SimulatorError                 anything the simulator cannot get past
    ├── SimulatorSetupError        no sandbox, no sellers or no listings to talk about
    └── SandboxRequestFailed       one call refused (4xx) or still failing after every retry
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx

# §10: 429 and 5xx are transient; the rate-limit FAQ asks for exponential back-off with jitter.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class SimulatorError(Exception):
    """The buyer simulator could not do what it was asked."""


class SimulatorSetupError(SimulatorError):
    """The sandbox has nothing to simulate against (unreachable, no sellers or no active listings)."""


class SandboxRequestFailed(SimulatorError):
    """A sandbox call was refused or kept failing; `status` is None for transport errors."""

    def __init__(self, method: str, path: str, status: int | None, body: Any) -> None:
        super().__init__(
            f"{method} {path} failed with {status if status is not None else 'no response'}: {body}"
        )
        self.status = status
        self.body = body


class SandboxGateway:
    """Sends requests as a given user, retrying transient failures with jittered exponential back-off."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        max_retries: int,
        backoff_base_s: float,
        backoff_max_s: float,
        jitter: random.Random,
        stop: asyncio.Event,
    ) -> None:
        self._client = client
        self._max_retries = max_retries
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._jitter = jitter
        self._stop = stop
        self.retries = 0

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> Any:
        """The decoded JSON body of a 2xx answer; raises `SandboxRequestFailed` otherwise."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        attempt = 0
        while True:
            status: int | None
            try:
                response = await self._client.request(
                    method, path, headers=headers, json=json, params=params, files=files
                )
                status, body = response.status_code, _decode(response)
            except httpx.TransportError as exc:
                status, body = None, repr(exc)
            if status is not None and status < 300:
                return body
            retryable = status is None or status in RETRYABLE_STATUSES
            if not retryable or attempt >= self._max_retries or self._stop.is_set():
                raise SandboxRequestFailed(method, path, status, body)
            attempt += 1
            self.retries += 1
            await self._pause(self._delay(attempt))

    def _delay(self, attempt: int) -> float:
        ceiling = min(self._backoff_max_s, self._backoff_base_s * 2 ** (attempt - 1))
        return ceiling / 2 + self._jitter.random() * ceiling / 2

    async def _pause(self, seconds: float) -> None:
        """Wait, but wake at once when the run is being stopped."""
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        except TimeoutError:
            return


def _decode(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
