"""Claims, mediations and their messages (§9)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from ..lenient import MeliDatetime
from ._base import MeliModel, Paging

__all__ = [
    "Claim",
    "ClaimAction",
    "ClaimAttachment",
    "ClaimMessage",
    "ClaimPlayer",
    "ClaimReason",
    "ClaimReputation",
    "ClaimResolution",
    "ClaimSearch",
]


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

    @field_validator("attachments", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


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
