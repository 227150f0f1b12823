"""Read models for the inbox: question threads (per buyer per item, questions in asked order, who
answered), post-sale chats (per pack) and claims (with the facts an agent acts on)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mostrador.context import AppContext
from mostrador.conversations import service as conv_service
from mostrador.store import accounts as accounts_store
from mostrador.store import conversations as conversations_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, Message

CHANNELS = ("questions", "messages", "claims")
STATE_KEYS = {"messages": "pack", "claims": "claim"}


@dataclass
class QuestionView:
    question_id: str
    text: str
    asked_at: datetime
    status: str  # question status at Mercado Libre
    answer: str | None = None
    answer_status: str | None = None  # draft | pending_send | sent | failed | superseded
    answered_by: str | None = None  # bot | agent | seller
    answered_at: datetime | None = None
    intents: list[str] = field(default_factory=list)
    handoff_reason: str | None = None


@dataclass
class MessageView:
    """One message of a post-sale chat or a claim, as the agent sees it."""

    id: int
    direction: str  # in | out
    author: str  # buyer | mediator | seller | agent
    text: str
    at: datetime
    status: str  # received | pending_send | sent | failed
    external_status: str | None  # Mercado Libre's: available | moderated | rejected …
    attachments: list[dict[str, Any]] = field(default_factory=list)
    moderation: dict[str, Any] | None = None
    receiver_role: str | None = None
    error: str | None = None

    @property
    def moderated(self) -> bool:
        return self.external_status in ("moderated", "rejected") or (
            (self.moderation or {}).get("status") in ("rejected", "pending")
        )


@dataclass
class ThreadView:
    id: int
    channel: str
    account: str
    site_id: str
    buyer: str
    subject: str
    item_id: str | None
    status: str
    owner: str
    handoff_reason: str | None
    last_message_at: datetime
    questions: list[QuestionView]
    messages: list[MessageView] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)  # pack status, or the claim's facts

    @property
    def waiting(self) -> int:
        if self.channel != "questions":
            return int(bool(self.messages) and self.messages[-1].direction == "in")
        return sum(1 for q in self.questions if q.answer_status not in ("sent", "pending_send"))

    @property
    def blocked(self) -> bool:
        """Mercado Libre refuses seller messages in this chat (§8.6)."""
        return self.channel == "messages" and self.state.get("status") == "blocked"

    @property
    def due_date(self) -> datetime | None:
        """When the seller must act on the claim (§9.1 mandatory action, §9.3 reputation window)."""
        raw = self.state.get("due_date") if self.channel == "claims" else None
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None

    @property
    def can_reply(self) -> bool:
        if self.channel == "messages":
            return not self.blocked
        if self.channel == "claims":
            return self.state.get("status") != "closed"
        return False


def _questions(conv: Conversation) -> list[QuestionView]:
    inbound = [m for m in conv.messages if m.direction == "in"]
    answers: dict[str, Message] = {
        m.external_id.removeprefix("answer:"): m for m in conv.messages if m.direction == "out"
    }
    out = []
    for m in sorted(inbound, key=lambda m: (m.created_at, m.id)):
        a = answers.get(m.external_id)
        meta = m.meta or {}
        out.append(
            QuestionView(
                question_id=m.external_id,
                text=m.text,
                asked_at=m.created_at,
                status=m.external_status or "",
                answer=a.text if a else None,
                answer_status=a.status if a else None,
                answered_by=a.author if a else None,
                answered_at=a.sent_at if a else None,
                intents=list(meta.get("intents") or []),
                handoff_reason=meta.get("reason"),
            )
        )
    return out


def _messages(conv: Conversation) -> list[MessageView]:
    out = []
    for m in sorted(conv.messages, key=lambda m: (m.created_at, m.id)):
        if conv_service.is_state(m):
            continue
        meta = m.meta or {}
        out.append(
            MessageView(
                id=m.id,
                direction=m.direction,
                author=m.author,
                text=m.text,
                at=m.created_at,
                status=m.status,
                external_status=m.external_status,
                attachments=list(meta.get("attachments") or []),
                moderation=meta.get("moderation"),
                receiver_role=meta.get("receiver_role"),
                error=meta.get("error"),
            )
        )
    return out


def _view(conv: Conversation, accounts: dict[int, tuple[str, str]]) -> ThreadView:
    nickname, site_id = accounts.get(conv.account_id, ("?", "MLA"))
    post_sale = conv.channel in STATE_KEYS
    return ThreadView(
        id=conv.id,
        channel=conv.channel,
        account=nickname,
        site_id=site_id,
        buyer=conv.contact.display_name if conv.contact else "",
        subject=conv.subject,
        item_id=conv.item_id,
        status=conv.status,
        owner=conv.owner,
        handoff_reason=conv.handoff_reason,
        last_message_at=conv.last_message_at,
        questions=[] if post_sale else _questions(conv),
        messages=_messages(conv) if post_sale else [],
        state=conv_service.state_of(conv, STATE_KEYS[conv.channel]) if post_sale else {},
    )


def inbox_threads(
    ctx: AppContext,
    workspace_id: int,
    owner: str | None = None,
    limit: int = 100,
    channel: str | None = "questions",
) -> list[ThreadView]:
    """The workspace's threads of one channel (None: all), most recent first."""
    with transaction(ctx.sessions) as s:
        accounts = {a.id: (a.nickname, a.site_id) for a in accounts_store.accounts_of(s, workspace_id)}
        convs = conversations_store.conversations_page(s, workspace_id, channel=channel, limit=limit)
        views = [_view(c, accounts) for c in convs]
    if owner:
        views = [v for v in views if v.owner == owner]
    return views


def thread(ctx: AppContext, workspace_id: int, conversation_id: int) -> tuple[ThreadView, Account] | None:
    with transaction(ctx.sessions) as s:
        conv = conversations_store.conversation_in_workspace(s, workspace_id, conversation_id)
        if conv is None:
            return None
        account = s.get(Account, conv.account_id)
        assert account is not None
        view = _view(conv, {account.id: (account.nickname, account.site_id)})
        s.expunge(account)
        return view, account
