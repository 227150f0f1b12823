"""Which budget backend a process uses, from its settings."""

from __future__ import annotations

from sqlalchemy import Engine

from mostrador.limits.shared import SharedBudget
from mostrador.meli.ratelimit import BudgetBackend, MemoryBudget
from mostrador.settings import Settings

__all__ = ["budget_backend"]


def budget_backend(settings: Settings, engine: Engine) -> BudgetBackend:
    """The database on PostgreSQL (any number of processes and hosts share one budget); memory on
    SQLite, where one process runs web and workers and an exact in-process log costs nothing."""
    store = settings.meli_budget_store
    if store == "auto":
        store = "database" if engine.dialect.name == "postgresql" else "memory"
    if store == "memory":
        return MemoryBudget()
    return SharedBudget(engine, block=settings.meli_budget_block, lease=settings.meli_budget_lease_s)
