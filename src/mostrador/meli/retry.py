"""When to retry a failed call and how long to wait: capped exponential backoff, full jitter.

Mercado Libre asks for exponential back-off with jitter (§10 "Rate limits"). A retry is only
safe when repeating the call cannot do the work twice: GETs always; POST/PUT/DELETE only when
the request certainly had no effect (it never left, or the answer was 429), unless the caller
opts in with ``retry_unsafe=True``. Answers and messages are never blindly re-posted after a 5xx
or a read timeout: the caller re-reads the question or thread first (ARCHITECTURE "Outbound").
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .errors import CircuitOpen, MeliError, RateLimited, ServerError, TransportError

__all__ = ["SAFE_METHODS", "RetryPolicy"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many attempts a call gets and how long to wait between them.

    ``rate_limit_delay`` is the wait after a 429 without ``Retry-After`` (the API documents no
    such header, §10); a 429 always waits at least the server's or this default.
    """

    max_attempts: int = 4
    base_delay: float = 0.2
    max_delay: float = 5.0
    jitter: bool = True
    rate_limit_delay: float = 1.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.rate_limit_delay < 0:
            raise ValueError("delays cannot be negative")

    def should_retry(self, error: MeliError, method: str, *, retry_unsafe: bool = False) -> bool:
        """Whether ``error`` on a ``method`` call may be retried without doing the work twice."""
        if isinstance(error, CircuitOpen):
            return False  # failing fast is the point; the breaker decides when to try again
        if not isinstance(error, TransportError | RateLimited | ServerError):
            return False
        if method.upper() in SAFE_METHODS or retry_unsafe:
            return True
        if isinstance(error, RateLimited):
            return True  # a 429 is refused before any work happens
        return isinstance(error, TransportError) and not error.request_sent

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Wait after failed attempt number ``attempt`` (1-based): full jitter over a capped exponential."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        if not self.jitter:
            return ceiling
        return (rng or random).uniform(0.0, ceiling)

    def delay(self, error: MeliError, attempt: int, rng: random.Random | None = None) -> float:
        """Wait before retrying after ``error``; never shorter than a 429's ``retry_after``."""
        wait = self.backoff(attempt, rng)
        if isinstance(error, RateLimited):
            wait = max(wait, error.retry_after)
        return wait
