"""A dashboard's tables: one definition shown as HTML (values in words) and downloaded as CSV (plain
values: counts, fractions, seconds), so the two never disagree."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from mostrador import i18n
from mostrador.dashboards import numbers
from mostrador.dashboards.histogram import Percentile, duration_words

TEXT, COUNT, SHARE, SECONDS, AT_MOST = "text", "count", "share", "seconds", "at_most"


@dataclass(frozen=True)
class Column:
    key: str  # the CSV header (the same in every language: scripts and spreadsheets read it)
    # The HTML header: Spanish, marked N_, translated by `translated()` when shown; like a template's
    # `_()`, it is a %-format string (a literal percent sign is written "%%").
    label: str
    kind: str = COUNT
    csv_only: bool = False  # kept out of the page (ids the page shows in another column)
    link: str | None = None  # on the page, a link made from the row (e.g. "/inbox/{conversation_id}")


@dataclass
class Table:
    name: str  # `?table=` of its CSV download
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None  # e.g. "the 50 items with most claims; the CSV has all of them"

    @property
    def shown(self) -> list[Column]:
        return [c for c in self.columns if not c.csv_only]

    def cells(self, row: dict[str, Any]) -> list[tuple[str, str, Any, str | None]]:
        """(column key, the value in words, the plain value, a link or None) for each shown column."""
        return [
            (
                c.key,
                words(c.kind, row.get(c.key)),
                plain(c.kind, row.get(c.key)),
                c.link.format(**row) if c.link and row.get(c.key) is not None else None,
            )
            for c in self.shown
        ]

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([c.key for c in self.columns])
        for row in self.rows:
            writer.writerow([_csv_value(c.kind, row.get(c.key)) for c in self.columns])
        return out.getvalue()


def translated(columns: Sequence[Column]) -> list[Column]:
    """The columns with their headers in the reader's language (their keys, the CSV's, stay)."""
    return [replace(c, label=i18n.gettext(c.label) % {}) for c in columns]


def words(kind: str, value: Any) -> str:
    """A cell as the page shows it, numbers written the reader's way (numbers.py)."""
    if value is None:
        return numbers.NONE
    if kind == SHARE:
        return numbers.percent(value)
    if kind == SECONDS:
        return duration_words(value)
    if isinstance(value, Percentile):
        return value.words()
    if kind == COUNT:
        return numbers.count(value)
    return value.isoformat() if isinstance(value, date) else str(value)


def plain(kind: str, value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Percentile):
        return value.seconds
    if isinstance(value, date):
        return value.isoformat()
    return value


def _csv_value(kind: str, value: Any) -> Any:
    if value is None:
        return ""
    if kind == SHARE:
        return f"{value:.4f}"
    if isinstance(value, Percentile | date):
        return plain(kind, value)
    # CSV formula injection: a text cell starting with = + - @ is data, not a formula, in a spreadsheet.
    if kind == TEXT and isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def share(part: int | None, whole: int | None) -> float | None:
    """part / whole, or None when there is nothing to divide."""
    if not whole or part is None:
        return None
    return part / whole
