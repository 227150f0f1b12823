"""Records of the post-sale world: orders, packs, shipments, messages, attachments and claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Order:
    id: int
    pack_id: int
    seller_id: int
    buyer_id: int
    site_id: str
    item_id: str
    variation_id: int | None
    variation_attributes: list[dict[str, Any]]
    title: str
    category_id: str
    quantity: int
    unit_price: float
    currency_id: str
    listing_type_id: str
    condition: str
    warranty: str | None
    seller_sku: str | None
    shipment_id: int
    payment_id: int
    created_ts: float
    updated_ts: float
    status: str = "paid"
    mediation_ids: list[int] = field(default_factory=list)


@dataclass
class Pack:
    id: int
    buyer_id: int
    seller_id: int
    shipment_id: int
    order_ids: list[int]
    created_ts: float
    updated_ts: float
    status: str = "released"


@dataclass
class Shipment:
    id: int
    pack_id: int
    order_ids: list[int]
    seller_id: int
    buyer_id: int
    site_id: str
    logistic_type: str
    created_ts: float
    updated_ts: float
    status: str = "ready_to_ship"
    substatus: str | None = "ready_to_print"
    history: list[tuple[str, float]] = field(default_factory=list)
    # When the seller hands the parcel to the carrier and when it arrives (sandbox time).
    ship_at_ts: float = 0.0
    deliver_at_ts: float = 0.0


@dataclass
class Attachment:
    id: str
    owner_id: int
    original_filename: str
    content_type: str
    data: bytes
    created_ts: float


@dataclass
class Message:
    id: str
    pack_id: int
    seller_id: int
    from_id: int
    to_id: int
    text: str
    site_id: str
    client_id: int
    created_ts: float
    status: str = "available"
    moderation_status: str = "clean"
    moderation_reason: str | None = None
    read_ts: float | None = None
    attachment_ids: list[str] = field(default_factory=list)
    first_in_conversation: bool = False
    option_id: str | None = None


@dataclass
class Conversation:
    """One pack's thread with its seller (§8.6: `conversation_status`)."""

    pack_id: int
    seller_id: int
    buyer_id: int
    status: str = "active"
    substatus: str | None = None
    status_ts: float = 0.0
    caps_used: dict[str, int] = field(default_factory=dict)
    option_lock_until: float = 0.0


@dataclass
class ClaimMessage:
    sender_role: str
    receiver_role: str
    text: str
    stage: str
    created_ts: float
    hash: str
    attachments: list[str] = field(default_factory=list)
    read_ts: float | None = None


@dataclass
class ClaimReturn:
    """The return of a claim (§9.9): created by `allow-return`, moved by the control API."""

    id: int
    claim_id: int
    order_id: int
    shipment_id: int
    created_ts: float
    updated_ts: float
    status: str = "label_generated"
    shipment_status: str = "ready_to_ship"
    status_money: str = "retained"
    closed_ts: float | None = None


@dataclass
class Claim:
    id: int
    order_id: int
    pack_id: int
    buyer_id: int
    seller_id: int
    site_id: str
    reason_id: str
    type: str
    created_ts: float
    updated_ts: float
    status: str = "opened"
    stage: str = "claim"
    fulfilled: bool = True
    resolution: dict[str, Any] | None = None
    # The role that must act before `due_ts` (§9.1: one player at a time); None while nobody must
    # (a return travelling back to the seller).
    mandatory_holder: str | None = "respondent"
    due_ts: float = 0.0
    messages: list[ClaimMessage] = field(default_factory=list)
    actions_history: list[dict[str, Any]] = field(default_factory=list)
    status_history: list[dict[str, Any]] = field(default_factory=list)
    expected_resolutions: list[dict[str, Any]] = field(default_factory=list)
    attachments: dict[str, Attachment] = field(default_factory=dict)
    evidences: list[dict[str, Any]] = field(default_factory=list)
    evidence_files: dict[str, Attachment] = field(default_factory=dict)
    returned: ClaimReturn | None = None
    # §9.7 restriction: after the buyer rejects a partial refund, later offers must exceed it.
    rejected_percentage: float | None = None


@dataclass
class Scroll:
    """A `search_type=scan` cursor (§5.1): the ids that matched when it opened and how far it was read."""

    key: str
    ids: list[str]
    position: int
    expires_ts: float
