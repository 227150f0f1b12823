"""Deleting what has expired: OAuth connection attempts nobody finished, ended login sessions,
failed logins that no longer count, password-reset requests past their link's life, presence rows of
pages long closed, live-update events every reader is done with, and DBOS's records of workflows that
ended well long ago. A DBOS schedule, so it fires once across all processes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dbos import DBOS

from mostrador.accounts import connect
from mostrador.dashboards.rollups import CONVERSATIONS
from mostrador.store import dashboards as dashboards_store
from mostrador.store import operations as operations_store
from mostrador.store import presence as presence_store
from mostrador.store import webhooks as webhooks_store
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
        "events": purge_events(ctx, utcnow()),
    }


def _purge_presence(ctx: Any) -> int:
    """Rows long past their TTL (they are never read once stale; this only keeps the table small)."""
    with transaction(ctx.sessions) as s:
        return presence_store.delete_before(s, utcnow() - timedelta(hours=1))


EVENTS_BATCH = 5_000  # rows per transaction: a backlog of weeks is deleted in short bites
EVENTS_BATCHES = 40  # per pass, at most; the next pass (10 minutes later) goes on


def purge_events(ctx: Any, now: datetime) -> int:
    """Events older than `events_keep_days` that no reader of the feed still needs: the dashboards'
    fold reads again from its `settled` position, the outgoing webhooks from their cursor or the lowest
    id they saw missing. The live inbox reads only the last moments (a page away for days reloads)."""
    before = now - timedelta(days=ctx.settings.events_keep_days)
    deleted = 0
    for _ in range(EVENTS_BATCHES):
        with transaction(ctx.sessions) as s:
            needed = [webhooks_store.feed_needs_from(s)]
            fold = dashboards_store.watermarks(s, [CONVERSATIONS]).get(CONVERSATIONS)
            if fold is not None:
                needed.append(fold.settled + 1)
            known = [n for n in needed if n is not None]
            upto = min(known) - 1 if known else None
            gone = operations_store.delete_events(s, before, upto, EVENTS_BATCH)
        deleted += gone
        if gone < EVENTS_BATCH:
            break
    return deleted


HISTORY_BATCH = 500  # workflows per listing: each is a row of DBOS's with its steps' outputs


@DBOS.step()
def prune_history_step(cutoff: datetime) -> int:
    """DBOS's records of workflows that ended well before `cutoff`. Failed, cancelled and unfinished
    ones stay (people look at them; DBOS resumes the unfinished). Idempotency never rests on these
    rows alone: every send and every notification is also keyed in our own tables."""
    pruned = 0
    while True:
        ended = DBOS.list_workflows(
            status="SUCCESS",
            completed_before=cutoff.isoformat(),
            limit=HISTORY_BATCH,
            load_input=False,
            load_output=False,
        )
        ids = [w.workflow_id for w in ended]
        if not ids:
            return pruned
        DBOS.delete_workflows(ids)
        pruned += len(ids)
        if len(ids) < HISTORY_BATCH:
            return pruned


@DBOS.workflow(name="housekeeping")
def housekeeping(scheduled_at: datetime, _context: Any) -> None:
    """One pass; what each purge deleted is in the steps' recorded outputs."""
    housekeeping_step()
    keep = timedelta(days=context().settings.workflow_history_keep_days)
    prune_history_step(scheduled_at - keep)


async def install() -> None:
    await DBOS.apply_schedules_async(
        [{"schedule_name": SCHEDULE_NAME, "workflow_fn": housekeeping, "schedule": SCHEDULE}]
    )
