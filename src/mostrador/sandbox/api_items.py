"""HTTP routes for items (§6): create, read (owner vs public), multiget, description, search, update."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mostrador.sandbox.caller import CallerDep, OptionalCallerDep, sandbox_state
from mostrador.sandbox.errors import BadRequest, Forbidden
from mostrador.sandbox.items import create_item, description_view, item_view, update_item
from mostrador.sandbox.notifications import Notifier
from mostrador.sandbox.oauth import require_json_object
from mostrador.sandbox.questions import close_item_questions
from mostrador.sandbox.state import Item

router = APIRouter()

# §6.2: multiget accepts at most 20 ids.
MULTIGET_MAX = 20


def _trim(body: dict[str, Any], attributes: str | None) -> dict[str, Any]:
    """§1: `?attributes=a,b` keeps only those fields."""
    if not attributes:
        return body
    wanted = {a.strip() for a in attributes.split(",") if a.strip()}
    return {k: v for k, v in body.items() if k in wanted}


def _notifier(request: Request) -> Notifier:
    notifier: Notifier = request.app.state.notifier
    return notifier


def notify_item(request: Request, item: Item) -> None:
    _notifier(request).publish("items", f"/items/{item.id}", item.seller_id, site_id=item.site_id)


@router.post("/items", status_code=201)
async def post_item(request: Request, caller: CallerDep) -> dict[str, Any]:
    state = sandbox_state(request)
    item = create_item(state, caller.user, require_json_object(await request.json()))
    notify_item(request, item)
    return item_view(item, owner=True)


@router.get("/items")
async def multiget(
    request: Request, caller: OptionalCallerDep, ids: str = "", attributes: str | None = None
) -> list[dict[str, Any]]:
    wanted = [i.strip() for i in ids.split(",") if i.strip()]
    if not wanted:
        raise BadRequest("ids is required", error="bad_request")
    if len(wanted) > MULTIGET_MAX:
        raise BadRequest(f"The maximum number of ids is {MULTIGET_MAX}", error="bad_request")
    state = sandbox_state(request)
    results: list[dict[str, Any]] = []
    for item_id in wanted:
        item = state.items.get(item_id)
        if item is None:
            results.append(
                {
                    "code": 404,
                    "body": {
                        "message": f"Item with id {item_id} not found",
                        "error": "not_found",
                        "status": 404,
                        "cause": [],
                    },
                }
            )
            continue
        owner = caller is not None and caller.user.id == item.seller_id
        results.append({"code": 200, "body": _trim(item_view(item, owner=owner), attributes)})
    return results


@router.get("/items/{item_id}")
async def get_item(
    item_id: str, request: Request, caller: OptionalCallerDep, attributes: str | None = None
) -> dict[str, Any]:
    item = sandbox_state(request).item(item_id)
    owner = caller is not None and caller.user.id == item.seller_id
    return _trim(item_view(item, owner=owner), attributes)


@router.get("/items/{item_id}/description")
async def get_description(item_id: str, request: Request, caller: OptionalCallerDep) -> dict[str, Any]:
    return description_view(sandbox_state(request).item(item_id))


@router.put("/items/{item_id}")
async def put_item(item_id: str, request: Request, caller: CallerDep) -> dict[str, Any]:
    state = sandbox_state(request)
    item = state.item(item_id)
    if item.seller_id != caller.user.id:
        raise Forbidden("The caller is not the owner of the item", error="forbidden")
    update_item(state, item, require_json_object(await request.json()))
    if item.status == "closed":
        for question in close_item_questions(state, item.id):
            _notifier(request).publish("questions", f"/questions/{question.id}", question.seller_id)
    notify_item(request, item)
    return item_view(item, owner=True)


_ORDERS = {
    "start_time_desc": ("created_ts", True),
    "start_time_asc": ("created_ts", False),
    "price_asc": ("price", False),
    "price_desc": ("price", True),
    "last_updated_desc": ("updated_ts", True),
    "last_updated_asc": ("updated_ts", False),
    "available_quantity_asc": ("available_quantity", False),
    "available_quantity_desc": ("available_quantity", True),
}


@router.get("/users/{user_id}/items/search", response_model=None)
async def seller_items(
    user_id: int,
    request: Request,
    caller: CallerDep,
    status: str | None = None,
    offset: int = 0,
    limit: int = 50,
    orders: str = "start_time_desc",
    seller_sku: str | None = None,
) -> JSONResponse:
    """§6.4: ids only; the caller must be the seller."""
    caller.must_be(user_id)
    if orders not in _ORDERS:
        raise BadRequest(f"invalid orders value: {orders}", error="bad_request")
    if limit > 100 or offset + limit > 1000:
        raise BadRequest("offset + limit cannot exceed 1000; use search_type=scan", error="bad_request")
    state = sandbox_state(request)
    found = [
        i for i in state.items.values() if i.seller_id == user_id and (status is None or i.status == status)
    ]
    if seller_sku:
        found = [
            i
            for i in found
            if any(a["id"] == "SELLER_SKU" and a["value_name"] == seller_sku for a in i.body["attributes"])
        ]
    field, descending = _ORDERS[orders]
    found.sort(key=lambda i: getattr(i, field), reverse=descending)
    names = {key: f"Order by {key.replace('_', ' ')}" for key in _ORDERS}
    return JSONResponse(
        {
            "seller_id": str(user_id),
            "query": None,
            "paging": {"limit": limit, "offset": offset, "total": len(found)},
            "results": [i.id for i in found[offset : offset + limit]],
            "orders": [{"id": orders, "name": names[orders]}],
            "available_orders": [{"id": key, "name": name} for key, name in names.items()],
        }
    )
