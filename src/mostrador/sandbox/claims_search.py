"""`GET /post-purchase/v1/claims/search` (§9.2) with its documented validation rules."""

from __future__ import annotations

from typing import Any

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
_INVALID_PARAMS = (
    "Invalid parameters. At least submit some of these filters: [resource and resource_id] "
    "[players.role and players.user_id]"
)


def _invalid(message: str, error: str = "invalid_params") -> ClaimError:
    return ClaimError(message, error=error, status=400)


def validate(params: dict[str, str]) -> tuple[int, int]:
    if not any(params.get(f) for f in FILTERS):
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
    try:
        offset = int(params.get("offset", "0"))
        limit = min(int(params.get("limit", "30")), 100)
    except ValueError as exc:
        raise _invalid("offset and limit must be numbers") from exc
    # §9.2: offset max 9999 and offset + limit < 10000.
    if offset < 0 or offset > 9999 or offset + limit >= 10000 or limit < 1:
        raise _invalid("offset + limit must be lower than 10000")
    return offset, limit


def _matches(claim: Claim, params: dict[str, str]) -> bool:
    role, user = params.get("players.role"), params.get("players.user_id")
    if role and user and str(claim.buyer_id if role == "complainant" else claim.seller_id) != user:
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
    found = [
        c for c in state.claims.values() if caller_id in (c.buyer_id, c.seller_id) and _matches(c, params)
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
