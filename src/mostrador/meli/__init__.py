"""A standalone, typed async client for the Mercado Libre seller API.

Imports nothing else of Mostrador. See ``docs/meli-client.md``.
"""

from . import errors, models, topics
from .breaker import CircuitBreaker, CircuitState
from .client import MeliClient
from .ratelimit import RateLimiter, endpoint_family
from .retry import RetryPolicy

__all__ = [
    "CircuitBreaker",
    "CircuitState",
    "MeliClient",
    "RateLimiter",
    "RetryPolicy",
    "endpoint_family",
    "errors",
    "models",
    "topics",
]
