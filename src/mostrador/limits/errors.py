"""Errors of the shared budgets.

```
meli.errors.TransportError
└── BudgetUnavailable      the budget store could not be reached; nothing was sent
RuntimeError
└── BudgetMisconfigured    the budget table is missing or unusable: not transient, an operator fixes it
```

``BudgetUnavailable`` is a ``TransportError`` that certainly never left (``request_sent=False``), so
the client and the workflow steps retry it with back-off like a refused connection.
"""

from __future__ import annotations

from typing import Any

from mostrador.meli.errors import TransportError

__all__ = ["BudgetMisconfigured", "BudgetUnavailable"]


class BudgetUnavailable(TransportError):
    """The shared request budget could not be read from the database; the call was not sent."""

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, request_sent=False, **kwargs)


class BudgetMisconfigured(RuntimeError):
    """The shared request budget's table is missing or unusable (run `mostrador migrate`); nothing is
    retried until an operator fixes it, so no call is held back silently."""
