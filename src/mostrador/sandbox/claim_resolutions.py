"""How a seller resolves a claim (§9.7): full refund, return, partial refund, and the buyer's answer.

Each action checks the respondent holds it (`available_actions`, §9.1), records itself in the
actions history (§9.5) and answers the expected-resolutions list. The official samples spell that
list differently per action, and the sandbox answers as each does: `details`/`last_updated` on
`GET` and after a partial refund, `detail`/`last_update` after a refund, `details`/`last_update`
after allow-return.
"""

from __future__ import annotations

from typing import Any, Literal

from mostrador.sandbox import claim_returns, claims
from mostrador.sandbox.claims import ClaimError
from mostrador.sandbox.records import Claim
from mostrador.sandbox.sites import site
from mostrador.sandbox.state import SandboxState

Spelling = Literal["get", "refund", "allow_return"]
# §9.7 samples: offers from 90 % down to 10 %; 100 % is a full refund, never offered here.
OFFERED_PERCENTAGES = (90, 80, 70, 60, 50, 40, 30, 20, 10)
DEFAULT_PERCENTAGE = 50.0  # §9.7: what a body without a percentage offers
# The sandbox always recommends offering at most this much (§9.7 sample recommendation).
RECOMMENDED_MAXIMUM = 40.0


def resolutions_view(claim: Claim, spelling: Spelling = "get") -> list[dict[str, Any]]:
    """The expected resolutions (§9.7), in the key spelling of the answer they belong to."""
    if spelling == "get":
        return [dict(entry) for entry in claim.expected_resolutions]
    details = "detail" if spelling == "refund" else "details"
    return [
        {
            "player_role": entry["player_role"],
            "user_id": entry["user_id"],
            "expected_resolution": entry["expected_resolution"],
            "status": entry["status"],
            details: entry["details"],
            "date_created": entry["date_created"],
            "last_update": entry["last_updated"],
        }
        for entry in claim.expected_resolutions
    ]


def refund(state: SandboxState, claim: Claim) -> None:
    """The seller gives the money back: the claim closes in the buyer's favour (§9.7)."""
    claims.seller_may(claim, "refund")
    now = state.now()
    claims.record(state, claim, "refund", "respondent")
    for entry in claim.expected_resolutions:
        if entry["player_role"] == "respondent" and entry["status"] == "pending":
            claims.set_status(entry, "rejected", now)  # an offer the refund supersedes
    claims.add_resolution(claim, "respondent", "refund", "accepted", now)
    if claim.returned is not None:
        claim_returns.cancel(state, claim.returned)
    claims.close(state, claim, "payment_refunded", "complainant", "respondent")


def allow_return(state: SandboxState, claim: Claim) -> None:
    """The seller accepts the return: a label for the buyer, the buyer's wish accepted (§9.7, §9.9).

    The buyer must now ship it back; the claim closes when the return is delivered.
    """
    claims.seller_may(claim, "allow_return")
    wish = claims.pending(claim, "complainant", "return_product", "change_product")
    assert wish is not None  # allow_return is only offered while it is pending
    now = state.now()
    claims.record(state, claim, "allow_return", "respondent")
    claims.set_status(wish, "accepted", now)
    claim.returned = claim_returns.create(state, claim)
    # §9.5 sample: the buyer's label shows up as `generate_return` right after `allow_return`.
    claims.record(state, claim, "generate_return", "complainant")
    claim.mandatory_holder = "complainant"
    claim.due_ts = now + claims.RESPONSE_WINDOW_S


def _total(state: SandboxState, claim: Claim) -> float:
    order = state.orders[claim.order_id]
    return round(order.unit_price * order.quantity, 2)


def _percentages(claim: Claim) -> list[float]:
    floor = claim.rejected_percentage
    return [float(p) for p in OFFERED_PERCENTAGES if floor is None or p > floor]


def offers(state: SandboxState, claim: Claim) -> dict[str, Any]:
    """`…/partial-refund/available-offers` (§9.7); 422 when the claim does not allow one."""
    if "allow_partial_refund" not in {a["action"] for a in claims.seller_actions(claim)}:
        raise ClaimError("Claim not eligible for partial refund", error="unprocessable_entity", status=422)
    total = _total(state, claim)
    floor = claim.rejected_percentage
    return {
        "currency_id": state.orders[claim.order_id].currency_id,
        "available_offers": [
            {"amount": round(total * p / 100, 2), "percentage": p} for p in _percentages(claim)
        ],
        "recommendations": [
            {
                "percentage": RECOMMENDED_MAXIMUM,
                "reason": "PARTIAL_REFUND_BETTER_THAN_RETURN",
                "type": "maximum",
            }
        ],
        "restrictions": (
            [{"percentage": floor, "reason": "PAREX_REJECTED", "type": "minimum"}]
            if floor is not None
            else []
        ),
    }


def offer_partial_refund(state: SandboxState, claim: Claim, percentage: float) -> None:
    """The seller offers part of the money back instead of the return (§9.7): the buyer's
    `return_product` is rejected and a `partial_refund` waits for the buyer's answer."""
    # §9.7 sample: this endpoint says `bad_request` where the other claim actions say `bad_request_error`.
    claims.seller_may(claim, "allow_partial_refund", error="bad_request")
    if float(percentage) not in _percentages(claim):
        raise ClaimError(
            f"Percentage not found {float(percentage)}",
            error="error checking configuration percentage",
            status=400,
        )
    now = state.now()
    wish = claims.pending(claim, "complainant", "return_product")
    assert wish is not None  # allow_partial_refund is only offered while it is pending
    claims.record(state, claim, "allow_partial_refund", "respondent")
    claims.set_status(wish, "rejected", now)
    amount = round(_total(state, claim) * percentage / 100, 2)
    details = [
        {"key": "percentage", "value": str(float(percentage))},
        {"key": "seller_amount", "value": str(amount)},
        {"key": "seller_currency", "value": site(claim.site_id).currency_symbol},
    ]
    claims.add_resolution(claim, "respondent", "partial_refund", "pending", now, details)
    claim.mandatory_holder = "complainant"
    claim.due_ts = now + claims.RESPONSE_WINDOW_S


def answer_partial_refund(state: SandboxState, claim: Claim, accept: bool) -> None:
    """The buyer accepts the offer (the claim closes `partial_refunded`) or rejects it: the buyer
    wants the return again and a new offer must exceed the rejected one (§9.7 `PAREX_REJECTED`)."""
    offer = claims.pending(claim, "respondent", "partial_refund")
    if claim.status != "opened" or offer is None:
        raise ClaimError("No partial refund offer is waiting for the buyer", error="bad_request_error")
    now = state.now()
    if accept:
        claims.record(state, claim, "accept_partial_refund", "complainant")
        claims.set_status(offer, "accepted", now)
        claims.close(state, claim, "partial_refunded", "complainant", "complainant")
        return
    claims.record(state, claim, "reject_partial_refund", "complainant")
    claims.set_status(offer, "rejected", now)
    percentage = next(float(d["value"]) for d in offer["details"] if d["key"] == "percentage")
    claim.rejected_percentage = max(percentage, claim.rejected_percentage or 0.0)
    claims.add_resolution(claim, "complainant", "return_product", "pending", now)
    claim.mandatory_holder = "respondent"
    claim.due_ts = now + claims.RESPONSE_WINDOW_S
