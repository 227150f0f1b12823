"""A standalone, typed async client for the Mercado Libre seller API.

Imports nothing else of Mostrador. See ``docs/meli-client.md``.
"""

from . import errors, models, topics
from .breaker import CircuitBreaker, CircuitBreakers, CircuitState, breaker_family
from .client import MeliClient
from .ratelimit import BudgetBackend, MemoryBudget, Rate, RateLimiter, endpoint_family
from .requester import CallRecord
from .retry import RetryPolicy

__all__ = [
    "BudgetBackend",
    "CallRecord",
    "CircuitBreaker",
    "CircuitBreakers",
    "CircuitState",
    "MeliClient",
    "MemoryBudget",
    "Rate",
    "RateLimiter",
    "RetryPolicy",
    "breaker_family",
    "endpoint_family",
    "errors",
    "models",
    "topics",
]
