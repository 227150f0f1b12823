"""Circuit breakers: stop hammering a part of Mercado Libre while it is down, probe, then resume.

After ``failure_threshold`` consecutive transport errors or 5xx answers the circuit opens and
calls fail fast with ``CircuitOpen`` for ``reset_timeout`` seconds. Then one probe call is let
through (half-open): success closes the circuit, failure opens it again. 4xx answers count as
success: the API is up and answering.

Mercado Libre is many services behind one host: answers can fail while items and messages work.
``CircuitBreakers`` keeps one breaker per endpoint family (``breaker_family``), so a failing
``POST /answers`` stops answers only.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from enum import StrEnum

from .errors import CircuitOpen

__all__ = ["CircuitBreaker", "CircuitBreakers", "CircuitState", "breaker_family"]

_VERSION = re.compile(r"v\d+", re.ASCII)


def breaker_family(path: str) -> str:
    """The part of the API a call belongs to, for its circuit breaker.

    The first path segment (``/items/…`` → ``items``, ``/answers`` → ``answers``,
    ``/messages/packs/…`` and ``/messages/unread`` → ``messages``), skipping the
    ``post-purchase`` prefix and version segments (``/post-purchase/v1/claims/…`` → ``claims``);
    a seller's item search (``/users/{id}/items/search``) belongs to ``items``.
    """
    segments = [part for part in path.split("?", 1)[0].split("/") if part]
    while segments and (segments[0] == "post-purchase" or _VERSION.fullmatch(segments[0])):
        segments = segments[1:]
    if not segments:
        return "root"
    if segments[0] == "users" and len(segments) >= 3 and segments[2] == "items":
        return "items"
    return segments[0]


class CircuitState(StrEnum):
    """Where the breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Counts consecutive failures and decides whether the next call may go out."""

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or reset_timeout <= 0:
            raise ValueError("failure_threshold must be >= 1 and reset_timeout > 0")
        self._threshold = failure_threshold
        self._reset_timeout = reset_timeout
        self._clock = clock
        self._failures = 0
        self._opened_at = 0.0
        self._state = CircuitState.CLOSED
        self._probe_started_at: float | None = None

    @property
    def state(self) -> CircuitState:
        """The current state (an open circuit reads as half-open once the cool-down is over)."""
        if self._state is CircuitState.OPEN and self._clock() - self._opened_at >= self._reset_timeout:
            return CircuitState.HALF_OPEN
        return self._state

    def refuse_if_open(self) -> None:
        """Raise ``CircuitOpen`` while the circuit is open and cooling down; change nothing (a cheap look
        before a call waits for anything, e.g. a rate permit)."""
        if self._state is CircuitState.OPEN:
            remaining = self._opened_at + self._reset_timeout - self._clock()
            if remaining > 0:
                raise CircuitOpen(retry_after=remaining)

    def before_call(self) -> None:
        """Raise ``CircuitOpen`` unless a call may go out now."""
        now = self._clock()
        if self._state is CircuitState.CLOSED:
            return
        if self._state is CircuitState.OPEN:
            remaining = self._opened_at + self._reset_timeout - now
            if remaining > 0:
                raise CircuitOpen(retry_after=remaining)
            self._state = CircuitState.HALF_OPEN
            self._probe_started_at = now
            return
        # Half-open: one probe at a time. A probe that never reports (cancelled) frees the slot
        # after another cool-down so the circuit cannot stay stuck.
        if self._probe_started_at is not None and now - self._probe_started_at < self._reset_timeout:
            raise CircuitOpen(retry_after=self._probe_started_at + self._reset_timeout - now)
        self._probe_started_at = now

    def record_success(self) -> None:
        """The API answered; close the circuit."""
        self._failures = 0
        self._state = CircuitState.CLOSED
        self._probe_started_at = None

    def record_failure(self) -> None:
        """A transport error or 5xx; open the circuit at the threshold or after a failed probe."""
        self._failures += 1
        if self._state is CircuitState.HALF_OPEN or self._failures >= self._threshold:
            self._state = CircuitState.OPEN
            self._opened_at = self._clock()
            self._probe_started_at = None


class CircuitBreakers:
    """One ``CircuitBreaker`` per endpoint family, created on first use with the same settings.

    Breakers stay per process: each process learns an outage from its own calls within
    ``failure_threshold`` of them, and sharing state would put a database round trip on every
    call's outcome.
    """

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or reset_timeout <= 0:
            raise ValueError("failure_threshold must be >= 1 and reset_timeout > 0")
        self._threshold = failure_threshold
        self._reset_timeout = reset_timeout
        self._clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}

    def for_family(self, family: str) -> CircuitBreaker:
        """The breaker of ``family`` (see ``breaker_family``)."""
        breaker = self._breakers.get(family)
        if breaker is None:
            breaker = self._breakers[family] = CircuitBreaker(
                failure_threshold=self._threshold, reset_timeout=self._reset_timeout, clock=self._clock
            )
        return breaker

    def for_path(self, path: str) -> CircuitBreaker:
        """The breaker a call to ``path`` goes through."""
        return self.for_family(breaker_family(path))

    def states(self) -> dict[str, CircuitState]:
        """The state of every family seen so far (for health pages and tests)."""
        return {family: breaker.state for family, breaker in sorted(self._breakers.items())}
