"""What the REST API reads: the inbox's own read models (`views`), paged by id so a client walking the
pages with their cursor sees every row once, new rows included, whatever else changes meanwhile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from mostrador.context import AppContext
from mostrador.inbox.views import (  # the inbox's own builders: the API shows what the inbox shows
    MessageView,
    QuestionView,
    ThreadView,
    _messages,
    _questions,
    _send_states,
    _shown,
    _view,
)
from mostrador.store import accounts as accounts_store
from mostrador.store import conversations as conversations_store
from mostrador.store import outbox as outbox_store
from mostrador.store.conversations import TextFilter, ThreadFilter
from mostrador.store.db import transaction
from mostrador.store.models import Account

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """Rows in id order, and the id to continue after (None: this was the last page)."""

    rows: list[T]
    after: int | None


def _page(rows: list[T], ids: Sequence[int], limit: int) -> Page[T]:
    return Page(rows, ids[-1] if len(ids) == limit and ids else None)


@dataclass(frozen=True)
class BuyerText:
    """A buyer's question with its thread and answer, as the questions list shows it."""

    id: int  # our message id (the cursor's order)
    question: QuestionView
    thread: ThreadView


def accounts(ctx: AppContext, workspace_id: int) -> list[Account]:
    with transaction(ctx.sessions) as s:
        found = list(accounts_store.accounts_of(s, workspace_id))
        s.expunge_all()
        return found


def threads(ctx: AppContext, workspace_id: int, f: ThreadFilter, after: int, limit: int) -> Page[ThreadView]:
    with transaction(ctx.sessions) as s:
        shown = {a.id: _shown(a) for a in accounts_store.accounts_of(s, workspace_id)}
        convs = conversations_store.threads_after(s, workspace_id, f, after, limit)
        sends = _send_states(list(outbox_store.entries_of(s, [c.id for c in convs])))
        rows = [_view(c, shown, sends) for c in convs]
    return _page(rows, [c.id for c in convs], limit)


def messages(
    ctx: AppContext, workspace_id: int, conversation_id: int, after: int, limit: int
) -> Page[MessageView] | None:
    """The thread's messages (buyer's, ours, actions taken) in id order; None: no such thread here."""
    with transaction(ctx.sessions) as s:
        conv = conversations_store.conversation_in_workspace(s, workspace_id, conversation_id)
        if conv is None:
            return None
        sends = _send_states(list(outbox_store.entries_of(s, [conv.id])))
        every = sorted(_messages(conv, sends), key=lambda m: m.id)
    rows = [m for m in every if m.id > after][:limit]
    return _page(rows, [m.id for m in rows], limit)


def buyer_texts(ctx: AppContext, workspace_id: int, f: TextFilter, after: int, limit: int) -> Page[BuyerText]:
    """Buyers' questions with their answers (one public answer each), in id order."""
    with transaction(ctx.sessions) as s:
        found = conversations_store.texts_after(s, workspace_id, f, after, limit)
        convs = conversations_store.threads_with_messages(s, sorted({m.conversation_id for m in found}))
        shown = {a.id: _shown(a) for a in accounts_store.accounts_of(s, workspace_id)}
        sends = _send_states(list(outbox_store.entries_of(s, [c.id for c in convs])))
        by_key = {}
        for conv in convs:
            view = _view(conv, shown, sends)
            for q in _questions(conv, sends):
                by_key[(conv.id, q.question_id)] = (q, view)
        rows = [
            BuyerText(m.id, *by_key[(m.conversation_id, m.external_id)])
            for m in found
            if (m.conversation_id, m.external_id) in by_key
        ]
    return _page(rows, [m.id for m in found], limit)


def thread_of_text(ctx: AppContext, workspace_id: int, channel: str, external_id: str) -> int | None:
    """The workspace's thread of the channel holding the buyer's text `external_id` (a question id)."""
    with transaction(ctx.sessions) as s:
        return conversations_store.thread_of_text(s, workspace_id, channel, external_id)
