"""Claims and mediations under ``/post-purchase`` (§9); the old ``/v1/claims`` is deprecated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import models
from .errors import InvalidResponse
from .requester import QueryValue, Requester, path_segment

__all__ = ["CLAIMS", "PostPurchaseApi"]

CLAIMS = "/post-purchase/v1/claims"
_RECEIVER_ROLES = frozenset({"complainant", "respondent", "mediator"})
# Python keywords cannot contain dots; these spell the dotted filters of §9.2.
_DOTTED_FILTERS = {"players_role": "players.role", "players_user_id": "players.user_id"}


class PostPurchaseApi(Requester):
    """Read claims, their messages, reason and reputation impact; write to the claim thread."""

    async def get_claim(self, claim_id: int | str, token: str) -> models.Claim:
        """One claim (§9.1)."""
        return await self.get_model(models.Claim, f"{CLAIMS}/{path_segment(claim_id)}", token=token)

    async def search_claims(self, token: str, **filters: QueryValue) -> models.ClaimSearch:
        """Search claims (§9.2), e.g. ``players_role="respondent", players_user_id=…, status="opened"``.

        At least one real filter is required by the API; ``offset + limit`` must stay below 10000.
        """
        params = {_DOTTED_FILTERS.get(key, key): value for key, value in filters.items()}
        return await self.get_model(models.ClaimSearch, f"{CLAIMS}/search", token=token, params=params)

    async def get_claim_messages(self, claim_id: int | str, token: str) -> list[models.ClaimMessage]:
        """The claim's messages; moderated counterpart messages are filtered out by the API (§9.6)."""
        response = await self.request("GET", f"{CLAIMS}/{path_segment(claim_id)}/messages", token=token)
        payload = self.json_body(response)
        if not isinstance(payload, list):
            raise InvalidResponse("claim messages answer is not a list", body=payload)
        return [self.parse(models.ClaimMessage, entry) for entry in payload]

    async def send_claim_message(
        self,
        claim_id: int | str,
        receiver_role: str,
        message: str,
        token: str,
        attachments: Sequence[str] | None = None,
    ) -> None:
        """Write in the claim (201, no useful body, §9.6); once in dispute only to ``mediator``.

        Not retried after a 5xx: the caller re-reads the claim messages first.
        """
        if receiver_role not in _RECEIVER_ROLES:
            raise ValueError(f"receiver_role must be one of {sorted(_RECEIVER_ROLES)}, not {receiver_role!r}")
        body: dict[str, Any] = {"receiver_role": receiver_role, "message": message}
        if attachments:
            body["attachments"] = list(attachments)  # omit when none (§9.6)
        await self.request(
            "POST", f"{CLAIMS}/{path_segment(claim_id)}/actions/send-message", token=token, json=body
        )

    async def get_claim_reputation(self, claim_id: int | str, token: str) -> models.ClaimReputation:
        """Whether the claim affects the seller's reputation (§9.3)."""
        path = f"{CLAIMS}/{path_segment(claim_id)}/affects-reputation"
        return await self.get_model(models.ClaimReputation, path, token=token)

    async def get_claim_reason(self, reason_id: str, token: str) -> models.ClaimReason:
        """What a ``reason_id`` such as ``PDD9939`` means (§9.4)."""
        path = f"{CLAIMS}/reasons/{path_segment(reason_id)}"
        return await self.get_model(models.ClaimReason, path, token=token)
