"""A cap on request bodies, before any form is parsed (a pure ASGI middleware).

Forms are parsed before the login and CSRF checks can refuse them, and a multipart parser spools file
parts to disk, so without a cap anyone could fill the disk with one request. Most forms are a few
fields (`DEFAULT_LIMIT`); only the paths that take files (an agent's reply with attachments) may send
more (`UPLOAD_LIMIT`). A body declared too large is refused before it is read; one that grows too
large while being read (chunked, or a lying Content-Length) is cut off with the same 413.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_LIMIT = 1_000_000
UPLOAD_LIMIT = 27_000_000  # the largest reply's files (25 MB, web/inbox.py) plus the form around them
UPLOAD_PATHS = re.compile(r"^/inbox/\d+/reply$")
API_PREFIX = "/api/"


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = UPLOAD_LIMIT if UPLOAD_PATHS.match(scope["path"]) else DEFAULT_LIMIT
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit, scope["path"])
            return
        received = 0
        over = False  # the body grew past the limit: whatever the app answers, the answer is 413
        answered = False

        async def counted() -> Message:
            nonlocal received, over
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                over = True
                raise BodyTooLarge  # FastAPI turns a body it cannot read into a 400; `watched` says 413
            return message

        async def watched(message: Message) -> None:
            nonlocal answered
            if over:
                if not answered:
                    answered = True
                    await _too_large(send, limit, scope["path"])
                return
            answered = answered or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not answered:
                await _too_large(send, limit, scope["path"])


async def _too_large(send: Send, limit: int, path: str) -> None:
    if path.startswith(API_PREFIX):  # the REST API answers every error as a problem document
        detail = f"The body is over {limit // 1_000_000} MB."
        problem = {"type": "about:blank", "title": "Content Too Large", "status": 413, "detail": detail}
        body, content_type = json.dumps(problem).encode(), b"application/problem+json"
    else:
        body, content_type = (
            f"El envío supera {limit // 1_000_000} MB.".encode(),
            b"text/plain; charset=utf-8",
        )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
