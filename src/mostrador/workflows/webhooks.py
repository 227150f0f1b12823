"""The webhooks' durable side: the feed schedule, and one workflow per delivery that retries it.

Every `webhooks_feed_interval_s` a schedule (once across all processes) derives the events owed from
the feed and starts the workflow of every pending delivery not yet started. The workflow's id comes from
the delivery (`webhook:<delivery>`), so starting it twice — a crash between starting it and recording
that it started, a "send test event" click racing the schedule — runs it once. A delivery still pending
long after its next try was due, whose workflow ended (a step failed on a database error), is handed to
a new run (`webhook:<delivery>:<run>`), so nothing accepted is left behind. The workflow tries,
and between tries sleeps durably (`DBOS.sleep`), so a restart resumes the wait instead of restarting it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

import dbos
from dbos import DBOS, SetWorkflowID
from sqlalchemy.exc import SQLAlchemyError

from mostrador.context import AppContext
from mostrador.store import webhooks as store
from mostrador.store.db import transaction
from mostrador.store.models import utcnow
from mostrador.webhooks import derive, sender
from mostrador.workflows import runtime
from mostrador.workflows.runtime import RuntimeNotStarted, context

log = logging.getLogger(__name__)

FEED_SCHEDULE = "webhooks-feed"
START_BATCH = 500
# A pending delivery whose next try is this overdue is looked at: if its workflow ended without
# settling it (a step's error, e.g. the database unreachable while recording), a new run takes over.
STALL_GRACE = timedelta(minutes=10)
ENDED = frozenset({"SUCCESS", "ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"})


def delivery_workflow_id(delivery_id: int, runs: int = 1) -> str:
    return f"webhook:{delivery_id}" if runs == 1 else f"webhook:{delivery_id}:{runs}"


def run_of(workflow_id: str | None) -> int | None:
    """Which run of its delivery a workflow id names (`delivery_workflow_id`); None for any other id."""
    parts = (workflow_id or "").split(":")
    if parts[0] != "webhook" or len(parts) not in (2, 3) or not all(p.isdigit() for p in parts[1:]):
        return None
    return int(parts[2]) if len(parts) == 3 else 1


@DBOS.step()
async def attempt_step(delivery_id: int) -> dict[str, Any]:
    """One try (no DBOS retries: the workflow's loop is the retry schedule). Only while this run owns
    the delivery: a run re-run by DBOS after its delivery was recovered under a newer run sends nothing."""
    return (await sender.attempt(context(), delivery_id, run_of(DBOS.workflow_id))).to_dict()


@DBOS.workflow(name="webhook_delivery")
async def deliver(delivery_id: int) -> dict[str, Any]:
    """Try until delivered or settled; the delays and their number come from the settings."""
    while True:
        outcome = await attempt_step(delivery_id)
        if outcome["status"] != sender.PENDING or outcome["retry_in"] is None:
            return outcome
        await DBOS.sleep_async(float(outcome["retry_in"]))


async def start(delivery_id: int) -> None:
    """Start the delivery's workflow (a no-op when this run of it was started before)."""
    runs = await asyncio.to_thread(_runs, context(), delivery_id)
    if runs is None:  # its endpoint was deleted meanwhile
        return
    with SetWorkflowID(delivery_workflow_id(delivery_id, runs)):
        await runtime.webhooks_queue().enqueue_async(deliver, delivery_id)
    await asyncio.to_thread(_mark_started, context(), [delivery_id])


async def start_soon(delivery_id: int) -> None:
    """Start the delivery now if this process can; it is recorded either way, and the feed schedule
    starts every delivery not yet started (the database busy, or no durable runtime in this process)."""
    try:
        await start(delivery_id)
    except (dbos.error.DBOSException, SQLAlchemyError, RuntimeNotStarted):
        log.warning("starting delivery %s failed; the feed schedule will", delivery_id, exc_info=True)


@DBOS.step()
async def derive_step() -> int:
    """Everything new in the feed, and claims now due soon."""
    return await asyncio.to_thread(derive_all, context(), utcnow())


@DBOS.step()
async def unstarted_step() -> list[int]:
    return await asyncio.to_thread(_unstarted, context())


@DBOS.step()
async def stalled_step() -> list[int]:
    """Deliveries whose workflow ended without settling them, handed to a new run (started below)."""
    ctx = context()
    taken = []
    for delivery_id, runs in await asyncio.to_thread(_stalled, ctx, utcnow() - STALL_GRACE):
        status = await DBOS.get_workflow_status_async(delivery_workflow_id(delivery_id, runs))
        if status is not None and status.status not in ENDED:
            continue  # queued behind others, sleeping until its next try, or trying now
        if await asyncio.to_thread(_take_over, ctx, delivery_id, runs):
            taken.append(delivery_id)
    return taken


@DBOS.workflow(name="webhooks_feed")
async def feed(scheduled_at: datetime, _context: Any) -> None:
    await derive_step()
    await stalled_step()
    for delivery_id in await unstarted_step():
        await start(delivery_id)


def derive_all(ctx: AppContext, now: datetime) -> int:
    """Read the feed up to its end (a batch per transaction), then look for claims due soon."""
    made, more = 0, True
    while more:
        with transaction(ctx.sessions) as s:
            found, more = derive.derive_pass(s, ctx.settings, now)
        made += found
    with transaction(ctx.sessions) as s:
        made += derive.derive_due_soon(s, ctx.settings, now)
    return made


def _unstarted(ctx: AppContext) -> list[int]:
    with transaction(ctx.sessions) as s:
        return store.unenqueued(s, START_BATCH)


def _runs(ctx: AppContext, delivery_id: int) -> int | None:
    with transaction(ctx.sessions) as s:
        return store.runs_of(s, [delivery_id]).get(delivery_id)


def _stalled(ctx: AppContext, before: datetime) -> list[tuple[int, int]]:
    with transaction(ctx.sessions) as s:
        return store.stalled(s, before, START_BATCH)


def _take_over(ctx: AppContext, delivery_id: int, runs: int) -> bool:
    with transaction(ctx.sessions) as s:
        return store.take_over(s, delivery_id, runs)


def _mark_started(ctx: AppContext, delivery_ids: list[int]) -> None:
    with transaction(ctx.sessions) as s:
        store.mark_enqueued(s, delivery_ids, utcnow())


async def install(interval_s: int) -> None:
    await DBOS.apply_schedules_async(
        [{"schedule_name": FEED_SCHEDULE, "workflow_fn": feed, "schedule": f"*/{interval_s} * * * * *"}]
    )
