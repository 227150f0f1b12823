"""Request limits of the REST API, per key, shared by every process: the same GCRA cell as Mercado
Libre's budgets (`store.limits.take_permits`, one row per key), but refusing instead of waiting.

A request is allowed when, after it, the key's theoretical arrival time is at most `burst` emission
intervals ahead of now; otherwise the caller answers 429 with the wait in `Retry-After`. A refused
request gives its interval back at once (a second statement, only then), so a client that waits the
`Retry-After` it was told gets through.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from mostrador.limits.errors import BudgetUnavailable
from mostrador.store.limits import take_permits

__all__ = ["APPLICATION", "ApiRate", "Verdict"]

APPLICATION = "api-key"  # the budgets table's `application` column for these cells (family: the key id)
TOLERANCE_S = 1e-6  # float noise between the database's clock readings
NO_CLAMP_S = 1e9


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after_s: float  # 0 when allowed
    remaining: int  # requests the key may still make at once


class ApiRate:
    """`per_minute` requests a minute per key, in bursts of up to `burst`."""

    def __init__(self, engine: Engine, per_minute: int, burst: int) -> None:
        if per_minute < 1 or burst < 1:
            raise ValueError("per_minute and burst must be at least 1")
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.per_minute = per_minute
        self.burst = burst
        self.interval = 60.0 / per_minute

    def take(self, key_id: int) -> Verdict:
        """Count one request of the key (blocking: one statement; run it in a thread)."""
        window = self.burst * self.interval
        family = str(key_id)
        try:
            with self._engine.connect() as conn:
                cell = take_permits(conn, APPLICATION, family, self.interval, window)
                ahead = cell.tat - cell.now
                if ahead <= window + TOLERANCE_S:
                    return Verdict(True, 0.0, max(0, int((window - ahead) / self.interval + TOLERANCE_S)))
                # Refused: give the interval back (no horizon clamp: the schedule is ahead of now).
                take_permits(conn, APPLICATION, family, -self.interval, NO_CLAMP_S)
        except SQLAlchemyError as exc:
            raise BudgetUnavailable(f"API rate of key {key_id}: {type(exc).__name__}") from exc
        return Verdict(False, ahead - window, 0)
