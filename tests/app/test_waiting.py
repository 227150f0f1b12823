"""What waits for an answer, counted on each conversation at commit (store/waiting.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mostrador.context import AppContext
from mostrador.conversations import service as conv
from mostrador.store import conversations as conversations_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, Message
from mostrador.store.waiting import waiting_of

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@dataclass
class Row:
    direction: str
    external_id: str
    status: str = "received"
    created_at: datetime = T0
    author: str = "buyer"
    external_status: str | None = None


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_each_question_waits_for_its_own_answer() -> None:
    rows = [
        Row("in", "q1", created_at=at(0), external_status="UNANSWERED"),
        Row("in", "q2", created_at=at(1)),
        Row("in", "q3", created_at=at(2)),
        Row("in", "q4", created_at=at(3), external_status="DELETED"),  # withdrawn: nobody can answer
        Row("out", "answer:q1", status="sent", created_at=at(5), author="bot"),
        Row("out", "answer:q2", status="draft", created_at=at(5), author="bot"),  # a draft is no answer
        Row("in", "state:pack", author="system"),
    ]
    assert waiting_of(rows) == (2, at(1))
    rows.append(Row("out", "answer:q2", status="pending_send", created_at=at(6), author="agent"))
    assert waiting_of([r for r in rows if not (r.external_id == "answer:q2" and r.status == "draft")]) == (
        1,
        at(2),
    )


def test_a_chat_waits_from_the_first_buyer_text_after_the_last_reply() -> None:
    rows = [
        Row("in", "m1", created_at=at(0)),
        Row("out", "reply:a", status="sent", created_at=at(2), author="agent"),
        Row("in", "m2", created_at=at(3)),
        Row("in", "m3", created_at=at(4)),
    ]
    assert waiting_of(rows) == (2, at(3))
    assert waiting_of([*rows, Row("out", "reply:b", status="failed", created_at=at(5))]) == (2, at(3))
    assert waiting_of([*rows, Row("out", "reply:b", status="pending_send", created_at=at(5))]) == (0, None)
    assert waiting_of(rows, closed=True) == (0, None)


def test_the_counts_follow_every_write_without_the_writer_asking(ctx: AppContext, account_id: int) -> None:
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        assert account is not None
        thread = conv.open_thread(s, account, conv.ThreadKey("messages", "2000001"), "77", "COMPRADOR")
        conv.record_inbound(s, thread, "m1", "¿Cuándo llega?", at(0))
        conv.record_inbound(s, thread, "m2", "¿Hola?", at(10))
        thread_id = thread.id

    def figures() -> tuple[int, datetime | None]:
        with transaction(ctx.sessions) as s:
            row = s.get(Conversation, thread_id)
            assert row is not None
            return row.waiting_count, row.waiting_since

    assert figures() == (2, at(0))
    with transaction(ctx.sessions) as s:
        thread = s.get(Conversation, thread_id)
        assert thread is not None
        reply = conv.record_outbound(s, thread, "reply:1", "Mañana", "agent", "pending_send", sent_at=at(20))
        reply_id = reply.id
    assert figures() == (0, None)
    with transaction(ctx.sessions) as s:  # the send failed: a plain attribute change, no helper called
        row = s.get(Message, reply_id)
        assert row is not None
        row.status = "failed"
    assert figures() == (2, at(0))
    with transaction(ctx.sessions) as s:  # a Core insert-or-ignore of a buyer text
        conversations_store.upsert_message(
            s, thread_id, "in", "m3", author="buyer", text="?", created_at=at(30)
        )
        thread = s.get(Conversation, thread_id)
        assert thread is not None
        conv.close(s, thread, "claim closed")
    assert figures() == (0, None)
