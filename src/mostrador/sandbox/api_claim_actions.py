"""HTTP routes for what a seller does to resolve a claim (§9.7 resolutions, §9.8 evidences, §9.9
returns), and the control actions that play the buyer's answer and the return's carrier."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import ConfigDict

from mostrador.sandbox import claim_evidences, claim_resolutions, claim_returns, claims
from mostrador.sandbox.api_claims import BASE, claim_for, notify, sync_conversation
from mostrador.sandbox.bodies import ControlBody, JsonBody, StrictBody, fields
from mostrador.sandbox.caller import Caller, CallerDep, sandbox_state
from mostrador.sandbox.claim_files import file_meta, store_file
from mostrador.sandbox.claim_resolutions import resolutions_view
from mostrador.sandbox.claims import claim_view
from mostrador.sandbox.records import Claim

router = APIRouter()
RETURNS = "/post-purchase/v2/claims"  # §9.9: returns live under v2


class PartialRefundBody(StrictBody):
    """§9.7: `{"percentage": 50}`; one of the available offers, never 100; 50 when left out."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"percentage": 50}]})
    percentage: float = claim_resolutions.DEFAULT_PERCENTAGE


class ShippingEvidenceBody(StrictBody):
    """§9.8 `shipping_evidence`; which fields are required depends on `shipping_method`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "shipping_evidence",
                    "shipping_method": "mail",
                    "shipping_company_name": "Correios",
                    "date_shipped": "2018-08-17T05:00:01.858-03:00",
                    "tracking_number": "XX123456789XX",
                    "attachments": [],
                }
            ]
        }
    )
    type: str = ""
    shipping_method: str = ""
    shipping_company_name: str | None = None
    date_shipped: str | None = None
    tracking_number: str | None = None
    attachments: list[str] | None = None
    destination_agency: str | None = None
    receiver_name: str | None = None
    receiver_id: str | int | None = None
    receiver_email: str | None = None
    date_delivered: str | None = None


class HandlingEvidenceBody(StrictBody):
    """§9.8 shipping promise: `{"type": "handling_shipping_evidence", "handling_date": "2024-06-13"}`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"type": "handling_shipping_evidence", "handling_date": "2024-06-13"}]
        }
    )
    type: str = ""
    handling_date: str = ""


# §9.7: the partial-refund page's refusals say `bad_request`; the rest of the claims API (§9.10)
# says `bad_request_error`.
PARTIAL_REFUND_BODY = JsonBody(PartialRefundBody, error="bad_request")
SHIPPING_EVIDENCE_BODY = JsonBody(ShippingEvidenceBody, error="bad_request_error")
HANDLING_EVIDENCE_BODY = JsonBody(HandlingEvidenceBody, error="bad_request_error")


def _as_seller(claim: Claim, caller: Caller, action: str, error: str = "bad_request_error") -> None:
    """Only the respondent resolves; to anyone else the action is simply not available (§9.10)."""
    if claims.role_of(claim, caller.user.id) != "respondent":
        raise claims.action_not_available(action, error)


def _seller_only(claim: Claim, caller: Caller) -> None:
    if claims.role_of(claim, caller.user.id) != "respondent":
        raise claims.forbidden()


@router.post(f"{BASE}/{{claim_id}}/expected-resolutions/refund", response_model=None)
async def refund(claim_id: int, request: Request, caller: CallerDep) -> JSONResponse:
    """Full refund: the claim closes in the buyer's favour; answers the expected resolutions."""
    claim = claim_for(request, claim_id, caller.user.id)
    _as_seller(claim, caller, "refund")
    state = sandbox_state(request)
    claim_resolutions.refund(state, claim)
    sync_conversation(state, claim)
    notify(request, claim, "claims_actions")
    return JSONResponse(resolutions_view(claim, "refund"))


@router.post(f"{BASE}/{{claim_id}}/expected-resolutions/allow-return", response_model=None)
async def allow_return(claim_id: int, request: Request, caller: CallerDep) -> JSONResponse:
    """The seller accepts the return: a return label, served at the v2 returns resource."""
    claim = claim_for(request, claim_id, caller.user.id)
    _as_seller(claim, caller, "allow_return")
    claim_resolutions.allow_return(sandbox_state(request), claim)
    notify(request, claim, "claims_actions")
    return JSONResponse(resolutions_view(claim, "allow_return"))


@router.get(f"{BASE}/{{claim_id}}/partial-refund/available-offers")
async def partial_refund_offers(claim_id: int, request: Request, caller: CallerDep) -> dict[str, Any]:
    claim = claim_for(request, claim_id, caller.user.id)
    _seller_only(claim, caller)
    return claim_resolutions.offers(sandbox_state(request), claim)


@router.post(
    f"{BASE}/{{claim_id}}/expected-resolutions/partial-refund",
    response_model=None,
    openapi_extra=PARTIAL_REFUND_BODY.openapi,
)
async def partial_refund(
    claim_id: int,
    request: Request,
    caller: CallerDep,
    body: Annotated[PartialRefundBody, Depends(PARTIAL_REFUND_BODY)],
) -> JSONResponse:
    claim = claim_for(request, claim_id, caller.user.id)
    _as_seller(claim, caller, "allow_partial_refund", error="bad_request")
    claim_resolutions.offer_partial_refund(sandbox_state(request), claim, body.percentage)
    notify(request, claim, "claims_actions")
    return JSONResponse(resolutions_view(claim))


