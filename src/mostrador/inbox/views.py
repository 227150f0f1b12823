"""Read models for the inbox: threads per buyer per item, questions in asked order, who answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mostrador.context import AppContext
from mostrador.store import repositories as repo
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, Message


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

    @property
    def waiting(self) -> int:
        return sum(1 for q in self.questions if q.answer_status not in ("sent", "pending_send"))


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


def _view(conv: Conversation, accounts: dict[int, tuple[str, str]]) -> ThreadView:
    nickname, site_id = accounts.get(conv.account_id, ("?", "MLA"))
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
        questions=_questions(conv),
    )


def inbox_threads(
    ctx: AppContext, workspace_id: int, owner: str | None = None, limit: int = 100
) -> list[ThreadView]:
    with transaction(ctx.sessions) as s:
        accounts = {a.id: (a.nickname, a.site_id) for a in repo.accounts_of(s, workspace_id)}
        convs = repo.conversations_page(s, workspace_id, channel="questions", limit=limit)
        views = [_view(c, accounts) for c in convs]
    if owner:
        views = [v for v in views if v.owner == owner]
    return views


def thread(ctx: AppContext, workspace_id: int, conversation_id: int) -> tuple[ThreadView, Account] | None:
    with transaction(ctx.sessions) as s:
        conv = repo.conversation_in_workspace(s, workspace_id, conversation_id)
        if conv is None:
            return None
        account = s.get(Account, conv.account_id)
        assert account is not None
        view = _view(conv, {account.id: (account.nickname, account.site_id)})
        s.expunge(account)
        return view, account
