"""The one-line audit call of the pages: `await trail.note(request, user, action, target, details)`.

Called after the service the route called has committed its change, in a transaction of its own
(`store.audit.record` is the in-transaction form services use). If the process died between the two,
the change would stand without its entry: the log says what was done, not a proof that nothing else was.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from mostrador.store import audit
from mostrador.store.db import transaction
from mostrador.web.deps import CurrentUser, get_ctx


async def note(
    request: Request, user: CurrentUser, action: str, target: str, details: dict[str, Any] | None = None
) -> None:
    def write() -> None:
        with transaction(get_ctx(request).sessions) as s:
            audit.record(s, user.workspace_id, user.id, action, target, details)

    await run_in_threadpool(write)
