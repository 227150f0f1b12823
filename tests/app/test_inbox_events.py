"""The inbox's event stream (`GET /inbox/events`): the feed read in id order without losing late commits,
one stream per page scoped to its workspace, resumed with Last-Event-ID, ended with its session and with
the server — against the app as a real server on a loopback port."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from mostrador.cli.servers import ServerThread
from mostrador.context import AppContext
from mostrador.conversations import service as conv
from mostrador.inbox import feed
from mostrador.settings import Settings
from mostrador.store import conversations as conversations_store
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, Event, Message, utcnow
from mostrador.users.service import create_user, set_password
from mostrador.web.app import create_app

from .conftest import AGENT_PASSWORD, Market
from .sandbox_grant import Connected
from .sandbox_grant import ingest as ingest_topic

HOSTILE = "<script>alert('x')</script> ¿tenés stock?"


# ---- the feed: ids committed out of order ----------------------------------------------------------
def add_event(ctx: AppContext, workspace_id: int, event_id: int | None = None, kind: str = "message") -> int:
    with transaction(ctx.sessions) as s:
        row = Event(id=event_id, workspace_id=workspace_id, kind=kind, conversation_id=None, data={})
        s.add(row)
        s.flush()
        return row.id


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_id_committed_after_a_higher_one_is_still_read_and_the_safe_cursor_waits_for_it(
    ctx: AppContext,
) -> None:
    """PostgreSQL hands out 2 to a transaction that commits after the one that got 3 (simulated here
    by inserting the ids in that order)."""
    clock = Clock()
    add_event(ctx, 1, 1)
    reader = feed.FeedReader(ctx.sessions, gap_wait_s=30, clock=clock)
    assert reader.start() == 1 and reader.poll() == []
    add_event(ctx, 1, 3)
    assert [e.id for e in reader.poll()] == [3]
    assert reader.gaps == [2] and reader.safe_cursor == 1  # a page resumes from 1: it will hear 2
    add_event(ctx, 1, 2)
    assert [e.id for e in reader.poll()] == [2]
    assert reader.gaps == [] and reader.safe_cursor == 3
    # A gap never filled (a rolled-back insert) is given up after gap_wait_s.
    add_event(ctx, 1, 5)
    assert [e.id for e in reader.poll()] == [5] and reader.safe_cursor == 3
    clock.now += 31
    assert reader.poll() == [] and reader.gaps == [] and reader.safe_cursor == 5


def test_replay_returns_what_was_missed_or_says_reload(ctx: AppContext) -> None:
    first = add_event(ctx, 1)
    mine = [add_event(ctx, 1) for _ in range(3)]
    add_event(ctx, 2)  # another workspace's
    found = feed.replay(ctx.sessions, 1, str(first), limit=3)
    assert found.events is not None and [e.id for e in found.events] == mine
    assert feed.replay(ctx.sessions, 1, str(first), limit=2) == feed.Replay(None, "too_many")
    for unknown in ("abc", "-1", "10000000", "1e3", "²"):
        assert feed.replay(ctx.sessions, 1, unknown, limit=10) == feed.Replay(None, "unknown_id"), unknown


def test_commits_that_wrote_an_event_wake_the_reader_and_others_do_not(ctx: AppContext) -> None:
    woken: list[int] = []
    stop = feed.watch_commits(ctx.sessions, lambda: woken.append(1))
    try:
        add_event(ctx, 1)
        assert len(woken) == 1
        with transaction(ctx.sessions) as s:
            people_store.get_or_create_workspace(s, "sin eventos")
        assert len(woken) == 1
        with pytest.raises(RuntimeError), transaction(ctx.sessions) as s:
            s.add(Event(workspace_id=1, kind="message", data={}))
            s.flush()
            raise RuntimeError("rolled back")
        assert len(woken) == 1
    finally:
        stop()
    add_event(ctx, 1)
    assert len(woken) == 1  # no longer watching


# ---- the stream, through a real server --------------------------------------------------------------
@dataclass
class Sse:
    event: str
    id: str | None
    data: dict[str, Any]
    raw: str


class Stream:
    """An open `GET /inbox/events`, read event by event (comments skipped). Reads time out instead of
    hanging, so a missing event fails the test."""

    def __init__(self, client: httpx.Client, path: str = "/inbox/events", **headers: str) -> None:
        self._context = client.stream("GET", path, headers=headers, timeout=httpx.Timeout(10.0))
        self.response = self._context.__enter__()
        self._lines = self.response.iter_lines()

    def next(self) -> Sse:
        fields: dict[str, str] = {}
        raw: list[str] = []
        for line in self._lines:
            raw.append(line)
            if line == "":
                if "event" in fields or "data" in fields:
                    return Sse(
                        fields.get("event", "message"),
                        fields.get("id"),
                        json.loads(fields.get("data", "{}")),
                        "\n".join(raw),
                    )
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        raise EOFError("the stream ended")

    def until(self, kind: str) -> list[Sse]:
        """Every event up to and including the first of `kind`."""
        seen = [self.next()]
        while seen[-1].event != kind:
            seen.append(self.next())
        return seen

    def close(self) -> None:
        self._context.__exit__(None, None, None)


@dataclass
class World:
    ctx: AppContext
    server: ServerThread
    clients: dict[str, httpx.Client]
    workspaces: dict[str, int]
    threads: dict[str, int]

    def stream(self, who: str, path: str = "/inbox/events", **headers: str) -> Stream:
        return Stream(self.clients[who], path, **headers)

    def buyer_writes(self, who: str, text: str = HOSTILE) -> int:
        """A buyer's message in `who`'s workspace, recorded as a channel records it; the event's id."""
        with transaction(self.ctx.sessions) as s:
            thread = s.get(Conversation, self.threads[who])
            assert thread is not None
            conv.record_inbound(s, thread, f"m-{utcnow().timestamp()}", text, utcnow())
        with transaction(self.ctx.sessions) as s:
            return int(s.scalar(select(func.max(Event.id))) or 0)


