"""The outbox's durable side: the send workflow, scheduling it, and the re-drive schedule.

Every send runs as workflow `outbox:<entry>:<drive>` on its conversation's queue partition, so a
second schedule of the same drive is a no-op and sends never overlap an ingest of the same thread.
The re-drive schedule takes over, under a new drive, every pending entry whose lease or back-off is
over: replies deferred by an outage, and replies whose send was never scheduled because the process
died right after recording them.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from dbos import DBOS, SetEnqueueOptions, SetWorkflowID

from mostrador.channels.registry import channel_named
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


@DBOS.step()
async def deliver_step(entry_id: int, drive: int) -> dict[str, str]:
    """No DBOS retries: the pipeline retries transient errors itself, then defers to the re-drive."""
    return (await pipeline.deliver(context(), entry_id, drive)).to_dict()


@DBOS.workflow(name="outbox_send")
async def send(entry_id: int, drive: int) -> dict[str, str]:
    return await deliver_step(entry_id, drive)


async def schedule(reply: Outgoing) -> None:
    """Enqueue the send of the reply's current drive (call after the transaction that recorded it)."""
    channel = channel_named(reply.channel)
    with (
        SetWorkflowID(reply.workflow_id),
        SetEnqueueOptions(
            queue_partition_key=channel.send_partition(reply),
            priority=min(reply.id, MAX_PRIORITY),  # FIFO per partition on SQLite (DBOS-NOTES 1)
        ),
    ):
        await runtime.queue().enqueue_async(send, reply.id, reply.drive)


@DBOS.step()
async def claim_due_step() -> list[dict[str, Any]]:
    ctx = context()
    claimed = await asyncio.to_thread(_claim_due, ctx.sessions, ctx.settings.outbox_lease_s)
    return [{"id": r.id, "drive": r.drive, "channel": r.channel, "partition": _partition(r)} for r in claimed]


@DBOS.workflow(name="outbox_redrive")
async def redrive(scheduled_at: datetime, _context: Any) -> None:
    """Send every pending reply that is due (deferred by an outage, or never scheduled)."""
    due = await claim_due_step()
    for item in due:
        with (
            SetWorkflowID(f"outbox:{item['id']}:{item['drive']}"),
            SetEnqueueOptions(queue_partition_key=item["partition"], priority=min(item["id"], MAX_PRIORITY)),
        ):
            await runtime.queue().enqueue_async(send, item["id"], item["drive"])


def redrive_cron(seconds: int) -> str:
    """A 6-field cron (seconds first) firing every `seconds` (1–59) seconds."""
    return f"*/{min(max(seconds, 1), 59)} * * * * *"


def _partition(reply: Outgoing) -> str:
    return channel_named(reply.channel).send_partition(reply)


def _claim_due(sessions: Any, lease_s: float) -> list[Outgoing]:
    now = utcnow()
    with transaction(sessions) as s:
        return outgoing.claim_due(s, now, now + timedelta(seconds=lease_s), REDRIVE_BATCH)
