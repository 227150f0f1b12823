"""Users (§3)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from ..lenient import MeliDatetime
from ._base import MeliModel

__all__ = [
    "MetricExcluded",
    "ReputationMetric",
    "ReputationMetrics",
    "SellerReputation",
    "SellerTransactions",
    "TransactionRatings",
    "User",
    "UserAddress",
    "UserStatus",
]


class UserAddress(MeliModel):
    """The short address inside a user (the public view only has ``city`` and ``state``)."""

    city: str | None = None
    state: str | None = None
    zip_code: str | None = None


class TransactionRatings(MeliModel):
    """Shares of ratings: fractions (``0.96``) in real answers, zeros for a new account."""

    positive: float | None = None
    negative: float | None = None
    neutral: float | None = None


class SellerTransactions(MeliModel):
    """``seller_reputation.transactions``; the public view only has ``period`` and ``total`` (§3.2)."""

    period: str | None = None
    total: int | None = None
    completed: int | None = None
    canceled: int | None = None
    ratings: TransactionRatings | None = None


class MetricExcluded(MeliModel):
    """What the metric would be without the excluded cases (``excluded{real_value, real_rate}``, §3.2)."""

    real_value: int | None = None
    real_rate: float | None = None


class ReputationMetric(MeliModel):
    """One reputation metric over ``period`` (``"60 days"``): ``value`` cases, ``rate`` of sales (§3.2).

    ``sales`` carries ``completed`` instead of ``rate``/``value`` (official and captured samples).
    """

    period: str | None = None
    rate: float | None = None
    value: int | None = None
    excluded: MetricExcluded | None = None
    completed: int | None = None


class ReputationMetrics(MeliModel):
    """``seller_reputation.metrics``: the numbers the reputation colour is computed from (§3.2)."""

    sales: ReputationMetric | None = None
    claims: ReputationMetric | None = None
    delayed_handling_time: ReputationMetric | None = None
    cancellations: ReputationMetric | None = None


class SellerReputation(MeliModel):
    """Reputation colour (``level_id`` like ``5_green``), medal (``power_seller_status`` like
    ``platinum``), historic ``transactions`` and, when sent, the ``metrics`` behind them (§3.2).

    ``metrics`` is None when absent (public view, new accounts); ``transactions`` is always an object.
    """

    level_id: str | None = None
    power_seller_status: str | None = None
    transactions: SellerTransactions = Field(default_factory=SellerTransactions)
    metrics: ReputationMetrics | None = None

    @field_validator("transactions", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value


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
