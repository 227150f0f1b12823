"""Turns recorded notifications into workflows, right after intake and again on start-up.

Intake only records (fast, < 10 ms); this loop, woken by intake in the same process, enqueues the
workflow whose id is derived from the resource. Rows left `accepted` by a crash between the two are
picked up on the next pass, so nothing we acknowledged is lost; DBOS ignores a second enqueue under
the same workflow id, so nothing is done twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime

from dbos import SetEnqueueOptions, SetWorkflowID
from sqlalchemy import func, select

from mostrador.channels.registry import channel_for
from mostrador.context import AppContext
from mostrador.store import accounts as accounts_store
from mostrador.store import notifications as notifications_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Notification
from mostrador.workflows import runtime
from mostrador.workflows.resources import handle_resource

log = logging.getLogger(__name__)
MAX_PRIORITY = 2**31 - 1


class Dispatcher:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mostrador-dispatcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=1.0)
            self.wake.clear()
            try:
                while await self.dispatch_pending() > 0:
                    pass
            except Exception:  # keep the loop alive; the row stays `accepted` and is retried
                log.exception("dispatching notifications failed")
                await asyncio.sleep(1.0)

    async def dispatch_pending(self, limit: int = 500) -> int:
        """Enqueue one workflow per resource for everything recorded and not yet dispatched.

        Several pending notifications about one resource (redeliveries with new ids, a question and its
        answer, a burst of changes) are coalesced: the workflow re-reads the resource's current state,
        so one run after all of them is what they ask for, and a backlog shrinks instead of growing.
        """
        batches = await asyncio.to_thread(_pending, self.ctx, limit)
        for batch in batches:
            channel = channel_for(batch.topic)
            if channel is None or batch.account_id is None:
                await asyncio.to_thread(_mark, self.ctx, batch.row_ids, "")
                continue
            key = channel.workflow_key(batch.resource_id)
            workflow_id = key if batch.seq <= 1 else f"{key}:{batch.seq}"
            with (
                SetWorkflowID(workflow_id),
                SetEnqueueOptions(
                    queue_partition_key=channel.partition_key(batch.account_id, batch.resource_id),
                    priority=min(batch.last_row_id, MAX_PRIORITY),  # FIFO per key on SQLite (DBOS-NOTES 1)
                ),
            ):
                await runtime.queue().enqueue_async(
                    handle_resource, batch.topic, batch.account_id, batch.resource_id
                )
            await asyncio.to_thread(_mark, self.ctx, batch.row_ids, workflow_id)
        return sum(len(b.row_ids) for b in batches)


@dataclass
class Batch:
    """Pending notifications about one resource."""

    topic: str
    resource_id: str
    account_id: int | None
    row_ids: list[int] = field(default_factory=list)
    seq: int = 1  # deterministic for the same rows: re-dispatching after a crash reuses the workflow id

    @property
    def last_row_id(self) -> int:
        return self.row_ids[-1]


def _pending(ctx: AppContext, limit: int) -> list[Batch]:
    with transaction(ctx.sessions) as s:
        accounts: dict[int | None, int | None] = {}
        batches: dict[tuple[str, str], Batch] = {}
        last_seen: dict[int, datetime] = {}
        for n in notifications_store.pending_notifications(s, limit=limit):
            if n.meli_user_id not in accounts:
                accounts[n.meli_user_id] = s.scalar(
                    select(Account.id).where(Account.meli_user_id == n.meli_user_id)
                )
            account_id = accounts[n.meli_user_id]
            key = (n.topic, n.resource_id or "")
            batch = batches.setdefault(key, Batch(n.topic, n.resource_id or "", account_id))
            batch.row_ids.append(n.id)
            if account_id is not None:
                last_seen[account_id] = max(last_seen.get(account_id, n.received_at), n.received_at)
        for batch in batches.values():
            batch.seq = int(
                s.scalar(
                    select(func.count()).where(
                        Notification.topic == batch.topic,
                        Notification.resource_id == batch.resource_id,
                        Notification.id <= batch.last_row_id,
                        Notification.status.in_(("accepted", "dispatched")),
                    )
                )
                or 1
            )
        for account_id, at in last_seen.items():
            accounts_store.touch_account_notification(s, account_id, at)
        return list(batches.values())


def _mark(ctx: AppContext, row_ids: list[int], workflow_id: str) -> None:
    with transaction(ctx.sessions) as s:
        notifications_store.mark_dispatched(s, row_ids, workflow_id)
