"""The inbox's live updates: `GET /inbox/events`, a Server-Sent Events stream per open page.

A stream carries what changed in the user's workspace — `event: inbox` with `{"id", "kind",
"conversation", "channel"}`, never buyer text — and the page re-reads its fragments (static/live.js).
Each event's SSE id is a resume cursor (`inbox.feed`): a reconnecting page sends it back as
`Last-Event-ID` (or `?after=`, the cursor its HTML was rendered at) and first gets what it missed, up to
`MOSTRADOR_INBOX_EVENTS_REPLAY_MAX` events, or `event: reload`. Then `event: ready`, then live events.
`event: end` closes the stream for good: its session ended (the page reloads into the login) or the
server is stopping (the browser reconnects, to this process or another). Keep-alive comments every
`MOSTRADOR_INBOX_EVENTS_KEEPALIVE_S`. See docs/inbox.md.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from sse_starlette.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from mostrador import i18n
from mostrador.context import AppContext
from mostrador.inbox import feed
from mostrador.inbox.feed import FeedEvent
from mostrador.inbox.hub import Delivered, Ended, EventHub, HubClosed, MustReload
from mostrador.users import sessions as user_sessions
from mostrador.users.roles import Role
from mostrador.web.deps import CurrentUser, get_ctx, requires

router = APIRouter()
RETRY_MS = 3_000  # how long a browser waits before reconnecting a dropped stream
SEND_TIMEOUT_S = 30.0  # a client that stopped reading for this long is dropped (its buffer is full)


@router.get("/inbox/events")
async def events(
    request: Request,
    user: Annotated[CurrentUser, Depends(requires(Role.VIEWER))],
    after: str | None = None,
) -> Response:
    """What changes in the workspace, as it happens (text/event-stream)."""
    hub = _hub(request)
    if hub.closed:
        return Response(
            i18n.gettext("El servidor se está reiniciando."), status_code=503, headers={"Retry-After": "3"}
        )
    ctx = get_ctx(request)
    resume = request.headers.get("last-event-id") or after or ""
    return EventSourceResponse(
        _stream(hub, ctx, user, resume),
        ping=ctx.settings.inbox_events_keepalive_s,
        ping_message_factory=lambda: ServerSentEvent(comment="keep-alive"),
        send_timeout=SEND_TIMEOUT_S,
    )


async def _stream(hub: EventHub, ctx: AppContext, user: CurrentUser, resume: str) -> AsyncIterator[Any]:
    try:
        sub = await hub.subscribe(user.workspace_id, user.session_id)
    except HubClosed:
        yield _end("shutdown")
        return
    try:
        yield ServerSentEvent(comment="mostrador", retry=RETRY_MS)
        replayed: set[int] = set()
        cursor = sub.start_cursor
        if resume:
            missed = await run_in_threadpool(
                feed.replay, ctx.sessions, user.workspace_id, resume, ctx.settings.inbox_events_replay_max
            )
            if missed.events is None:
                yield _reload(missed.reason, sub.start_cursor)
            else:
                for e in missed.events:
                    replayed.add(e.id)
                    yield _event(e, min(e.id, sub.start_cursor))
                cursor = max(int(resume), sub.start_cursor)
        yield ServerSentEvent(json.dumps({"cursor": cursor}), event="ready", id=str(cursor))
        while True:
            item = await sub.get()
            if isinstance(item, Ended):
                yield _end(item.reason)
                return
            if isinstance(item, MustReload):
                yield _reload(item.reason, item.cursor)
            elif isinstance(item, Delivered) and item.event.id not in replayed:
                yield _event(item.event, item.cursor)
    finally:
        hub.unsubscribe(sub)


def _event(e: FeedEvent, cursor: int) -> ServerSentEvent:
    return ServerSentEvent(json.dumps(e.public()), event="inbox", id=str(cursor))


def _reload(reason: str, cursor: int) -> ServerSentEvent:
    return ServerSentEvent(json.dumps({"reason": reason}), event="reload", id=str(cursor))


def _end(reason: str) -> ServerSentEvent:
    return ServerSentEvent(json.dumps({"reason": reason}), event="end")


def _hub(request: Request) -> EventHub:
    hub: EventHub = request.app.state.event_hub
    return hub


# ---- wiring ------------------------------------------------------------------------------------------
@dataclass
class LiveUpdates:
    """The process's hub and the commit watch that wakes it; started and closed by the app's lifespan."""

    hub: EventHub
    stop_watching: Any

    async def start(self) -> None:
        await self.hub.start()

    async def aclose(self) -> None:
        self.stop_watching()
        await self.hub.aclose()


class LiveCursor:
    """Notes, before a request reads anything, where the feed stands (pure ASGI): a page rendered from
    that read resumes from this cursor, so nothing committed between its read and its stream is lost."""

    def __init__(self, app: ASGIApp, hub: EventHub) -> None:
        self.app, self.hub = app, hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            scope.setdefault("state", {})["live_cursor"] = self.hub.safe_cursor
        await self.app(scope, receive, send)


def live_after(request: Request) -> str:
    """The cursor a page's stream starts after (empty before the hub started: the stream starts now)."""
    cursor = getattr(request.state, "live_cursor", None)
    return "" if cursor is None else str(cursor)


def install_live(app: FastAPI, ctx: AppContext) -> LiveUpdates:
    """Give the app its event hub, the stream route and what templates need. Call before the inbox's
    routes are included: `/inbox/events` must win over `/inbox/{conversation_id}`."""
    s = ctx.settings
    hub = EventHub(
        ctx.sessions,
        poll_s=s.inbox_events_poll_s,
        session_check_s=s.inbox_events_session_check_s,
        gap_wait_s=s.inbox_events_gap_wait_s,
        check_sessions=partial(user_sessions.still_live, policy=user_sessions.SessionPolicy.of(s)),
    )
    live = LiveUpdates(hub, feed.watch_commits(ctx.sessions, hub.wake))
    app.state.event_hub = hub
    app.state.close_streams = hub.close  # cli.servers.ServerThread.stop ends the streams first
    app.add_middleware(LiveCursor, hub=hub)
    app.state.templates.env.globals.update(
        live_after=live_after, live_fallback_ms=int(s.inbox_events_fallback_poll_s * 1000)
    )
    app.include_router(router)
    return live
