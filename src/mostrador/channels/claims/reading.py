"""What ingest reads about a claim, with the seller's token: the claim and everything an agent acts on.

Only the claim itself must be readable; the rest (its reason, reputation impact, detail, expected
resolutions, history, return, the sale and its shipment) degrades to "unknown" when Mercado Libre says
no, so one missing sub-resource never hides the claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mostrador.accounts.seller_api import SellerApi
from mostrador.channels.sales import Sale, optional, read_order
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


async def read_claim(api: SellerApi, claim: Claim, known: dict[str, Any] | None) -> ClaimView:
    """The claim's sub-resources; the reason is read again only when it changed (it rarely does)."""
    reason = None
    if claim.reason_id and (known is None or known.get("reason_id") != claim.reason_id):
        reason = await optional(api, api.meli.get_claim_reason, claim.reason_id)
    reputation = await optional(api, api.meli.get_claim_reputation, claim.id)
    messages = await api.call(api.meli.get_claim_messages, claim.id)
    detail = await optional(api, api.meli.get_claim_detail, claim.id)
    expected = await optional(api, api.meli.get_expected_resolutions, claim.id) or []
    history = await optional(api, api.meli.get_claim_actions_history, claim.id) or []
    returned = None
    if "return" in (claim.related_entities or []):
        returned = await optional(api, api.meli.get_claim_returns, claim.id)
    return ClaimView(claim, reason, reputation, messages, detail, expected, history, returned)


async def read_sale(api: SellerApi, claim: Claim) -> Sale:
    """The claimed order, its listing and its shipment (status and tracking for a first response)."""
    if claim.resource != "order" or claim.resource_id is None:
        return Sale()
    return await read_order(api, claim.resource_id)
