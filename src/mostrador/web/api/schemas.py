"""The REST API's documents (what `/api/v1/openapi.json` describes), built from the inbox's read models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from mostrador.channels.base import ActionOffer
from mostrador.dashboards.board import Board
from mostrador.dashboards.histogram import Percentile
from mostrador.inbox.api_views import BuyerText
from mostrador.inbox.views import MessageView, SendState, ThreadView
from mostrador.store.models import Account as AccountRow

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class Account(BaseModel):
    id: int
    nickname: str
    site_id: str
    seller_id: int = Field(description="The seller's Mercado Libre user id.")
    status: str = Field(description="active | refresh_failing | revoked | disconnected")
    connected_at: datetime

    @classmethod
    def of(cls, row: AccountRow) -> Account:
        return cls(
            id=row.id,
            nickname=row.nickname,
            site_id=row.site_id,
            seller_id=row.meli_user_id,
            status=row.status,
            connected_at=row.created_at,
        )


class Send(BaseModel):
    """Where the send of an outgoing text stands (the outbox entry)."""

    id: int
    status: str = Field(description="pending | sent | failed | superseded")
    attempts: int
    failure: str | None = Field(description="Why it failed, as a code.")
    error: str | None = Field(description="Why it failed, in words.")
    retry_at: datetime | None = Field(
        description="When it is tried again, while Mercado Libre is unavailable."
    )

    @classmethod
    def of(cls, send: SendState | None) -> Send | None:
        if send is None:
            return None
        return cls(
            id=send.entry_id,
            status=send.status,
            attempts=send.attempts,
            failure=send.failure,
            error=send.error,
            retry_at=send.retry_at,
        )


class Message(BaseModel):
    id: int
    direction: str = Field(description="in (the buyer's side) | out (ours)")
    author: str = Field(description="buyer | mediator | seller | agent | bot")
    text: str
    at: datetime
    status: str = Field(description="received | draft | pending_send | sent | failed | superseded")
    external_id: str
    external_status: str | None
    attachments: list[dict[str, Any]]
    send: Send | None

    @classmethod
    def of(cls, m: MessageView) -> Message:
        return cls(
            id=m.id,
            direction=m.direction,
            author=m.author,
            text=m.text,
            at=m.at,
            status=m.status,
            external_id=m.external_id,
            external_status=m.external_status,
            attachments=m.attachments,
            send=Send.of(m.send),
        )


class Action(BaseModel):
    """Something besides writing a person may do in the thread now (a claim's refund, return …)."""

    name: str
    label: str
    confirm: str
    mandatory: bool
    due_date: datetime | None
    fields: list[str]
    choices: dict[str, list[str]]

    @classmethod
    def of(cls, a: ActionOffer) -> Action:
        return cls(
            name=a.name,
            label=a.label,
            confirm=a.confirm,
            mandatory=a.mandatory,
            due_date=a.due_date,
            fields=list(a.fields),
            choices={k: list(v) for k, v in a.choices.items()},
        )


class Conversation(BaseModel):
    id: int
    channel: str
    account_id: int
    buyer: str
    subject: str
    item_id: str | None
    status: str = Field(description="open | pending | closed")
    owner: str = Field(description="bot | agent")
    handoff_reason: str | None
    waiting: int = Field(description="Buyer texts waiting for an answer.")
    waiting_since: datetime | None
    reply_due: datetime | None = Field(description="When the channel's reply window runs out.")
    overdue: bool
    due_date: datetime | None = Field(description="Mercado Libre's deadline to act (claims).")
    last_message_at: datetime
    can_reply: bool
    reply_refusal: str | None = Field(description="Why no reply may be written now.")
    reply_limit: int = Field(description="Characters a reply may have.")
    state: dict[str, Any] = Field(description="What the channel keeps beside the thread (a claim's facts …).")
    actions: list[Action]

    @classmethod
    def of(cls, t: ThreadView) -> Conversation:
        return cls(
            id=t.id,
            channel=t.channel,
            account_id=t.account_id,
            buyer=t.buyer,
            subject=t.subject,
            item_id=t.item_id,
            status=t.status,
            owner=t.owner,
            handoff_reason=t.handoff_reason,
            waiting=t.waiting,
            waiting_since=t.waiting_since,
            reply_due=t.reply_due,
            overdue=t.overdue,
            due_date=t.due_date,
            last_message_at=t.last_message_at,
            can_reply=t.can_reply,
            reply_refusal=t.reply_refusal,
            reply_limit=t.reply_limit,
            state=_json(t.state),
            actions=[Action.of(a) for a in t.actions],
        )


class Answer(BaseModel):
    text: str
    status: str | None = Field(description="draft | pending_send | sent | failed | superseded")
    by: str | None = Field(description="bot | agent | seller")
    at: datetime | None
    send: Send | None


class Question(BaseModel):
    id: str = Field(description="Mercado Libre's question id.")
    conversation_id: int
    account_id: int
    item_id: str | None
    buyer: str
    text: str
    asked_at: datetime
    status: str = Field(description="Mercado Libre's: UNANSWERED, ANSWERED, DELETED …")
    answer: Answer | None

    @classmethod
    def of(cls, row: BuyerText) -> Question:
        q, t = row.question, row.thread
        answer = None
        if q.answer is not None:
            answer = Answer(
                text=q.answer,
                status=q.answer_status,
                by=q.answered_by,
                at=q.answered_at,
                send=Send.of(q.send),
            )
        return cls(
            id=q.question_id,
            conversation_id=t.id,
            account_id=t.account_id,
            item_id=t.item_id,
            buyer=t.buyer,
            text=q.text,
            asked_at=q.asked_at,
            status=q.status,
            answer=answer,
        )


class NewText(BaseModel):
    text: str = Field(
        min_length=1, max_length=5000, description="May name the channel's variables ({price} …)."
    )


class NewAction(BaseModel):
    action: str = Field(min_length=1, max_length=60, description="One of the conversation's `actions`.")
    fields: dict[str, str] = Field(default_factory=dict, description="The action's `fields`.")


class Accepted(BaseModel):
    """Recorded in the outbox; it is posted to Mercado Libre once, in the background."""

    conversation_id: int
    sends: list[Send] = Field(description="Empty when the same request was already recorded.")


class Tile(BaseModel):
    key: str
    label: str
    value: str
    raw: float | int | None


class Column(BaseModel):
    key: str
    label: str
    kind: str = Field(description="text | count | share | seconds | at_most")


class Table(BaseModel):
    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]


class Dashboard(BaseModel):
    board: str
    title: str
    account_id: int | None
    start: date | None
    end: date | None
    group_by: str | None
    tiles: list[Tile]
    tables: list[Table]

    @classmethod
    def of(cls, name: str, board: Board) -> Dashboard:
        f = board.filters
        return cls(
            board=name,
            title=board.title,
            account_id=f.account_id if f else None,
            start=f.start if f else None,
            end=f.end if f else None,
            group_by=f.group_by if f else None,
            tiles=[Tile(key=t.key, label=t.label, value=t.value, raw=t.raw) for t in board.tiles],
            tables=[
                Table(
                    name=table.name,
                    title=table.title,
                    columns=[Column(key=c.key, label=c.label, kind=c.kind) for c in table.columns],
                    rows=[{c.key: _json(row.get(c.key)) for c in table.columns} for row in table.rows],
                )
                for table in board.tables
            ],
        )


def _json(value: Any) -> Any:
    """Plain JSON values: seconds for percentiles, ISO text for dates, containers walked."""
    if isinstance(value, Percentile):
        return value.seconds
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value
