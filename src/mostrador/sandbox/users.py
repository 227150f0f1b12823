"""Users (§3): private view for the token owner, public subset for everyone else."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from mostrador.sandbox.caller import CallerDep, OptionalCallerDep, sandbox_state
from mostrador.sandbox.clock import iso_marketplace
from mostrador.sandbox.errors import BadRequest, NotFound
from mostrador.sandbox.oauth import revoke_grant
from mostrador.sandbox.reputation import seller_reputation
from mostrador.sandbox.sites import site
from mostrador.sandbox.state import SandboxState, User

router = APIRouter()


def private_view(state: SandboxState, user: User) -> dict[str, Any]:
    """§3.1 shape (same keys as the documented `GET /users/me`)."""
    user_site = site(user.site_id)
    allow = {"allow": True, "codes": [], "immediate_payment": {"required": False, "reasons": []}}
    return {
        "id": user.id,
        "nickname": user.nickname,
        "registration_date": iso_marketplace(user.registration_ts),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "country_id": user_site.country_id,
        "email": user.email,
        "identification": {"type": user_site.identification_type, "number": str(user.id)[-8:]},
        "address": {
            "state": f"{user_site.country_id}-C",
            "city": "Sandbox",
            "address": "Test Address 123",
            "zip_code": "1414",
        },
        "phone": {"area_code": "01", "number": "1111-1111", "extension": "", "verified": False},
        "alternative_phone": {"area_code": "", "number": "", "extension": ""},
        "user_type": "normal",
        "tags": ["normal", "test_user", "user_info_verified"],
        "logo": None,
        "points": 100,
        "site_id": user.site_id,
        "permalink": f"http://perfil.{user_site.domain}/{user.nickname}",
        "seller_experience": "ADVANCED" if user.role == "seller" else "NEWBIE",
        "seller_reputation": seller_reputation(state, user),
        "buyer_reputation": {
            "canceled_transactions": 0,
            "transactions": {
                "period": "historic",
                "total": None,
                "completed": None,
                "canceled": {"total": None, "paid": None},
                "unrated": {"total": None, "paid": None},
                "not_yet_rated": {"total": None, "paid": None, "units": None},
            },
            "tags": [],
        },
        "status": {
            "site_status": "active",
            "list": allow,
            "buy": allow,
            "sell": allow,
            "billing": {"allow": True, "codes": []},
            "mercadopago_tc_accepted": True,
            "mercadopago_account_type": "personal",
            "mercadoenvios": "accepted",
            "immediate_payment": False,
            "confirmed_email": True,
            "user_type": "eventual",
            "required_action": "",
        },
        "credit": {"consumed": 100, "credit_level_id": f"{user.site_id}1"},
    }


def public_view(state: SandboxState, user: User) -> dict[str, Any]:
    """§3.2: the subset returned without the owner's grant."""
    full = private_view(state, user)
    reputation = full["seller_reputation"]
    return {
        "id": user.id,
        "nickname": user.nickname,
        "country_id": full["country_id"],
        "address": {"city": full["address"]["city"], "state": full["address"]["state"]},
        "user_type": full["user_type"],
        "site_id": user.site_id,
        "permalink": full["permalink"],
        "seller_reputation": {
            "level_id": reputation["level_id"],
            "power_seller_status": reputation["power_seller_status"],
            "transactions": {"period": "historic", "total": reputation["transactions"]["total"]},
        },
        "status": {"site_status": "active"},
    }


def multiget_view(state: SandboxState, user: User) -> dict[str, Any]:
    """§3.2 multiget bodies: the public subset plus registration date, tags, points and full transactions."""
    full = private_view(state, user)
    body = public_view(state, user)
    body.update(
        {
            "registration_date": full["registration_date"],
            "tags": full["tags"],
            "logo": None,
            "points": full["points"],
            "seller_reputation": full["seller_reputation"],
            "buyer_reputation": {"tags": []},
        }
    )
    return body


@router.get("/users")
async def users_multiget(request: Request, ids: str = "") -> list[dict[str, Any]]:
    """`GET /users?ids=1,2` -> `[{"code": 200, "body": {...}}]` (§3.2)."""
    state = sandbox_state(request)
    wanted = [raw.strip() for raw in ids.split(",") if raw.strip()]
    if not wanted:
        raise BadRequest("ids is required", error="bad_request")
    result: list[dict[str, Any]] = []
    for raw in wanted:
        user = state.users.get(int(raw)) if raw.isdigit() else None
        if user is None:
            result.append({"code": 404, "body": NotFound(f"User not found: {raw}").body()})
        else:
            result.append({"code": 200, "body": multiget_view(state, user)})
    return result


@router.get("/users/me")
async def users_me(request: Request, caller: CallerDep) -> dict[str, Any]:
    return private_view(sandbox_state(request), caller.user)


@router.get("/users/{user_id}")
async def user_by_id(user_id: int, request: Request, caller: OptionalCallerDep) -> dict[str, Any]:
    state = sandbox_state(request)
    user = state.user(user_id)
    if caller is not None and caller.user.id == user.id:
        return private_view(state, user)
    return public_view(state, user)


@router.delete("/users/{user_id}/applications/{app_id}")
async def revoke_application(
    user_id: int, app_id: int, request: Request, caller: CallerDep
) -> dict[str, Any]:
    """§2.4: the seller (or the integrator) revokes a grant; both tokens die at once."""
    caller.must_be(user_id)
    state = sandbox_state(request)
    if not revoke_grant(state, user_id, app_id):
        raise NotFound(f"Authorization not found for user {user_id} and application {app_id}")
    return {"user_id": str(user_id), "app_id": str(app_id), "msg": "Autorización eliminada"}


@router.get("/users/{user_id}/applications")
async def user_applications(user_id: int, request: Request, caller: CallerDep) -> list[dict[str, Any]]:
    caller.must_be(user_id)
    state = sandbox_state(request)
    return [
        {
            "user_id": str(uid),
            "app_id": str(app_id),
            "date_created": iso_marketplace(grant.created_ts),
            "scopes": grant.scopes,
        }
        for (uid, app_id), grant in state.grants.items()
        if uid == user_id and not grant.revoked and not state.apps[app_id].internal
    ]
