"""The reputation forecast: each account's claims rate over Mercado Libre's 60-day window (§3.2
`seller_reputation.metrics.claims`), and what it becomes if each open claim that affects reputation
(§9.3) ends against the seller, beside the site's limits for each colour.

The API reference gives the metrics but not the limits. `THRESHOLDS` holds the ones Mercado Libre
publishes in its Global Selling help pages (each row says which); a site without published limits
gets the rates without colours. A claim that ends against the seller adds one to `value` over the
same sales (its sale is already in the window). Whether Mercado Libre already counts a claim while it
is open is not documented; the forecast assumes it does not, so each figure is the worst case.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mostrador import i18n
from mostrador.accounts.seller_api import SellerApi
from mostrador.context import AppContext
from mostrador.dashboards import words
from mostrador.dashboards.sales import ERRORS
from mostrador.i18n import N_
from mostrador.meli.models import ReputationMetrics
from mostrador.store import dashboards as store
from mostrador.store.db import transaction
from mostrador.store.models import ClaimRecord, utcnow

log = logging.getLogger(__name__)
KEEP = timedelta(hours=1)  # a reputation read is good for an hour (Mercado Libre recomputes it daily)
RETRY_AFTER = timedelta(minutes=5)  # after a failed read, pages show the last one this long
READ_TIMEOUT_S = 5.0
ACTIVE = ("active", "refresh_failing")

HELP_16622 = "https://global-selling.mercadolibre.com/help/16622"
HELP_27672 = "https://global-selling.mercadolibre.com/help/what-the-changes-in-reputation-are_27672"


@dataclass(frozen=True)
class Thresholds:
    """The most a claims rate may be for each colour (as fractions); above `orange` it is red."""

    leader: float  # MercadoLíder (also needs sales volume)
    green: float
    yellow: float
    orange: float
    source: str


THRESHOLDS: dict[str, Thresholds] = {
    "MLA": Thresholds(0.01, 0.015, 0.03, 0.06, HELP_16622),
    "MLM": Thresholds(0.01, 0.015, 0.03, 0.06, f"{HELP_16622} · {HELP_27672}"),
    "MLB": Thresholds(0.01, 0.02, 0.045, 0.08, f"{HELP_16622} · {HELP_27672}"),
    "MLC": Thresholds(0.025, 0.035, 0.055, 0.07, f"{HELP_16622} · {HELP_27672}"),
    "MCO": Thresholds(0.025, 0.035, 0.055, 0.07, HELP_27672),
}
# The colours in words (Spanish, translated where shown: `band_words`, `outlook`).
BANDS = {
    "leader": N_("verde (MercadoLíder)"),
    "green": N_("verde"),
    "yellow": N_("amarillo"),
    "orange": N_("naranja"),
    "red": N_("rojo"),
}
LEVELS = {  # §3.2 level_id
    "5_green": N_("verde"),
    "4_light_green": N_("verde claro"),
    "3_yellow": N_("amarillo"),
    "2_orange": N_("naranja"),
    "1_red": N_("rojo"),
}


def band_words(key: str | None) -> str | None:
    """A colour's words in the reader's language (None for no colour)."""
    return i18n.gettext(BANDS[key]) if key in BANDS else None


def band(rate: float | None, limits: Thresholds | None) -> str | None:
    """The colour a claims rate alone allows on the site (None without a rate or published limits)."""
    if rate is None or limits is None:
        return None
    for key, most in (
        ("leader", limits.leader),
        ("green", limits.green),
        ("yellow", limits.yellow),
        ("orange", limits.orange),
    ):
        if rate <= most + 1e-12:
            return key
    return "red"


@dataclass(frozen=True)
class ClaimsMetric:
    """`metrics.claims` with the sales it is a rate of."""

    rate: float | None
    value: int | None
    sales: int | None
    period: str | None

    @property
    def denominator(self) -> float | None:
        """The sales the rate is of: what Mercado Libre's own `value / rate` implies (its rate is over
        every sale of the window), else the window's completed sales."""
        if self.rate and self.value:
            return self.value / self.rate
        return float(self.sales) if self.sales else None

    def rate_with(self, more: int) -> float | None:
        """The rate with `more` claims against the seller."""
        if self.denominator is None:
            return None
        return ((self.value or 0) + more) / self.denominator

    @classmethod
    def from_metrics(cls, metrics: dict[str, Any] | None) -> ClaimsMetric | None:
        """From `seller_reputation.metrics` as kept (§3.2), read back through the API client's model."""
        found = ReputationMetrics.model_validate(metrics or {})
        if found.claims is None:
            return None
        sales = found.sales.completed if found.sales is not None else None
        return cls(found.claims.rate, found.claims.value, sales, found.claims.period)


@dataclass(frozen=True)
class ClaimOutlook:
    """One open claim that affects reputation, and the rate if it ends against the seller."""

    claim_id: str
    conversation_id: int
    reason: str
    due_date: datetime | None
    rate_if_lost: float | None
    band_if_lost: str | None
    rate_if_all_so_far_lost: float | None  # this one and every one listed before it
    band_if_all_so_far_lost: str | None


