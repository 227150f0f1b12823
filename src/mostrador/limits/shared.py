"""Mercado Libre budgets shared by every process on every host, kept in the database.

A GCRA (generic cell rate algorithm) per (application, family): one row holds the theoretical
arrival time ``tat``; taking ``k`` permits is one atomic ``max(tat, now) + k·T`` on the database's
clock, and the permits may be used from ``tat - B·T`` on, where ``B`` (the burst) is the block size.
Any interval of length ``L`` then holds at most ``B - 1 + ceil(L / T)`` permits, so with
``T = per / (N - B + 1)`` no interval of ``per`` seconds holds more than ``N``. A process may take
a block of permits in one round trip; it hands them out for at most ``lease`` seconds after they
become usable (the lease is counted in ``per``) and drops the rest: a lost permit only leaves the
budget unspent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from mostrador.limits.errors import BudgetMisconfigured, BudgetUnavailable
from mostrador.meli.ratelimit import Rate
from mostrador.store.limits import BudgetCell, take_permits

__all__ = ["Pacing", "SharedBudget", "pacing"]


@dataclass(frozen=True, slots=True)
class Pacing:
    """How a rate is enforced: blocks of ``block`` permits spaced ``interval`` seconds per permit."""

    block: int
    interval: float


def pacing(rate: Rate, block: int, lease: float) -> Pacing:
    """The emission interval that keeps ``rate`` with bursts (and blocks) of ``block`` permits."""
    size = max(1, min(block, rate.permits))
    # A block's permits may be handed out up to `lease` after they become usable: count it in.
    per = rate.per + (lease if size > 1 else 0.0)
    return Pacing(block=size, interval=per / (rate.permits - size + 1))


@dataclass(slots=True)
class _Block:
    left: int
    usable_at: float  # this process's monotonic clock
    until: float


# How far ahead of now a schedule may run before it is taken for a clock that stepped back: a budget
# oversubscribed by this many windows of waiting callers is already pathological (they time out first).
HORIZON_WINDOWS = 15


class SharedBudget:
    """A ``meli`` budget backend over the ``api_budgets`` table (PostgreSQL or SQLite).

    One database round trip per ``block`` permits, serialised per (application, family) inside
    the process so concurrent callers share a block instead of each taking one.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        block: int = 1,
        lease: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if block < 1 or lease < 0:
            raise ValueError("block must be at least 1 and lease not negative")
        # One statement per acquisition, committed on its own: the row lock lasts one statement.
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._block = block
        self._lease = lease
        self._clock = clock
        self._blocks: dict[tuple[str, str], _Block] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    def pacing(self, rate: Rate) -> Pacing:
        """How this backend enforces ``rate``."""
        return pacing(rate, self._block, self._lease)

    async def reserve(self, application: str, family: str, rate: Rate) -> float:
        key = (application, family)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            block = self._blocks.get(key)
            if block is None or block.left == 0 or self._clock() > block.until:
                block = self._blocks[key] = await self._take_block(application, family, rate)
            block.left -= 1
            return max(0.0, block.usable_at - self._clock())

    async def _take_block(self, application: str, family: str, rate: Rate) -> _Block:
        plan = self.pacing(rate)
        cost = plan.block * plan.interval
        try:
            # Bounded: a hung connection or an exhausted pool must not hold every call of the family.
            cell = await asyncio.wait_for(
                asyncio.to_thread(self.take, application, family, cost, HORIZON_WINDOWS * rate.per), 10.0
            )
        except TimeoutError as exc:
            raise BudgetUnavailable(f"budget {application}/{family}: no answer within 10 s") from exc
        # The permits are usable from tat - B·T on the database's clock; the wait is a duration, so
        # it converts to this host's clock however far the two clocks disagree.
        ready_in = max(0.0, cell.tat - plan.block * plan.interval - cell.now)
        usable_at = self._clock() + ready_in
        return _Block(left=plan.block, usable_at=usable_at, until=usable_at + self._lease)

    def take(self, application: str, family: str, cost: float, horizon: float) -> BudgetCell:
        """One round trip: advance the budget by ``cost`` seconds (blocking; runs in a thread)."""
        try:
            with self._engine.connect() as conn:
                return take_permits(conn, application, family, cost, horizon)
        except (ProgrammingError, OperationalError) as exc:
            if isinstance(exc, OperationalError) and "no such table" not in str(exc.orig):
                raise BudgetUnavailable(f"budget {application}/{family}: {type(exc).__name__}") from exc
            # Not transient: the table is missing (a worker started on new code before `migrate`).
            raise BudgetMisconfigured(
                f"the api_budgets table is not usable ({exc.orig}); run `mostrador migrate`"
            ) from exc
        except SQLAlchemyError as exc:
            raise BudgetUnavailable(f"budget {application}/{family}: {type(exc).__name__}") from exc
