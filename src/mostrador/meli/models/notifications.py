"""Webhook notifications (§4.3) and the missed-feeds backlog (§4.5)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import AliasChoices, Field, field_validator

from ..lenient import MeliDatetime
from ._base import MeliModel, Paging

__all__ = ["MissedFeed", "MissedFeedRequest", "MissedFeedResponse", "MissedFeeds", "Notification"]


class Notification(MeliModel):
    """The envelope Mercado Libre POSTs to the callback URL: a pointer, never the data (§4.3)."""

    # Official samples spell it "_id" or "id", and some omit it (§4.3).
    id: str | None = Field(default=None, validation_alias=AliasChoices("_id", "id"))
    resource: str
    # The seller, or the buyer for "messages"; sometimes a string (§4.3).
    user_id: int
    topic: str
    application_id: int | None = None
    attempts: int = 1
    sent: MeliDatetime | None = None
    # Some samples misspell it "recieved" (§4.3).
    received: MeliDatetime | None = Field(default=None, validation_alias=AliasChoices("received", "recieved"))
    # Only on subtopic topics such as messages and post_purchase (§4.2).
    actions: list[str] = Field(default_factory=list)

    @field_validator("actions", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @property
    def dedupe_key(self) -> str:
        """``_id`` when present, else (topic, resource, received) (§4.4)."""
        if self.id:
            return self.id
        received = self.received.isoformat() if self.received else ""
        return f"{self.topic}|{self.resource}|{received}"


class MissedFeedRequest(MeliModel):
    """What Mercado Libre sent to the callback; ``data`` is the original body as a JSON string."""

    url: str | None = None
    headers: dict[str, Any] = Field(default_factory=dict)
    data: str | None = None


class MissedFeedResponse(MeliModel):
    """What the callback answered: ``http_code`` and ``req_time`` in ms (§4.5)."""

    http_code: int | None = None
    req_time: int | None = None
    body: str | None = None


class MissedFeed(Notification):
    """A notification that got no 200 within 8 attempts; retained for 2 days (§4.5)."""

    request: MissedFeedRequest | None = None
    response: MissedFeedResponse | None = None

    def original(self) -> Notification | None:
        """The notification exactly as first sent (``request.data``), if it can be read."""
        if self.request is None or not self.request.data:
            return None
        try:
            return Notification.model_validate(json.loads(self.request.data))
        except ValueError:
            return None


class MissedFeeds(MeliModel):
    """``GET /missed_feeds``; whether ``paging`` exists is not documented (§4.5)."""

    messages: list[MissedFeed] = Field(default_factory=list)
    paging: Paging | None = None
