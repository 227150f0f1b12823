"""Reading the `events` table for the live inbox: in id order, without losing a row on PostgreSQL.

Every change an agent should see leaves a row in `events` (a message recorded or changed, a handoff, a
claim's state, a send settling; `conversations.service` and `conversations.outgoing` write them in the
writer's transaction). One `FeedReader` per process reads the rows after the last id it saw; the hub
(`inbox/hub.py`) fans them out to the open streams.

**Ids committed out of order.** On SQLite one writer at a time assigns and commits ids, so they become
visible in order. On PostgreSQL a sequence hands out 101 to a transaction that commits after the one
that got 102: a reader that jumped to 102 would never look at 101 again. So an id skipped over is kept
as a *gap* and asked for again at every poll until it shows up or `gap_wait_s` passes (a rolled-back
insert leaves a gap for ever). The *safe cursor* is the highest id below every open gap: every event
at or below it has been read. It is what a page resumes from (`Last-Event-ID`), so a reconnect never
skips an event that was still being committed; at worst it hears one twice, which costs one refresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from mostrador.store import operations as operations_store
from mostrador.store.db import transaction
from mostrador.store.models import Event

_WROTE_EVENTS = "feed.wrote_events"


@dataclass(frozen=True)
class FeedEvent:
    """What a page hears of a change: ids and a kind, never the buyer's text (the page re-reads its
    fragments, which the templates escape)."""

    id: int
    workspace_id: int
    kind: str  # message | handoff | state | closed | outbox
    conversation_id: int | None
    channel: str | None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "conversation": self.conversation_id,
            "channel": self.channel,
        }


def _events(rows: Any) -> list[FeedEvent]:
    return [FeedEvent(int(i), int(w), str(k), c, ch) for i, w, k, c, ch in rows]


class FeedReader:
    """The process's position in the feed: the highest id read, and ids skipped over that may still
    commit (see the module's docstring). Not thread-safe: one caller (the hub) at a time."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        gap_wait_s: float,
        batch: int = 1_000,
        max_gaps: int = 1_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.gap_wait_s, self.batch, self.max_gaps = gap_wait_s, batch, max_gaps
        self.clock = clock
        self.cursor: int | None = None  # None until `start`
        self._gaps: dict[int, float] = {}  # id → when it was first found missing

    def start(self) -> int:
        """Begin at the end of the feed (history is for replays, not for the live fan-out)."""
        with transaction(self.sessions) as s:
            _low, high = operations_store.event_id_bounds(s)
        self.cursor = high
        return high

    @property
    def safe_cursor(self) -> int:
        """Every event with an id up to this one has been read (or its gap given up on)."""
        assert self.cursor is not None, "FeedReader.start() first"
        return min(self._gaps) - 1 if self._gaps else self.cursor

    @property
    def gaps(self) -> list[int]:
        return sorted(self._gaps)

    def poll(self) -> list[FeedEvent]:
        """New events since the last poll (and events that filled a gap), in the order read."""
        assert self.cursor is not None, "FeedReader.start() first"
        found: list[FeedEvent] = []
        while True:
            with transaction(self.sessions) as s:
                rows = _events(operations_store.events_after(s, self.cursor, self.gaps, self.batch))
            now = self.clock()
            for e in rows:
                if e.id in self._gaps:
                    del self._gaps[e.id]
                elif e.id > self.cursor:
                    for missing in range(self.cursor + 1, min(e.id, self.cursor + 1 + self.max_gaps)):
                        if len(self._gaps) < self.max_gaps:
                            self._gaps[missing] = now
                    self.cursor = e.id
                else:
                    continue
                found.append(e)
            if len(rows) < self.batch:
                break
        expired = [i for i, since in self._gaps.items() if self.clock() - since >= self.gap_wait_s]
        for i in expired:
            del self._gaps[i]
        return found


@dataclass(frozen=True)
class Replay:
    """What a reconnecting page missed: the events (oldest first), or None when it must reload."""

    events: list[FeedEvent] | None
    reason: str = ""  # why it must reload: unknown_id | too_many


def replay(sessions: sessionmaker[Session], workspace_id: int, after: str, limit: int) -> Replay:
    """The workspace's events after the id a page last heard (`Last-Event-ID`), at most `limit`.

    An id that is no number, lies beyond the feed's end (another database, a restored backup) or before
    its start (rows deleted) cannot be resumed from: the page reloads, which is always right.
    """
    if not after.isascii() or not after.isdigit() or len(after) > 18:
        return Replay(None, "unknown_id")
    last = int(after)
    with transaction(sessions) as s:
        low, high = operations_store.event_id_bounds(s)
        if last > high or (low and last < low - 1):
            return Replay(None, "unknown_id")
        rows = _events(operations_store.workspace_events_after(s, workspace_id, last, limit + 1))
    if len(rows) > limit:
        return Replay(None, "too_many")
    return Replay(rows)


def watch_commits(sessions: sessionmaker[Session], wake: Callable[[], None]) -> Callable[[], None]:
    """Call `wake` after every commit of the factory's sessions that wrote an event (from any thread),
    so this process's own changes reach its streams without waiting for the next poll. Returns a
    function that stops watching."""

    def flushed(session: Session, _flush: Any, _instances: Any) -> None:
        if any(isinstance(o, Event) for o in session.new):
            session.info[_WROTE_EVENTS] = True

    def committed(session: Session) -> None:
        if session.info.pop(_WROTE_EVENTS, False):
            wake()

    def rolled_back(session: Session) -> None:
        session.info.pop(_WROTE_EVENTS, None)

    hooks: list[tuple[str, Callable[..., None]]] = [
        ("before_flush", flushed),
        ("after_commit", committed),
        ("after_rollback", rolled_back),
    ]
    for name, hook in hooks:
        event.listen(sessions, name, hook)

    def stop() -> None:
        for name, hook in hooks:
            if event.contains(sessions, name, hook):
                event.remove(sessions, name, hook)

    return stop
