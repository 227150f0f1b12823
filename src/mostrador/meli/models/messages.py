"""Post-sale messages (§8): conversations per pack, single messages, unread counters."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field, field_validator, model_validator

from ..lenient import MeliDatetime, StrId
from ._base import MeliModel, Paging

__all__ = [
    "ActionGuide",
    "ActionGuideMessage",
    "AttachmentUpload",
    "ConversationStatus",
    "GuideCap",
    "GuideOption",
    "GuideTemplate",
    "Message",
    "MessageAttachment",
    "MessageDate",
    "MessageModeration",
    "MessageParty",
    "MessageResource",
    "PackMessages",
    "Unread",
    "UnreadConversation",
]


class MessageParty(MeliModel):
    """``from`` / ``to`` of a message; ``user_id`` arrives as number or string (§8.1)."""

    user_id: int | None = None


class MessageDate(MeliModel):
    """Lifecycle timestamps of a message (UTC)."""

    received: MeliDatetime | None = None
    available: MeliDatetime | None = None
    notified: MeliDatetime | None = None
    created: MeliDatetime | None = None
    read: MeliDatetime | None = None


class MessageModeration(MeliModel):
    """Moderation verdict: ``clean``, ``rejected``, ``pending``, ``non_moderated`` (§8.1)."""

    status: str | None = None
    reason: str | None = None
    source: str | None = None
    moderation_date: MeliDatetime | None = None


class MessageAttachment(MeliModel):
    """A file attached to a message; ``filename`` is the id to download it (§8.4)."""

    filename: str
    original_filename: str | None = None
    type: str | None = None
    size: int | None = None
    potential_security_threat: bool | None = None
    creation_date: MeliDatetime | None = None


class MessageResource(MeliModel):
    """Where a message belongs, e.g. ``{"id": "2000000089077943", "name": "packs"}``."""

    id: StrId
    name: str


class Message(MeliModel):
    """One post-sale message, current shape; legacy keys (§8.1) are mapped onto it and kept too."""

    id: str = Field(validation_alias=AliasChoices("id", "message_id"))
    site_id: str | None = None
    client_id: int | None = None
    from_: MessageParty | None = Field(default=None, alias="from")
    to: MessageParty | None = None
    status: str | None = None
    text: str = ""
    message_date: MessageDate | None = None
    message_moderation: MessageModeration | None = None
    # The API sends null when there are none (§8.1).
    message_attachments: list[MessageAttachment] = Field(default_factory=list)
    message_resources: list[MessageResource] = Field(default_factory=list)
    conversation_first_message: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _accept_legacy_shape(cls, data: Any) -> Any:
        # Legacy pages (§8.1) use message_id, text.plain and a list in "to"; the new keys are
        # derived here while every original key stays in the payload (message_id, date_* …).
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if isinstance(data.get("text"), dict):
            data["text"] = data["text"].get("plain") or ""
        recipients = data.get("to")
        if isinstance(recipients, list):
            data["to_all"] = recipients
            data["to"] = recipients[0] if recipients else None
        return data

    @field_validator("message_attachments", "message_resources", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("text", mode="before")
    @classmethod
    def _null_text_is_empty(cls, value: Any) -> Any:
        return "" if value is None else value

    def resource(self, name: str) -> str | None:
        """The id of the named resource (``packs``, ``sellers``/``seller``, ``orders``)."""
        for resource in self.message_resources:
            if resource.name == name:
                return resource.id
        return None

    @property
    def pack_id(self) -> str | None:
        """The pack (or order, when the order has no pack) this message belongs to (§8.2)."""
        return self.resource("packs") or self.resource("orders")

    @property
    def sender_id(self) -> int | None:
        """Who wrote it; on migrated MLB/MLC threads this is the messaging agent (§8)."""
        return self.from_.user_id if self.from_ is not None else None


class ConversationStatus(MeliModel):
    """Whether the seller may write in this thread (§8.6)."""

    path: str | None = None
    status: str | None = None
    substatus: str | None = None
    status_date: MeliDatetime | None = None
    status_update_allowed: bool | None = None
    # Spelled claim_ids on one official page and claim_id on another (§8.1).
    claim_ids: list[int] | None = Field(default=None, validation_alias=AliasChoices("claim_ids", "claim_id"))
    shipping_id: int | None = None

    @field_validator("claim_ids", mode="before")
    @classmethod
    def _single_claim_is_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, int | str) else value

    @property
    def is_blocked(self) -> bool:
        """A blocked thread refuses seller messages until its substatus clears (§8.6)."""
        return self.status == "blocked"


class PackMessages(MeliModel):
    """``GET /messages/packs/{pack}/sellers/{seller}``: one conversation page (§8.1)."""

    paging: Paging | None = None
    conversation_status: ConversationStatus | None = None
    messages: list[Message] = Field(default_factory=list)
    seller_max_message_length: int | None = None
    buyer_max_message_length: int | None = None

    @field_validator("messages", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


class UnreadConversation(MeliModel):
    """One thread with unread messages, e.g. ``/packs/1977056109/sellers/378136913``."""

    resource: str
    count: int = 0


class Unread(MeliModel):
    """``GET /messages/unread``: up to 500 threads per call (§8.5)."""

    user_id: int | None = None
    results: list[UnreadConversation] = Field(default_factory=list)


class AttachmentUpload(MeliModel):
    """Answer of ``POST /messages/attachments``: the id to put in ``attachments`` (§8.4)."""

    id: str


# ---- seller-initiated contact: the action guide (§8.7) ---------------------------------------------------
class GuideTemplate(MeliModel):
    """A template an option sends; `texts` (per site, with `%s`/`%d` holes) only on some (§8.7)."""

    id: str
    vars: list[dict[str, Any]] | None = None
    texts: dict[str, dict[str, Any]] | None = None


class GuideOption(MeliModel):
    """One reason the seller may write for (`REQUEST_BILLING_INFO`, `OTHER` …) and what is left of it."""

    id: str
    internal_description: str | None = None
    enabled: bool = False
    type: str | None = None  # "template" / "free_text"; the sample also shows "TEMPLATE"
    templates: list[GuideTemplate] | None = None
    actionable: bool | None = None
    char_limit: int | None = None
    cap_available: int | None = None

    @property
    def free_text(self) -> bool:
        return (self.type or "").lower() == "free_text" or not self.templates


class ActionGuide(MeliModel):
    """``GET /messages/action_guide/packs/{pack}``: the options for this sale (§8.7)."""

    options: list[GuideOption] = Field(default_factory=list)

    @field_validator("options", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


class GuideCap(MeliModel):
    """One entry of ``/caps_available``: sends left for an option until the buyer answers."""

    option_id: str
    cap_available: int = 0


class ActionGuideMessage(MeliModel):
    """The message an option created (docs_action_guide_message_sent.json): possibly `moderated`."""

    id: str
    to: MessageParty | None = None
    status: str | None = None
    text: str = ""
    message_date: MessageDate | None = None
    message_moderation: MessageModeration | None = None

    @field_validator("text", mode="before")
    @classmethod
    def _null_text_is_empty(cls, value: Any) -> Any:
        return "" if value is None else value
