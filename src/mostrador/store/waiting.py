"""How many buyer texts of a conversation wait for an answer, and since when.

Kept on the conversation (`waiting_count`, `waiting_since`) so the inbox can sort ("unanswered
first"), filter ("overdue") and count in SQL over any number of threads. Recounted when a transaction
commits, for every conversation whose messages it wrote (session events, so no writer can forget it:
an ingest, a bot answer, an agent's reply, a send settling, a question deleted at Mercado Libre).

The rule is the data's own and knows no channel:
- a text waits when it came from the buyer's side (inbound, not a state record) and Mercado Libre did
  not withdraw it (a question deleted, banned, closed unanswered or under review cannot be answered);
- it is answered by the outgoing text that names it (`answer:<its id>`: one public answer per question),
  or — for texts no outgoing text names, a chat — by any outgoing text written after it;
- an action a person took in the thread (`reply:action-…`: a refund, blocking the buyer) answers nobody;
- "answered" means sent, on its way (pending_send) or answered elsewhere (superseded); a draft or a
  failed send leaves the text waiting;
- nothing waits in a closed conversation.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, sessionmaker

from mostrador.store.models import Conversation, Message

ANSWER_PREFIX = "answer:"  # an outgoing text that answers one inbound text: `answer:<its external id>`
ACTION_PREFIX = "reply:action-"  # an action a person took (a refund, a block), not an answer to anyone
ANSWERED = frozenset({"sent", "pending_send", "superseded"})
# Mercado Libre's statuses of a question nobody can answer any more (or not yet: under review).
WITHDRAWN = frozenset({"DELETED", "BANNED", "CLOSED_UNANSWERED", "DISABLED", "UNDER_REVIEW"})
STATE_AUTHOR = "system"
_TOUCHED = "waiting.touched"


def waiting_of(messages: Iterable[Any], closed: bool = False) -> tuple[int, datetime | None]:
    """(how many inbound texts wait, when the oldest of them arrived) for one conversation's messages
    (rows or anything with direction, author, external_id, external_status, status, created_at)."""
    waiting = waiting_texts(messages, closed)
    return len(waiting), min((at for _, at in waiting), default=None)


def waiting_texts(messages: Iterable[Any], closed: bool = False) -> list[tuple[str, datetime]]:
    """The inbound texts that wait, as (external id, when it arrived), in the order given."""
    if closed:
        return []
    rows = [
        m
        for m in messages
        if m.author != STATE_AUTHOR and not (m.direction == "out" and m.external_id.startswith(ACTION_PREFIX))
    ]
    named = {
        m.external_id.removeprefix(ANSWER_PREFIX): m.status
        for m in rows
        if m.direction == "out" and m.external_id.startswith(ANSWER_PREFIX)
    }
    chat_answers = [
        m.created_at
        for m in rows
        if m.direction == "out" and not m.external_id.startswith(ANSWER_PREFIX) and m.status in ANSWERED
    ]
    last_chat_answer = max(chat_answers, default=None)
    waiting = []
    for m in rows:
        if m.direction != "in" or (m.external_status or "").upper() in WITHDRAWN:
            continue
        if m.external_id in named:
            if named[m.external_id] not in ANSWERED:
                waiting.append((m.external_id, m.created_at))
        elif last_chat_answer is None or last_chat_answer < m.created_at:
            waiting.append((m.external_id, m.created_at))
    return waiting


def touch(s: Session, conversation_id: int) -> None:
    """Note that a conversation's messages changed (writers that insert with Core statements)."""
    s.info.setdefault(_TOUCHED, set()).add(conversation_id)


def recount(s: Session, conversation_ids: Iterable[int]) -> None:
    """Recompute the waiting figures of these conversations from their messages."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return
    closed = {
        row[0]: row[1] == "closed"
        for row in s.execute(select(Conversation.id, Conversation.status).where(Conversation.id.in_(ids)))
    }
    columns = (
        Message.conversation_id,
        Message.direction,
        Message.author,
        Message.external_id,
        Message.external_status,
        Message.status,
        Message.created_at,
    )
    by_conversation: dict[int, list[Any]] = {i: [] for i in ids}
    for row in s.execute(select(*columns).where(Message.conversation_id.in_(ids))):
        by_conversation[row.conversation_id].append(row)
    for conversation_id, rows in by_conversation.items():
        if conversation_id not in closed:
            continue  # deleted meanwhile
        count, since = waiting_of(rows, closed=closed[conversation_id])
        s.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(waiting_count=count, waiting_since=since)
        )


def install(factory: sessionmaker[Session]) -> None:
    """Keep the waiting figures current in every session the factory makes."""

    @event.listens_for(factory, "after_flush")
    def _note(session: Session, _context: Any) -> None:
        touched = session.info.setdefault(_TOUCHED, set())
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, Message) and obj.conversation_id is not None:
                touched.add(obj.conversation_id)
            elif isinstance(obj, Conversation) and obj.id is not None:
                touched.add(obj.id)

    @event.listens_for(factory, "before_commit")
    def _recount(session: Session) -> None:
        session.flush()  # what is still pending is noted by `_note` first
        touched = session.info.pop(_TOUCHED, set())
        if touched:
            recount(session, touched)

    @event.listens_for(factory, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_TOUCHED, None)