@dataclass
class AccountOutlook:
    account_id: int
    nickname: str
    site_id: str
    read_at: datetime | None
    level: str | None  # the colour Mercado Libre shows now, in words
    power_seller_status: str | None
    claims_metric: ClaimsMetric | None
    limits: Thresholds | None
    error: str | None
    claims: list[ClaimOutlook] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        metric = self.claims_metric
        if metric is None:
            return None
        return metric.rate if metric.rate is not None else metric.rate_with(0)

    @property
    def band(self) -> str | None:
        return band(self.rate, self.limits)

    @property
    def rate_if_all_lost(self) -> float | None:
        return self.claims[-1].rate_if_all_so_far_lost if self.claims else self.rate

    @property
    def band_if_all_lost(self) -> str | None:
        return band(self.rate_if_all_lost, self.limits)


def outlook(account: Any, cached: Any | None, open_claims: list[ClaimRecord]) -> AccountOutlook:
    """An account's forecast from its cached reputation and its open claims that affect reputation."""
    limits = THRESHOLDS.get(account.site_id)
    metric = ClaimsMetric.from_metrics(cached.metrics) if cached is not None else None
    result = AccountOutlook(
        account_id=account.id,
        nickname=account.nickname,
        site_id=account.site_id,
        read_at=cached.read_at if cached is not None else None,
        level=_level(cached.level_id) if cached is not None else None,
        power_seller_status=cached.power_seller_status if cached is not None else None,
        claims_metric=metric,
        limits=limits,
        error=cached.error if cached is not None else None,
    )
    for n, claim in enumerate(open_claims, start=1):
        alone = metric.rate_with(1) if metric is not None else None
        so_far = metric.rate_with(n) if metric is not None else None
        result.claims.append(
            ClaimOutlook(
                claim_id=claim.claim_id,
                conversation_id=claim.conversation_id,
                reason=f"{claim.reason_id or ''} · {words.category(claim.category)}".strip(" ·"),
                due_date=claim.due_date,
                rate_if_lost=alone,
                band_if_lost=band(alone, limits),
                rate_if_all_so_far_lost=so_far,
                band_if_all_so_far_lost=band(so_far, limits),
            )
        )
    return result


def _level(level_id: str | None) -> str | None:
    """Mercado Libre's colour in words; a level this table does not know, as Mercado Libre wrote it."""
    return i18n.gettext(LEVELS[level_id]) if level_id in LEVELS else level_id


async def outlooks(ctx: AppContext, workspace_id: int) -> list[AccountOutlook]:
    """The workspace's accounts with their forecast; reputations older than `KEEP` are read again first
    (each read waits at most `READ_TIMEOUT_S`; a failure keeps the last one, with its error)."""
    stale = await asyncio.to_thread(_stale, ctx, workspace_id, utcnow())
    if stale:
        await asyncio.gather(*(read(ctx, account_id) for account_id in stale))
    return await asyncio.to_thread(_outlooks, ctx, workspace_id)


async def read(ctx: AppContext, account_id: int) -> None:
    """Read the account's reputation now and keep it (or keep why it could not be read)."""
    try:
        api = await SellerApi.open(ctx, account_id)
        user = await asyncio.wait_for(api.call(api.meli.get_user, api.seller_id), READ_TIMEOUT_S)
    except (*ERRORS, TimeoutError) as exc:
        log.warning("reputation of account %s could not be read: %s", account_id, exc)
        detail = str(exc) or type(exc).__name__
        await asyncio.to_thread(_keep, ctx, account_id, {"error": detail[:500], "failed_at": utcnow()})
        return
    reputation = user.seller_reputation
    metrics = reputation.metrics if reputation is not None else None
    values = {
        "read_at": utcnow(),
        "level_id": reputation.level_id if reputation is not None else None,
        "power_seller_status": reputation.power_seller_status if reputation is not None else None,
        "metrics": metrics.model_dump(mode="json", exclude_none=True) if metrics is not None else None,
        "error": None,
        "failed_at": None,
    }
    await asyncio.to_thread(_keep, ctx, account_id, values)


def _keep(ctx: AppContext, account_id: int, values: dict[str, Any]) -> None:
    with transaction(ctx.sessions) as s:
        store.keep_reputation(s, account_id, values)


def _stale(ctx: AppContext, workspace_id: int, now: datetime) -> list[int]:
    with transaction(ctx.sessions) as s:
        accounts = [a for a in store.workspace_accounts(s, workspace_id) if a.status in ACTIVE]
        cached = store.reputations(s, [a.id for a in accounts])
    stale = []
    for account in accounts:
        row = cached.get(account.id)
        if row is not None and row.failed_at is not None and row.failed_at > now - RETRY_AFTER:
            continue  # it failed a moment ago: show what there is, try again later
        if row is None or row.read_at is None or row.read_at <= now - KEEP:
            stale.append(account.id)
    return stale


def _outlooks(ctx: AppContext, workspace_id: int) -> list[AccountOutlook]:
    with transaction(ctx.sessions) as s:
        accounts = list(store.workspace_accounts(s, workspace_id))
        cached = store.reputations(s, [a.id for a in accounts])
        open_claims: dict[int, list[ClaimRecord]] = {}
        for claim in store.open_affecting_claims(s, workspace_id):
            open_claims.setdefault(claim.account_id, []).append(claim)
        return [outlook(a, cached.get(a.id), open_claims.get(a.id, [])) for a in accounts]
