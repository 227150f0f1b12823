"""Sandbox time: real time scaled by `speed` plus an offset, so tests move hours ahead without sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone


class SandboxClock:
    """A controllable clock; sandbox seconds = real elapsed seconds x speed + offset."""

    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        self._anchor_real = time.monotonic()
        self._anchor_sandbox = (start or datetime.now(UTC)).timestamp()
        self._speed = speed

    @property
    def speed(self) -> float:
        return self._speed

    def timestamp(self) -> float:
        """Current sandbox time as POSIX seconds."""
        return self._anchor_sandbox + (time.monotonic() - self._anchor_real) * self._speed

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self._rebase()
        self._anchor_sandbox += seconds

    def set_speed(self, speed: float) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._rebase()
        self._speed = speed

    def real_seconds_until(self, sandbox_ts: float) -> float:
        """Real seconds to wait until the clock shows `sandbox_ts` (infinite when the clock is frozen)."""
        remaining = sandbox_ts - self.timestamp()
        if remaining <= 0:
            return 0.0
        return remaining / self._speed if self._speed > 0 else float("inf")

    def _rebase(self) -> None:
        self._anchor_sandbox = self.timestamp()
        self._anchor_real = time.monotonic()


# §10: marketplace resources carry the server zone offset -04:00 whatever the site.
MARKETPLACE_TZ = timezone(timedelta(hours=-4))


def iso_marketplace(ts: float) -> str:
    """`2024-11-01T09:34:59.000-04:00` (milliseconds, -04:00), the default marketplace format."""
    dt = datetime.fromtimestamp(ts, MARKETPLACE_TZ)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}-04:00"


def iso_pack(ts: float) -> str:
    """`2024-11-01T09:34:59.000-0400` (§7.3: packs drop the colon in the offset)."""
    return iso_marketplace(ts)[:-3] + "00"


def iso_utc_ms(ts: float) -> str:
    """`2025-01-21T13:44:33.006Z` (notifications, messaging, items)."""
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def iso_utc_offset_ms(ts: float) -> str:
    """`2024-09-06T16:24:26.636+00:00` (§9.9: returns)."""
    return iso_utc_ms(ts)[:-1] + "+00:00"


def iso_utc_nanos(ts: float) -> str:
    """`2021-02-08T17:51:21.746608612Z` (§5.2: question by id, v4)."""
    dt = datetime.fromtimestamp(ts, UTC)
    nanos = round((ts - int(ts)) * 1e9) % 1_000_000_000
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{nanos:09d}Z"


def iso_utc_seconds(ts: float) -> str:
    """`2023-07-17T16:48:53Z` (§9.6 `date_read`)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