@router.post(
    f"{BASE}/{{claim_id}}/actions/evidences",
    response_model=None,
    openapi_extra=SHIPPING_EVIDENCE_BODY.openapi,
)
async def shipping_evidence(
    claim_id: int,
    request: Request,
    caller: CallerDep,
    body: Annotated[ShippingEvidenceBody, Depends(SHIPPING_EVIDENCE_BODY)],
) -> JSONResponse:
    """§9.8: answers a list holding the evidence just recorded."""
    claim = claim_for(request, claim_id, caller.user.id)
    _as_seller(claim, caller, "add_shipping_evidence")
    evidence = claim_evidences.add_shipping_evidence(sandbox_state(request), claim, fields(body))
    notify(request, claim, "claims_actions")
    return JSONResponse([claim_evidences.evidence_view(claim, evidence)])


@router.post(f"{BASE}/{{claim_id}}/evidences", openapi_extra=HANDLING_EVIDENCE_BODY.openapi)
async def handling_evidence(
    claim_id: int,
    request: Request,
    caller: CallerDep,
    body: Annotated[HandlingEvidenceBody, Depends(HANDLING_EVIDENCE_BODY)],
) -> dict[str, Any]:
    """§9.8 shipping promise: answers the one evidence recorded (an object, as the sample)."""
    claim = claim_for(request, claim_id, caller.user.id)
    _as_seller(claim, caller, "send_potential_shipping")
    evidence = claim_evidences.add_handling_evidence(sandbox_state(request), claim, fields(body))
    notify(request, claim, "claims_actions")
    return claim_evidences.evidence_view(claim, evidence)


@router.get(f"{BASE}/{{claim_id}}/evidences", response_model=None)
async def evidences(claim_id: int, request: Request, caller: CallerDep) -> JSONResponse:
    claim = claim_for(request, claim_id, caller.user.id)
    return JSONResponse([claim_evidences.evidence_view(claim, e) for e in claim.evidences])


@router.post(f"{BASE}/{{claim_id}}/attachments-evidences")
async def upload_evidence_file(
    claim_id: int, request: Request, caller: CallerDep, file: UploadFile
) -> dict[str, Any]:
    """§9.8: `{"user_id", "file_name"}` (claim attachments say `filename`, §9.6)."""
    claim = claim_for(request, claim_id, caller.user.id)
    _seller_only(claim, caller)
    data = await file.read()
    name = store_file(sandbox_state(request), claim.evidence_files, caller.user.id, file.filename or "", data)
    return {"user_id": caller.user.id, "file_name": name}


@router.get(f"{BASE}/{{claim_id}}/attachments-evidences/{{filename}}")
async def evidence_file(claim_id: int, filename: str, request: Request, caller: CallerDep) -> dict[str, Any]:
    claim = claim_for(request, claim_id, caller.user.id)
    if filename not in claim.evidence_files:
        raise claims.not_found()
    return file_meta(claim.evidence_files, filename)


@router.get(f"{BASE}/{{claim_id}}/attachments-evidences/{{filename}}/download", response_model=None)
async def evidence_download(claim_id: int, filename: str, request: Request, caller: CallerDep) -> Response:
    claim = claim_for(request, claim_id, caller.user.id)
    found = claim.evidence_files.get(filename)
    if found is None:
        raise claims.not_found()
    return Response(found.data, media_type=found.content_type)


@router.get(f"{RETURNS}/{{claim_id}}/returns")
async def claim_return(claim_id: int, request: Request, caller: CallerDep) -> dict[str, Any]:
    """§9.9: the claim's return, once `related_entities` holds `return`; 404 before."""
    claim = claim_for(request, claim_id, caller.user.id)
    if claim.returned is None:
        raise claims.not_found()
    return claim_returns.return_view(sandbox_state(request), claim, claim.returned)


class ReturnMove(ControlBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "shipped"}]})
    status: str


class PartialRefundAnswer(ControlBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"accept": True}]})
    accept: bool = True


RETURN_MOVE_BODY = JsonBody(ReturnMove)
PARTIAL_REFUND_ANSWER_BODY = JsonBody(PartialRefundAnswer)


@router.post("/_sandbox/claims/{claim_id}/return", openapi_extra=RETURN_MOVE_BODY.openapi)
async def move_return(
    claim_id: int, change: Annotated[ReturnMove, Depends(RETURN_MOVE_BODY)], request: Request
) -> dict[str, Any]:
    """The buyer ships the return (`shipped`) or it reaches the seller (`delivered`: refund, claim closed)."""
    state = sandbox_state(request)
    claim = claim_for(request, claim_id, None)
    claim_returns.move(state, claim, change.status)
    sync_conversation(state, claim)
    notify(request, claim, "claims")
    assert claim.returned is not None
    return claim_returns.return_view(state, claim, claim.returned)


@router.post("/_sandbox/claims/{claim_id}/partial_refund", openapi_extra=PARTIAL_REFUND_ANSWER_BODY.openapi)
async def answer_partial_refund(
    claim_id: int,
    answer: Annotated[PartialRefundAnswer, Depends(PARTIAL_REFUND_ANSWER_BODY)],
    request: Request,
) -> dict[str, Any]:
    """The buyer accepts the seller's partial refund (the claim closes `partial_refunded`) or not."""
    state = sandbox_state(request)
    claim = claim_for(request, claim_id, None)
    claim_resolutions.answer_partial_refund(state, claim, answer.accept)
    sync_conversation(state, claim)
    notify(request, claim, "claims_actions")
    return claim_view(claim)
