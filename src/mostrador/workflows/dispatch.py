"""Turns recorded notifications into workflows, right after intake and again on start-up.

Intake only records (fast, < 10 ms); this loop, woken by intake in the same process, enqueues the
workflow whose id is derived from the resource. Rows left `accepted` by a crash between the two are
picked up on the next pass, so nothing we acknowledged is lost; DBOS ignores a second enqueue under
the same workflow id, so nothing is done twice.

An enqueue that fails costs only its own rows an attempt: they are retried after a back-off while the
rest of the pass goes on, and after `RetryPolicy.max_attempts` they become `dispatch_failed` (counted,
logged, and re-driven by `mostrador notifications redispatch`), so one bad resource never holds back
the notifications behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dbos import SetEnqueueOptions, SetWorkflowID

from mostrador.channels.registry import channel_for
from mostrador.context import AppContext
from mostrador.store import accounts as accounts_store
from mostrador.store import notifications as notifications_store
from mostrador.store.db import transaction
from mostrador.store.notifications import DispatchFailure
from mostrador.workflows import runtime
from mostrador.workflows.resources import handle_resource

log = logging.getLogger(__name__)
MAX_PRIORITY = 2**31 - 1
MARK_EVERY = 50
FAILED_COUNTER = "dispatch.failed"  # rows given up on (`dispatch_failed`), waiting for an operator
ERROR_COUNTER = "dispatch.enqueue_errors"  # failed enqueue attempts, retried or not
ECHO_COUNTER = "dispatch.echoes"  # rows that only echoed our own reply: settled without a workflow


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off for a batch whose enqueue failed: 1 s, 2 s, 4 s … capped at `max_delay_s`; with the
    defaults the tenth failure, about 8.5 minutes after the first, gives up on the rows."""

    max_attempts: int = 10
    first_delay_s: float = 1.0
    max_delay_s: float = 300.0

    def delay_after(self, attempts: int) -> float:
        return float(min(self.first_delay_s * 2 ** (attempts - 1), self.max_delay_s))


@dataclass
class PassResult:
    dispatched: int = 0  # rows enqueued or settled
    failed: int = 0  # rows whose enqueue failed in this pass


class Dispatcher:
    def __init__(self, ctx: AppContext, retry: RetryPolicy | None = None) -> None:
        self.ctx = ctx
        self.retry = retry or RetryPolicy()
        self.wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failing_passes = 0

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
                result = await self.dispatch_pass()
                while result.dispatched > 0:
                    result = await self.dispatch_pass()
            except Exception:  # our own database failed: the rows stay `accepted` and are retried
                log.exception("dispatching notifications failed")
                await asyncio.sleep(1.0)
                continue
            # A pass where every enqueue failed, several times running (DBOS's database down?): pause
            # instead of trying again at every wake-up from intake. One bad resource never gets here.
            self._failing_passes = self._failing_passes + 1 if result.failed else 0
            if self._failing_passes >= 3:
                await asyncio.sleep(self.retry.first_delay_s)

    async def dispatch_pass(self, limit: int = 500) -> PassResult:
        """Enqueue one workflow per resource for everything recorded, not yet dispatched and due.

        Several pending notifications about one resource (redeliveries with new ids, a question and its
        answer, a burst of changes) are coalesced: the workflow re-reads the resource's current state,
        so one run after all of them is what they ask for, and a backlog shrinks instead of growing.
        Notifications that only echo a reply of ours being (or just) posted — Mercado Libre notifies the
        answered question — are settled without a workflow (`Channel.own_echo`).
        """
        result = PassResult()
        batches = await asyncio.to_thread(_pending, self.ctx, datetime.now(UTC), limit)
        # Marked MARK_EVERY resources at a time: one write transaction instead of one per resource
        # (on SQLite every write briefly locks out intake's). A crash before a mark re-enqueues those
        # rows at the next pass, under the same workflow ids: DBOS runs each once.
        done: list[tuple[list[int], str]] = []
        try:
            for batch in batches:
                workflow_id = await self._enqueue(batch, result)
                if workflow_id is not None:
                    done.append((batch.row_ids, workflow_id))
                if len(done) >= MARK_EVERY:
                    await asyncio.to_thread(_mark, self.ctx, done)
                    done = []
        finally:
            if done:
                await asyncio.to_thread(_mark, self.ctx, done)
        return result

    async def _enqueue(self, batch: Batch, result: PassResult) -> str | None:
        """Enqueue one batch's workflow: its id, "" for rows that need none, None if it failed."""
        channel = channel_for(batch.topic)
        if channel is None or batch.account_id is None or batch.echo:
            result.dispatched += len(batch.row_ids)
            return ""
        try:
            key = channel.workflow_key(batch.resource_id)
            workflow_id = key if batch.seq <= 1 else f"{key}:{batch.seq}"
            partition = channel.partition_key(batch.account_id, batch.resource_id)
            priority = min(batch.last_row_id, MAX_PRIORITY)  # FIFO per key on SQLite (DBOS-NOTES 1)
            with (
                SetWorkflowID(workflow_id),
                SetEnqueueOptions(queue_partition_key=partition, priority=priority),
            ):
                await runtime.queue().enqueue_async(
                    handle_resource, batch.topic, batch.account_id, batch.resource_id
                )
        except Exception as exc:  # this resource only: the rest of the pass goes on
            await asyncio.to_thread(self._record_failure, batch, exc)
            result.failed += len(batch.row_ids)
            return None
        result.dispatched += len(batch.row_ids)
        return workflow_id

    def _record_failure(self, batch: Batch, exc: Exception) -> None:
        now = datetime.now(UTC)
        error = f"{type(exc).__name__}: {exc}"
        failures = []
        for row_id in batch.row_ids:
            attempts = batch.attempts.get(row_id, 0) + 1
            retry_at = (
                now + timedelta(seconds=self.retry.delay_after(attempts))
                if attempts < self.retry.max_attempts
                else None
            )
            failures.append(DispatchFailure(row_id, attempts, retry_at, error))
        given_up = [f.notification_id for f in failures if f.retry_at is None]
        with transaction(self.ctx.sessions) as s:
            notifications_store.record_dispatch_failures(s, failures)
            notifications_store.bump_counter(s, ERROR_COUNTER)
            if given_up:
                notifications_store.bump_counter(s, FAILED_COUNTER, len(given_up))
        if given_up:
            log.error(
                "gave up enqueuing %s %s (notifications %s) after %d attempts: %s; they are "
                "`dispatch_failed` until re-driven with `mostrador notifications redispatch`",
                batch.topic,
                batch.resource_id,
                given_up,
                self.retry.max_attempts,
                error,
            )
        else:
            log.warning(
                "enqueuing %s %s failed (attempt %d of %d), retrying in %.0f s: %s",
                batch.topic,
                batch.resource_id,
                max(f.attempts for f in failures),
                self.retry.max_attempts,
                self.retry.delay_after(max(f.attempts for f in failures)),
                error,
            )


