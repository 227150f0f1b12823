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
from datetime import timedelta

from dbos import SetEnqueueOptions, SetWorkflowID
from sqlalchemy import func, select

from mostrador.channels.registry import channel_for
from mostrador.context import AppContext
from mostrador.store import repositories as repo
from mostrador.store.db import transaction
from mostrador.store.models import Account, Notification, utcnow
from mostrador.workflows import runtime
from mostrador.workflows.conversations import handle_resource

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

    async def dispatch_pending(self, limit: int = 200) -> int:
        rows = await asyncio.to_thread(_pending, self.ctx, limit)
        for row_id, topic, resource_id, account_id, seq in rows:
            channel = channel_for(topic)
            if channel is None or account_id is None:
                await asyncio.to_thread(_mark, self.ctx, row_id, "")
                continue
            key = channel.workflow_key(resource_id)
            workflow_id = key if seq <= 1 else f"{key}:{seq}"
            with (
                SetWorkflowID(workflow_id),
                SetEnqueueOptions(
                    queue_partition_key=channel.partition_key(account_id, resource_id),
                    priority=min(row_id, MAX_PRIORITY),  # FIFO per key on SQLite (DBOS-NOTES edge 1)
                ),
            ):
                await runtime.queue().enqueue_async(handle_resource, topic, account_id, resource_id)
            await asyncio.to_thread(_mark, self.ctx, row_id, workflow_id)
        return len(rows)


def _pending(ctx: AppContext, limit: int) -> list[tuple[int, str, str, int | None, int]]:
    with transaction(ctx.sessions) as s:
        out = []
        for n in repo.pending_notifications(s, limit=limit):
            account_id = s.scalar(select(Account.id).where(Account.meli_user_id == n.meli_user_id))
            seq = s.scalar(
                select(func.count()).where(
                    Notification.topic == n.topic,
                    Notification.resource_id == n.resource_id,
                    Notification.id <= n.id,
                    Notification.status.in_(("accepted", "dispatched")),
                )
            )
            out.append((n.id, n.topic, n.resource_id or "", account_id, int(seq or 1)))
            if account_id is not None:
                repo.touch_account_notification(s, account_id, n.received_at)
        return out


def _mark(ctx: AppContext, row_id: int, workflow_id: str) -> None:
    with transaction(ctx.sessions) as s:
        repo.mark_dispatched(s, row_id, workflow_id)


def stale_cutoff(seconds: int = 30) -> object:
    return utcnow() - timedelta(seconds=seconds)
