"""What the simulated buyers know before they start: who they are, which sellers exist, what is for sale.

Everything is learnt over the `/_sandbox` control API, the way a test harness would, and kept in a
stable order (by id) so a seed always picks the same buyer and item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mostrador.sandbox.catalog import demo_listings
from mostrador.sandbox.phrases import CLAIM_REASONS, ClaimReason
from mostrador.sandbox.sim_http import SandboxGateway, SandboxRequestFailed, SimulatorSetupError


@dataclass
class Buyer:
    id: int
    nickname: str
    site_id: str
    access_token: str


@dataclass
class Listing:
    """An item as the simulator tracks it: the item JSON plus its own running count of stock."""

    item: dict[str, Any]
    stock: int
    variation_stock: dict[int, int] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.item["id"])

    @property
    def site_id(self) -> str:
        return str(self.item["site_id"])

    def take(self, quantity: int, variation_id: int | None) -> None:
        self.stock -= quantity
        if variation_id is not None:
            self.variation_stock[variation_id] -= quantity


@dataclass
class World:
    buyers: dict[str, list[Buyer]]
    listings: dict[str, list[Listing]]
    buyers_created: int
    sellers: int
    claim_reasons: tuple[ClaimReason, ...] = CLAIM_REASONS


async def build_world(
    gateway: SandboxGateway,
    sites: tuple[str, ...],
    buyers_per_site: int,
    seed: int,
    *,
    create_demo_shop: bool,
) -> World:
    """Create (or reuse) this seed's buyers and discover active listings on every site."""
    try:
        sellers = await gateway.call("GET", "/_sandbox/users", params={"role": "seller"})
    except SandboxRequestFailed as exc:
        raise SimulatorSetupError(f"cannot reach the sandbox control API: {exc}") from exc
    listings: dict[str, list[Listing]] = {}
    seller_count = 0
    for site_id in sites:
        site_sellers = sorted((s for s in sellers if s.get("site_id") == site_id), key=lambda s: int(s["id"]))
        if not site_sellers and create_demo_shop:
            site_sellers = [await _open_demo_shop(gateway, site_id)]
        seller_count += len(site_sellers)
        found: list[Listing] = []
        for seller in site_sellers:
            items = await gateway.call(
                "GET", "/_sandbox/items", params={"seller_id": seller["id"], "status": "active"}
            )
            found.extend(_listing(item) for item in sorted(items, key=lambda i: str(i["id"])))
        listings[site_id] = found
    if not any(listings.values()):
        raise SimulatorSetupError(
            f"no active listings on sites {', '.join(sites)}: create sellers and items first"
        )
    buyers, created = await _buyers(gateway, sites, buyers_per_site, seed)
    any_buyer = next(b for site_buyers in buyers.values() for b in site_buyers)
    reasons = await _known_reasons(gateway, any_buyer.access_token)
    return World(buyers, listings, created, seller_count, reasons)


async def _known_reasons(gateway: SandboxGateway, token: str) -> tuple[ClaimReason, ...]:
    """Claim reasons the sandbox's reasons resource (§9.4) knows; all of ours if it knows none."""
    known = []
    for reason in CLAIM_REASONS:
        try:
            await gateway.call("GET", f"/post-purchase/v1/claims/reasons/{reason.reason_id}", token=token)
        except SandboxRequestFailed:
            continue
        known.append(reason)
    return tuple(known) or CLAIM_REASONS


def _listing(item: dict[str, Any]) -> Listing:
    variation_stock = {
        int(v["id"]): int(v.get("available_quantity") or 0) for v in item.get("variations") or []
    }
    return Listing(item=item, stock=int(item.get("available_quantity") or 0), variation_stock=variation_stock)


async def _buyers(
    gateway: SandboxGateway, sites: tuple[str, ...], per_site: int, seed: int
) -> tuple[dict[str, list[Buyer]], int]:
    """Buyers are named after the seed, so a second run against the same sandbox reuses them."""
    existing = {
        str(u["nickname"]).upper(): u
        for u in await gateway.call("GET", "/_sandbox/users", params={"role": "buyer"})
    }
    buyers: dict[str, list[Buyer]] = {}
    created = 0
    for site_id in sites:
        buyers[site_id] = []
        for number in range(1, per_site + 1):
            nickname = f"SIMBUYER{site_id}{seed}N{number}"
            user = existing.get(nickname)
            if user is None:
                user = await gateway.call(
                    "POST",
                    "/_sandbox/users",
                    json={"nickname": nickname, "site_id": site_id, "role": "buyer"},
                )
                created += 1
            buyers[site_id].append(Buyer(int(user["id"]), nickname, site_id, str(user["access_token"])))
    return buyers, created


async def _open_demo_shop(gateway: SandboxGateway, site_id: str) -> dict[str, Any]:
    """A seller with the demo catalogue, for sandboxes nobody has set up yet."""
    seller = await gateway.call(
        "POST",
        "/_sandbox/users",
        json={"nickname": f"DEMOSHOP{site_id}", "site_id": site_id, "role": "seller"},
    )
    for body in demo_listings(site_id):
        await gateway.call("POST", "/items", token=str(seller["access_token"]), json=body)
    return dict(seller)
