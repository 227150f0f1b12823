"""Seller reputation (§3.2): the thermometer colour, the MercadoLíder medal and the metrics behind
them, computed from the sandbox's own sales, claims and shipments of the last 60 sandbox days.

Formulas and limits follow Mercado Libre's seller-reputation page: claims = sales with claims /
sales; delayed handling time = sales dispatched late / sales dispatched (not measured below 10
dispatched sales); cancellations = sales the seller cancelled without a claim / sales. `sales`
carries `completed` instead of `rate`/`value` (official and captured samples). `excluded`
{`real_value`, `real_rate`} shows the figures before the sandbox's exclusions, and only when
something was excluded: claims that do not affect reputation (§9.3), delays below the 10-sale floor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mostrador.sandbox.claims import affects_reputation
from mostrador.sandbox.records import Order
from mostrador.sandbox.state import SandboxState, User

PERIOD_S = 60 * 24 * 3600
PERIOD = "60 days"
MIN_DISPATCHED = 10  # delayed handling time is measured from 10 dispatched sales on
LEVELS = ("5_green", "3_yellow", "2_orange", "1_red")
# MercadoLíder medals by completed sales in the period (sandbox thresholds; see sandbox-differences.md).
MEDALS = (("platinum", 1000), ("gold", 250), ("silver", 60))

Bands = tuple[float, float, float, float]  # upper limits of MercadoLíder, green, yellow, orange


@dataclass(frozen=True)
class Limits:
    """Per-site limits of each metric (fractions), from the official table."""

    claims: Bands
    cancellations: Bands
    delayed_handling_time: Bands


_MLA = Limits((0.01, 0.015, 0.03, 0.06), (0.005, 0.01, 0.025, 0.03), (0.08, 0.10, 0.15, 0.22))
_MCO = Limits((0.025, 0.035, 0.055, 0.07), (0.015, 0.025, 0.07, 0.09), (0.10, 0.12, 0.18, 0.26))
LIMITS: dict[str, Limits] = {
    "MLA": _MLA,
    "MLM": _MLA,
    "MLB": Limits((0.01, 0.02, 0.045, 0.08), (0.005, 0.015, 0.035, 0.04), (0.06, 0.10, 0.18, 0.22)),
    "MCO": _MCO,
    "MLC": _MCO,
    "MLU": _MCO,
    "MPE": Limits((0.02, 0.02, 0.045, 0.08), (0.025, 0.025, 0.07, 0.09), (0.12, 0.12, 0.18, 0.26)),
}
RATED = ("claims", "delayed_handling_time", "cancellations")


def _rate(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0


@dataclass(frozen=True)
class Metric:
    """One rated metric: what counts (`value`, `rate`) and the figures before exclusions."""

    value: int
    rate: float
    real_value: int
    real_rate: float

    def view(self) -> dict[str, Any]:
        body: dict[str, Any] = {"period": PERIOD, "rate": self.rate, "value": self.value}
        if (self.real_value, self.real_rate) != (self.value, self.rate):
            body["excluded"] = {"real_value": self.real_value, "real_rate": self.real_rate}
        return body


def _band(rate: float, tops: tuple[float, ...]) -> int:
    """Index of the first band whose upper limit holds `rate`; past the last one: len(tops)."""
    return next((i for i, top in enumerate(tops) if rate <= top), len(tops))


@dataclass(frozen=True)
class Reputation:
    sales: int
    completed: int
    metrics: dict[str, Metric]
    limits: Limits

    def _tops(self, name: str) -> Bands:
        bands: Bands = getattr(self.limits, name)
        return bands

    @property
    def level_id(self) -> str | None:
        """The thermometer: the worst metric's band; no colour without sales in the period."""
        if not self.sales:
            return None
        worst = max(_band(self.metrics[name].rate, self._tops(name)[1:]) for name in RATED)
        return LEVELS[worst]

    @property
    def power_seller_status(self) -> str | None:
        """MercadoLíder: green, every metric within the leaders' limits, and enough sales."""
        leader = all(self.metrics[name].rate <= self._tops(name)[0] for name in RATED)
        if self.level_id != "5_green" or not leader:
            return None
        return next((medal for medal, floor in MEDALS if self.completed >= floor), None)


def _sales(state: SandboxState, seller_id: int) -> list[Order]:
    since = state.now() - PERIOD_S
    return [o for o in state.orders.values() if o.seller_id == seller_id and o.created_ts > since]


def measure(state: SandboxState, user: User) -> Reputation:
    """The seller's reputation now, over the sales of the last 60 sandbox days."""
    sales = _sales(state, user.id)
    now = state.now()
    claimed = {o.id for o in sales if o.mediation_ids}
    affecting = {o.id for o in sales if any(affects_reputation(state.claims[c]) for c in o.mediation_ids)}
    cancelled = [o for o in sales if o.status == "cancelled" and not o.mediation_ids]
    limit = state.config.handling_time_s
    dispatched, late = 0, 0
    for order in sales:
        shipment = state.shipments[order.shipment_id]
        overdue = now > shipment.created_ts + limit
        if now >= shipment.ship_at_ts or overdue:
            dispatched += 1
            late += shipment.ship_at_ts - shipment.created_ts > limit
    measured = dispatched >= MIN_DISPATCHED
    total = len(sales)
    metrics = {
        "claims": Metric(
            len(affecting), _rate(len(affecting), total), len(claimed), _rate(len(claimed), total)
        ),
        "delayed_handling_time": Metric(
            late if measured else 0,
            _rate(late, dispatched) if measured else 0.0,
            late,
            _rate(late, dispatched),
        ),
        "cancellations": Metric(
            len(cancelled), _rate(len(cancelled), total), len(cancelled), _rate(len(cancelled), total)
        ),
    }
    return Reputation(
        sales=total,
        completed=total - len(cancelled),
        metrics=metrics,
        limits=LIMITS.get(user.site_id, LIMITS["MLA"]),
    )


def seller_reputation(state: SandboxState, user: User) -> dict[str, Any]:
    """`seller_reputation` of the private view (§3.1, §3.2)."""
    reputation = measure(state, user)
    historic = [o for o in state.orders.values() if o.seller_id == user.id]
    canceled = sum(1 for o in historic if o.status == "cancelled")
    return {
        "level_id": reputation.level_id,
        "power_seller_status": reputation.power_seller_status,
        "transactions": {
            "period": "historic",
            "total": len(historic),
            "completed": len(historic) - canceled,
            "canceled": canceled,
            "ratings": {"positive": 0, "negative": 0, "neutral": 0},
        },
        "metrics": {
            "sales": {"period": PERIOD, "completed": reputation.completed},
            **{name: reputation.metrics[name].view() for name in RATED},
        },
    }
