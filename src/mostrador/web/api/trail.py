"""The REST API's audit call: `await trail.note(request, key, action, target, details)`.

The pages' `web/trail.py` names a person; here the actor is the API key (its name and prefix, its id in
the details), so the workspace's admins read in one log what people and integrations did. Written after
the service committed, in a transaction of its own, as the pages do.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from mostrador.store import audit
from mostrador.store.db import transaction
from mostrador.users.api_keys import KeyHolder
from mostrador.web.deps import get_ctx


async def note(
    request: Request, key: KeyHolder, action: str, target: str, details: dict[str, Any] | None = None
) -> None:
    def write() -> None:
        with transaction(get_ctx(request).sessions) as s:
            audit.record(
                s,
                key.workspace_id,
                None,
                action,
                target,
                {**(details or {}), "api_key_id": key.key_id},
                actor=key.actor or f"clave API {key.key_id}",
            )

    await run_in_threadpool(write)
