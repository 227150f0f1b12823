"""What each channel's changes mean to an integrator: the outgoing webhooks' event types and payloads.

The `events` feed says *that* a conversation changed (a message recorded or re-stated, a handoff, a
claim's state); this module, the only place that knows which channel a change belongs to, turns one
feed row into the facts an integrator hears (`question.received` …), each with a `dedup_key` naming
what happened, so reading the same change twice — a re-ingest, a replayed row — makes one event. The
payloads carry ids and the texts the workspace already owns; they are read when the row is derived,
so every retry of a delivery sends the same body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from mostrador.channels.claims.recording import NAME as CLAIMS
from mostrador.channels.claims.recording import STATE_KEY as CLAIM_STATE
from mostrador.channels.messages import NAME as PACKS
from mostrador.channels.questions import NAME as QUESTIONS
from mostrador.conversations import service as conv
from mostrador.i18n import N_
from mostrador.store.models import Account, ClaimRecord, Conversation, Message
from mostrador.store.webhooks import FeedRow

# Event type → what the endpoint form says about it (Spanish, the source text: the page translates it).
EVENT_TYPES: dict[str, str] = {
    "question.received": N_("Pregunta recibida"),
    "question.answered": N_("Pregunta respondida (por el bot, una persona o en Mercado Libre)"),
    "question.handed_off": N_("Pregunta derivada a una persona"),
    "message.received": N_("Mensaje posventa recibido"),
    "claim.opened": N_("Reclamo abierto"),
    "claim.changed": N_("Reclamo cambió de etapa, estado, turno o vencimiento"),
    "claim.due_soon": N_("Reclamo por vencer (acción del vendedor pendiente)"),
}
TEST_EVENT = "webhook.test"  # sent by an endpoint's "send test event" button only

# A claim's facts whose change is an integrator's `claim.changed` (its history and sale change often).
CLAIM_TRACKED = ("stage", "status", "turn", "due_date", "mandatory_actions")


@dataclass(frozen=True)
class Fact:
    """One event owed to the workspace's endpoints; `changes` (claims) makes it wait until compared."""

    event_type: str
    dedup_key: str
    subject: str
    data: dict[str, Any]
    compare_with: tuple[str, ...] = field(default=())  # earlier event types of the subject to compare


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat() if at is not None else None


def _utc(value: Any) -> str | None:
    """A date from Mercado Libre's facts (with the site's offset) in UTC, like every date we send."""
    return _iso(datetime.fromisoformat(value)) if isinstance(value, str) and value else None


def _about(s: Session, thread: Conversation) -> dict[str, Any]:
    account = s.get(Account, thread.account_id)
    return {
        "account": {
            "id": thread.account_id,
            "seller_id": account.meli_user_id if account else None,
            "nickname": account.nickname if account else None,
        },
        "conversation_id": thread.id,
    }


def _message(s: Session, row: FeedRow, thread: Conversation) -> Message | None:
    message_id = row.data.get("message_id")
    msg = s.get(Message, int(message_id)) if isinstance(message_id, int) else None
    return msg if msg is not None and msg.conversation_id == thread.id else None


# ---- per channel ---------------------------------------------------------------------------------------
def _question_facts(s: Session, row: FeedRow, thread: Conversation) -> list[Fact]:
    subject = f"conversation:{thread.id}"
    if row.kind == "handoff":
        # Once per reason and newest question: reading the same thread again hands it off again.
        asked = [m for m in thread.messages if m.direction == "in" and m.author == "buyer"]
        newest = asked[-1] if asked else None
        reason = str(row.data.get("reason") or "")
        data = {
            **_about(s, thread),
            "item_id": thread.item_id,
            "question_id": newest.external_id if newest else None,
            "reason": reason,
        }
        key = f"question.handed_off:{thread.id}:{newest.id if newest else 0}:{reason}"
        return [Fact("question.handed_off", key, subject, data)]
    msg = _message(s, row, thread) if row.kind == "message" else None
    if msg is None or conv.is_state(msg):
        return []
    if msg.direction == "in" and msg.author == "buyer":
        data = {
            **_about(s, thread),
            "item_id": thread.item_id,
            "question_id": msg.external_id,
            "text": msg.text,
            "asked_at": _iso(msg.created_at),
        }
        return [Fact("question.received", f"question.received:{msg.id}", subject, data)]
    if msg.direction == "out" and msg.status == "sent":
        question_id = msg.external_id.removeprefix("answer:")
        data = {
            **_about(s, thread),
            "item_id": thread.item_id,
            "question_id": question_id,
            "text": msg.text,
            "answered_by": msg.author,  # bot | agent | seller (in Mercado Libre's own pages)
            "answered_at": _iso(msg.sent_at or msg.created_at),
        }
        return [Fact("question.answered", f"question.answered:{msg.id}", subject, data)]
    return []


