"""Claims, mediations and their messages, history, resolutions, evidences and returns (§9)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AliasChoices, ConfigDict, Field, field_validator, model_validator

from ..lenient import MeliDate, MeliDatetime, StrId
from ._base import MeliModel, Paging

__all__ = [
    "Claim",
    "ClaimAction",
    "ClaimActionEntry",
    "ClaimAttachment",
    "ClaimAttachmentUpload",
    "ClaimDetail",
    "ClaimEvidence",
    "ClaimMessage",
    "ClaimPlayer",
    "ClaimReason",
    "ClaimReputation",
    "ClaimResolution",
    "ClaimReturn",
    "ClaimSearch",
    "ClaimStatusEntry",
    "ExpectedResolution",
    "PartialRefundOffer",
    "PartialRefundOffers",
    "PartialRefundRule",
    "ResolutionDetail",
    "ReturnDestination",
    "ReturnOrder",
    "ReturnResource",
    "ReturnShipment",
    "ShippingEvidence",
    "ShippingMethod",
]


def _null_is_empty(value: Any) -> Any:
    return [] if value is None else value


class ClaimAction(MeliModel):
    """An action a player may take; ``mandatory`` ones must happen before ``due_date`` (§9.1)."""

    action: str
    mandatory: bool = False
    due_date: MeliDatetime | None = None


class ClaimPlayer(MeliModel):
    """A party of the claim: ``complainant``, ``respondent`` or ``mediator`` (§9.1)."""

    role: str
    type: str | None = None
    user_id: int | None = None
    available_actions: list[ClaimAction] = Field(default_factory=list)


class ClaimResolution(MeliModel):
    """How a closed claim ended; null while open (§9.1)."""

    reason: str | None = None
    date_created: MeliDatetime | None = None
    benefited: list[str] = Field(default_factory=list)
    closed_by: str | None = None
    applied_coverage: bool | None = None


class Claim(MeliModel):
    """``GET /post-purchase/v1/claims/{id}`` and each element of a claims search (§9.1)."""

    id: int
    resource_id: int | None = None
    status: str | None = None
    type: str | None = None
    stage: str | None = None
    parent_id: int | None = None
    resource: str | None = None
    reason_id: str | None = None
    fulfilled: bool | None = None
    quantity_type: str | None = None
    claimed_quantity: int | None = None
    claim_version: float | None = None
    players: list[ClaimPlayer] = Field(default_factory=list)
    resolution: ClaimResolution | None = None
    site_id: str | None = None
    date_created: MeliDatetime | None = None
    last_updated: MeliDatetime | None = None
    related_entities: list[str] = Field(default_factory=list)

    def player(self, role: str) -> ClaimPlayer | None:
        """The player with this role, if any."""
        for player in self.players:
            if player.role == role:
                return player
        return None

    def can(self, role: str, action: str) -> bool:
        """Whether the player with ``role`` holds ``action`` (e.g. ``send_message_to_complainant``)."""
        player = self.player(role)
        return player is not None and any(item.action == action for item in player.available_actions)

    @property
    def is_open(self) -> bool:
        """Claims are ``opened`` or ``closed`` (§9.1)."""
        return self.status == "opened"


class ClaimSearch(MeliModel):
    """``GET /post-purchase/v1/claims/search``: ``paging`` + ``data`` (§9.2)."""

    paging: Paging = Field(default_factory=Paging)
    data: list[Claim] = Field(default_factory=list)


class ClaimAttachment(MeliModel):
    """A file attached to a claim message."""

    filename: str
    original_filename: str | None = None
    size: int | None = None
    type: str | None = None
    date_created: MeliDatetime | None = None


class ClaimMessage(MeliModel):
    """One message of a claim; ``hash`` is its unique key for de-duplication (§9.6)."""

    sender_role: str
    receiver_role: str | None = None
    message: str = ""
    translated_message: str | None = None
    date_created: MeliDatetime | None = None
    last_updated: MeliDatetime | None = None
    message_date: MeliDatetime | None = None
    date_read: MeliDatetime | None = None
    attachments: list[ClaimAttachment] = Field(default_factory=list)
    status: str | None = None
    stage: str | None = None
    message_moderation: dict[str, Any] | None = None
    repeated: bool | None = None
    hash: str | None = None

    _attachments = field_validator("attachments", mode="before")(_null_is_empty)


class ClaimReputation(MeliModel):
    """``…/affects-reputation``: ``has_incentive`` means a good answer in 48 h protects reputation (§9.3)."""

    affects_reputation: str | None = None
    has_incentive: bool = False
    due_date: MeliDatetime | None = None


class ClaimReason(MeliModel):
    """``…/claims/reasons/{id}``: what the buyer complained about (§9.4)."""

    id: str
    flow: str | None = None
    name: str | None = None
    detail: str | None = None
    parent_id: str | None = None
    status: str | None = None
    settings: dict[str, Any] | None = None
    date_created: MeliDatetime | None = None
    last_updated: MeliDatetime | None = None


class ClaimDetail(MeliModel):
    """``…/claims/{id}/detail``: the claim as the seller's screen words it; who must act, by when (§9.1)."""

    due_date: MeliDatetime | None = None
    action_responsible: str | None = None  # seller, buyer or mediator
    title: str | None = None
    description: str | None = None
    problem: str | None = None