def log_in(client: httpx.Client, email: str, password: str = AGENT_PASSWORD) -> str:
    """Logs in; returns a CSRF token of the new session."""
    page = client.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"email": email, "password": password, "csrf_token": csrf})
    assert r.status_code == 303, r.text
    page = client.get("/account/password").text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def thread_of(ctx: AppContext, workspace: str, meli_user_id: int) -> tuple[int, int]:
    with transaction(ctx.sessions) as s:
        ws = people_store.get_or_create_workspace(s, workspace)
        account = Account(
            workspace_id=ws.id, meli_user_id=meli_user_id, nickname=workspace.upper(), site_id="MLA"
        )
        s.add(account)
        s.flush()
        contact = conversations_store.ensure_contact(s, account, "messages", "77", "COMPRADOR")
        thread = conversations_store.ensure_conversation(s, account, "messages", f"pack-{workspace}", contact)
        return ws.id, thread.id


@pytest.fixture
def world(settings: Settings, ctx: AppContext) -> Iterator[World]:
    settings.inbox_events_poll_s = 0.05
    settings.inbox_events_session_check_s = 0.1
    settings.inbox_events_replay_max = 5
    workspaces, threads = {}, {}
    for who, seller in (("ana", 3_300_000_001), ("otra", 3_300_000_002)):
        workspaces[who], threads[who] = thread_of(ctx, who, seller)
        create_user(ctx.sessions, f"{who}@example.com", AGENT_PASSWORD, who, who)
    server = ServerThread(create_app(settings, ctx, durable=False), name="events-app").start()
    clients = {who: httpx.Client(base_url=server.url, timeout=10) for who in workspaces}
    try:
        for who, client in clients.items():
            client.headers["x-csrf-token"] = log_in(client, f"{who}@example.com")
        yield World(ctx, server, clients, workspaces, threads)
    finally:
        for client in clients.values():
            client.close()
        server.stop()


def test_a_stream_hears_its_own_workspace_only_and_never_a_buyer_s_text(world: World) -> None:
    stream = world.stream("ana")
    try:
        assert stream.response.status_code == 200
        assert stream.response.headers["content-type"].startswith("text/event-stream")
        ready = stream.next()
        assert ready.event == "ready" and ready.id is not None
        world.buyer_writes("otra")  # first: if it leaked, it would arrive before ana's own
        mine = world.buyer_writes("ana")
        heard = stream.next()
        assert heard.event == "inbox"
        assert heard.data == {
            "id": mine,
            "kind": "message",
            "conversation": world.threads["ana"],
            "channel": "messages",
        }
        assert heard.id == str(mine)
        assert "script" not in heard.raw and "stock" not in heard.raw
    finally:
        stream.close()


def test_a_reconnecting_page_gets_what_it_missed_then_the_live_events(world: World) -> None:
    stream = world.stream("ana")
    cursor = stream.next().id
    stream.close()
    missed = [world.buyer_writes("ana") for _ in range(2)]
    world.buyer_writes("otra")
    again = world.stream("ana", **{"Last-Event-ID": str(cursor)})
    try:
        replayed = again.until("ready")
        assert [e.data["id"] for e in replayed if e.event == "inbox"] == missed
        # The ready cursor is where the hub's reader stands (under load it may lag the replay, read
        # straight from the table): resuming from it may repeat an event, never lose one; this stream
        # itself skips the live copies of what it replayed (below: nothing twice).
        assert int(replayed[-1].id or 0) >= int(cursor or 0)
        live = world.buyer_writes("ana")
        assert again.next().data["id"] == live  # and nothing twice
    finally:
        again.close()