def _pack_facts(s: Session, row: FeedRow, thread: Conversation) -> list[Fact]:
    msg = _message(s, row, thread) if row.kind == "message" else None
    if msg is None or conv.is_state(msg) or msg.direction != "in" or msg.author != "buyer":
        return []
    data = {
        **_about(s, thread),
        "pack_id": thread.external_key,
        "message_id": msg.external_id,
        "text": msg.text,
        "attachments": len((msg.meta or {}).get("attachments") or []),
        "received_at": _iso(msg.created_at),
    }
    return [Fact("message.received", f"message.received:{msg.id}", f"conversation:{thread.id}", data)]


def _claim_facts(s: Session, row: FeedRow, thread: Conversation) -> list[Fact]:
    if row.kind != "state" or row.data.get("key") != CLAIM_STATE:
        return []
    state = {}
    for m in thread.messages:  # the state message is updated in place: this is its current value
        if conv.is_state(m) and m.external_id == f"state:{CLAIM_STATE}":
            state = dict(m.meta or {})
    if not state:
        return []
    subject = f"conversation:{thread.id}"
    data = {
        **_about(s, thread),
        "claim_id": str(state.get("claim_id")),
        "type": state.get("type"),
        "reason_id": state.get("reason_id"),
        **{key: state.get(key) for key in CLAIM_TRACKED},
        "due_date": _utc(state.get("due_date")),
        "available_actions": state.get("available_actions") or [],
        "order_id": (state.get("sale") or {}).get("order_id"),
    }
    return [
        Fact("claim.opened", f"claim.opened:{thread.id}", subject, data),
        Fact(
            "claim.changed",
            f"claim.changed:{row.id}",
            subject,
            data,
            compare_with=("claim.opened", "claim.changed"),
        ),
    ]


_BY_CHANNEL: dict[str, Callable[[Session, FeedRow, Conversation], list[Fact]]] = {
    QUESTIONS: _question_facts,
    PACKS: _pack_facts,
    CLAIMS: _claim_facts,
}


def facts_for(s: Session, row: FeedRow) -> list[Fact]:
    """The facts one feed row stands for (none for most rows: outbox states, re-statements …)."""
    if row.conversation_id is None:
        return []
    thread = s.get(Conversation, row.conversation_id)
    if thread is None or thread.workspace_id != row.workspace_id:
        return []
    derive = _BY_CHANNEL.get(thread.channel)
    return derive(s, row, thread) if derive is not None else []


def claim_changed(previous: dict[str, Any], now: dict[str, Any]) -> bool:
    """Whether a claim's facts moved in a way an integrator hears as `claim.changed`."""
    return any(previous.get(key) != now.get(key) for key in CLAIM_TRACKED)


def due_soon_fact(s: Session, record: ClaimRecord) -> Fact:
    """`claim.due_soon` once per claim and due date (a new due date is a new deadline)."""
    thread = s.get(Conversation, record.conversation_id)
    assert thread is not None
    due = _iso(record.due_date)
    data = {
        **_about(s, thread),
        "claim_id": record.claim_id,
        "due_date": due,
        "due_action": record.due_action,
        "stage": record.stage,
    }
    return Fact("claim.due_soon", f"claim.due_soon:{record.id}:{due}", f"conversation:{thread.id}", data)
