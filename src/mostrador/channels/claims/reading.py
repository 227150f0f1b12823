"""What ingest reads about a claim, with the seller's token: the claim and everything an agent acts on.

Only the claim itself must be readable; the rest (its reason, reputation impact, detail, expected
resolutions, history, return, the sale and its shipment) degrades to "unknown" when Mercado Libre says
no, so one missing sub-resource never hides the claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mostrador.accounts.seller_api import SellerApi
from mostrador.meli import errors as meli_errors
from mostrador.meli.models import (
    Claim,
    ClaimActionEntry,
    ClaimDetail,
    ClaimMessage,
    ClaimReason,
    ClaimReputation,
    ClaimReturn,
    ExpectedResolution,
)

# Sub-resources Mercado Libre may refuse without the claim being unreadable (§9.10).
MISSING = (meli_errors.NotFound, meli_errors.Forbidden, meli_errors.BadRequest, meli_errors.Unprocessable)


@dataclass(frozen=True)
class ClaimView:
    """Everything read about one claim in one ingest."""

    claim: Claim
    reason: ClaimReason | None
    reputation: ClaimReputation | None
    messages: list[ClaimMessage]
    detail: ClaimDetail | None = None
    expected: list[ExpectedResolution] = field(default_factory=list)
    history: list[ClaimActionEntry] = field(default_factory=list)
    returned: ClaimReturn | None = None


@dataclass(frozen=True)
class Sale:
    """The claimed purchase: what the agent needs to recognise it, and what a first response quotes."""

    title: str = ""
    item_id: str | None = None
    order_id: str | None = None
    pack_id: str | None = None
    shipment_id: str | None = None
    shipment_status: str | None = None
    tracking_number: str | None = None
    carrier: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Sale:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


async def read_claim(api: SellerApi, claim: Claim, known: dict[str, Any] | None) -> ClaimView:
    """The claim's sub-resources; the reason is read again only when it changed (it rarely does)."""
    reason = None
    if claim.reason_id and (known is None or known.get("reason_id") != claim.reason_id):
        reason = await _optional(api, api.meli.get_claim_reason, claim.reason_id)
    reputation = await _optional(api, api.meli.get_claim_reputation, claim.id)
    messages = await api.call(api.meli.get_claim_messages, claim.id)
    detail = await _optional(api, api.meli.get_claim_detail, claim.id)
    expected = await _optional(api, api.meli.get_expected_resolutions, claim.id) or []
    history = await _optional(api, api.meli.get_claim_actions_history, claim.id) or []
    returned = None
    if "return" in (claim.related_entities or []):
        returned = await _optional(api, api.meli.get_claim_returns, claim.id)
    return ClaimView(claim, reason, reputation, messages, detail, expected, history, returned)


async def read_sale(api: SellerApi, claim: Claim) -> Sale:
    """The claimed order, its listing and its shipment (status and tracking for a first response)."""
    if claim.resource != "order" or claim.resource_id is None:
        return Sale()
    order = await _optional(api, api.meli.get_order, claim.resource_id)
    if order is None:
        return Sale(order_id=str(claim.resource_id))
    item = order.order_items[0].item if order.order_items else None
    sale = Sale(
        title=(item.title or "") if item is not None else "",
        item_id=item.id if item is not None else None,
        order_id=str(order.id),
        pack_id=str(order.conversation_pack_id),
    )
    shipment_id = order.shipping.id if order.shipping is not None else None
    if shipment_id is None:
        return sale
    shipment = await _optional(api, api.meli.get_shipment, shipment_id)
    if shipment is None:
        return Sale(**{**sale.__dict__, "shipment_id": str(shipment_id)})
    extra = shipment.model_extra or {}
    carrier = extra.get("tracking_method") or (shipment.logistic or {}).get("type")
    return Sale(
        **{
            **sale.__dict__,
            "shipment_id": str(shipment.id),
            "shipment_status": shipment.status,
            "tracking_number": shipment.tracking_number,
            "carrier": str(carrier) if carrier else None,
        }
    )


async def _optional(api: SellerApi, endpoint: Any, *args: Any) -> Any:
    try:
        return await api.call(endpoint, *args)
    except MISSING:
        return None
