"""HTTP routes for items (§6): create, read (owner vs public), multiget, description, search, update."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from mostrador.sandbox import items_search, searches
from mostrador.sandbox.bodies import fields
from mostrador.sandbox.caller import CallerDep, OptionalCallerDep, sandbox_state
from mostrador.sandbox.errors import BadRequest, Forbidden
from mostrador.sandbox.item_bodies import ITEM_CHANGE_BODY, NEW_ITEM_BODY, ItemChange, NewItem
from mostrador.sandbox.items import create_item, description_view, item_view, update_item
from mostrador.sandbox.items_search import search_items
from mostrador.sandbox.notifications import Notifier
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


@router.post("/items", status_code=201, openapi_extra=NEW_ITEM_BODY.openapi)
async def post_item(
    request: Request, caller: CallerDep, body: Annotated[NewItem, Depends(NEW_ITEM_BODY)]
) -> dict[str, Any]:
    state = sandbox_state(request)
    item = create_item(state, caller.user, fields(body))
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


@router.put("/items/{item_id}", openapi_extra=ITEM_CHANGE_BODY.openapi)
async def put_item(
    item_id: str,
    request: Request,
    caller: CallerDep,
    change: Annotated[ItemChange, Depends(ITEM_CHANGE_BODY)],
) -> dict[str, Any]:
    state = sandbox_state(request)
    item = state.item(item_id)
    if item.seller_id != caller.user.id:
        raise Forbidden("The caller is not the owner of the item", error="forbidden")
    update_item(state, item, fields(change))
    if item.status == "closed":
        for question in close_item_questions(state, item.id):
            _notifier(request).publish("questions", f"/questions/{question.id}", question.seller_id)
    notify_item(request, item)
    return item_view(item, owner=True)


@router.get("/users/{user_id}/items/search", openapi_extra=searches.documented(items_search.DOCUMENTED))
async def seller_items(user_id: int, request: Request, caller: CallerDep) -> dict[str, Any]:
    """§6.4: ids only; the caller must be the seller. Filters `status`, `sku`, `seller_sku`,
    `listing_type_id`; `orders`; `offset`/`limit` up to 1000, then `search_type=scan` + `scroll_id`."""
    caller.must_be(user_id)
    return search_items(sandbox_state(request), user_id, dict(request.query_params))
