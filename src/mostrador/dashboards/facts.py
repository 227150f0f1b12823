"""From one conversation's messages to the facts the dashboards count: each buyer question with its
answer, or each buyer turn of a post-sale chat with the reply it got. Pure functions of plain rows.

A question's answer is the outbound message whose external id is `answer:<question id>` (the same
pairing the inbox shows); it counts once Mercado Libre shows it (`sent`). A chat turn starts at the
first buyer message after the seller's side last wrote, and ends at the next message the seller's
side sent (a pending or failed reply does not end it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mostrador.conversations.calendar import Hours, add_business_time, local_day
from mostrador.conversations.service import STATE_AUTHOR
from mostrador.dashboards import words

ANSWER_PREFIX = "answer:"
SENT = "sent"
BOT = "bot"
# Mercado Libre's reply window for post-sale messages, in business hours (docs/dashboards.md says
# where the figure comes from: the API reference we work from documents none).
REPLY_WINDOW = timedelta(hours=8)


@dataclass(frozen=True)
class MessageRow:
    id: int
    conversation_id: int
    direction: str  # in | out
    author: str
    external_id: str
    status: str
    meta: dict[str, Any] | None
    created_at: datetime
    sent_at: datetime | None

    @property
    def is_state(self) -> bool:
        return self.author == STATE_AUTHOR

    @property
    def at(self) -> datetime:
        """When it happened: a sent message when it was sent, anything else when it was written."""
        return self.sent_at or self.created_at


@dataclass(frozen=True)
class Thread:
    """A conversation as the folds need it."""

    id: int
    workspace_id: int
    account_id: int
    item_id: str | None
    buyer_id: str | None


@dataclass(frozen=True)
class QuestionFact:
    message_id: int
    conversation_id: int
    workspace_id: int
    account_id: int
    day: date
    asked_at: datetime
    item_id: str | None
    buyer_id: str | None
    answered_at: datetime | None
    answered_by: str | None
    response_s: int | None
    handoff: str | None


@dataclass(frozen=True)
class Turn:
    message_id: int
    conversation_id: int
    workspace_id: int
    account_id: int
    day: date
    started_at: datetime
    deadline: datetime
    replied_at: datetime | None
    replied_by: str | None
    response_s: int | None


def questions_of(thread: Thread, messages: list[MessageRow], zone: ZoneInfo) -> list[QuestionFact]:
    """Every buyer question of a thread of an `answers` channel, with its published answer."""
    answers = {
        m.external_id.removeprefix(ANSWER_PREFIX): m
        for m in messages
        if m.direction == "out" and m.external_id.startswith(ANSWER_PREFIX)
    }
    facts = []
    for m in messages:
        if m.direction != "in" or m.is_state:
            continue
        answer = answers.get(m.external_id)
        published = answer if answer is not None and answer.status == SENT else None
        answered_at = published.at if published is not None else None
        facts.append(
            QuestionFact(
                message_id=m.id,
                conversation_id=thread.id,
                workspace_id=thread.workspace_id,
                account_id=thread.account_id,
                day=local_day(m.created_at, zone),
                asked_at=m.created_at,
                item_id=thread.item_id,
                buyer_id=thread.buyer_id,
                answered_at=answered_at,
                answered_by=published.author if published is not None else None,
                response_s=_seconds(m.created_at, answered_at),
                handoff=_handoff(m, answer),
            )
        )
    return facts


def _handoff(question: MessageRow, answer: MessageRow | None) -> str | None:
    """Why a person got the question: the bot's reason; or, when the bot answered but a person sent
    (or still has to approve) it, a draft. None when the bot answered on its own or never looked."""
    meta = question.meta or {}
    if meta.get("reason"):
        return str(meta["reason"])
    decided = "intents" in meta  # the bot looked at it and chose to answer
    if decided and (answer is None or answer.status != SENT or answer.author != BOT):
        return words.DRAFT
    return None


def turns_of(thread: Thread, messages: list[MessageRow], zone: ZoneInfo, hours: Hours) -> list[Turn]:
    """The buyer turns of a chat and the seller side's reply to each."""
    events = sorted(
        (m for m in messages if not m.is_state and (m.direction == "in" or m.status == SENT)),
        key=lambda m: (m.at, m.direction != "in", m.id),
    )
    turns: list[Turn] = []
    opened: MessageRow | None = None
    for m in events:
        if m.direction == "in":
            opened = opened or m
            continue
        if opened is not None:
            turns.append(_turn(thread, opened, m, zone, hours))
            opened = None
    if opened is not None:
        turns.append(_turn(thread, opened, None, zone, hours))
    return turns


def _turn(thread: Thread, first: MessageRow, reply: MessageRow | None, zone: ZoneInfo, hours: Hours) -> Turn:
    replied_at = reply.at if reply is not None else None
    return Turn(
        message_id=first.id,
        conversation_id=thread.id,
        workspace_id=thread.workspace_id,
        account_id=thread.account_id,
        day=local_day(first.at, zone),
        started_at=first.at,
        deadline=add_business_time(first.at, REPLY_WINDOW.total_seconds(), hours),
        replied_at=replied_at,
        replied_by=reply.author if reply is not None else None,
        response_s=_seconds(first.at, replied_at),
    )


def volume_of(messages: list[MessageRow], zone: ZoneInfo) -> dict[date, tuple[int, int]]:
    """Messages received from the buyer and sent by the seller's side, per local day."""
    received: Counter[date] = Counter()
    sent: Counter[date] = Counter()
    for m in messages:
        if m.is_state:
            continue
        if m.direction == "in":
            received[local_day(m.at, zone)] += 1
        elif m.status == SENT:
            sent[local_day(m.at, zone)] += 1
    return {day: (received[day], sent[day]) for day in received.keys() | sent.keys()}


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, int((end - start).total_seconds()))
