"""Users (§3)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..lenient import MeliDatetime
from ._base import MeliModel

__all__ = ["SellerReputation", "User", "UserAddress", "UserStatus"]


class UserAddress(MeliModel):
    """The short address inside a user (the public view only has ``city`` and ``state``)."""

    city: str | None = None
    state: str | None = None
    zip_code: str | None = None


class SellerReputation(MeliModel):
    """Reputation colour and medal; ``transactions`` and ``metrics`` stay as sent."""

    level_id: str | None = None
    power_seller_status: str | None = None
    transactions: dict[str, Any] = Field(default_factory=dict)


class UserStatus(MeliModel):
    """Account status; ``site_status`` is the only key of the public view."""

    site_status: str | None = None


class User(MeliModel):
    """``GET /users/me`` or ``/users/{id}``: private view with the owner's grant, else public (§3.2)."""

    id: int
    nickname: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    country_id: str | None = None
    site_id: str | None = None
    user_type: str | None = None
    tags: list[str] = Field(default_factory=list)
    permalink: str | None = None
    registration_date: MeliDatetime | None = None
    address: UserAddress | None = None
    seller_reputation: SellerReputation | None = None
    status: UserStatus | None = None

    @property
    def is_test_user(self) -> bool:
        """Test accounts carry the ``test_user`` tag (§3.1)."""
        return "test_user" in self.tags