@dataclass
class Batch:
    """Pending notifications about one resource."""

    topic: str
    resource_id: str
    account_id: int | None
    row_ids: list[int] = field(default_factory=list)
    attempts: dict[int, int] = field(default_factory=dict)  # row id → failed enqueues so far
    seq: int = 1  # deterministic for the same rows: re-dispatching after a crash reuses the workflow id
    received_at: datetime | None = None  # the latest row's
    echo: bool = False  # only echoes a reply being posted or just posted: settled without a workflow

    @property
    def last_row_id(self) -> int:
        return self.row_ids[-1]


def _pending(ctx: AppContext, now: datetime, limit: int) -> list[Batch]:
    with transaction(ctx.sessions) as s:
        accounts: dict[int | None, int | None] = {}
        batches: dict[tuple[str, str], Batch] = {}
        last_seen: dict[int, datetime] = {}
        for n in notifications_store.pending_notifications(s, now, limit=limit):
            if n.meli_user_id not in accounts:
                accounts[n.meli_user_id] = notifications_store.account_for_user(s, n.meli_user_id)
            account_id = accounts[n.meli_user_id]
            key = (n.topic, n.resource_id or "")
            batch = batches.setdefault(key, Batch(n.topic, n.resource_id or "", account_id))
            batch.row_ids.append(n.id)
            batch.attempts[n.id] = n.dispatch_attempts
            batch.received_at = max(batch.received_at or n.received_at, n.received_at)
            if account_id is not None:
                last_seen[account_id] = max(last_seen.get(account_id, n.received_at), n.received_at)
        for batch in batches.values():
            batch.seq = max(
                notifications_store.resource_sequence(s, batch.topic, batch.resource_id, batch.last_row_id), 1
            )
            route = channel_for(batch.topic)
            if route is not None and batch.account_id is not None and batch.received_at is not None:
                batch.echo = route.channel.own_echo(s, batch.account_id, batch.resource_id, batch.received_at)
        echoes = sum(len(b.row_ids) for b in batches.values() if b.echo)
        if echoes:
            notifications_store.bump_counter(s, ECHO_COUNTER, echoes)
        for account_id, at in last_seen.items():
            accounts_store.touch_account_notification(s, account_id, at)
        return list(batches.values())


def _mark(ctx: AppContext, done: list[tuple[list[int], str]]) -> None:
    with transaction(ctx.sessions) as s:
        for row_ids, workflow_id in done:
            notifications_store.mark_dispatched(s, row_ids, workflow_id)
