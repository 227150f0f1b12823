"""Response times kept as counts per bucket, so percentiles over any period are a sum of daily counts.

A bucket is a range of seconds `(EDGES[i-1], EDGES[i]]` (the first starts at 0, the last is open).
The edges grow by about 1.5x, so a percentile read from the buckets is off by at most the width of its
bucket; the dashboards show it as "at most <upper edge>", which is exact about what it claims.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mostrador import i18n
from mostrador.store.models.dashboards import HIST_BUCKETS, HIST_COLUMNS

MINUTE, HOUR, DAY = 60, 3_600, 86_400
EDGES: tuple[int, ...] = (
    30,
    MINUTE,
    2 * MINUTE,
    3 * MINUTE,
    5 * MINUTE,
    7 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    20 * MINUTE,
    30 * MINUTE,
    45 * MINUTE,
    HOUR,
    90 * MINUTE,
    2 * HOUR,
    3 * HOUR,
    4 * HOUR,
    6 * HOUR,
    8 * HOUR,
    12 * HOUR,
    18 * HOUR,
    DAY,
    36 * HOUR,
    2 * DAY,
    3 * DAY,
    4 * DAY,
    5 * DAY,
    7 * DAY,
    10 * DAY,
    14 * DAY,
    30 * DAY,
)
BUCKETS = len(EDGES) + 1  # the last one: more than 30 days
if BUCKETS != HIST_BUCKETS:
    raise RuntimeError("the histogram columns of the dashboards' tables need a migration")


def bucket(seconds: float) -> int:
    """The bucket of a duration (negative durations, a clock's skew, count as zero)."""
    return bisect_left(EDGES, max(seconds, 0))


def empty() -> list[int]:
    return [0] * BUCKETS


def of(durations: Iterable[float]) -> list[int]:
    counts = empty()
    for seconds in durations:
        counts[bucket(seconds)] += 1
    return counts


def as_columns(counts: Sequence[int]) -> dict[str, int]:
    """Counts as the day tables' columns (h00 … h30)."""
    return dict(zip(HIST_COLUMNS, counts, strict=True))


def from_row(row: Any) -> Sequence[int]:
    """The counts of a row read by `store.dashboards.sums`, whose last columns are the histogram's."""
    return tuple(row[-BUCKETS:])


def add(total: list[int], more: Sequence[int] | None) -> list[int]:
    """Add `more` into `total` (in place); a stored histogram of another length is a bug, not data."""
    if more:
        if len(more) != BUCKETS:
            raise ValueError(f"a histogram has {BUCKETS} buckets, not {len(more)}")
        total[:] = [a + (b or 0) for a, b in zip(total, more, strict=True)]
    return total


@dataclass(frozen=True)
class Percentile:
    """Where the p-th percentile falls: more than `low` seconds and at most `high` (None: unbounded)."""

    p: int
    low: int
    high: int | None

    @property
    def seconds(self) -> int:
        """The figure shown: the bucket's upper edge (its lower edge when the bucket is open-ended)."""
        return self.high if self.high is not None else self.low

    def words(self) -> str:
        if self.high is None:
            return i18n.gettext("más de %(time)s") % {"time": duration_words(self.low)}
        return f"≤ {duration_words(self.high)}"


def percentile(counts: Sequence[int], p: int) -> Percentile | None:
    """The nearest-rank percentile (the value at rank ceil(p/100 · n)), or None with no values."""
    n = sum(counts)
    if n == 0:
        return None
    rank = max(1, math.ceil(p / 100 * n))
    seen = 0
    for i, count in enumerate(counts):
        seen += count
        if seen >= rank:
            low = EDGES[i - 1] if i > 0 else 0
            return Percentile(p, low, EDGES[i] if i < len(EDGES) else None)
    raise AssertionError("unreachable: the ranks add up to n")


def duration_words(value: float) -> str:
    """A duration as a person reads it: "45 s", "12 min", "3 h 20 min", "2 d 4 h" (the units' symbols
    read the same in Spanish, Portuguese and English)."""
    seconds = round(value)
    if seconds < MINUTE:
        return f"{seconds} s"
    if seconds < HOUR:
        return f"{seconds // MINUTE} min"
    if seconds < DAY:
        hours, minutes = divmod(seconds // MINUTE, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(seconds // HOUR, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
