"""The seller's own history: what the bot would have answered to the account's past questions.

Reads the account's answered questions from Mercado Libre (`GET /questions/search?seller_id=…&status=
ANSWERED`, newest first, §5.1) and each listing once (`GET /items/{id}`, §6.1), asks the account's bot
(its settings and the examples its agents confirmed) to decide each question as if it were new, and
puts the decision beside the answer the seller really gave. The owner sees the share the bot would
have answered by itself and why it would have handed off the rest, before choosing `auto`.

The listing is read as it is today: a listing closed since then hands its questions off
(`item_not_active`), and prices or stock may have moved; the report counts those separately.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mostrador.accounts import bot_learning
from mostrador.accounts.seller_api import SellerApi
from mostrador.context import AppContext
from mostrador.meli import errors as meli_errors
from mostrador.meli.models import Question

PAGE = 50
SEARCH_REACH = 1000  # the search cannot page past 1,000 results (§5.1)


@dataclass(frozen=True, slots=True)
class Replayed:
    """One past question: the seller's real answer and the bot's decision today."""

    question_id: int
    item_id: str
    asked_at: datetime | None
    text: str
    seller_answer: str
    action: str  # answer | handoff
    intents: list[str]
    confidence: float
    bot_text: str
    reason: str | None
    reason_detail: str | None


@dataclass(slots=True)
class History:
    """The replay of an account's answered questions."""

    account_id: int
    nickname: str
    mode: str
    threshold: float
    questions: list[Replayed] = field(default_factory=list)

    @property
    def answered_by_bot(self) -> int:
        return sum(q.action == "answer" for q in self.questions)

    @property
    def automatic_share(self) -> float:
        return self.answered_by_bot / len(self.questions) if self.questions else 0.0

    def handoffs(self) -> list[tuple[str, int]]:
        """Handoff reasons, most frequent first."""
        counts = Counter(q.reason or "unknown" for q in self.questions if q.action != "answer")
        return counts.most_common()

    def as_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "nickname": self.nickname,
            "mode": self.mode,
            "threshold": self.threshold,
            "question_count": len(self.questions),
            "answered_by_bot": self.answered_by_bot,
            "automatic_share": round(self.automatic_share, 4),
            "handoffs": dict(self.handoffs()),
            "replayed": [
                {
                    "question_id": q.question_id,
                    "item_id": q.item_id,
                    "asked_at": q.asked_at.isoformat() if q.asked_at else None,
                    "text": q.text,
                    "seller_answer": q.seller_answer,
                    "action": q.action,
                    "intents": q.intents,
                    "confidence": round(q.confidence, 4),
                    "bot_answer": q.bot_text,
                    "reason": q.reason,
                    "reason_detail": q.reason_detail,
                }
                for q in self.questions
            ],
        }


async def replay(ctx: AppContext, account_id: int, limit: int = 200) -> History:
    """Decide the account's `limit` most recent answered questions again (see the module doc)."""
    api = await SellerApi.open(ctx, account_id)
    bot = await asyncio.to_thread(bot_learning.bot_for, ctx, account_id, api.account.bot_config)
    history = History(account_id, api.account.nickname, bot.config.mode, bot.config.confidence_threshold)
    items: dict[str, dict[str, Any] | None] = {}
    for question in await _answered(api, limit):
        item_id = question.item_id or ""
        if item_id not in items:
            items[item_id] = await _item(api, item_id)
        now = question.date_created or datetime.now(UTC)
        decision = await asyncio.to_thread(bot.decide, question.text, items[item_id], None, now)
        history.questions.append(
            Replayed(
                question.id,
                item_id,
                question.date_created,
                question.text,
                (question.answer.text or "") if question.answer else "",
                decision.action,
                list(decision.intents),
                decision.confidence,
                decision.text,
                decision.reason,
                decision.reason_detail,
            )
        )
    return history


async def _answered(api: SellerApi, limit: int) -> list[Question]:
    found: list[Question] = []
    for offset in range(0, min(limit, SEARCH_REACH), PAGE):
        page = await api.call(
            api.meli.search_questions,
            seller_id=api.seller_id,
            status="ANSWERED",
            offset=offset,
            limit=min(PAGE, limit - offset),
            sort_fields="date_created",
            sort_types="DESC",
        )
        found.extend(q for q in page.questions if q.text and q.status == "ANSWERED")
        if len(page.questions) < PAGE:
            break
    return found[:limit]


async def _item(api: SellerApi, item_id: str) -> dict[str, Any] | None:
    """The listing as §6.1 JSON, or None when it cannot be read (the bot then hands off)."""
    if not item_id:
        return None
    try:
        item = await api.call(api.meli.get_item, item_id)
    except (meli_errors.NotFound, meli_errors.Forbidden):
        return None
    return item.model_dump(mode="json", by_alias=True)
