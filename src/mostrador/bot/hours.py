"""Business hours per account: an IANA time zone, weekly opening ranges and holidays."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def parse_range(text: str) -> tuple[time, time]:
    """Read "09:00-18:00"; "24:00" is accepted as the end of the day."""
    match = _RANGE.match(text.strip())
    if not match:
        raise ValueError(f"opening range {text!r} must look like 09:00-18:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
        raise ValueError(f"opening range {text!r} has an impossible time")
    start = time(h1, m1)
    end = time.max if h2 == 24 else time(h2, m2)
    if end <= start:
        raise ValueError(f"opening range {text!r} ends before it starts")
    return start, end


class BusinessHours(BaseModel):
    """When an agent is around; outside these hours the account's out-of-hours behaviour applies."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = "America/Argentina/Buenos_Aires"
    weekly: dict[str, list[str]] = Field(default_factory=dict)  # "mon" -> ["09:00-13:00", "14:00-18:00"]
    holidays: list[date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown IANA time zone {value!r}") from error
        return value

    @field_validator("weekly")
    @classmethod
    def _valid_week(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, ranges in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r}; use one of {', '.join(WEEKDAYS)}")
            for text in ranges:
                parse_range(text)
        return value

    def is_open(self, now: datetime) -> bool:
        """True when `now` (timezone-aware) falls inside an opening range and is not a holiday."""
        if now.tzinfo is None:
            raise ValueError("business hours need a timezone-aware datetime")
        local = now.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.holidays:
            return False
        for text in self.weekly.get(WEEKDAYS[local.weekday()], []):
            start, end = parse_range(text)
            if start <= local.time() <= end:
                return True
        return False
