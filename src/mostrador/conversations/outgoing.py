"""Outgoing texts: recorded with their send before anything is posted, settled exactly once.

Every text Mostrador posts — bot answer, agent answer, post-sale or claim message, automatic message —
is an outbox entry (one per target) plus its outbound message in the conversation. The send pipeline
(`mostrador.outbox`) posts it; this module is its bookkeeping, in the caller's transaction:

- `record` stores the entry with drive 1 and a lease (`next_attempt_at`): the caller schedules workflow
  `outbox:<id>:1` after its commit; if it never does (a crash in between), the lease runs out and the
  re-drive schedule sends it under drive 2. Nothing recorded is ever left behind.
- every change a send makes names its drive; a newer drive (re-drive, retry, an agent's edit) fences
  the older one off, so a stale run can never post or settle.
- `adopt_posted`: when a send may have reached Mercado Libre but we never learnt the outcome (a crash,
  a timeout), a seller message with the same text, posted since shortly before the entry was recorded
  and not linked to anything, *is* that entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from mostrador.conversations import service as conv
from mostrador.store import conversations as conversations_store
from mostrador.store import operations as operations_store
from mostrador.store import outbox as outbox_store
from mostrador.store.models import Conversation, Message, OutboxEntry, utcnow

REPLY_PREFIX = "reply:"
# Mercado Libre's clock and ours differ; a posted reply is looked for from a little before it was recorded.
CLOCK_SLACK = timedelta(minutes=10)
FINAL = ("sent", "failed", "superseded")


@dataclass(frozen=True)
class Posted:
    """The reply is at Mercado Libre (with its id there, when Mercado Libre gives one)."""

    remote_id: str | None = None
    remote_status: str | None = None


@dataclass(frozen=True)
class Settled:
    """Nothing to post any more: answered by someone else, deleted, closed (why, for the agent)."""

    why: str


class ReplyRefused(ValueError):
    """The reply cannot be recorded as asked (the message says why, in words for the agent)."""


@dataclass(frozen=True)
class ReplyPlan:
    """Where a reply goes, decided by its channel's rules before it is recorded."""

    target_id: str  # unique per account and channel: a question id, `<pack>:<reply key>` …
    external_id: str  # the outbound message's id until Mercado Libre gives it one
    params: dict[str, Any]  # what the channel needs to post it (recipient, receiver role …)
    replaces: bool = False  # one reply per target (an answer): a new text replaces a failed or unsent one


@dataclass(frozen=True)
class Outgoing:
    """An outbox entry as plain values, usable outside the session."""

    id: int
    account_id: int
    conversation_id: int
    conversation_key: str
    message_id: int | None
    channel: str
    target_id: str
    text: str
    params: dict[str, Any]
    status: str
    attempts: int
    drive: int
    deferrals: int
    failure: str | None
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    pending_since: datetime

    @property
    def workflow_id(self) -> str:
        """The send workflow of this drive: fixed, so scheduling it twice runs it once."""
        return f"outbox:{self.id}:{self.drive}"

    @property
    def final(self) -> bool:
        return self.status in FINAL


def _plain(s: Session, entry: OutboxEntry) -> Outgoing:
    thread = s.get(Conversation, entry.conversation_id)
    assert thread is not None
    return Outgoing(
        id=entry.id,
        account_id=entry.account_id,
        conversation_id=entry.conversation_id,
        conversation_key=thread.external_key,
        message_id=entry.message_id,
        channel=entry.channel,
        target_id=entry.target_id,
        text=entry.text,
        params=dict(entry.params or {}),
        status=entry.status,
        attempts=entry.attempts,
        drive=entry.drive,
        deferrals=entry.deferrals,
        failure=entry.failure,
        last_error=entry.last_error,
        next_attempt_at=entry.next_attempt_at,
        created_at=entry.created_at,
        pending_since=entry.pending_since,
    )


def load(s: Session, entry_id: int) -> Outgoing:
    entry = s.get(OutboxEntry, entry_id)
    if entry is None:
        raise LookupError(f"unknown outbox entry {entry_id}")
    return _plain(s, entry)


