"""Cursor pagination, the same on every list: `limit` (1–200) and an opaque `cursor` from the previous
page's `next_cursor`. Rows come in id order and the cursor stands for the last id seen, so a walk sees
every row once, rows added meanwhile included.

The cursor's shape is in the document (a base-36 word of up to six letters, reaching past every id an
INTEGER holds), so any cursor the document allows is one this API could have given: a request is never
valid by the document and refused by the server.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

MAX_ID = 2**31 - 1  # ids are INTEGER columns (PostgreSQL's int4): a larger one names nothing
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page.")]
Cursor = Annotated[
    str | None,
    Query(
        pattern="^[0-9a-z]{1,6}$",
        description="The previous page's `next_cursor` (opaque); none for the first page.",
    ),
]


def encode(after: int | None) -> str | None:
    if after is None:
        return None
    word = ""
    while True:
        after, digit = divmod(after, 36)
        word = _DIGITS[digit] + word
        if after == 0:
            return word


def decode(cursor: str | None) -> int:
    """The id to continue after (0 for the first page); the route's validation checked the shape."""
    return min(int(cursor, 36), MAX_ID) if cursor else 0
