"""Per-application request budgets (§10): fixed one-minute windows of sandbox time."""

from __future__ import annotations

from collections import defaultdict

from mostrador.sandbox.config import RateLimitBudgets
from mostrador.sandbox.errors import TooManyRequests


def budget_bucket(method: str, path: str) -> str | None:
    """Which budget a call spends; §10 documents only messaging (500 rpm reads, 500 rpm writes)."""
    if path.startswith("/messages"):
        return "messaging_read" if method in ("GET", "HEAD") else "messaging_write"
    return "general"


class RateLimiter:
    """Counts calls per (app, bucket, minute) and refuses with the documented 429 body."""

    def __init__(self, budgets: RateLimitBudgets) -> None:
        self.budgets = budgets
        self._counts: dict[tuple[int, str, int], int] = defaultdict(int)

    def _limit(self, bucket: str) -> int | None:
        if bucket == "messaging_read":
            return self.budgets.messaging_read_per_minute
        if bucket == "messaging_write":
            return self.budgets.messaging_write_per_minute
        return self.budgets.general_per_minute

    def check(self, app_id: int, method: str, path: str, now: float) -> None:
        bucket = budget_bucket(method, path)
        if bucket is None:
            return
        limit = self._limit(bucket)
        if limit is None:
            return
        minute = int(now // 60)
        key = (app_id, bucket, minute)
        if self._counts[key] >= limit:
            raise TooManyRequests()
        self._counts[key] += 1
        # Forget windows older than the current one so memory stays flat.
        for old in [k for k in self._counts if k[2] < minute - 1]:
            del self._counts[old]
