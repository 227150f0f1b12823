"""One reader of the event feed per process, fanned out to every open inbox stream of each workspace.

Many agents cost one query per interval, not one per agent: the hub polls the `events` table every
`poll_s` (or at once when this process committed an event, `feed.watch_commits`) and hands each row to
the subscriptions of its workspace. Every `session_check_s` it asks, in one query, which of its streams'
login sessions still live; a stream whose session ended (logout, expiry, a password change, in any
process) gets `Ended("session")`. `close()` ends every stream with `Ended("shutdown")`, so a server
stops without waiting for its open streams. Another web process runs its own hub over the same table.

A subscription buffers at most `queue_max` items; a stream that falls that far behind is told to
reload instead (one refresh covers any number of events).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mostrador.inbox.feed import FeedEvent, FeedReader

log = logging.getLogger(__name__)
MIN_POLL_GAP_S = 0.02  # a burst of local commits is read in one poll, not one poll per commit


@dataclass(frozen=True)
class Delivered:
    event: FeedEvent
    cursor: int  # the page resumes from here (feed.FeedReader.safe_cursor)


@dataclass(frozen=True)
class MustReload:
    reason: str  # overflow
    cursor: int


@dataclass(frozen=True)
class Ended:
    reason: str  # session | shutdown


Item = Delivered | MustReload | Ended


class HubClosed(RuntimeError):
    """The process is shutting down: no new streams."""


class Subscription:
    """One open stream: the items waiting for it, in order."""

    def __init__(self, workspace_id: int, session_id: int, start_cursor: int, limit: int) -> None:
        self.workspace_id, self.session_id = workspace_id, session_id
        self.start_cursor = start_cursor  # the hub's safe cursor when the stream opened
        self.limit = limit
        self.ended: str | None = None
        self._items: deque[Item] = deque()
        self._ready = asyncio.Event()

    def push(self, item: Item) -> None:
        if self.ended is not None:
            return
        if isinstance(item, Ended):
            self.ended = item.reason
            self._items.clear()
        elif len(self._items) >= self.limit:
            cursor = item.cursor
            self._items.clear()
            item = MustReload("overflow", cursor)
        self._items.append(item)
        self._ready.set()

    async def get(self) -> Item:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()


SessionCheck = Callable[[sessionmaker[Session], Collection[int]], set[int]]


class EventHub:
    """Start with `await start()` (idempotent) on the loop that serves the streams."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        poll_s: float,
        session_check_s: float,
        gap_wait_s: float,
        check_sessions: SessionCheck,
        queue_max: int = 1_000,
    ) -> None:
        self.sessions = sessions
        self.poll_s, self.session_check_s, self.queue_max = poll_s, session_check_s, queue_max
        self.check_sessions = check_sessions
        self.reader = FeedReader(sessions, gap_wait_s=gap_wait_s)
        self._subs: dict[int, set[Subscription]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()
        self._closed = False
        self.polls = 0
        self.events_read = 0

    # ---- lifecycle -----------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._task is not None:
            return
        if self._closed:
            raise HubClosed("the event hub is closed")
        async with self._starting:  # two first requests at once start one reader
            if self._task is not None:
                return
            await asyncio.to_thread(self.reader.start)
            self._loop = asyncio.get_running_loop()
            self._wake = asyncio.Event()
            self._task = self._loop.create_task(self._run(), name="inbox-event-hub")

    @property
    def started(self) -> bool:
        return self._task is not None

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """End every stream and stop reading; safe from any thread (a server thread's `stop`)."""
        self._closed = True
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop stopped meanwhile
                self._loop.call_soon_threadsafe(self._end_all, "shutdown")

    async def aclose(self) -> None:
        self._closed = True
        self._end_all("shutdown")
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """This process committed an event: read now. Safe from any thread."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)

    # ---- streams -------------------------------------------------------------------------------------
    @property
    def safe_cursor(self) -> int | None:
        """Where a page rendered now resumes from; None before the hub started."""
        return self.reader.safe_cursor if self.started else None

    @property
    def subscribers(self) -> int:
        return sum(len(subs) for subs in self._subs.values())

    async def subscribe(self, workspace_id: int, session_id: int) -> Subscription:
        await self.start()
        if self._closed:
            raise HubClosed("the event hub is closed")
        sub = Subscription(workspace_id, session_id, self.reader.safe_cursor, self.queue_max)
        self._subs[workspace_id].add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.workspace_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.workspace_id]

    def _end_all(self, reason: str) -> None:
        for subs in list(self._subs.values()):
            for sub in list(subs):
                sub.push(Ended(reason))
        self._subs.clear()

    # ---- the reader ----------------------------------------------------------------------------------
    async def _run(self) -> None:
        assert self._wake is not None
        next_check = time.monotonic() + self.session_check_s
        while not self._closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_s)
            self._wake.clear()
            await self.poll_once()
            if time.monotonic() >= next_check:
                await self.check_sessions_once()
                next_check = time.monotonic() + self.session_check_s
            await asyncio.sleep(MIN_POLL_GAP_S)

    async def poll_once(self) -> list[FeedEvent]:
        """Read what is new and hand it to the streams (the loop's one step; tests call it directly)."""
        try:
            found = await asyncio.to_thread(self.reader.poll)
        except SQLAlchemyError:  # the database is busy or restarting: the next poll reads it all
            log.warning("reading the event feed failed; trying again", exc_info=True)
            return []
        self.polls += 1
        self.events_read += len(found)
        safe = self.reader.safe_cursor
        for e in found:
            for sub in self._subs.get(e.workspace_id, ()):
                sub.push(Delivered(e, min(e.id, safe)))
        return found

    async def check_sessions_once(self) -> None:
        """End the streams whose login session ended, in one query for the whole process."""
        ids = {sub.session_id for subs in self._subs.values() for sub in subs}
        if not ids:
            return
        try:
            live = await asyncio.to_thread(self.check_sessions, self.sessions, ids)
        except SQLAlchemyError:
            log.warning("checking the streams' sessions failed; trying again later", exc_info=True)
            return
        for subs in list(self._subs.values()):
            for sub in [s for s in subs if s.session_id not in live]:
                sub.push(Ended("session"))
                self.unsubscribe(sub)
