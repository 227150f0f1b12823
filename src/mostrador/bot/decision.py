"""What the bot decided for one question: answer (with its parts and facts) or hand off (with a reason)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from mostrador.bot.guard import Violation

Action = Literal["answer", "handoff"]

# Handoff reason codes (the detail says which fact or intent, e.g. "missing_fact:invoice").
REASON_LOW_CONFIDENCE = "low_confidence"
REASON_ITEM_NOT_ACTIVE = "item_not_active"
REASON_COMPLAINT = "complaint"
REASON_ORDER_MATTER = "order_matter"
REASON_OTHER = "other"
REASON_OUT_OF_HOURS = "out_of_hours"
REASON_GUARD_BLOCKED = "guard_blocked"
REASON_INTENT_DISABLED = "intent_disabled"
REASON_TOO_LONG = "too_long"
REASON_NO_ITEM = "missing_fact:item"


@dataclass(frozen=True, slots=True)
class Decision:
    """The bot's verdict; `text` is empty on handoff, `parts` keeps what could be answered (a draft)."""

    action: Action
    text: str
    parts: list[tuple[str, str]]
    intents: list[str]
    scores: dict[str, float]
    lang: str
    mode: str
    reason: str | None = None
    reason_detail: str | None = None
    facts: dict[str, str] = field(default_factory=dict)
    confidence: float = 0.0
    out_of_hours: bool = False
    violations: list[Violation] = field(default_factory=list)

    @property
    def is_answer(self) -> bool:
        return self.action == "answer"