# ---- recording --------------------------------------------------------------------------------------
def record(
    s: Session,
    thread: Conversation,
    plan: ReplyPlan,
    text: str,
    author: str,
    lease_until: datetime,
    *,
    agent_id: int | None = None,
    meta: dict[str, Any] | None = None,
) -> tuple[Outgoing, bool]:
    """Record a reply and its send; returns it and whether the caller must schedule its drive.

    The same target again returns the first entry untouched (a double submit, a retried step), unless
    the plan `replaces`: then a failed, superseded or never-attempted pending text is replaced under a
    new drive. A text that may already be at Mercado Libre, or was sent, is never replaced.
    """
    existing = outbox_store.entry_for_target(s, thread.account_id, thread.channel, plan.target_id)
    if existing is not None and (
        not plan.replaces or (existing.status in ("pending", "sent") and existing.text == text)
    ):
        return _plain(s, existing), False  # the same reply again: a double submit, a retried step
    if existing is not None:
        return _replace(s, thread, existing, plan, text, author, lease_until, agent_id, meta), True
    out = conv.record_outbound(
        s, thread, plan.external_id, text, author, "pending_send", agent_id=agent_id, meta=meta
    )
    now = utcnow()
    entry = outbox_store.insert_entry(
        s,
        {
            "account_id": thread.account_id,
            "conversation_id": thread.id,
            "message_id": out.id,
            "channel": thread.channel,
            "target_id": plan.target_id,
            "text": text,
            "params": plan.params,
            "status": "pending",
            "attempts": 0,
            "drive": 1,
            "deferrals": 0,
            "next_attempt_at": lease_until,
            "created_at": now,
            "pending_since": now,
        },
    )
    if author == "agent":
        thread.owner = "agent"
    return _plain(s, entry), True


def _replace(
    s: Session,
    thread: Conversation,
    entry: OutboxEntry,
    plan: ReplyPlan,
    text: str,
    author: str,
    lease_until: datetime,
    agent_id: int | None,
    meta: dict[str, Any] | None,
) -> Outgoing:
    if entry.status == "sent":
        raise ReplyRefused("Ya se envió una respuesta: Mercado Libre admite una sola.")
    if entry.status == "pending" and entry.attempts > 0:
        raise ReplyRefused("Ya se está enviando una respuesta; esperá a que termine o falle.")
    values = {
        "text": text,
        "params": plan.params,
        "failure": None,
        "last_error": None,
        "deferrals": 0,
        "pending_since": utcnow(),
    }
    if entry.status == "pending":
        if not outbox_store.take_over(s, entry.id, entry.drive, lease_until, **values):
            raise ReplyRefused("La respuesta cambió mientras la editabas; recargá la página.")
    else:  # failed or superseded: a fresh try under a new drive
        entry.status, entry.drive, entry.next_attempt_at = "pending", entry.drive + 1, lease_until
        for key, value in values.items():
            setattr(entry, key, value)
        s.flush()
    out = conv.record_outbound(
        s, thread, plan.external_id, text, author, "pending_send", agent_id=agent_id, meta=meta
    )
    refreshed = s.get(OutboxEntry, entry.id)
    assert refreshed is not None
    refreshed.message_id = out.id
    if author == "agent":
        thread.owner = "agent"
    s.flush()
    return _plain(s, refreshed)


# ---- the send's bookkeeping (each change conditional on the drive) --------------------------------
def count_attempt(s: Session, entry_id: int, drive: int, lease_until: datetime) -> bool:
    return outbox_store.count_attempt(s, entry_id, drive, lease_until)


def mark_sent(
    s: Session, entry_id: int, drive: int, remote_id: str | None = None, remote_status: str | None = None
) -> str:
    """The text is at Mercado Libre; link its message to Mercado Libre's id when we know it."""
    entry = s.get(OutboxEntry, entry_id)
    assert entry is not None
    if entry.status != "pending" or entry.drive != drive:
        return entry.status
    _settle_sent(s, entry, remote_id, remote_status)
    return "sent"


def supersede(s: Session, entry_id: int, drive: int, why: str) -> str:
    """Nothing to send any more: answered by someone else (Mercado Libre's own UI), deleted, closed."""
    entry = s.get(OutboxEntry, entry_id)
    assert entry is not None
    if entry.status != "pending" or entry.drive != drive:
        return entry.status
    entry.status, entry.next_attempt_at, entry.last_error = "superseded", None, why[:1000]
    _set_message_status(s, entry, "superseded")
    return "superseded"


def fail(s: Session, entry_id: int, drive: int, failure: str, detail: str) -> str:
    """Refused for good (the guard, Mercado Libre, an outage longer than the give-up age): shown in the
    inbox with its reason, the thread handed to a person, who can retry."""
    entry = s.get(OutboxEntry, entry_id)
    assert entry is not None
    if entry.status != "pending" or entry.drive != drive:
        return entry.status
    entry.status, entry.next_attempt_at = "failed", None
    entry.failure, entry.last_error = failure[:40], detail[:1000]
    msg = _set_message_status(s, entry, "failed")
    if msg is not None:
        msg.meta = {**(msg.meta or {}), "error": f"{failure}: {detail}"[:300]}
        conv.hand_off(s, msg.conversation, f"send_failed:{failure}")
    return "failed"


