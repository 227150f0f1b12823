"""`timed`: a workflow's duration and outcome in `mostrador_workflow_seconds` (docs/operations.md).

A decorator under `@DBOS.workflow`, so a workflow module changes by one line. It measures one
execution: a workflow resumed after a crash reports the resumed part only.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from mostrador.workflows.runtime import context

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def timed(fn: F) -> F:
    """Wrap a workflow whose first argument is its topic and whose result may carry an `outcome`."""

    @functools.wraps(fn)
    async def wrapper(topic: str, *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        outcome = "error"
        try:
            result = await fn(topic, *args, **kwargs)
            outcome = str(result.get("outcome") or "done") if isinstance(result, dict) else "done"
            return result
        finally:
            context().metrics.workflow(topic, outcome, time.monotonic() - started)

    return wrapper  # type: ignore[return-value]
