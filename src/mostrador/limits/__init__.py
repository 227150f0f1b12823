"""Mercado Libre's request limits per application, not per process.

``meli.RateLimiter`` decides how many calls fit; this package gives it permits every process of
the application shares (``SharedBudget``, one database row per application and endpoint family).
See docs/reliability.md, "Mercado Libre's limits across processes".
"""

from mostrador.limits.backend import budget_backend
from mostrador.limits.errors import BudgetUnavailable
from mostrador.limits.shared import Pacing, SharedBudget, pacing

__all__ = ["BudgetUnavailable", "Pacing", "SharedBudget", "budget_backend", "pacing"]
