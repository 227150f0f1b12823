"""What every dashboard page is made of: the workspace's accounts and the filters, figures a person
reads at a glance (tiles), charts, tables, and how fresh the numbers are."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from mostrador import i18n
from mostrador.conversations import calendar
from mostrador.dashboards import histogram, numbers
from mostrador.dashboards.filters import Filters, parse
from mostrador.dashboards.histogram import Percentile
from mostrador.dashboards.tables import Table
from mostrador.store import dashboards as store
from mostrador.store.models import utcnow


@dataclass(frozen=True)
class AccountChoice:
    id: int
    nickname: str
    site_id: str


@dataclass(frozen=True)
class Tile:
    """One figure: `key` and `raw` are what tests and scripts read (`data-figure`, `data-value`)."""

    key: str
    label: str
    value: str
    raw: float | int | None
    detail: str = ""


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup
    caption: str = ""


@dataclass
class Board:
    path: str  # where the page is, e.g. /dashboards/claims (its CSV: the same with .csv)
    title: str
    filters: Filters | None
    accounts: list[AccountChoice]
    groups: dict[str, str]  # group_by value → words (empty: the page offers no grouping)
    tiles: list[Tile] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    folded_at: datetime | None = None
    notes: list[str] = field(default_factory=list)

    def table(self, name: str | None) -> Table:
        """The table named (the first one by default); LookupError for a name the page has not."""
        if not name:
            return self.tables[0]
        for table in self.tables:
            if table.name == name:
                return table
        raise LookupError(name)


@dataclass(frozen=True)
class Scope:
    """The workspace's accounts and the filters of the request, with the accounts they select."""

    accounts: list[AccountChoice]
    filters: Filters
    today: date

    @property
    def account_ids(self) -> list[int]:
        if self.filters.account_id is not None:
            return [self.filters.account_id]
        return [a.id for a in self.accounts]


def scope(
    s: Session, workspace_id: int, params: Mapping[str, str], groups: Sequence[str], default_group: str
) -> Scope:
    """Read the workspace's accounts and the filters; `filters.UnknownAccount` for another's account."""
    accounts = [AccountChoice(a.id, a.nickname, a.site_id) for a in store.workspace_accounts(s, workspace_id)]
    zone = calendar.site_zone(accounts[0].site_id if accounts else None)
    today = calendar.local_day(utcnow(), zone)
    filters = parse(params, today, [a.id for a in accounts], tuple(groups), default_group)
    return Scope(accounts, filters, today)


def folded_at(s: Session, *names: str) -> datetime | None:
    """When the folds these figures come from last ran (the oldest of them)."""
    marks = store.watermarks(s, names)
    times = [marks[n].folded_at for n in names if n in marks]
    return None if len(times) < len(names) or None in times else min(t for t in times if t is not None)


def totals(rows: Sequence[Any], counts: Sequence[str]) -> dict[str, Any]:
    """Rows of `store.dashboards.sums` added up: each count, and `hist` (the histogram)."""
    result: dict[str, Any] = {name: 0 for name in counts}
    result["hist"] = histogram.empty()
    for row in rows:
        for name in counts:
            result[name] += int(getattr(row, name) or 0)
        histogram.add(result["hist"], histogram.from_row(row))
    return result


def percentile_tile(key: str, label: str, hist: list[int], p: int, detail: str = "") -> Tile:
    found = histogram.percentile(hist, p)
    shown = found.words() if found else numbers.NONE
    return Tile(key, label, shown, found.seconds if found else None, detail)


def percentiles(hist: list[int], *ps: int) -> dict[str, Percentile | None]:
    return {f"p{p}": histogram.percentile(hist, p) for p in ps}


def count_words(value: int) -> str:
    return numbers.count(value)


def share_words(part: int, whole: int) -> str:
    return numbers.share(part, whole)


def part_of_words(part: int, whole: int) -> str:
    """The words "12 de 40" in the reader's language."""
    return i18n.gettext("%(part)s de %(whole)s") % {"part": count_words(part), "whole": count_words(whole)}
