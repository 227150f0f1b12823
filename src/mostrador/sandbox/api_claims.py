"""HTTP routes for claims (§9, `/post-purchase/v1`) and the control actions that play buyer and mediator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import ConfigDict, Field

from mostrador.sandbox import claims, claims_search, searches
from mostrador.sandbox.bodies import ControlBody, JsonBody, StrictBody
from mostrador.sandbox.caller import CallerDep, sandbox_state
from mostrador.sandbox.claim_files import store_file
from mostrador.sandbox.claim_reasons import reason_view
from mostrador.sandbox.claims import ClaimError, claim_view
from mostrador.sandbox.messaging import conversation
from mostrador.sandbox.notifications import Notifier
from mostrador.sandbox.records import Claim
from mostrador.sandbox.state import SandboxState

router = APIRouter()
BASE = "/post-purchase/v1/claims"


class ClaimMessageBody(StrictBody):
    """§9.6: `{"receiver_role", "message", "attachments"?}`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"receiver_role": "complainant", "message": "Enviamos otro producto hoy."}]
        }
    )
    receiver_role: str = ""
    message: str = ""
    attachments: list[str] | None = None


# §9.10: the claims API says `bad_request_error` where the rest of the API says `bad_request`.
CLAIM_MESSAGE_BODY = JsonBody(ClaimMessageBody, error="bad_request_error")


def notify(request: Request, claim: Claim, action: str) -> None:
    notifier: Notifier = request.app.state.notifier
    notifier.publish("post_purchase", f"{BASE}/{claim.id}", claim.seller_id, actions=[action])


def claim_for(request: Request, claim_id: int, user_id: int | None) -> Claim:
    claim = sandbox_state(request).claims.get(claim_id)
    if claim is None:
        raise claims.not_found()
    if user_id is not None:
        claims.role_of(claim, user_id)
    return claim


def sync_conversation(state: SandboxState, claim: Claim) -> None:
    """§8.6: messaging is blocked while a mediation is open and reopens when it closes."""
    convo = conversation(state, state.packs[claim.pack_id])
    if claim.status == "opened":
        convo.status, convo.substatus = "blocked", "blocked_by_mediation"
    elif convo.substatus == "blocked_by_mediation":
        convo.status, convo.substatus = "active", None
    convo.status_ts = state.now()


def claims_ticker(get_state: Callable[[], SandboxState], notifier: Notifier) -> Callable[[], None]:
    def tick() -> None:
        state = get_state()
        for claim in claims.expire_deadlines(state):
            notifier.publish("post_purchase", f"{BASE}/{claim.id}", claim.seller_id, actions=["claims"])

    return tick


@router.get(f"{BASE}/search", openapi_extra=searches.documented(claims_search.DOCUMENTED))
async def search(request: Request, caller: CallerDep) -> dict[str, Any]:
    return claims_search.search(sandbox_state(request), caller.user.id, dict(request.query_params))


@router.get(f"{BASE}/reasons/{{reason_id}}")
async def reason(reason_id: str, caller: CallerDep) -> dict[str, Any]:
    return reason_view(reason_id)


@router.get(f"{BASE}/{{claim_id}}")
async def claim_by_id(claim_id: int, request: Request, caller: CallerDep) -> dict[str, Any]:
    return claim_view(claim_for(request, claim_id, caller.user.id))


@router.get(f"{BASE}/{{claim_id}}/detail")
async def detail(claim_id: int, request: Request, caller: CallerDep) -> dict[str, Any]:
    return claims.detail_view(claim_for(request, claim_id, caller.user.id))


@router.get(f"{BASE}/{{claim_id}}/affects-reputation")
async def affects_reputation(claim_id: int, request: Request, caller: CallerDep) -> dict[str, Any]:
    """§9.3: a good answer within the first 48 hours keeps reputation untouched."""
    claim = claim_for(request, claim_id, caller.user.id)
    return claims.reputation_view(claim, sandbox_state(request).now())


@router.get(f"{BASE}/{{claim_id}}/messages", response_model=None)
async def messages(claim_id: int, request: Request, caller: CallerDep) -> JSONResponse:
    claim = claim_for(request, claim_id, caller.user.id)
    role = claims.role_of(claim, caller.user.id)
    claims.mark_read(sandbox_state(request), claim, role)
    views = [claims.message_view(m, claim) for m in reversed(claim.messages)]
    # §9.6: counterpart messages that were moderated are filtered out.
    views = [v for v in views if v["sender_role"] == role or v["status"] == "available"]
    return JSONResponse(views)


@router.post(
    f"{BASE}/{{claim_id}}/actions/send-message", response_model=None, openapi_extra=CLAIM_MESSAGE_BODY.openapi
)
async def send_message(
    claim_id: int,
    request: Request,
    caller: CallerDep,
    body: Annotated[ClaimMessageBody, Depends(CLAIM_MESSAGE_BODY)],
) -> Response:
    claim = claim_for(request, claim_id, caller.user.id)
    claims.send_message(
        sandbox_state(request),
        claim,
        claims.role_of(claim, caller.user.id),
        body.receiver_role,
        body.message,
        body.attachments or [],
    )
    notify(request, claim, "claims_actions")
    return Response(status_code=201)


@router.post(f"{BASE}/{{claim_id}}/actions/open-dispute")
async def open_dispute(claim_id: int, request: Request, caller: CallerDep) -> dict[str, Any]:
    claim = claim_for(request, claim_id, caller.user.id)
    role = claims.role_of(claim, caller.user.id)
    available = claims.seller_actions(claim) if role == "respondent" else claims.buyer_actions(claim)
    if "open_dispute" not in {a["action"] for a in available}:
        raise claims.action_not_available("open_dispute")
    claims.open_dispute(sandbox_state(request), claim, role)
    notify(request, claim, "claims_actions")
    return claim_view(claim)


