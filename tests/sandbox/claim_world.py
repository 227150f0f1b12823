"""A seller with a sale and a claim on it, through the public and control APIs, for the claim tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from .conftest import Actors, Connected

BASE = "/post-purchase/v1/claims"
HOOK = "http://127.0.0.1:9/hook"  # never answers: notifications are only looked at, not delivered


@dataclass
class ClaimCase:
    client: httpx.AsyncClient
    seller: Connected
    buyer: dict[str, Any]
    order: dict[str, Any]
    claim: dict[str, Any]

    @property
    def path(self) -> str:
        return f"{BASE}/{self.claim['id']}"

    async def get(self, tail: str = "") -> Any:
        response = await self.client.get(self.path + tail, headers=self.seller.headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def post(self, tail: str, **kwargs: Any) -> httpx.Response:
        return await self.client.post(self.path + tail, headers=self.seller.headers, **kwargs)

    async def control(self, tail: str, body: dict[str, Any]) -> httpx.Response:
        return await self.client.post(f"/_sandbox/claims/{self.claim['id']}{tail}", json=body)

    async def seller_actions(self) -> dict[str, dict[str, Any]]:
        return actions(await self.get(), "respondent")

    async def history(self) -> list[tuple[str, str]]:
        """Actions history, oldest first, as (action_name, player_role)."""
        entries = await self.get("/actions-history")
        return [(e["action_name"], e["player_role"]) for e in reversed(entries)]

    async def notified(self) -> list[list[str]]:
        """The `actions` of every post_purchase notification about this claim, in order."""
        found = (await self.client.get("/_sandbox/notifications", params={"topic": "post_purchase"})).json()
        return [n["actions"] for n in found if n["resource"] == self.path]


def actions(claim: dict[str, Any], role: str) -> dict[str, dict[str, Any]]:
    player = next(p for p in claim["players"] if p["role"] == role)
    return {a["action"]: a for a in player["available_actions"]}


async def open_case(
    client: httpx.AsyncClient, actors: Actors, reason_id: str = "PDD9944", price: float = 45999
) -> ClaimCase:
    """A seller subscribed to `post_purchase`, a sale of one unit at `price`, and a claim on it."""
    app = await actors.app(callback_url=HOOK, topics=["post_purchase"])
    seller = await actors.connect(app=app)
    item = await actors.item(seller, price=price)
    buyer = await actors.user(role="buyer")
    order = (
        await client.post("/_sandbox/orders", json={"buyer_id": buyer["id"], "item_id": item["id"]})
    ).json()
    response = await client.post("/_sandbox/claims", json={"order_id": order["id"], "reason_id": reason_id})
    assert response.status_code == 201, response.text
    return ClaimCase(client, seller, buyer, order, response.json())
