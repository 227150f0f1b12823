"""Query strings and paths carrying a NUL byte are refused before any route reads them (a pure ASGI
middleware): PostgreSQL's text cannot hold one, so a filter or search value carrying it would fail its
query with a 500 instead of a clear 400. The REST API answers in its problem shape, pages in words."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

API_PREFIX = "/api/"


class RefuseNul:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (b"%00" in scope.get("query_string", b"") or "\x00" in scope["path"]):
            await _refuse(scope["path"], send)
            return
        await self.app(scope, receive, send)


async def _refuse(path: str, send: Send) -> None:
    detail = "The request's address contains a NUL byte (%00), which no value may hold."
    if path.startswith(API_PREFIX):
        body = json.dumps({"type": "about:blank", "title": "Bad Request", "status": 400, "detail": detail})
        content_type = b"application/problem+json"
    else:
        body, content_type = (
            "La dirección tiene un byte nulo (%00): ningún valor puede llevarlo.",
            b"text/plain",
        )
    payload = body.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})
