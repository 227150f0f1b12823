"""Group commit for webhook intake: the notifications of many requests recorded in one transaction.

Mercado Libre sends bursts and waits at most 500 ms (§4.4). One transaction per notification cost
~0.5 ms of CPU each; here every request that arrives while a batch is being written waits for the
next batch, which is recorded with one multi-row insert and one commit. A request is answered only
after the commit that contains its row, so nothing acknowledged is lost; a failed batch fails every
request in it (no 200, so Mercado Libre delivers again).

On SQLite the batch is written on the event loop itself: a hand-off to a thread costs more than the
write (the GIL switch interval alone is 5 ms, measured with bench/intake.py). On PostgreSQL, where
a write is a network round trip, it runs in a worker thread while the next batch gathers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from mostrador.intake.service import Candidate, IntakeResult, record

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    item: Candidate | IntakeResult
    future: asyncio.Future[IntakeResult]


class IntakeWriter:
    """One per process and event loop; `submit` from request handlers."""

    def __init__(self, engine: Engine, *, in_thread: bool = False, max_batch: int = 500) -> None:
        self.engine = engine
        self.in_thread = in_thread
        self.max_batch = max_batch
        self._batch: list[_Pending] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: Candidate | IntakeResult) -> IntakeResult:
        """Record `item` (a rejection is only counted) and return its outcome once committed."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="mostrador-intake-writer")
        future: asyncio.Future[IntakeResult] = asyncio.get_running_loop().create_future()
        self._batch.append(_Pending(item, future))
        self._wake.set()
        return await future

    async def stop(self) -> None:
        """Write what is waiting, then stop."""
        if self._batch:
            await self._write_next()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._batch:
                await self._write_next()

    async def _write_next(self) -> None:
        batch, self._batch = self._batch[: self.max_batch], self._batch[self.max_batch :]
        items = [p.item for p in batch]
        try:
            if self.in_thread:
                results: Sequence[IntakeResult] = await asyncio.to_thread(self._record, items)
            else:
                results = self._record(items)
        except Exception as exc:
            log.exception("recording %d notifications failed", len(batch))
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(exc)
            return
        for pending, result in zip(batch, results, strict=True):
            if not pending.future.done():  # a cancelled request (client gone): its row stays recorded
                pending.future.set_result(result)

    def _record(self, items: list[Candidate | IntakeResult]) -> list[IntakeResult]:
        with self.engine.begin() as conn:
            return record(conn, items)
