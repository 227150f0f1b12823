"""Field types that accept every spelling Mercado Libre actually sends.

The API is inconsistent across resources (§10 "Dates and time zones", §4.3, §8.1): date-times come
as ``-04:00``, ``-0400``, ``Z``, ``+00:00`` or with nanoseconds; ids come as numbers or strings.
These types normalise once, at the edge, so the rest of the product sees one shape.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

__all__ = ["MeliDate", "MeliDatetime", "StrId", "parse_meli_date", "parse_meli_datetime"]

_FRACTION = re.compile(r"(\.\d{6})\d+")
_WHITESPACE = re.compile(r"\s+")


def parse_meli_datetime(value: Any) -> datetime:
    """Parse any Mercado Libre date-time into an aware ``datetime``.

    Accepts offsets with or without a colon, ``Z``, any number of fraction digits (extra digits
    beyond microseconds are dropped) and stray spaces (one official sample prints
    ``"2016-02-24T15: 18: 42.000-04: 00"``). A value without an offset is taken as UTC: the API
    never sends local time without saying so, and guessing the server zone would be worse.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = _WHITESPACE.sub("", value)
        if not text:
            raise ValueError("empty date-time")
        text = _FRACTION.sub(r"\1", text)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"not an ISO-8601 date-time: {value!r}") from exc
    else:
        raise ValueError(f"expected a date-time string, got {type(value).__name__}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_meli_date(value: Any) -> date:
    """A calendar date sent short (``2024-06-13``) or as a full date-time (§9.8 accepts both).

    A date-time keeps the day of its own offset: ``2024-06-13T23:00:00.000-04:00`` is the 13th.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"not an ISO-8601 date: {value!r}") from exc
    return parse_meli_datetime(value).date()


def _to_str_id(value: Any) -> Any:
    # bool is an int subclass; an id is never a boolean, so let validation reject it.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


MeliDatetime = Annotated[datetime, BeforeValidator(parse_meli_datetime)]
"""A date-time in any of the spellings the API uses, always timezone-aware."""

MeliDate = Annotated[date, BeforeValidator(parse_meli_date)]
"""A date sent as ``yyyy-MM-dd`` or as a full date-time (then its own day is kept)."""

StrId = Annotated[str, BeforeValidator(_to_str_id)]
"""An identifier kept as text although the API sometimes sends it as a number."""
