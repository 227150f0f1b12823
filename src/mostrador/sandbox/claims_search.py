"""`GET /post-purchase/v1/claims/search` (§9.2) with its documented validation rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mostrador.sandbox import searches
from mostrador.sandbox.claims import ClaimError, claim_view
from mostrador.sandbox.records import Claim
from mostrador.sandbox.state import SandboxState

FILTERS = (
    "id",
    "type",
    "stage",
    "status",
    "resource",
    "resource_id",
    "reason_id",
    "site_id",
    "players.role",
    "players.user_id",
    "order_id",
    "pack_id",
    "payment_id",
    "parent_id",
    "date_created",
    "last_updated",
)
DOCUMENTED = {
    **{name: "§9.2 filter" for name in FILTERS if name not in ("date_created", "last_updated")},
    "range": "§9.2: date_created|last_updated:after:<date with ms>,before:<date with ms>",
    "sort": "§9.2: date_created|last_updated:asc|desc",
    "offset": "§9.2: at most 9999, offset + limit < 10000",
    "limit": "§9.2: default 30, larger values clamped to 100",
}
_INVALID_PARAMS = (
    "Invalid parameters. At least submit some of these filters: [resource and resource_id] "
    "[players.role and players.user_id]"
)


def _invalid(message: str, error: str = "invalid_params") -> ClaimError:
    return ClaimError(message, error=error, status=400)


RANGE_FIELDS = ("date_created", "last_updated")
# §9.2: date-times must include milliseconds.
_WITH_MILLIS = re.compile(r".*T\d{2}:\d{2}:\d{2}\.\d{3}.*")


def date_range(params: Mapping[str, str]) -> tuple[str, float | None, float | None] | None:
    """§9.2 `range=date_created:after:2024-01-01T00:00:00.000-0300,before:2024-03-01T00:00:00.000-0300`."""
    raw = params.get("range")
    if not raw:
        for name in RANGE_FIELDS:
            if params.get(name):
                raise _invalid(f"{name} is filtered with range={name}:after:<date>,before:<date>")
        return None
    field, _, bounds = raw.partition(":")
    if field not in RANGE_FIELDS or not bounds:
        raise _invalid(
            "range must be date_created or last_updated followed by :after:<date> and/or ,before:<date>"
        )
    limits: dict[str, float] = {}
    for part in bounds.split(","):
        bound, _, value = part.partition(":")
        if bound not in ("after", "before") or bound in limits:
            raise _invalid(f"range bounds are after: and before:, got {part!r}")
        if not _WITH_MILLIS.fullmatch(value):
            raise _invalid("range dates must include milliseconds, e.g. 2024-01-01T00:00:00.000-0300")
        limits[bound] = searches.timestamp(value, "range", _invalid)
    return field, limits.get("after"), limits.get("before")


def validate(params: dict[str, str]) -> tuple[int, int]:
    ranged = params.get("range", "").partition(":")[0]
    if not any(params.get(f) for f in FILTERS) and ranged not in RANGE_FIELDS:
        raise _invalid(f"at least any of these filters: {', '.join(FILTERS)}", error="invalid_query")
    if bool(params.get("resource")) != bool(params.get("resource_id")) and not (
        params.get("resource") and params.get("players.role") and params.get("players.user_id")
    ):
        raise _invalid(_INVALID_PARAMS)
    if bool(params.get("players.role")) != bool(params.get("players.user_id")):
        raise _invalid(_INVALID_PARAMS)
    if params.get("players.role") not in (None, "complainant", "respondent"):
        raise _invalid("players.role must be complainant or respondent")
    if params.get("order_id") and params.get("pack_id"):
        raise _invalid("order_id and pack_id cannot be combined")
    offset = searches.integer(params, "offset", 0, _invalid)
    limit = min(searches.integer(params, "limit", 30, _invalid, minimum=1), 100)
    # §9.2: offset max 9999 and offset + limit < 10000; larger limits are clamped to 100.
    if offset > 9999 or offset + limit >= 10000:
        raise _invalid("offset + limit must be lower than 10000")
    return offset, limit


def _matches(
    state: SandboxState,
    claim: Claim,
    params: dict[str, str],
    window: tuple[str, float | None, float | None] | None,
) -> bool:
    role, user = params.get("players.role"), params.get("players.user_id")
    if role and user and str(claim.buyer_id if role == "complainant" else claim.seller_id) != user:
        return False
    if params.get("parent_id"):
        return False  # sandbox claims are never children of another claim (`parent_id: null`)
    order = state.orders.get(claim.order_id)
    if params.get("payment_id") and (order is None or str(order.payment_id) != params["payment_id"]):
        return False  # §9.2: a payment_id is converted to its order
    if window is not None:
        field, after, before = window
        stamp = claim.created_ts if field == "date_created" else claim.updated_ts
        if (after is not None and stamp < after) or (before is not None and stamp > before):
            return False
    checks = {
        "id": str(claim.id),
        "type": claim.type,
        "stage": claim.stage,
        "status": claim.status,
        "resource": "order",
        "resource_id": str(claim.order_id),
        "reason_id": claim.reason_id,
        "site_id": claim.site_id,
        "order_id": str(claim.order_id),
        "pack_id": str(claim.pack_id),
    }
    return all(not params.get(key) or params[key] == value for key, value in checks.items())


def search(state: SandboxState, caller_id: int, params: dict[str, str]) -> dict[str, Any]:
    offset, limit = validate(params)
    window = date_range(params)
    found = [
        c
        for c in state.claims.values()
        if caller_id in (c.buyer_id, c.seller_id) and _matches(state, c, params, window)
    ]
    field, _, direction = params.get("sort", "date_created:desc").partition(":")
    if field not in ("date_created", "last_updated") or direction not in ("asc", "desc"):
        raise _invalid("sort must be date_created or last_updated with :asc or :desc")
    found.sort(
        key=lambda c: c.created_ts if field == "date_created" else c.updated_ts, reverse=direction == "desc"
    )
    return {
        "paging": {"total": len(found), "offset": offset, "limit": limit},
        "data": [claim_view(c) for c in found[offset : offset + limit]],
    }
