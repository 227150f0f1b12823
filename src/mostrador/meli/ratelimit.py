"""In-process rate limiting per application and endpoint family, waiting instead of failing.

Mercado Libre limits mainly per application (client id) and publishes one number: the messaging
GET resources share 500 requests per minute and the messaging POST/PUT resources another 500
(§8, §10). Everything else falls in a ``default`` family with a configurable budget (the only
other figure is an app's ``max_requests_per_hour: 18000`` example, i.e. 300/min, §2.4). Limits
are a sliding 60-second window, so no minute ever holds more calls than the budget.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping

__all__ = ["DEFAULT_BUDGETS", "MESSAGING_READ", "MESSAGING_WRITE", "RateLimiter", "endpoint_family"]

MESSAGING_READ = "messaging_read"
MESSAGING_WRITE = "messaging_write"
DEFAULT_FAMILY = "default"

DEFAULT_BUDGETS: Mapping[str, int] = {MESSAGING_READ: 500, MESSAGING_WRITE: 500}


def endpoint_family(method: str, path: str) -> str:
    """The rate-limit family of a call: messaging reads, messaging writes, or ``default`` (§8)."""
    clean = path.split("?", 1)[0]
    if clean == "/messages" or clean.startswith("/messages/"):
        return MESSAGING_READ if method.upper() in {"GET", "HEAD"} else MESSAGING_WRITE
    return DEFAULT_FAMILY


class RateLimiter:
    """Admit at most ``budget`` calls per ``window`` seconds for each (application, family).

    ``acquire`` waits (FIFO per key) until the call fits. Clock and sleep are injectable so tests
    run instantly. One instance is meant to be shared by every client of the process.
    """

    def __init__(
        self,
        *,
        budgets: Mapping[str, int] | None = None,
        default_budget: int = 300,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        merged = dict(DEFAULT_BUDGETS if budgets is None else budgets)
        if any(value < 1 for value in [*merged.values(), default_budget]) or window <= 0:
            raise ValueError("budgets must be positive and the window longer than zero")
        self._budgets = merged
        self._default_budget = default_budget
        self._window = window
        self._clock = clock
        self._sleep = sleep
        self._calls: dict[tuple[str, str], deque[float]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    def budget(self, family: str) -> int:
        """Calls allowed per window for ``family``."""
        return self._budgets.get(family, self._default_budget)

    def in_window(self, application: str, family: str) -> int:
        """Calls counted in the current window (for metrics and tests)."""
        calls = self._calls.get((application, family))
        if not calls:
            return 0
        self._forget_old(calls, self._clock())
        return len(calls)

    async def acquire(self, application: str, family: str) -> float:
        """Wait until one more call fits, record it, and return how long we waited."""
        key = (application, family)
        calls = self._calls.setdefault(key, deque())
        lock = self._locks.setdefault(key, asyncio.Lock())
        budget = self.budget(family)
        waited = 0.0
        async with lock:
            while True:
                now = self._clock()
                self._forget_old(calls, now)
                if len(calls) < budget:
                    calls.append(now)
                    return waited
                pause = calls[0] + self._window - now
                waited += pause
                await self._sleep(pause)

    def _forget_old(self, calls: deque[float], now: float) -> None:
        while calls and calls[0] <= now - self._window:
            calls.popleft()
