"""What a dashboard shows: which account, which days, grouped how — read from the page's query string,
forgiving of anything malformed (a bad value means the default, never an error page)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from mostrador.i18n import N_

PRESETS = (7, 30, 90, 365)
DEFAULT_DAYS = 30
LONGEST = timedelta(days=3 * 366)  # a custom range is cut to its last three years
# The periods a series is grouped by, and the whole sentences the pages make of them (each translated
# where it is shown, never glued from pieces).
PERIODS = {"day": N_("día"), "week": N_("semana"), "month": N_("mes")}
BY_PERIOD = {"day": N_("Por día"), "week": N_("Por semana"), "month": N_("Por mes")}
PERIOD_STARTS = {"day": N_("Día desde"), "week": N_("Semana desde"), "month": N_("Mes desde")}


class UnknownAccount(LookupError):
    """The query names an account that is not the workspace's (shown as not found)."""


@dataclass(frozen=True)
class Filters:
    account_id: int | None  # None: every account of the workspace
    start: date
    end: date  # inclusive
    days: int | None  # the preset chosen; None for a custom range
    group_by: str

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1

    def query(self, **changes: object) -> str:
        """The query string of these filters, with some changed (for links and the CSV downloads)."""
        shown = replace(self, **changes)  # type: ignore[arg-type]
        params: dict[str, object] = {}
        if shown.account_id is not None:
            params["account"] = shown.account_id
        if shown.days is not None:
            params["days"] = shown.days
        else:
            params["from"], params["to"] = shown.start.isoformat(), shown.end.isoformat()
        params["group_by"] = shown.group_by
        return urlencode(params)


def parse(
    params: Mapping[str, str],
    today: date,
    account_ids: list[int],
    groups: tuple[str, ...],
    default_group: str,
) -> Filters:
    """Filters from a query string: `account`, `days` (a preset) or `from`/`to` (ISO dates), `group_by`."""
    account = _account(params.get("account"), account_ids)
    group_by = params.get("group_by") or default_group
    if group_by not in groups:
        group_by = default_group
    start, end = _date(params.get("from")), _date(params.get("to"))
    if start is not None or end is not None:
        end = end or today
        start = start or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            start, end = end, start
        end = min(end, today)  # nothing has happened after today
        start = max(min(start, end), end - LONGEST)
        return Filters(account, start, end, None, group_by)
    days = _int(params.get("days"))
    days = days if days in PRESETS else DEFAULT_DAYS
    return Filters(account, today - timedelta(days=days - 1), today, days, group_by)


def period_of(day: date, every: str) -> date:
    """The first day of the day's week (Monday) or month, or the day itself."""
    if every == "week":
        return day - timedelta(days=day.weekday())
    if every == "month":
        return day.replace(day=1)
    return day


def natural_period(filters: Filters) -> str:
    """How finely a time series of the range reads best: days up to a month, weeks up to half a year."""
    if filters.length <= 31:
        return "day"
    return "week" if filters.length <= 184 else "month"


def _account(raw: str | None, account_ids: list[int]) -> int | None:
    if raw in (None, "", "all"):
        return None
    value = _int(raw)
    if value is None or value not in account_ids:
        raise UnknownAccount(raw)
    return value


def _int(raw: str | None) -> int | None:
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw)


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
