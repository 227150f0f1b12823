"""Per-application request budgets (§10): fixed one-minute windows of sandbox time.

Besides refusing, the limiter keeps score per (app, bucket): calls admitted, calls refused with
429, the busiest minute and how many minutes saw calls (`GET /_sandbox/rate_limits`), so a test can
prove a client stayed inside its budget without reading logs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from mostrador.sandbox.config import RateLimitBudgets
from mostrador.sandbox.errors import TooManyRequests


def budget_bucket(method: str, path: str) -> str | None:
    """Which budget a call spends; §10 documents only messaging (500 rpm reads, 500 rpm writes)."""
    if path.startswith("/messages"):
        return "messaging_read" if method in ("GET", "HEAD") else "messaging_write"
    return "general"


@dataclass
class BucketScore:
    """What one app's calls in one bucket did so far."""

    admitted: int = 0
    refused: int = 0
    peak_per_minute: int = 0
    minutes: int = 0

    def view(self, app_id: int, bucket: str, limit: int | None) -> dict[str, Any]:
        return {
            "app_id": app_id,
            "bucket": bucket,
            "limit_per_minute": limit,
            "admitted": self.admitted,
            "refused": self.refused,
            "peak_per_minute": self.peak_per_minute,
            "minutes": self.minutes,
        }


class RateLimiter:
    """Counts calls per (app, bucket, minute) and refuses with the documented 429 body."""

    def __init__(self, budgets: RateLimitBudgets) -> None:
        self.budgets = budgets
        self._counts: dict[tuple[int, str, int], int] = defaultdict(int)
        self._scores: dict[tuple[int, str], BucketScore] = defaultdict(BucketScore)

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
        minute = int(now // 60)
        key = (app_id, bucket, minute)
        score = self._scores[(app_id, bucket)]
        if limit is not None and self._counts[key] >= limit:
            score.refused += 1
            raise TooManyRequests()
        if self._counts[key] == 0:
            score.minutes += 1
        self._counts[key] += 1
        score.admitted += 1
        score.peak_per_minute = max(score.peak_per_minute, self._counts[key])
        # Forget windows older than the current one so memory stays flat.
        for old in [k for k in self._counts if k[2] < minute - 1]:
            del self._counts[old]

    def scores(self) -> list[dict[str, Any]]:
        """Every (app, bucket) seen, with its limit and score."""
        return [
            score.view(app_id, bucket, self._limit(bucket))
            for (app_id, bucket), score in sorted(self._scores.items())
        ]
