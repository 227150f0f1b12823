"""The four things a simulated buyer does: ask, buy, write after the sale, open a claim.

Each action draws what it needs from the run's RNG before calling the sandbox, records the outcome
in `SimulatorStats`, and turns a refused call into a counted failure instead of an exception.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from mostrador.sandbox.phrases import (
    CLAIM_REASONS,
    ClaimReason,
    QuestionGenerator,
    claim_message,
    language_of,
    post_sale_message,
)
from mostrador.sandbox.sim_http import SandboxGateway, SandboxRequestFailed
from mostrador.sandbox.sim_png import buyer_photo
from mostrador.sandbox.sim_world import Buyer, Listing, World

EVENT_KINDS = ("question", "purchase", "message", "claim")


@dataclass(frozen=True)
class SimEvent:
    """One thing a buyer did (or tried to do): `resource_id` is the sandbox id it produced."""

    kind: str
    site_id: str
    ok: bool
    resource_id: str | None = None
    text: str | None = None
    detail: str | None = None


@dataclass
class SimulatorStats:
    """Counts of what the run did, the ids it created, and the ordered transcript of events."""

    buyers_created: int = 0
    sellers: int = 0
    listings: int = 0
    events: int = 0
    questions: int = 0
    follow_ups: int = 0
    purchases: int = 0
    messages: int = 0
    attachments: int = 0
    claims: int = 0
    claim_messages: int = 0
    failed: int = 0
    retries: int = 0
    elapsed_s: float = 0.0
    intents: Counter[str] = field(default_factory=Counter)
    question_ids: list[int] = field(default_factory=list)
    order_ids: list[int] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)
    claim_ids: list[int] = field(default_factory=list)
    transcript: list[SimEvent] = field(default_factory=list)

    def as_dict(self, *, transcript: bool = False) -> dict[str, Any]:
        """JSON-ready summary; the transcript only on request (it can be long)."""
        body = {k: v for k, v in asdict(self).items() if k != "transcript"}
        body["intents"] = dict(sorted(self.intents.items()))
        body["elapsed_s"] = round(self.elapsed_s, 3)
        if transcript:
            body["transcript"] = [asdict(e) for e in self.transcript]
        return body


@dataclass
class _Order:
    id: int
    pack_id: int | None
    buyer: Buyer
    site_id: str
    claim_id: int | None = None
    claim_reason: ClaimReason | None = None


class BuyerTraffic:
    """Performs events against the sandbox on behalf of the world's buyers."""

    def __init__(
        self,
        gateway: SandboxGateway,
        world: World,
        rng: random.Random,
        questions: QuestionGenerator,
        stats: SimulatorStats,
        *,
        attachment_share: float,
    ) -> None:
        self._gateway = gateway
        self._world = world
        self._rng = rng
        self._questions = questions
        self._stats = stats
        self._attachment_share = attachment_share
        self._orders: list[_Order] = []
        self._asked: set[tuple[int, str]] = set()
        self._sites = [s for s in sorted(world.listings) if world.listings[s] and world.buyers.get(s)]

    async def perform(self, kind: str) -> None:
        """Do one event; post-sale events become a purchase while there is no order to write about."""
        if kind == "claim" and not self._orders:
            kind = "purchase"
        # §8.6: an open claim blocks the pack's conversation, so messages go to unclaimed orders.
        if kind == "message" and not any(o.claim_id is None for o in self._orders):
            kind = "purchase"
        site_id = self._rng.choice(self._sites)
        try:
            if kind == "question":
                await self._ask(site_id)
            elif kind == "purchase":
                await self._buy(site_id)
            elif kind == "message":
                await self._write_after_sale()
            else:
                await self._claim()
        except SandboxRequestFailed as exc:
            self._fail(kind, site_id, f"http {exc.status}")
        except (KeyError, TypeError, ValueError) as exc:
            # A response without the fields of the contract: count it and keep the traffic going.
            self._fail(kind, site_id, f"unexpected response: {exc!r}")
        self._stats.events += 1

    def _fail(self, kind: str, site_id: str, detail: str) -> None:
        self._stats.failed += 1
        self._stats.transcript.append(SimEvent(kind, site_id, ok=False, detail=detail))

    async def _ask(self, site_id: str) -> None:
        buyer = self._rng.choice(self._world.buyers[site_id])
        listing = self._rng.choice(self._world.listings[site_id])
        key = (buyer.id, listing.id)
        question = self._questions.next_question(listing.item, asked_before=key in self._asked)
        self._asked.add(key)
        created = await self._gateway.call(
            "POST",
            "/questions",
            token=buyer.access_token,
            json={"item_id": listing.id, "text": question.text},
        )
        question_id = int(created["id"])
        self._stats.questions += 1
        self._stats.follow_ups += "follow_up" in question.features
        self._stats.intents.update(question.intents)
        self._stats.question_ids.append(question_id)
        self._stats.transcript.append(
            SimEvent("question", site_id, True, str(question_id), question.text, ",".join(question.intents))
        )

    async def _buy(self, site_id: str) -> None:
        buyer = self._rng.choice(self._world.buyers[site_id])
        in_stock = [listing for listing in self._world.listings[site_id] if listing.stock > 0]
        if not in_stock:
            self._fail("purchase", site_id, "sold out")
            return
        listing = self._rng.choice(in_stock)
        variation_id = self._pick_variation(listing)
        available = listing.variation_stock[variation_id] if variation_id is not None else listing.stock
        quantity = 2 if available >= 2 and self._rng.random() < 0.2 else 1
        body: dict[str, Any] = {"buyer_id": buyer.id, "item_id": listing.id, "quantity": quantity}
        if variation_id is not None:
            body["variation_id"] = variation_id
        order = await self._gateway.call("POST", "/_sandbox/orders", json=body)
        listing.take(quantity, variation_id)
        pack_id = order.get("pack_id")
        self._orders.append(_Order(int(order["id"]), int(pack_id) if pack_id else None, buyer, site_id))
        self._stats.purchases += 1
        self._stats.order_ids.append(int(order["id"]))
        self._stats.transcript.append(
            SimEvent("purchase", site_id, True, str(order["id"]), None, f"{listing.id} x{quantity}")
        )

    def _pick_variation(self, listing: Listing) -> int | None:
        if not listing.variation_stock:
            return None
        stocked = sorted(v for v, stock in listing.variation_stock.items() if stock > 0)
        return self._rng.choice(stocked) if stocked else None

    async def _write_after_sale(self) -> None:
        order = self._rng.choice([o for o in self._orders if o.claim_id is None])
        lang = language_of(order.site_id)
        message = post_sale_message(self._rng, lang)
        photo = buyer_photo(self._rng) if self._rng.random() < self._attachment_share else None
        body: dict[str, Any] = {"text": message.text}
        if photo is not None:
            uploaded = await self._gateway.call(
                "POST",
                "/messages/attachments",
                token=order.buyer.access_token,
                params={"tag": "post_sale", "site_id": order.site_id},
                files={"file": ("foto.png", photo, "image/png")},
            )
            body["attachments"] = [str(uploaded["id"])]
            self._stats.attachments += 1
        # §8: conversations are per pack; an order without a pack uses its own id in the pack slot.
        pack = order.pack_id or order.id
        sent = await self._gateway.call("POST", f"/_sandbox/packs/{pack}/buyer_messages", json=body)
        message_id = str(sent.get("id", "")) if isinstance(sent, dict) else ""
        self._stats.messages += 1
        if message_id:
            self._stats.message_ids.append(message_id)
        self._stats.transcript.append(
            SimEvent("message", order.site_id, True, message_id or str(pack), message.text, message.topic)
        )

    async def _claim(self) -> None:
        open_claims = [o for o in self._orders if o.claim_id is not None]
        unclaimed = [o for o in self._orders if o.claim_id is None]
        if open_claims and (not unclaimed or self._rng.random() < 0.35):
            order = self._rng.choice(open_claims)
            reason = order.claim_reason or CLAIM_REASONS[0]
            text = claim_message(self._rng, language_of(order.site_id), reason, opening=False)
            await self._claim_message(order, text)
            return
        order = self._rng.choice(unclaimed)
        reason = self._rng.choice(self._world.claim_reasons)
        text = claim_message(self._rng, language_of(order.site_id), reason, opening=True)
        claim = await self._gateway.call(
            "POST", "/_sandbox/claims", json={"order_id": order.id, "reason_id": reason.reason_id}
        )
        order.claim_id, order.claim_reason = int(claim["id"]), reason
        self._stats.claims += 1
        self._stats.claim_ids.append(order.claim_id)
        self._stats.transcript.append(
            SimEvent("claim", order.site_id, True, str(order.claim_id), None, reason.reason_id)
        )
        await self._claim_message(order, text)

    async def _claim_message(self, order: _Order, text: str) -> None:
        await self._gateway.call(
            "POST", f"/_sandbox/claims/{order.claim_id}/buyer_messages", json={"text": text}
        )
        self._stats.claim_messages += 1
        self._stats.transcript.append(
            SimEvent("claim_message", order.site_id, True, str(order.claim_id), text)
        )
