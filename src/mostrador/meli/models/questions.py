"""Pre-sale questions and answers (§5)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from ..lenient import MeliDatetime
from ._base import MeliModel

__all__ = ["Answer", "AnswerRequest", "Question", "QuestionAsker", "QuestionSearch"]


class Answer(MeliModel):
    """The seller's answer; ``status`` is ACTIVE, DISABLED or BANNED (banned text comes back empty, §5)."""

    text: str | None = None
    status: str | None = None
    date_created: MeliDatetime | None = None


class QuestionAsker(MeliModel):
    """``from`` of a question: the asker's id (vehicles listings add contact data, §5.2)."""

    id: int | None = None
    answered_questions: int | None = None


class Question(MeliModel):
    """A question, in both the search shape (``from.id``) and the by-id v4 shape (``buyer_id``)."""

    id: int
    seller_id: int | None = None
    item_id: str | None = None
    status: str | None = None
    text: str = ""
    date_created: MeliDatetime | None = None
    last_updated: MeliDatetime | None = None
    answer: Answer | None = None
    from_: QuestionAsker | None = Field(default=None, alias="from")
    buyer_id: int | None = None
    hold: bool | None = None
    deleted_from_listing: bool | None = None
    # Present in some samples and absent in others (§5.1).
    suspected_spam: bool | None = None

    @property
    def asker_id(self) -> int | None:
        """Who asked: ``buyer_id`` in the by-id v4 shape, ``from.id`` in searches (§5.2)."""
        if self.buyer_id is not None:
            return self.buyer_id
        return self.from_.id if self.from_ is not None else None

    @property
    def is_unanswered(self) -> bool:
        """Only ``UNANSWERED`` questions can still be answered (§5.3)."""
        return self.status == "UNANSWERED"


class QuestionSearch(MeliModel):
    """``GET /questions/search``: top-level ``total``/``limit``; the offset lives in ``filters`` (§10)."""

    total: int = 0
    limit: int = 0
    questions: list[Question] = Field(default_factory=list)
    filters: dict[str, Any] | None = None


class AnswerRequest(MeliModel):
    """Body of ``POST /answers``: only ``question_id`` and ``text`` are valid keys (§5.4)."""

    model_config = ConfigDict(extra="forbid")

    question_id: int
    text: str
