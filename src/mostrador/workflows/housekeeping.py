"""Deleting what has expired: OAuth connection attempts nobody finished, ended login sessions,
failed logins that no longer count, password-reset requests past their link's life, and presence
rows of pages long closed. A DBOS schedule, so it fires once across all processes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dbos import DBOS

from mostrador.accounts import connect
from mostrador.store import presence as presence_store
from mostrador.store.db import transaction
from mostrador.store.models import utcnow
from mostrador.users import resets, sessions, throttle
from mostrador.workflows.runtime import context

SCHEDULE_NAME = "housekeeping"
SCHEDULE = "0 */10 * * * *"  # every 10 minutes (6-field cron, seconds first): an OAuth state lives 10


@DBOS.step()
def housekeeping_step() -> dict[str, int]:
    ctx = context()
    return {
        "oauth_states": connect.purge_expired_states(ctx),
        "sessions": sessions.purge_expired(ctx.sessions, policy=sessions.SessionPolicy.of(ctx.settings)),
        "login_failures": throttle.purge(ctx.sessions),
        "password_resets": resets.purge(ctx.sessions),
        "presence": _purge_presence(ctx),
    }


def _purge_presence(ctx: Any) -> int:
    """Rows long past their TTL (they are never read once stale; this only keeps the table small)."""
    with transaction(ctx.sessions) as s:
        return presence_store.delete_before(s, utcnow() - timedelta(hours=1))


@DBOS.workflow(name="housekeeping")
def housekeeping(scheduled_at: datetime, _context: Any) -> None:
    """One pass; what each purge deleted is in the step's recorded output."""
    housekeeping_step()


async def install() -> None:
    await DBOS.apply_schedules_async(
        [{"schedule_name": SCHEDULE_NAME, "workflow_fn": housekeeping, "schedule": SCHEDULE}]
    )