def defer(s: Session, entry_id: int, drive: int, error: str, retry_at: datetime) -> bool:
    """Mercado Libre could not take it now (an outage, a rate limit): the re-drive sends it at `retry_at`."""
    entry = s.get(OutboxEntry, entry_id)
    assert entry is not None
    if entry.status != "pending" or entry.drive != drive:
        return False
    entry.deferrals += 1
    entry.last_error, entry.next_attempt_at = error[:1000], retry_at
    thread = s.get(Conversation, entry.conversation_id)
    assert thread is not None
    operations_store.add_event(s, thread.workspace_id, "outbox", thread.id, {"status": "deferred"})
    return True


def settle_remote(s: Session, entry_id: int, outcome: Posted | Settled) -> str:
    """What Mercado Libre shows wins over whichever drive owns the entry (an ingest met it first)."""
    entry = s.get(OutboxEntry, entry_id)
    assert entry is not None
    if isinstance(outcome, Posted):
        if entry.status != "sent":
            _settle_sent(s, entry, outcome.remote_id, outcome.remote_status)
    elif entry.status in ("pending", "failed"):
        entry.status, entry.next_attempt_at, entry.last_error = "superseded", None, outcome.why[:1000]
        _set_message_status(s, entry, "superseded")
    return entry.status


def claim_due(s: Session, now: datetime, lease_until: datetime, limit: int) -> list[Outgoing]:
    """Take over the pending entries whose lease or back-off is over (each under a new drive)."""
    claimed = []
    for entry_id, drive in outbox_store.due_entries(s, now, limit):
        if outbox_store.take_over(s, entry_id, drive, lease_until):
            claimed.append(load(s, entry_id))
    return claimed


def retry(s: Session, entry_id: int, lease_until: datetime) -> Outgoing:
    """An agent's "retry now": a failed entry is pending again, a waiting one is sent without waiting."""
    entry = s.get(OutboxEntry, entry_id)
    if entry is None:
        raise LookupError(f"unknown outbox entry {entry_id}")
    if entry.status in ("sent", "superseded"):
        raise ReplyRefused("Ese mensaje ya no necesita enviarse.")
    if entry.status == "pending":
        if not outbox_store.take_over(s, entry.id, entry.drive, lease_until):
            raise ReplyRefused("El envío cambió mientras tanto; recargá la página.")
        return load(s, entry.id)
    entry.status, entry.drive, entry.next_attempt_at = "pending", entry.drive + 1, lease_until
    entry.failure, entry.deferrals, entry.pending_since = None, 0, utcnow()
    _set_message_status(s, entry, "pending_send")
    s.flush()
    return load(s, entry.id)


def earlier_pending(s: Session, entry: Outgoing) -> bool:
    return outbox_store.earlier_pending(s, entry.conversation_id, entry.id)


# ---- what Mercado Libre already shows ----------------------------------------------------------------
def adopt_posted(
    s: Session, thread: Conversation, text: str, remote_id: str, remote_at: datetime | None
) -> Message | None:
    """Our reply (outcome unknown, or sent without an id) if this remote message is it; else None."""
    for msg, entry in outbox_store.adoptable(s, thread.id, text, REPLY_PREFIX):
        if remote_at is not None and remote_at < msg.created_at - CLOCK_SLACK:
            continue  # posted before we even recorded this reply: someone else's identical text
        _settle_sent(s, entry, remote_id, None)
        return msg
    return None


def _settle_sent(s: Session, entry: OutboxEntry, remote_id: str | None, remote_status: str | None) -> None:
    entry.status, entry.next_attempt_at = "sent", None
    entry.sent_at = entry.sent_at or utcnow()
    entry.remote_id = remote_id or entry.remote_id
    msg = s.get(Message, entry.message_id) if entry.message_id is not None else None
    if msg is None:
        return
    if remote_id and msg.external_id != remote_id:
        twin = conversations_store.message_by_external_id(s, msg.conversation_id, "out", remote_id)
        if twin is not None and not outbox_store.is_ours(s, twin.id):
            s.delete(twin)  # an ingest recorded the same message before we knew it was ours
            s.flush()
            twin = None
        if twin is None:
            msg.external_id = remote_id
    msg.status, msg.sent_at = "sent", msg.sent_at or utcnow()
    if remote_status:
        msg.external_status = remote_status
    operations_store.add_event(
        s, msg.conversation.workspace_id, "message", msg.conversation_id, {"status": "sent"}
    )


def _set_message_status(s: Session, entry: OutboxEntry, status: str) -> Message | None:
    msg = s.get(Message, entry.message_id) if entry.message_id is not None else None
    if msg is not None:
        msg.status = status
        operations_store.add_event(
            s, msg.conversation.workspace_id, "message", msg.conversation_id, {"status": status}
        )
    return msg
