"""What the searches share: their query parameters read with a 400 on bad values, documented filters the
sandbox cannot emulate refused instead of silently ignored, and `search_type=scan` cursors (§5.1, §6.4).

A parameter a search does not know at all is ignored, as Mercado Libre ignores unknown query parameters
(and as legacy clients rely on: `access_token`, `attributes`, `caller.id`); sandbox-differences.md lists
which documented filters each search honours and which it refuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mostrador.sandbox.errors import BadRequest, SandboxError
from mostrador.sandbox.records import Scroll
from mostrador.sandbox.state import SandboxState

# §5.1 / §6.4: a scroll_id expires 5 minutes after its last use; a scan page holds at most 100 results.
SCROLL_TTL_S = 300
SCAN_LIMIT_MAX = 100

ErrorFactory = Callable[[str], SandboxError]


def documented(parameters: Mapping[str, str]) -> dict[str, Any]:
    """`openapi_extra` for a search: the query parameters it honours, each with what it does.

    /_sandbox/docs shows them, and tests/sandbox/test_search_filters.py walks exactly this list.
    """
    return {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": text,
            }
            for name, text in parameters.items()
        ]
    }


def bad_request(message: str) -> SandboxError:
    return BadRequest(message, error="bad_request")


def integer(
    params: Mapping[str, str], name: str, default: int, error: ErrorFactory = bad_request, minimum: int = 0
) -> int:
    """A paging parameter: a whole number of at least `minimum`, else the search's 400."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"-?\d{1,18}", raw.strip()):
        raise error(f"{name} must be an integer, got {raw!r}")
    value = int(raw)
    if value < minimum:
        raise error(f"{name} must be at least {minimum}")
    return value


def refuse_unemulated(
    params: Mapping[str, str], unemulated: Mapping[str, str], error: ErrorFactory = bad_request
) -> None:
    """A documented filter the sandbox has no data for is a 400, never an unfiltered answer."""
    for name, reason in unemulated.items():
        if name in params:
            raise error(f"filter {name} is not emulated by the sandbox: {reason}")


def csv(raw: str | None) -> set[str]:
    return {part.strip() for part in (raw or "").split(",") if part.strip()}


def boolean(params: Mapping[str, str], name: str, error: ErrorFactory = bad_request) -> bool | None:
    raw = params.get(name)
    if raw is None:
        return None
    lowered = raw.strip().lower()
    if lowered in ("true", "t", "1"):
        return True
    if lowered in ("false", "f", "0"):
        return False
    raise error(f"{name} must be true or false")


def timestamp(raw: str, name: str, error: ErrorFactory = bad_request) -> float:
    """An ISO-8601 date-time with its offset (`2015-07-01T00:00:00.000-00:00`, `...-0300`, `...Z`)."""
    text = raw.strip().replace("Z", "+00:00")
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise error(f"{name} must be an ISO-8601 date-time with offset, got {raw!r}") from None
    if parsed.tzinfo is None:
        raise error(f"{name} must carry a time-zone offset, got {raw!r}")
    return parsed.timestamp()


@dataclass(frozen=True)
class ScanPage:
    ids: list[str]
    scroll_id: str | None
    total: int
    offset: int


def scan(
    state: SandboxState,
    key: str,
    params: Mapping[str, str],
    matching: Callable[[], Sequence[str]],
    limit: int,
    error: ErrorFactory = bad_request,
) -> ScanPage:
    """One page of a scan (§5.1): first call opens a cursor, later calls re-send the same `scroll_id`;
    once every result was read the answer carries no results and `scroll_id: null`."""
    if params.get("offset") not in (None, "", "0"):
        raise error("search_type=scan does not take offset; follow scroll_id instead")
    if limit > SCAN_LIMIT_MAX:
        raise error(f"limit cannot exceed {SCAN_LIMIT_MAX} with search_type=scan")
    now = state.now()
    for stale in [sid for sid, s in state.scrolls.items() if s.expires_ts <= now]:
        del state.scrolls[stale]
    scroll_id = params.get("scroll_id")
    if scroll_id:
        scroll = state.scrolls.get(scroll_id)
        if scroll is None or scroll.key != key:
            raise error("scroll_id is unknown or expired (they last 5 minutes)")
    else:
        scroll_id = state.ids.scroll_id()
        scroll = Scroll(key=key, ids=list(matching()), position=0, expires_ts=0.0)
        state.scrolls[scroll_id] = scroll
    start = scroll.position
    page = scroll.ids[start : start + limit]
    scroll.position += len(page)
    scroll.expires_ts = now + SCROLL_TTL_S
    if not page:
        del state.scrolls[scroll_id]
        return ScanPage(ids=[], scroll_id=None, total=len(scroll.ids), offset=start)
    return ScanPage(ids=page, scroll_id=scroll_id, total=len(scroll.ids), offset=start)
