"""Returns (§9.9): created when the seller allows one, moved by the control API as the carrier would.

label_generated -> shipped -> delivered. The money stays `retained` until the return is delivered,
then goes back to the buyer and the claim closes `item_returned` in the buyer's favour (§9.7:
"money refunded when the return shipment is shipped/delivered"; the sandbox refunds on delivery).
"""

from __future__ import annotations

from typing import Any

from mostrador.sandbox import claims
from mostrador.sandbox.claims import ClaimError
from mostrador.sandbox.clock import iso_utc_offset_ms
from mostrador.sandbox.records import Claim, ClaimReturn
from mostrador.sandbox.sites import site
from mostrador.sandbox.state import SandboxState

# Return status -> its shipment's status (§9.9 lists both).
FLOW = {"label_generated": "ready_to_ship", "shipped": "shipped", "delivered": "delivered"}
ORDER = tuple(FLOW)


def create(state: SandboxState, claim: Claim) -> ClaimReturn:
    now = state.now()
    return ClaimReturn(
        id=state.ids.return_id(),
        claim_id=claim.id,
        order_id=claim.order_id,
        shipment_id=state.ids.shipment_id(),
        created_ts=now,
        updated_ts=now,
    )


def cancel(state: SandboxState, returned: ClaimReturn) -> None:
    """The seller refunded in full: the buyer keeps the product, the return is called off."""
    now = state.now()
    returned.status, returned.shipment_status, returned.status_money = "cancelled", "cancelled", "refunded"
    returned.updated_ts = returned.closed_ts = now


def move(state: SandboxState, claim: Claim, status: str) -> None:
    """The buyer ships the return, or it reaches the seller (control API)."""
    returned = claim.returned
    if returned is None:
        raise claims.not_found()
    if status not in ("shipped", "delivered"):
        raise ClaimError("status must be shipped or delivered", error="bad_request_error")
    if returned.status not in ORDER or ORDER.index(status) <= ORDER.index(returned.status):
        raise ClaimError(
            f"the return is {returned.status}; it cannot become {status}", error="bad_request_error"
        )
    now = state.now()
    returned.status, returned.shipment_status = status, FLOW[status]
    returned.updated_ts = now
    claim.updated_ts = now
    if status == "shipped":
        # Nobody must act while the parcel travels: the buyer shipped, the seller waits.
        claim.mandatory_holder = None
        return
    returned.status_money = "refunded"
    returned.closed_ts = now
    if claim.status == "opened":
        claims.close(state, claim, "item_returned", "complainant", "mediator")


def _address(claim: Claim) -> dict[str, Any]:
    """The seller's address as a §9.9 `shipping_address` (the sandbox's one test address)."""
    seller_site = site(claim.site_id)
    return {
        "address_id": claim.seller_id,
        "address_line": "Test Address 123",
        "street_name": "Test Address",
        "street_number": "123",
        "comment": "",
        "zip_code": "1414",
        "city": {"id": f"{seller_site.country_id}-C-SANDBOX", "name": "Sandbox"},
        "state": {"id": f"{seller_site.country_id}-C", "name": "Sandbox"},
        "country": {"id": seller_site.country_id, "name": seller_site.name},
        "neighborhood": {"id": None, "name": "Centro"},
        "municipality": {"id": None, "name": None},
    }


def return_view(state: SandboxState, claim: Claim, returned: ClaimReturn) -> dict[str, Any]:
    """`GET /post-purchase/v2/claims/{id}/returns` (§9.9)."""
    order = state.orders[returned.order_id]
    quantity = f"{float(order.quantity)}"
    shipped = returned.status in ("shipped", "delivered")
    return {
        "id": returned.id,
        "claim_id": returned.claim_id,
        "type": "claim",
        "subtype": "return_total",
        "status": returned.status,
        "status_money": returned.status_money,
        "refund_at": "delivered",
        "resource_type": "order",
        "resource_id": order.id,
        "orders": [
            {
                "order_id": order.id,
                "item_id": order.item_id,
                "variation_id": order.variation_id,
                "context_type": "total",
                "total_quantity": quantity,
                "return_quantity": quantity,
            }
        ],
        "shipments": [
            {
                "shipment_id": returned.shipment_id,
                "status": returned.shipment_status,
                "tracking_number": f"SBR{returned.shipment_id}" if shipped else None,
                "destination": {"name": "seller_address", "shipping_address": _address(claim)},
                "type": "return",
            }
        ],
        "related_entities": [],
        "intermediate_check": False,
        "resources": [{"resource": "claim", "resource_id": str(returned.claim_id)}],
        "date_created": iso_utc_offset_ms(returned.created_ts),
        "last_updated": iso_utc_offset_ms(returned.updated_ts),
        "date_closed": iso_utc_offset_ms(returned.closed_ts) if returned.closed_ts is not None else None,
    }
