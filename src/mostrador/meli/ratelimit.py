"""Rate limiting per application and endpoint family, waiting instead of failing.

Mercado Libre limits mainly per application (client id) and publishes one number: the messaging
GET resources share 500 requests per minute and the messaging POST/PUT resources another 500
(§8, §10). Everything else falls in a ``default`` family with a configurable budget (the only
other figure is an app's ``max_requests_per_hour: 18000`` example, i.e. 300/min, §2.4).

The window Mercado Libre counts in is not documented, so the limiter is conservative: no interval
of ``window + margin`` seconds holds more than the budget, whatever the alignment of the server's
windows. Half of the margin absorbs a permit used late (a busy event loop wakes a sleeper late; a
permit later than that is given back and a new one taken), the other half the spread of request
latencies between our clock and the server's count.

Where permits come from is a ``BudgetBackend``: ``MemoryBudget`` here (one process, exact), or a
store shared by every process of the application (Mostrador keeps one in its database).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "DEFAULT_BUDGETS",
    "DEFAULT_FAMILY",
    "MESSAGING_READ",
    "MESSAGING_WRITE",
    "BudgetBackend",
    "MemoryBudget",
    "Rate",
    "RateLimiter",
    "endpoint_family",
]

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


@dataclass(frozen=True, slots=True)
class Rate:
    """At most ``permits`` calls in any interval of ``per`` seconds."""

    permits: int
    per: float

    def __post_init__(self) -> None:
        if self.permits < 1 or self.per <= 0:
            raise ValueError("a rate needs at least one permit over a positive interval")


class BudgetBackend(Protocol):
    """Where permits come from: one process's memory, or a store every process shares."""

    async def reserve(self, application: str, family: str, rate: Rate) -> float:
        """Take one permit of (application, family) under ``rate``; return the seconds to wait before
        using it (0: now). The permit is spent whether it is used or not; a backend that hands
        permits out late (e.g. from a block taken earlier) must count that lateness in its pacing."""
        ...


class MemoryBudget:
    """An exact sliding log in this process: the n-th permit is never earlier than the (n-budget)-th
    plus the interval, so no interval holds more than the budget. Waiters are served in order.

    Right for a single process (SQLite deployments run web and workers in one); it coordinates
    nothing across processes. The clock is injectable so tests run instantly.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._slots: dict[tuple[str, str], deque[float]] = {}

    async def reserve(self, application: str, family: str, rate: Rate) -> float:
        now = self._clock()
        key = (application, family)
        slots = self._slots.get(key)
        if slots is None or slots.maxlen != rate.permits:
            slots = self._slots[key] = deque(slots or (), maxlen=rate.permits)
        # Slots never decrease, so slots[0] is the budget-th most recent one once the log is full.
        slot = max(now, slots[0] + rate.per) if len(slots) == rate.permits else now
        slots.append(slot)
        return slot - now

    def in_window(self, application: str, family: str, per: float) -> int:
        """Permits whose time falls in the last ``per`` seconds (for metrics and tests)."""
        now = self._clock()
        return sum(1 for slot in self._slots.get((application, family), ()) if now - per < slot <= now)


class RateLimiter:
    """Admit at most ``budget`` calls per ``window + margin`` seconds for each (application, family).

    ``acquire`` waits until the call fits rather than failing. Clock and sleep are injectable so
    tests run instantly (``margin=0`` turns off the lateness check, for fake clocks). One instance
    is shared by every client of the process; with a shared ``backend`` every process of the
    application draws from the same budget.
    """

    def __init__(
        self,
        *,
        budgets: Mapping[str, int] | None = None,
        default_budget: int = 300,
        window: float = 60.0,
        margin: float = 2.0,
        backend: BudgetBackend | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        merged = dict(DEFAULT_BUDGETS if budgets is None else budgets)
        if any(value < 1 for value in [*merged.values(), default_budget]):
            raise ValueError("budgets must be positive")
        if window <= 0 or margin < 0:
            raise ValueError("the window must be longer than zero and the margin not negative")
        self._budgets = merged
        self._default_budget = default_budget
        self._window = window
        self._margin = margin
        self._clock = clock
        self._sleep = sleep
        self.backend: BudgetBackend = backend if backend is not None else MemoryBudget(clock=clock)

    def budget(self, family: str) -> int:
        """Calls allowed per window for ``family``."""
        return self._budgets.get(family, self._default_budget)

    def rate(self, family: str) -> Rate:
        """What the backend enforces for ``family``: the budget over the window plus the margin."""
        return Rate(self.budget(family), self._window + self._margin)

    async def acquire(self, application: str, family: str) -> float:
        """Wait until one more call fits, and return how long we waited."""
        rate = self.rate(family)
        tolerance = self._margin / 2
        waited = 0.0
        while True:
            wait = await self.backend.reserve(application, family, rate)
            started = self._clock()
            if wait > 0:
                await self._sleep(wait)
            elapsed = self._clock() - started
            waited += elapsed
            if self._margin == 0 or elapsed - wait <= tolerance:
                return waited  # no margin: nothing to keep lateness within (fake clocks in tests)
            # Woken too late: the permit's moment has passed and using it now could crowd a later
            # interval. It stays spent (never reused); take a fresh one.
