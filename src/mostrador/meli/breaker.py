"""A circuit breaker: stop hammering Mercado Libre while it is down, probe, then resume.

After ``failure_threshold`` consecutive transport errors or 5xx answers the circuit opens and
calls fail fast with ``CircuitOpen`` for ``reset_timeout`` seconds. Then one probe call is let
through (half-open): success closes the circuit, failure opens it again. 4xx answers count as
success: the API is up and answering.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

from .errors import CircuitOpen

__all__ = ["CircuitBreaker", "CircuitState"]


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
