"""The outbox's durable side: the send workflow, scheduling it, and the re-drive schedule.

Every send runs as workflow `outbox:<entry>:<drive>` on its conversation's queue partition, so a
second schedule of the same drive is a no-op and sends of one thread never overlap. The re-drive
schedule looks at every pending entry whose lease or back-off is over: if the workflow that owns its
drive is still queued or running it only extends the lease; otherwise — the process died before
scheduling it, the workflow ended deferred by an outage, or it crashed — it takes the entry over under
a new drive and enqueues that. An entry pending for longer than the give-up age fails, whatever path
left it pending.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from dbos import DBOS, SetEnqueueOptions, SetWorkflowID

from mostrador.channels.registry import channel_named
from mostrador.context import AppContext
from mostrador.conversations import outgoing
from mostrador.conversations.outgoing import Outgoing
from mostrador.outbox import pipeline
from mostrador.store.db import transaction
from mostrador.store.models import utcnow
from mostrador.workflows import runtime
from mostrador.workflows.runtime import context

REDRIVE_SCHEDULE = "outbox-redrive"
REDRIVE_BATCH = 500
MAX_PRIORITY = 2**31 - 1
# DBOS statuses of a workflow that will still run (or runs) its drive.
STILL_RUNNING = frozenset({"ENQUEUED", "PENDING", "DELAYED"})


@DBOS.step()
async def deliver_step(entry_id: int, drive: int) -> dict[str, str]:
    """No DBOS retries: the pipeline retries transient errors itself, then defers to the re-drive."""
    return (await pipeline.deliver(context(), entry_id, drive, DBOS.workflow_id)).to_dict()


@DBOS.workflow(name="outbox_send")
async def send(entry_id: int, drive: int) -> dict[str, str]:
    return await deliver_step(entry_id, drive)


async def schedule(reply: Outgoing) -> None:
    """Enqueue the send of the reply's current drive (call after the transaction that recorded it)."""
    await _enqueue(reply.id, reply.drive, channel_named(reply.channel).send_partition(reply))


async def _enqueue(entry_id: int, drive: int, partition: str) -> None:
    with (
        SetWorkflowID(outgoing.send_workflow(entry_id, drive)),
        SetEnqueueOptions(
            queue_partition_key=partition,
            priority=min(entry_id, MAX_PRIORITY),  # FIFO per partition on SQLite (DBOS-NOTES 1)
        ),
    ):
        await runtime.queue().enqueue_async(send, entry_id, drive)


@DBOS.step()
async def claim_due_step() -> list[dict[str, Any]]:
    """The due entries this pass takes over (each under a new drive), as plain values."""
    ctx = context()
    claimed = []
    now = utcnow()
    for reply in await asyncio.to_thread(_due, ctx, now):
        owner = await asyncio.to_thread(_owner, ctx, reply.id)
        status = await DBOS.get_workflow_status_async(owner) if owner else None
        if status is not None and status.status in STILL_RUNNING:
            # Queued behind a backlog, or running a slow post: not lost, just not done yet.
            await asyncio.to_thread(_extend, ctx, reply, now)
            continue
        taken = await asyncio.to_thread(_take_over, ctx, reply, now)
        if taken is not None:
            partition = channel_named(taken.channel).send_partition(taken)
            claimed.append({"id": taken.id, "drive": taken.drive, "partition": partition})
    return claimed


@DBOS.workflow(name="outbox_redrive")
async def redrive(scheduled_at: datetime, _context: Any) -> None:
    """Send every pending reply that is due (deferred by an outage, or never scheduled)."""
    for item in await claim_due_step():
        await _enqueue(item["id"], item["drive"], item["partition"])


def redrive_cron(seconds: int) -> str:
    """A 6-field cron (seconds first) firing every `seconds` (1–59) seconds."""
    return f"*/{min(max(seconds, 1), 59)} * * * * *"


# ---- synchronous parts ------------------------------------------------------------------------------
def _due(ctx: AppContext, now: datetime) -> list[Outgoing]:
    with transaction(ctx.sessions) as s:
        return outgoing.due(s, now, REDRIVE_BATCH)


def _owner(ctx: AppContext, entry_id: int) -> str | None:
    with transaction(ctx.sessions) as s:
        return outgoing.workflow_of(s, entry_id)


def _extend(ctx: AppContext, reply: Outgoing, now: datetime) -> None:
    with transaction(ctx.sessions) as s:
        outgoing.extend_lease(s, reply.id, reply.drive, now + timedelta(seconds=ctx.settings.outbox_lease_s))


def _take_over(ctx: AppContext, reply: Outgoing, now: datetime) -> Outgoing | None:
    with transaction(ctx.sessions) as s:
        why = pipeline.given_up(ctx, reply, now)
        if why is not None:
            outgoing.fail(s, reply.id, reply.drive, "gave_up", why)
            return None
        return outgoing.take_over(
            s, reply.id, reply.drive, now + timedelta(seconds=ctx.settings.outbox_lease_s)
        )
