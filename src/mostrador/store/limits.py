"""Mercado Libre request budgets shared by every process: one row per (application, family).

Each acquisition is one atomic statement (an upsert with RETURNING) on the database's own clock,
so hosts whose clocks disagree still share one schedule. The caller runs it outside any other
transaction (an autocommit connection): the row lock must be held for one statement only.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Double, bindparam, cast, extract, func, select
from sqlalchemy.dialects import postgresql, sqlite

from mostrador.store.models import ApiBudget

__all__ = ["BudgetCell", "budget_cell", "take_permits"]

# Julian day of the Unix epoch: SQLite's julianday('now') is the host clock on any SQLite version
# (unixepoch('subsec') needs 3.42).
_UNIX_EPOCH_JULIAN_DAY = 2440587.5


@dataclass(frozen=True, slots=True)
class BudgetCell:
    """The budget's theoretical arrival time after an acquisition, and the clock reading it used."""

    tat: float
    now: float


def _database_clock(dialect: str) -> ColumnElement[float]:
    if dialect == "postgresql":
        # clock_timestamp(), not now(): the time when the row lock is held, not when the statement
        # began (it may have waited for the lock).
        return cast(extract("epoch", func.clock_timestamp()), Double)
    return cast((func.julianday("now") - _UNIX_EPOCH_JULIAN_DAY) * 86400.0, Double)


@functools.cache
def _take_statement(dialect: str) -> Any:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    table = ApiBudget.__table__
    clock = _database_clock(dialect)
    later = func.greatest if dialect == "postgresql" else func.max  # SQLite's two-argument max()
    earlier = func.least if dialect == "postgresql" else func.min
    cost = bindparam("cost", type_=Double)
    horizon = bindparam("horizon", type_=Double)
    return (
        module.insert(table)
        .values(
            application=bindparam("application"),
            family=bindparam("family"),
            tat=clock + cost,
            updated_at=clock,
        )
        .on_conflict_do_update(
            index_elements=[table.c.application, table.c.family],
            # Never more than `horizon` ahead of now: if the database's clock steps back (NTP, a VM
            # restored), a schedule written on the old clock must not hold every call for that long.
            set_={"tat": earlier(later(table.c.tat, clock), clock + horizon) + cost, "updated_at": clock},
        )
        .returning(table.c.tat, table.c.updated_at)
    )


def take_permits(conn: Connection, application: str, family: str, cost: float, horizon: float) -> BudgetCell:
    """Move the budget's theoretical arrival time to ``min(max(tat, now), now + horizon) + cost``,
    atomically.

    ``cost`` is the permits taken times their emission interval, in seconds; ``horizon`` the longest a
    legitimate schedule runs ahead (the rate's window). The row is created on first use.
    """
    values = {"application": application, "family": family, "cost": cost, "horizon": horizon}
    row = conn.execute(_take_statement(conn.dialect.name), values).one()
    return BudgetCell(tat=float(row[0]), now=float(row[1]))


def budget_cell(conn: Connection, application: str, family: str) -> BudgetCell | None:
    """The stored state of one budget (for tests and diagnostics), or None before its first use."""
    row = conn.execute(
        select(ApiBudget.tat, ApiBudget.updated_at).where(
            ApiBudget.application == application, ApiBudget.family == family
        )
    ).first()
    return BudgetCell(tat=float(row[0]), now=float(row[1])) if row else None