@router.get(f"{BASE}/{{claim_id}}/actions-history", response_model=None)
async def actions_history(claim_id: int, request: Request, caller: CallerDep) -> JSONResponse:
    return JSONResponse(list(reversed(claim_for(request, claim_id, caller.user.id).actions_history)))


@router.get(f"{BASE}/{{claim_id}}/status-history", response_model=None)
async def status_history(claim_id: int, request: Request, caller: CallerDep) -> JSONResponse:
    return JSONResponse(list(reversed(claim_for(request, claim_id, caller.user.id).status_history)))


@router.get(f"{BASE}/{{claim_id}}/expected-resolutions", response_model=None)
async def expected_resolutions(claim_id: int, request: Request, caller: CallerDep) -> JSONResponse:
    return JSONResponse(claim_for(request, claim_id, caller.user.id).expected_resolutions)


@router.post(f"{BASE}/{{claim_id}}/attachments")
async def upload(claim_id: int, request: Request, caller: CallerDep, file: UploadFile) -> dict[str, Any]:
    claim = claim_for(request, claim_id, caller.user.id)
    data = await file.read()
    filename = store_file(
        sandbox_state(request), claim.attachments, caller.user.id, file.filename or "", data
    )
    return {"user_id": caller.user.id, "filename": filename}


@router.get(f"{BASE}/{{claim_id}}/attachments/{{filename}}")
async def attachment(claim_id: int, filename: str, request: Request, caller: CallerDep) -> dict[str, Any]:
    claim = claim_for(request, claim_id, caller.user.id)
    if filename not in claim.attachments:
        raise claims.not_found()
    return claims.attachment_meta(claim, filename)


@router.get(f"{BASE}/{{claim_id}}/attachments/{{filename}}/download", response_model=None)
async def download(claim_id: int, filename: str, request: Request, caller: CallerDep) -> Response:
    claim = claim_for(request, claim_id, caller.user.id)
    found = claim.attachments.get(filename)
    if found is None:
        raise claims.not_found()
    return Response(found.data, media_type=found.content_type)


class NewClaim(ControlBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"order_id": 2000009713473608, "reason_id": "PDD9944"}]}
    )
    order_id: int
    reason_id: str = "PDD9944"
    type: str = "mediations"


# A century either way: far enough for any test, near enough that dates stay printable.
MAX_DUE_S = 100 * 365 * 24 * 3600


class ClaimAdvance(ControlBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"due_in_s": 3600}]})
    stage: str | None = None
    status: str | None = None
    resolution: str | None = None
    benefited: str = "complainant"
    closed_by: str = "mediator"
    # Seconds from now to the deadline of whoever must act (negative: already missed).
    due_in_s: float | None = Field(None, ge=-MAX_DUE_S, le=MAX_DUE_S)


class ClaimBuyerMessage(ControlBody):
    text: str
    receiver_role: str | None = None


NEW_CLAIM_BODY = JsonBody(NewClaim)
CLAIM_ADVANCE_BODY = JsonBody(ClaimAdvance)
CLAIM_BUYER_MESSAGE_BODY = JsonBody(ClaimBuyerMessage)


@router.post("/_sandbox/claims", status_code=201, openapi_extra=NEW_CLAIM_BODY.openapi)
async def new_claim(new: Annotated[NewClaim, Depends(NEW_CLAIM_BODY)], request: Request) -> dict[str, Any]:
    state = sandbox_state(request)
    order = state.orders.get(new.order_id)
    if order is None:
        raise claims.not_found()
    claim = claims.open_claim(state, order, new.reason_id, new.type)
    sync_conversation(state, claim)
    notify(request, claim, "claims")
    return claim_view(claim)


@router.post("/_sandbox/claims/{claim_id}/advance", openapi_extra=CLAIM_ADVANCE_BODY.openapi)
async def advance(
    claim_id: int, change: Annotated[ClaimAdvance, Depends(CLAIM_ADVANCE_BODY)], request: Request
) -> dict[str, Any]:
    """Move the claim as the buyer or mediator would: open a dispute, set the current deadline, or
    close with a resolution."""
    state = sandbox_state(request)
    claim = claim_for(request, claim_id, None)
    if change.stage == "dispute":
        claims.open_dispute(state, claim, "complainant")
    elif change.stage is not None:
        raise ClaimError("stage can only move to dispute", error="bad_request_error", status=400)
    if change.due_in_s is not None:
        claims.set_due(state, claim, change.due_in_s)
    if change.status == "closed" or change.resolution:
        claims.close(state, claim, change.resolution or "timeout", change.benefited, change.closed_by)
    elif change.status not in (None, "opened"):
        raise ClaimError("status must be opened or closed", error="bad_request_error", status=400)
    sync_conversation(state, claim)
    notify(request, claim, "claims")
    return claim_view(claim)


@router.post(
    "/_sandbox/claims/{claim_id}/buyer_messages",
    status_code=201,
    openapi_extra=CLAIM_BUYER_MESSAGE_BODY.openapi,
)
async def buyer_message(
    claim_id: int, new: Annotated[ClaimBuyerMessage, Depends(CLAIM_BUYER_MESSAGE_BODY)], request: Request
) -> dict[str, Any]:
    claim = claim_for(request, claim_id, None)
    receiver = new.receiver_role or ("mediator" if claim.stage == "dispute" else "respondent")
    message = claims.send_message(sandbox_state(request), claim, "complainant", receiver, new.text, [])
    notify(request, claim, "claims_actions")
    return claims.message_view(message, claim)
