"""Users, items, questions, orders, packs, shipments and missed feeds (§3-§7, §4.5)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from . import models
from .errors import InvalidResponse, error_for_status
from .requester import Requester, path_segment

__all__ = ["MULTIGET_MAX_IDS", "MarketplaceApi"]

logger = logging.getLogger(__name__)

MULTIGET_MAX_IDS = 20  # §6.2


def _chunks(values: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class MarketplaceApi(Requester):
    """Read endpoints of the marketplace plus ``POST /answers``."""

    async def get_me(self, token: str) -> models.User:
        """The token owner, private view (§3.1)."""
        return await self.get_model(models.User, "/users/me", token=token)

    async def get_user(self, user_id: int | str, token: str | None = None) -> models.User:
        """A user: private view with the owner's grant, public subset otherwise (§3.2)."""
        return await self.get_model(models.User, f"/users/{path_segment(user_id)}", token=token)

    async def get_item(self, item_id: str, token: str) -> models.Item:
        """One listing (§6.1)."""
        return await self.get_model(models.Item, f"/items/{path_segment(item_id)}", token=token)

    async def get_items(self, ids: Sequence[str], token: str) -> list[models.Item]:
        """Several listings by multiget, 20 ids per call (§6.2); unknown ids (404) are left out."""
        items: list[models.Item] = []
        unique = list(dict.fromkeys(path_segment(item_id) for item_id in ids))
        for chunk in _chunks(unique, MULTIGET_MAX_IDS):
            response = await self.request("GET", "/items", token=token, params={"ids": ",".join(chunk)})
            entries = self.json_body(response)
            if not isinstance(entries, list):
                raise InvalidResponse("multiget answer is not a list", body=entries)
            for entry in entries:
                items.extend(self._multiget_entry(entry))
        return items

    def _multiget_entry(self, entry: Any) -> list[models.Item]:
        if not isinstance(entry, dict):
            raise InvalidResponse("multiget element is not an object", body=entry)
        # "code" today; "status_code" in the /items/bulk replacement (§6.2).
        code = entry.get("code", entry.get("status_code", 200))
        body = entry.get("body")
        if code == 404:
            logger.info("multiget: item not found: %s", body)
            return []
        if not isinstance(code, int) or not 200 <= code < 300:
            raise error_for_status(code if isinstance(code, int) else 500, body)
        return [self.parse(models.Item, body)]

    async def get_item_description(self, item_id: str, token: str) -> models.ItemDescription:
        """The listing's description text (§6.3)."""
        path = f"/items/{path_segment(item_id)}/description"
        return await self.get_model(models.ItemDescription, path, token=token)

    async def search_user_items(
        self, user_id: int | str, token: str, status: str | None = None, offset: int = 0, limit: int = 50
    ) -> models.ItemSearch:
        """A seller's listing ids; past 1000 results the API needs ``search_type=scan`` (§6.4)."""
        path = f"/users/{path_segment(user_id)}/items/search"
        params = {"status": status, "offset": offset, "limit": limit}
        return await self.get_model(models.ItemSearch, path, token=token, params=params)

    async def get_question(self, question_id: int | str, token: str) -> models.Question:
        """One question in the v4 shape (§5.2)."""
        path = f"/questions/{path_segment(question_id)}"
        return await self.get_model(models.Question, path, token=token, params={"api_version": 4})

    async def search_questions(
        self,
        token: str,
        seller_id: int | str | None = None,
        item: str | None = None,
        status: str | None = None,
        offset: int = 0,
        limit: int = 50,
        sort_fields: str | None = None,
        sort_types: str | None = None,
    ) -> models.QuestionSearch:
        """Questions by seller or item; ``offset`` cannot reach past 1000 results (§5.1)."""
        params = {
            "api_version": 4,
            "seller_id": seller_id,
            "item": item,
            "status": status,
            "offset": offset,
            "limit": limit,
            "sort_fields": sort_fields,
            "sort_types": sort_types,
        }
        return await self.get_model(models.QuestionSearch, "/questions/search", token=token, params=params)

    async def post_answer(self, question_id: int, text: str, token: str) -> models.Question:
        """Answer a question (§5.4); returns the question with its answer.

        Never retried after a 5xx or a read timeout: the answer may have been stored. The caller
        re-reads the question (is it still UNANSWERED?) before trying again.
        """
        body = models.AnswerRequest(question_id=question_id, text=text).model_dump()
        response = await self.request("POST", "/answers", token=token, json=body)
        return self.parse(models.Question, self.json_body(response))

    async def delete_question(self, question_id: int | str, token: str) -> None:
        """Delete a question of the seller's listing (§5.5); 404 once it is gone."""
        await self.request("DELETE", f"/questions/{path_segment(question_id)}", token=token)

    async def block_asker(self, seller_id: int | str, user_id: int | str, token: str) -> None:
        """Stop a buyer from asking the seller any more questions (§5.6)."""
        path = f"/users/{path_segment(seller_id)}/questions_blacklist"
        await self.request("POST", path, token=token, json={"user_id": int(path_segment(user_id))})

    async def unblock_asker(self, seller_id: int | str, user_id: int | str, token: str) -> None:
        """Let a blocked buyer ask again (§5.6); 404 when the buyer was not blocked."""
        path = f"/users/{path_segment(seller_id)}/questions_blacklist/{path_segment(user_id)}"
        await self.request("DELETE", path, token=token)

    async def blocked_askers(self, seller_id: int | str, token: str) -> list[int]:
        """The buyers blocked from asking (§5.6, legacy shape `[{"user": {"id": …}}]`)."""
        path = f"/users/{path_segment(seller_id)}/questions_blacklist"
        payload = self.json_body(await self.request("GET", path, token=token))
        rows = payload if isinstance(payload, list) else (payload or {}).get("users") or []
        found = []
        for row in rows:
            user = row.get("user", row) if isinstance(row, dict) else None
            if isinstance(user, dict) and str(user.get("id", "")).isdigit():
                found.append(int(user["id"]))
        return found

    async def get_order(self, order_id: int | str, token: str) -> models.Order:
        """One order; a 206 answer may lack sub-objects listed in ``X-Content-Missing`` (§7.1)."""
        return await self.get_model(models.Order, f"/orders/{path_segment(order_id)}", token=token)

    async def search_orders(
        self,
        token: str,
        seller_id: int | str,
        status: str | None = None,
        offset: int = 0,
        limit: int = 50,
        q: str | None = None,
    ) -> models.OrderSearch:
        """A seller's orders, newest first by close date (§7.2); `q`: an order id, item id, part of the
        item title, or the buyer's nickname."""
        params = {
            "seller": seller_id,
            "q": q,
            "order.status": status,
            "sort": "date_desc",
            "offset": offset,
            "limit": limit,
        }
        return await self.get_model(models.OrderSearch, "/orders/search", token=token, params=params)

    async def get_pack(self, pack_id: int | str, token: str) -> models.Pack:
        """A cart purchase and its orders (§7.3)."""
        return await self.get_model(models.Pack, f"/packs/{path_segment(pack_id)}", token=token)

    async def get_shipment(self, shipment_id: int | str, token: str) -> models.Shipment:
        """A shipment in the new format (header ``x-format-new: true``, §7.4)."""
        path = f"/shipments/{path_segment(shipment_id)}"
        return await self.get_model(models.Shipment, path, token=token, headers={"x-format-new": "true"})

    async def get_missed_feeds(
        self,
        app_id: int | str,
        token: str,
        topic: str | None = None,
        site_id: str | None = None,
        offset: int = 0,
        limit: int = 10,
    ) -> models.MissedFeeds:
        """Notifications that never got a 200, kept 2 days (§4.5); ``items`` needs a ``site_id``."""
        if topic == "items" and site_id is None:
            raise ValueError("missed_feeds for topic=items requires site_id (one call per site, §4.5)")
        params = {"app_id": app_id, "topic": topic, "site_id": site_id, "offset": offset, "limit": limit}
        return await self.get_model(models.MissedFeeds, "/missed_feeds", token=token, params=params)
