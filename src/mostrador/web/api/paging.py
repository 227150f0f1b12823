"""Cursor pagination, the same on every list: `limit` (1–200) and an opaque `cursor` from the previous
page's `next_cursor`. Rows come in id order and the cursor is the last id seen, so a walk sees every
row once, rows added meanwhile included."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Query

from mostrador.web.api.problems import ApiProblem

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_MARK = "v1:"

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page.")]
Cursor = Annotated[
    str | None,
    Query(max_length=200, description="The previous page's `next_cursor`; none for the first page."),
]


def encode(after: int | None) -> str | None:
    if after is None:
        return None
    return base64.urlsafe_b64encode(f"{_MARK}{after}".encode()).decode().rstrip("=")


def decode(cursor: str | None) -> int:
    """The id to continue after (0 for the first page); a 400 problem for a cursor we never gave."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    number = raw.removeprefix(_MARK)
    if not raw.startswith(_MARK) or not number.isascii() or not number.isdigit() or len(number) > 18:
        raise ApiProblem(
            400, "The cursor is not one this API gave; start again without it.", kind="bad-cursor"
        )
    return int(number)