class ClaimActionEntry(MeliModel):
    """One element of ``…/actions-history``: who did what, in which stage (§9.5)."""

    action_name: str
    player_role: str | None = None
    action_reason_id: str | None = None
    claim_stage: str | None = None
    claim_status: str | None = None
    date_created: MeliDatetime | None = None


class ClaimStatusEntry(MeliModel):
    """One element of ``…/status-history``: the claim entered ``stage``/``status`` on ``date`` (§9.5)."""

    stage: str | None = None
    status: str | None = None
    date: MeliDatetime | None = None
    change_by: str | None = None


class ResolutionDetail(MeliModel):
    """A ``{"key", "value"}`` pair of an expected resolution; values are text (``"50.0"``, ``"R$"``)."""

    key: str
    value: StrId | None = None


class ExpectedResolution(MeliModel):
    """What a player wants: ``refund``, ``product``, ``change_product``, ``return_product`` or
    ``partial_refund``; ``status`` is ``pending``, ``accepted`` or ``rejected`` (§9.7).

    The answers to the refund and allow-return actions spell ``details`` as ``detail`` and
    ``last_updated`` as ``last_update`` (official samples); both spellings are read.
    """

    expected_resolution: str
    player_role: str | None = None
    user_id: int | None = None
    status: str | None = None
    details: list[ResolutionDetail] = Field(
        default_factory=list, validation_alias=AliasChoices("details", "detail")
    )
    date_created: MeliDatetime | None = None
    last_updated: MeliDatetime | None = Field(
        default=None, validation_alias=AliasChoices("last_updated", "last_update")
    )

    _details = field_validator("details", mode="before")(_null_is_empty)

    def detail(self, key: str) -> str | None:
        """The value of one detail, e.g. ``percentage`` or ``seller_amount`` of a partial refund."""
        for item in self.details:
            if item.key == key:
                return item.value
        return None


class PartialRefundOffer(MeliModel):
    """A partial refund the seller may offer: ``percentage`` of the price, ``amount`` in money (§9.7)."""

    percentage: float
    amount: float | None = None


class PartialRefundRule(MeliModel):
    """A recommendation (``type: maximum``) or restriction (``type: minimum``) on the percentage (§9.7)."""

    percentage: float | None = None
    reason: str | None = None
    type: str | None = None


class PartialRefundOffers(MeliModel):
    """``…/partial-refund/available-offers`` (§9.7); the lists are empty when there is nothing to say."""

    currency_id: str | None = None
    available_offers: list[PartialRefundOffer] = Field(default_factory=list)
    recommendations: list[PartialRefundRule] = Field(default_factory=list)
    restrictions: list[PartialRefundRule] = Field(default_factory=list)

    _lists = field_validator("available_offers", "recommendations", "restrictions", mode="before")(
        _null_is_empty
    )

    def offer(self, percentage: float) -> PartialRefundOffer | None:
        """The available offer for ``percentage``; any other value is refused by the API (§9.7)."""
        for item in self.available_offers:
            if item.percentage == percentage:
                return item
        return None


class ClaimAttachmentUpload(MeliModel):
    """Answer to an attachment upload: ``filename`` (claim, §9.6) or ``file_name`` (evidence, §9.8)."""

    filename: str = Field(validation_alias=AliasChoices("filename", "file_name"))
    user_id: int | None = None


class ClaimEvidence(MeliModel):
    """Evidence recorded on a claim (``…/evidences``, §9.8): ``shipping_evidence`` or
    ``handling_shipping_evidence`` (a promised shipping date)."""

    type: str | None = None
    shipping_method: str | None = None
    shipping_company_name: str | None = None
    tracking_number: str | None = None
    date_shipped: MeliDatetime | None = None
    date_delivered: MeliDatetime | None = None
    destination_agency: str | None = None
    receiver_name: str | None = None
    receiver_id: StrId | None = None
    receiver_email: str | None = None
    handling_date: MeliDate | None = None
    attachments: list[ClaimAttachment] = Field(default_factory=list)

    _attachments = field_validator("attachments", mode="before")(_null_is_empty)


ShippingMethod = Literal["mail", "entrusted", "personal_delivery", "email"]

