"""Days and business hours as a seller counts them: the inbox's reply clocks and the dashboards' days.

Figures are grouped by the account's local calendar day (its site's main time zone), and the reply
window of post-sale messages is counted in business hours: the account's `business_hours` from its
bot settings (`bot.hours.BusinessHours`), or, when it has none, weekdays 09:00–18:00 in the site's
zone — the working-hours band Mercado Libre itself uses for response times (§5.7: "weekdays 09–18 h").
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from mostrador.bot.hours import WEEKDAYS, BusinessHours, parse_range

# Each site's main time zone: the seller's working day (the inbox formats times with it too).
SITE_ZONES = {
    "MLA": "America/Argentina/Buenos_Aires",
    "MLB": "America/Sao_Paulo",
    "MLM": "America/Mexico_City",
    "MLC": "America/Santiago",
    "MCO": "America/Bogota",
    "MLU": "America/Montevideo",
    "MPE": "America/Lima",
}
DEFAULT_ZONE = SITE_ZONES["MLA"]
DEFAULT_WEEK = {day: ["09:00-18:00"] for day in WEEKDAYS[:5]}
SEARCH_DAYS = 400  # a week with no opening hours at all is refused before this matters


def site_zone(site_id: str | None) -> ZoneInfo:
    return ZoneInfo(SITE_ZONES.get(site_id or "", DEFAULT_ZONE))


def local_day(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants a local day starts and ends (its end is the next day's start)."""
    start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


@dataclass(frozen=True)
class Hours:
    """Business hours ready for arithmetic: a zone, opening ranges per weekday, holidays."""

    zone: ZoneInfo
    week: tuple[tuple[tuple[time, time], ...], ...]  # Monday first
    holidays: frozenset[date]
    configured: bool  # False: the default (no business hours in the bot settings)

    def ranges(self, day: date) -> list[tuple[datetime, datetime]]:
        """The opening ranges of a local day, in UTC ("24:00" ends at the next midnight). UTC because
        arithmetic between two times of one zone is wall-clock time in Python: a range across a
        daylight-saving change would count an hour too many or too few."""
        if day in self.holidays:
            return []
        found = []
        for start, end in self.week[day.weekday()]:
            begins = datetime.combine(day, start, tzinfo=self.zone)
            ends = (
                datetime.combine(day + timedelta(days=1), time.min, tzinfo=self.zone)
                if end == time.max
                else datetime.combine(day, end, tzinfo=self.zone)
            )
            found.append((begins.astimezone(UTC), ends.astimezone(UTC)))
        return found


def business_hours(bot_config: dict[str, Any] | None, site_id: str | None) -> Hours:
    """The account's business hours, or weekdays 09:00–18:00 in its site's zone."""
    raw = (bot_config or {}).get("business_hours")
    # Read for every account on every inbox page: parsed once per distinct setting.
    return _hours(json.dumps(raw, sort_keys=True, default=str) if raw else "", site_id)


@functools.lru_cache(maxsize=4096)
def _hours(raw_json: str, site_id: str | None) -> Hours:
    raw = json.loads(raw_json) if raw_json else None
    configured: BusinessHours | None = None
    if raw:
        try:
            configured = BusinessHours.model_validate(raw)
        except ValidationError:
            configured = None  # the settings page validates; an old row that no longer does gets the default
    if configured is not None and any(configured.weekly.values()):
        weekly, zone, holidays = configured.weekly, ZoneInfo(configured.timezone), configured.holidays
    else:
        weekly, zone, holidays = DEFAULT_WEEK, site_zone(site_id), []
        if configured is not None:  # a zone and holidays but no opening ranges: keep what was said
            zone, holidays = ZoneInfo(configured.timezone), configured.holidays
    week = tuple(_merged(parse_range(text) for text in weekly.get(day, [])) for day in WEEKDAYS)
    return Hours(zone, week, frozenset(holidays), configured is not None and any(configured.weekly.values()))


def _merged(ranges: Iterable[tuple[time, time]]) -> tuple[tuple[time, time], ...]:
    """A day's opening ranges in order, overlapping or touching ones joined ("09-13" and "12-18" are one
    range 09–18: their shared hour counts once)."""
    joined: list[tuple[time, time]] = []
    for start, end in sorted(ranges):
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return tuple(joined)


def add_business_time(start: datetime, seconds: float, hours: Hours) -> datetime:
    """The instant `seconds` of business time after `start` (what a reply window's deadline is)."""
    remaining = timedelta(seconds=seconds)
    day = start.astimezone(hours.zone).date()
    for _ in range(SEARCH_DAYS):
        for begins, ends in hours.ranges(day):
            begins = max(begins, start)
            if ends <= begins:
                continue
            if ends - begins >= remaining:
                return (begins + remaining).astimezone(UTC)
            remaining -= ends - begins
        day += timedelta(days=1)
    raise ValueError("business hours with no opening time in a year")


def subtract_business_time(end: datetime, seconds: float, hours: Hours) -> datetime:
    """The latest instant from which `seconds` of business time have passed by `end`: a thread waiting
    since before it has run out of its reply window."""
    remaining = timedelta(seconds=seconds)
    day = end.astimezone(hours.zone).date()
    for _ in range(SEARCH_DAYS):
        for begins, ends in reversed(hours.ranges(day)):
            ends = min(ends, end)
            if ends <= begins:
                continue
            if ends - begins >= remaining:
                return (ends - remaining).astimezone(UTC)
            remaining -= ends - begins
        day -= timedelta(days=1)
    raise ValueError("business hours with no opening time in a year")
