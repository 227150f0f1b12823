"""Platform resources: `GET /sites`, `GET /missed_feeds` (§4.5) and `POST /users/test_user`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import ConfigDict

from mostrador.sandbox.bodies import JsonBody, StrictBody
from mostrador.sandbox.caller import CallerDep, sandbox_state
from mostrador.sandbox.control import NewUser, create_user
from mostrador.sandbox.errors import BadRequest, Forbidden
from mostrador.sandbox.notifications import Notifier
from mostrador.sandbox.sites import SITES

router = APIRouter()


class NewTestUser(StrictBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"site_id": "MLA"}]})
    site_id: str


TEST_USER_BODY = JsonBody(NewTestUser, message="site_id is required")


@router.get("/sites")
async def sites() -> list[dict[str, str]]:
    return [{"default_currency_id": s.currency_id, "id": s.id, "name": s.name} for s in SITES.values()]


@router.get("/missed_feeds")
async def missed_feeds(
    request: Request,
    caller: CallerDep,
    app_id: int,
    topic: str | None = None,
    site_id: str | None = None,
    offset: int = 0,
    limit: int = 10,
) -> dict[str, Any]:
    """§4.5: 2-day retention, default page size 10, `topic=items` requires `site_id`."""
    if caller.app.id != app_id:
        raise Forbidden("access to the requested resource is forbidden")
    if topic == "items" and not site_id:
        raise BadRequest("site_id is required for topic items", error="bad_request")
    if offset < 0 or limit <= 0:
        raise BadRequest("offset and limit must be positive", error="bad_request")
    notifier: Notifier = request.app.state.notifier
    entries = notifier.missed_feeds(app_id, topic, site_id)
    return {"messages": entries[offset : offset + limit]}


@router.post("/users/test_user", status_code=201, response_model=None, openapi_extra=TEST_USER_BODY.openapi)
async def test_user(
    request: Request, caller: CallerDep, body: Annotated[NewTestUser, Depends(TEST_USER_BODY)]
) -> JSONResponse:
    """Creates a test user on the site named in the body, like ML's test-user resource."""
    site_id = body.site_id
    state = sandbox_state(request)
    user = create_user(state, NewUser(site_id=site_id, role="seller"))
    return JSONResponse(
        {
            "id": user.id,
            "nickname": user.nickname,
            "password": user.password,
            "site_status": "active",
            "email": user.email,
        },
        status_code=201,
    )