# Required per shipping method, from the official evidence page (§9.8 "required fields vary per
# method"): by mail, by carrier ("encomienda"), in person, by e-mail.
_REQUIRED: dict[str, tuple[str, ...]] = {
    "mail": ("shipping_company_name", "date_shipped"),
    "entrusted": ("shipping_company_name", "destination_agency", "date_shipped", "receiver_name"),
    "personal_delivery": (),
    "email": ("receiver_email", "date_shipped"),
}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _evidence_date(value: date) -> str:
    """A date as the evidence API takes it: ``yyyy-MM-dd``, or a date-time with milliseconds and offset.

    A date-time without an offset is refused: the API would read it in a zone we cannot know.
    """
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValueError(f"date-time without a UTC offset: {value.isoformat()}")
        return value.isoformat(timespec="milliseconds")
    return value.isoformat()


class ShippingEvidence(MeliModel):
    """Body of ``POST …/actions/evidences`` for a product the seller shipped outside Mercado Envíos (§9.8).

    Building one checks what its ``shipping_method`` requires, so an incomplete evidence is
    refused before any call; evidence cannot be edited once sent, nor sent during a dispute.
    ``attachments`` are file names returned by an evidence attachment upload.
    """

    model_config = ConfigDict(extra="forbid")

    shipping_method: ShippingMethod
    shipping_company_name: str | None = None
    date_shipped: datetime | date | None = None
    tracking_number: str | None = None
    attachments: list[str] = Field(default_factory=list)
    destination_agency: str | None = None
    receiver_name: str | None = None
    receiver_id: StrId | None = None  # a document number; the API answers it as a number
    receiver_email: str | None = None
    date_delivered: datetime | date | None = None

    @field_validator("date_shipped", "date_delivered", mode="before")
    @classmethod
    def _short_date(cls, value: Any) -> Any:
        # "2018-08-17" is a day, not midnight of an unknown zone (§9.8 takes both forms).
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else value

    @model_validator(mode="after")
    def _required_for_method(self) -> ShippingEvidence:
        missing = [name for name in _REQUIRED[self.shipping_method] if _blank(getattr(self, name))]
        if missing:
            raise ValueError(f"{self.shipping_method} evidence needs {', '.join(missing)}")
        for value in (self.date_shipped, self.date_delivered):
            if value is not None:
                _evidence_date(value)  # a naive date-time is refused here, not at send time
        return self

    def body(self) -> dict[str, Any]:
        """The JSON the API expects: ``type`` added, dates formatted, unset fields left out."""
        body: dict[str, Any] = {"type": "shipping_evidence"}
        for name, value in self.model_dump(exclude_none=True).items():
            body[name] = _evidence_date(value) if isinstance(value, date) else value
        return body


class ReturnOrder(MeliModel):
    """An order line being returned; quantities come as text (``"1.0"``) and are read as numbers (§9.9)."""

    order_id: int | None = None
    item_id: str | None = None
    variation_id: int | None = None
    context_type: str | None = None
    total_quantity: float | None = None
    return_quantity: float | None = None


class ReturnDestination(MeliModel):
    """Where the return travels: ``seller_address`` or ``warehouse``; the address stays as sent (§9.9)."""

    name: str | None = None
    shipping_address: dict[str, Any] | None = None


class ReturnShipment(MeliModel):
    """A return shipment; ``type`` is ``return`` or ``return_from_triage`` (§9.9)."""

    shipment_id: int | None = None
    status: str | None = None
    tracking_number: str | None = None
    destination: ReturnDestination | None = None
    type: str | None = None


class ReturnResource(MeliModel):
    """A resource linked to the return, e.g. its claim; ``resource_id`` arrives as text."""

    resource: str | None = None
    resource_id: StrId | None = None


class ClaimReturn(MeliModel):
    """``GET /post-purchase/v2/claims/{id}/returns`` (§9.9); read it when the claim's
    ``related_entities`` holds ``return``. ``status_money`` says whether the money is still held."""

    id: int
    claim_id: int | None = None
    type: str | None = None
    subtype: str | None = None
    status: str | None = None
    status_money: str | None = None
    refund_at: str | None = None
    resource_type: str | None = None
    resource_id: int | None = None
    orders: list[ReturnOrder] = Field(default_factory=list)
    shipments: list[ReturnShipment] = Field(default_factory=list)
    related_entities: list[str] = Field(default_factory=list)
    intermediate_check: bool | None = None
    resources: list[ReturnResource] = Field(default_factory=list)
    date_created: MeliDatetime | None = None
    last_updated: MeliDatetime | None = None
    date_closed: MeliDatetime | None = None

    _lists = field_validator("orders", "shipments", "related_entities", "resources", mode="before")(
        _null_is_empty
    )
