"""Errors raised by the Mercado Libre client, mapped from HTTP status in one place.

Hierarchy::

    MeliError                      any failure talking to Mercado Libre
    ├── TransportError             network failure or timeout; no HTTP answer
    │   └── CircuitOpen            failing fast: the API has been failing, cooling down
    ├── InvalidResponse            a 2xx answer whose body is not what the API documents
    ├── BadRequest        400
    │   └── InvalidGrant  400      OAuth ``error: invalid_grant`` (§2.5): re-authorize
    ├── Unauthorized      401      token expired, revoked or invalid
    ├── Forbidden         403
    ├── NotFound          404
    ├── Conflict          409
    ├── Unprocessable     422
    ├── RateLimited       429      carries ``retry_after`` seconds
    ├── Unavailable       451      buyer account deactivated (§8.3)
    └── ServerError       5xx

    ValueError
    └── InvalidAttachment          a file the API would refuse; raised before any request (§9.6)

The status always comes from the HTTP status line, never from the body: Mercado Libre bodies
vary (``message``/``error``/``status``/``cause``, OAuth ``error_description``, action-guide
``status_code``, 403 pages with ``code``; §10) and even say ``"error": "not_found"`` on a 401.
Each class's docstring is its default message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

__all__ = [
    "BadRequest",
    "CircuitOpen",
    "Conflict",
    "Forbidden",
    "InvalidAttachment",
    "InvalidGrant",
    "InvalidResponse",
    "MeliError",
    "NotFound",
    "RateLimited",
    "ServerError",
    "TransportError",
    "Unauthorized",
    "Unavailable",
    "Unprocessable",
    "error_for_status",
    "error_from_response",
]


class MeliError(Exception):
    """Mercado Libre API call failed."""

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        error: str | None = None,
        cause: Any = None,
        body: Any = None,
    ) -> None:
        self.message = message or (type(self).__doc__ or "").strip()
        self.status = status
        self.error = error
        self.cause = cause
        self.body = body
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.error:
            parts.append(f"error={self.error}")
        return " ".join(parts)


class TransportError(MeliError):
    """Could not reach Mercado Libre (network failure or timeout)."""

    def __init__(self, message: str | None = None, *, request_sent: bool = True, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        # False only when the request certainly never left (connect error, pool timeout):
        # the one transport failure after which a non-idempotent POST may be retried.
        self.request_sent = request_sent


class CircuitOpen(TransportError):
    """Mercado Libre has been failing; calls are paused for a cool-down."""

    def __init__(self, message: str | None = None, *, retry_after: float = 0.0, **kwargs: Any) -> None:
        super().__init__(message, request_sent=False, **kwargs)
        self.retry_after = retry_after


class InvalidResponse(MeliError):
    """Mercado Libre answered with a body that does not match the documented shape."""


class BadRequest(MeliError):
    """Mercado Libre rejected the request as invalid."""


class InvalidGrant(BadRequest):
    """The authorization code or refresh token is invalid, expired, revoked or already used."""


class Unauthorized(MeliError):
    """The access token is invalid or expired."""


class Forbidden(MeliError):
    """The token may not access this resource."""


class NotFound(MeliError):
    """The resource does not exist."""


class Conflict(MeliError):
    """The resource is locked by a concurrent operation."""


class Unprocessable(MeliError):
    """The request is well formed but not applicable to this resource."""


class RateLimited(MeliError):
    """Too many requests; slow down."""

    def __init__(self, message: str | None = None, *, retry_after: float = 1.0, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Unavailable(MeliError):
    """Unavailable for legal reasons (the counterpart's account is deactivated)."""


class ServerError(MeliError):
    """Mercado Libre failed to handle the request."""


class InvalidAttachment(ValueError):
    """The file cannot be attached: only JPG, PNG or PDF up to 5 MB, named with ``[A-Za-z0-9_.-]``."""

    def __init__(self, reason: str, *, filename: str) -> None:
        super().__init__(f"{filename!r}: {reason}")
        self.reason = reason
        self.filename = filename


_BY_STATUS: dict[int, type[MeliError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: Unprocessable,
    429: RateLimited,
    451: Unavailable,
}


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header given as a number; None when absent or a date."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(seconds, 0.0) if seconds == seconds else None  # reject NaN


def error_for_status(
    status: int,
    body: Any,
    *,
    headers: Mapping[str, str] | None = None,
    default_retry_after: float = 1.0,
) -> MeliError:
    """Build the error for an HTTP ``status`` and an already decoded ``body`` (also used by multiget)."""
    fields = body if isinstance(body, dict) else {}
    # Machine code: "error" in the common envelope, "code" on 403 pages and send-message errors.
    error = _text(fields.get("error")) or _text(fields.get("code"))
    message = (
        _text(fields.get("message"))
        or _text(fields.get("error_description"))
        or (body.strip()[:500] if isinstance(body, str) and body.strip() else None)
        or error
    )
    cause = fields.get("cause")
    common: dict[str, Any] = {"status": status, "error": error, "cause": cause, "body": body}
    if status == 400 and error == "invalid_grant":
        return InvalidGrant(message, **common)
    if status == 429:
        header = parse_retry_after((headers or {}).get("retry-after"))
        retry_after = header if header is not None else default_retry_after
        return RateLimited(message, retry_after=retry_after, **common)
    if status >= 500:
        return ServerError(message, **common)
    return _BY_STATUS.get(status, MeliError)(message, **common)


def error_from_response(response: httpx.Response, *, default_retry_after: float = 1.0) -> MeliError:
    """Map a non-2xx response to its error class; the status comes from the HTTP line (§10)."""
    try:
        body: Any = response.json()
    except (ValueError, UnicodeDecodeError):
        body = response.text
    return error_for_status(
        response.status_code, body, headers=response.headers, default_retry_after=default_retry_after
    )