def test_the_page_s_own_cursor_resumes_a_new_stream(world: World) -> None:
    """The inbox page says where the feed stood when it was rendered; its first stream starts there."""
    page = world.clients["ana"].get("/inbox").text
    after = re.search(r'data-live-after="(\d+)"', page).group(1)  # type: ignore[union-attr]
    written = world.buyer_writes("ana")
    stream = world.stream("ana", f"/inbox/events?after={after}")
    try:
        assert [e.data["id"] for e in stream.until("ready") if e.event == "inbox"] == [written]
    finally:
        stream.close()


@pytest.mark.parametrize("cursor", ["999999999", "not-a-number"])
def test_an_unknown_id_asks_the_page_to_reload(world: World, cursor: str) -> None:
    stream = world.stream("ana", **{"Last-Event-ID": cursor})
    try:
        events = stream.until("ready")
        assert [e.event for e in events] == ["reload", "ready"]
        assert events[0].data == {"reason": "unknown_id"}
        assert events[1].id is not None and events[1].id != cursor  # the next reconnect starts anew
    finally:
        stream.close()


def test_more_missed_events_than_the_replay_holds_ask_for_a_reload(world: World) -> None:
    stream = world.stream("ana")
    cursor = stream.next().id
    stream.close()
    for _ in range(6):  # replay_max is 5 here
        world.buyer_writes("ana")
    again = world.stream("ana", **{"Last-Event-ID": str(cursor)})
    try:
        assert [e.event for e in again.until("ready")] == ["reload", "ready"]
    finally:
        again.close()


def test_logging_out_ends_the_stream(world: World) -> None:
    stream = world.stream("ana")
    try:
        assert stream.next().event == "ready"
        r = world.clients["ana"].post(
            "/logout", data={"csrf_token": world.clients["ana"].headers["x-csrf-token"]}
        )
        assert r.status_code == 303
        end = stream.next()
        assert (end.event, end.data) == ("end", {"reason": "session"})
        with pytest.raises(EOFError):
            stream.next()
    finally:
        stream.close()
    gone = world.clients["ana"].get("/inbox/events")  # and no new one without logging in again
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")


def test_a_password_changed_elsewhere_ends_the_stream(world: World) -> None:
    stream = world.stream("otra")
    try:
        assert stream.next().event == "ready"
        set_password(world.ctx.sessions, "otra@example.com", "another good password")  # the CLI's way
        end = stream.next()
        assert (end.event, end.data) == ("end", {"reason": "session"})
    finally:
        stream.close()


def test_stopping_the_server_ends_open_streams_without_waiting_out_the_grace_period(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    streams = [world.stream("ana"), world.stream("otra")]
    try:
        for stream in streams:
            assert stream.next().event == "ready"
        with caplog.at_level(logging.ERROR, logger="uvicorn.error"):
            world.server.stop()
        assert not world.server.thread.is_alive()
        for stream in streams:
            end = stream.next()
            assert (end.event, end.data) == ("end", {"reason": "shutdown"})
        # uvicorn logs this when it had to cancel connections that outlived its graceful shutdown
        assert not [r for r in caplog.records if "timeout graceful shutdown" in r.getMessage()]
    finally:
        for stream in streams:
            stream.close()


# ---- what reaches the feed -----------------------------------------------------------------------------
def events_of(ctx: AppContext, conversation_id: int) -> list[tuple[str, dict[str, Any]]]:
    with transaction(ctx.sessions) as s:
        rows = s.scalars(select(Event).where(Event.conversation_id == conversation_id).order_by(Event.id))
        return [(e.kind, dict(e.data or {})) for e in rows]


def test_a_buyer_message_changed_at_mercado_libre_reaches_the_feed(
    postsale: Connected, market: Market
) -> None:
    """A message re-read with another status (moderated, restored) is news like a new one."""
    order = market.sale()
    message = market.buyer_writes(order, "¿Cuándo llega?")
    ingest_topic(postsale, "messages", message["id"])
    ctx = postsale.ctx
    with transaction(ctx.sessions) as s:
        row = s.scalars(select(Message).where(Message.external_id == message["id"])).one()
        thread_id, shown = row.conversation_id, row.external_status
        row.external_status = "in_review"  # what an earlier read said
    before = events_of(ctx, thread_id)
    ingest_topic(postsale, "messages", message["id"])
    after = events_of(ctx, thread_id)
    changed = {"direction": "in", "status": "changed", "message_id": row.id}  # the id: for webhooks
    assert after[len(before) :] == [("message", changed)]
    with transaction(ctx.sessions) as s:
        assert (
            s.scalars(select(Message.external_status).where(Message.external_id == message["id"])).one()
            == shown
        )
    ingest_topic(postsale, "messages", message["id"])  # read again, unchanged: nothing new
    assert events_of(ctx, thread_id) == after
