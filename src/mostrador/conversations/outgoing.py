"""Outgoing texts: recorded with their send before anything is posted, settled exactly once.

Every text Mostrador posts — bot answer, agent answer, post-sale or claim message, automatic message —
is an outbox entry (one per target) plus its outbound message in the conversation. The send pipeline
(`mostrador.outbox`) posts it; this module is its bookkeeping, in the caller's transaction:

- `record` stores the entry with drive 1 and a lease (`next_attempt_at`): the caller schedules its
  send after the commit; if it never does (a crash in between), the lease runs out and the re-drive
  sends it under drive 2. Nothing recorded is ever left behind.
- every change a send makes is a conditional update naming its drive (`store.outbox.transition`): a
  newer drive (re-drive, retry, an agent's edit) fences the older one off, so a stale run can never
  post or settle. What Mercado Libre shows (`settle_remote`) wins over any drive.
- `adopt_posted`: when a send may have reached Mercado Libre but we never learnt the outcome (a crash,
  a timeout), a seller message with the same text, posted since shortly before the entry was recorded
  and not linked to anything, *is* that entry.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from mostrador.conversations import service as conv
from mostrador.i18n import gettext
from mostrador.store import conversations as conversations_store
from mostrador.store import operations as operations_store
from mostrador.store import outbox as outbox_store
from mostrador.store.models import Conversation, Message, OutboxEntry, OutboxStatus, utcnow

if TYPE_CHECKING:
    from mostrador.conversations.files import CheckedFile

REPLY_PREFIX = "reply:"
# Mercado Libre's clock and ours differ; a posted reply is looked for from a little before it was recorded.
CLOCK_SLACK = timedelta(minutes=10)
PENDING, SENT, FAILED, SUPERSEDED = (
    OutboxStatus.PENDING,
    OutboxStatus.SENT,
    OutboxStatus.FAILED,
    OutboxStatus.SUPERSEDED,
)
FINAL = (SENT, FAILED, SUPERSEDED)


@dataclass(frozen=True)
class Posted:
    """The reply is at Mercado Libre (with its id there, when Mercado Libre gives one)."""

    remote_id: str | None = None
    remote_status: str | None = None
    moderation: dict[str, Any] | None = None  # Mercado Libre's verdict on the text (§8.1), when it gives one
    text: str | None = (
        None  # the words Mercado Libre posted, when they are its own (an action guide template)
    )


@dataclass(frozen=True)
class Settled:
    """Nothing to post any more: answered by someone else, deleted, closed (`why`, for the agent), and
    what Mercado Libre shows instead, when it shows something."""

    why: str
    shown: str | None = None


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
        """The send workflow of this drive: fixed, so scheduling it twice runs it once. (A bot answer's
        first drive is delivered by the workflow that recorded it, which notes its own id.)"""
        return send_workflow(self.id, self.drive)

    @property
    def final(self) -> bool:
        return self.status in FINAL


def send_workflow(entry_id: int, drive: int) -> str:
    return f"outbox:{entry_id}:{drive}"


def same_text(a: str, b: str) -> bool:
    """Whether Mercado Libre's copy is our text: compared after Unicode and whitespace normalisation,
    since Mercado Libre may normalise line endings and spaces of what it stores."""
    return _normal(a) == _normal(b)


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


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
    s.refresh(entry)  # what is committed now, not what this session saw earlier
    return _plain(s, entry)


def author_of(s: Session, reply: Outgoing) -> str:
    """Who wrote the reply (bot, agent …), as its message in the conversation says (for metrics)."""
    message = s.get(Message, reply.message_id) if reply.message_id is not None else None
    return message.author if message is not None else "unknown"


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
    files: Sequence[CheckedFile] = (),
) -> tuple[Outgoing, bool]:
    """Record a reply and its send; returns it and whether the caller must schedule its drive.

    `files` (checked against the channel's rules) are kept with the new entry and go out with it; a
    double submit of the same text keeps the first submit's files.

    The entry is inserted first (insert-or-ignore): only the writer that owns it writes the message,
    so two writers at once (the bot and an agent, two agents) can never show one text and post another.
    The same target again returns the first entry untouched (a retried step, a double submit), unless
    the plan `replaces`: then a failed, superseded or never-attempted pending text is replaced under a
    new drive. A text that may already be at Mercado Libre, or was sent, is never replaced.
    """
    now = utcnow()
    values = {
        "account_id": thread.account_id,
        "conversation_id": thread.id,
        "message_id": None,
        "channel": thread.channel,
        "target_id": plan.target_id,
        "text": text,
        "params": plan.params,
        "status": PENDING,
        "attempts": 0,
        "drive": 1,
        "deferrals": 0,
        "next_attempt_at": lease_until,
        "created_at": now,
        "pending_since": now,
    }
    new_id = outbox_store.insert_entry(s, values)
    if new_id is None:
        existing = outbox_store.entry_for_target(s, thread.account_id, thread.channel, plan.target_id)
        assert existing is not None
        s.refresh(existing)
        if existing.status in (PENDING, SENT) and same_text(existing.text, text):
            return _plain(s, existing), False  # the same reply again: a retried step, a double submit
        if not plan.replaces:
            raise ReplyRefused(gettext("Ese formulario ya se envió con otro texto; recargá la página."))
        if files:
            raise ReplyRefused(gettext("Esta respuesta no admite archivos."))
        return _replace(s, thread, existing, plan, text, author, lease_until, agent_id, meta), True
    if files:
        outbox_store.add_files(s, new_id, [f.columns() for f in files])
        meta = {**(meta or {}), "attachments": [f.described() for f in files]}
    out = conv.record_outbound(
        s, thread, plan.external_id, text, author, "pending_send", agent_id=agent_id, meta=meta
    )
    entry = s.get(OutboxEntry, new_id)
    assert entry is not None
    entry.message_id, entry.workflow_id = out.id, send_workflow(new_id, 1)
    if author == "agent":
        thread.owner = "agent"
    s.flush()
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
    if entry.status == SENT:
        raise ReplyRefused(gettext("Ya se envió una respuesta: Mercado Libre admite una sola."))
    values = {"text": text, "params": plan.params, **_fresh_drive(entry, lease_until)}
    # Conditional on what was read: a send that counted its attempt meanwhile (its text may be at Mercado
    # Libre now) or another edit makes this one refuse instead of overwriting it.
    changed = outbox_store.transition(
        s,
        entry.id,
        values,
        drive=entry.drive,
        statuses=(entry.status,),
        unattempted=entry.status == PENDING,
    )
    if not changed:
        raise ReplyRefused(gettext("Ya se está enviando una respuesta; esperá a que termine o falle."))
    out = conv.record_outbound(
        s, thread, plan.external_id, text, author, "pending_send", agent_id=agent_id, meta=meta
    )
    out.meta = {k: v for k, v in (out.meta or {}).items() if k != "error"} or None
    fresh = s.get(OutboxEntry, entry.id)
    assert fresh is not None
    fresh.message_id = out.id
    if author == "agent":
        thread.owner = "agent"
    s.flush()
    return _plain(s, fresh)


def _fresh_drive(entry: OutboxEntry, lease_until: datetime) -> dict[str, Any]:
    """A new drive for a text written or retried by a person: pending again, nothing held against it."""
    return {
        "status": PENDING,
        "drive": entry.drive + 1,
        "workflow_id": send_workflow(entry.id, entry.drive + 1),
        "next_attempt_at": lease_until,
        "failure": None,
        "last_error": None,
        "deferrals": 0,
        "pending_since": utcnow(),
    }


# ---- the send's bookkeeping (each change conditional on the drive) --------------------------------
def count_attempt(s: Session, entry_id: int, drive: int, lease_until: datetime) -> bool:
    """+1 attempt right before a post (attempts > 0: Mercado Libre may have it); False if not ours now."""
    values = {"attempts": outbox_store.attempts_plus_one(), "next_attempt_at": lease_until}
    return outbox_store.transition(s, entry_id, values, drive=drive)


def extend_lease(s: Session, entry_id: int, drive: int, lease_until: datetime) -> bool:
    """The drive's workflow is still queued or running: look again after `lease_until`."""
    return outbox_store.transition(s, entry_id, {"next_attempt_at": lease_until}, drive=drive)


def take_over(s: Session, entry_id: int, drive: int, lease_until: datetime) -> Outgoing | None:
    """Start drive `drive + 1` (the re-drive); None if the entry moved on meanwhile."""
    values = {
        "drive": drive + 1,
        "workflow_id": send_workflow(entry_id, drive + 1),
        "next_attempt_at": lease_until,
    }
    if not outbox_store.transition(s, entry_id, values, drive=drive):
        return None
    return load(s, entry_id)


def owned_by(s: Session, entry_id: int, drive: int, workflow_id: str) -> bool:
    """Note which workflow runs drive `drive` (so the re-drive can ask whether it still runs)."""
    return outbox_store.transition(s, entry_id, {"workflow_id": workflow_id}, drive=drive)


def mark_sent(
    s: Session, entry_id: int, drive: int, remote_id: str | None = None, remote_status: str | None = None
) -> str:
    """The text is at Mercado Libre. Not fenced by the drive: whichever run learns it, it is true."""
    return settle_remote(s, entry_id, Posted(remote_id, remote_status))


def settle_remote(s: Session, entry_id: int, outcome: Posted | Settled) -> str:
    """What Mercado Libre shows wins over whichever drive owns the entry (an ingest met it first)."""
    entry = s.get(OutboxEntry, entry_id)
    assert entry is not None
    if isinstance(outcome, Posted):
        values: dict[str, Any] = {"status": SENT, "next_attempt_at": None, "sent_at": utcnow()}
        if outcome.remote_id:
            values["remote_id"] = outcome.remote_id
        if outbox_store.transition(s, entry_id, values, statuses=(PENDING, FAILED, SUPERSEDED)):
            outbox_store.drop_file_data(s, entry_id)  # Mercado Libre keeps the files now
            _link_sent_message(s, entry, outcome)
            _wake_later(s, entry)
    else:
        settled: dict[str, Any] = {
            "status": SUPERSEDED,
            "next_attempt_at": None,
            "last_error": outcome.why[:1000],
        }
        if outbox_store.transition(s, entry_id, settled, statuses=(PENDING, FAILED)):
            msg = _set_message_status(s, entry, SUPERSEDED)
            if msg is not None and outcome.shown is not None:
                # Show what Mercado Libre shows, by whom it was written there (the seller's own UI).
                msg.text, msg.author, msg.agent_id, msg.status = outcome.shown, "seller", None, "sent"
            _wake_later(s, entry)
    s.refresh(entry)
    return entry.status


def fail(s: Session, entry_id: int, drive: int, failure: str, detail: str) -> str:
    """Refused for good (the guard, Mercado Libre, an outage longer than the give-up age): shown in the
    inbox with its reason, the thread handed to a person, who can retry."""
    values = {"status": FAILED, "next_attempt_at": None, "failure": failure[:40], "last_error": detail[:1000]}
    entry = s.get(OutboxEntry, entry_id)
    assert entry is not None
    if outbox_store.transition(s, entry_id, values, drive=drive):
        msg = _set_message_status(s, entry, FAILED)
        if msg is not None:
            msg.meta = {**(msg.meta or {}), "error": f"{failure}: {detail}"[:300]}
            conv.hand_off(s, msg.conversation, f"send_failed:{failure}")
        # Later replies of the thread do not wait for one that needs a person (see docs/channels.md).
        _wake_later(s, entry)
    s.refresh(entry)
    return entry.status


def defer(s: Session, entry_id: int, drive: int, error: str, retry_at: datetime) -> bool:
    """Mercado Libre could not take it now (an outage, a rate limit): the re-drive sends it at `retry_at`."""
    values = {
        "deferrals": outbox_store.deferrals_plus_one(),
        "last_error": error[:1000],
        "next_attempt_at": retry_at,
    }
    if not outbox_store.transition(s, entry_id, values, drive=drive):
        return False
    thread = s.get(Conversation, s.get(OutboxEntry, entry_id).conversation_id)  # type: ignore[union-attr]
    assert thread is not None
    operations_store.add_event(s, thread.workspace_id, "outbox", thread.id, {"status": "deferred"})
    return True


def wait_for_earlier(s: Session, reply: Outgoing) -> bool:
    """Chat replies keep their order: if an earlier reply of the thread is still pending, this one waits
    until that one is due (and is woken as soon as it settles). Not a deferral: nothing failed."""
    earlier = outbox_store.earlier_pending(s, reply.conversation_id, reply.id)
    if earlier is None:
        return False
    until = max(earlier.next_attempt_at or utcnow(), utcnow()) + timedelta(seconds=1)
    outbox_store.transition(s, reply.id, {"next_attempt_at": until}, drive=reply.drive)
    return True


def due(s: Session, now: datetime, limit: int) -> list[Outgoing]:
    """Pending entries whose lease or back-off is over, oldest due first."""
    return [load(s, entry_id) for entry_id, _drive in outbox_store.due_entries(s, now, limit)]


def workflow_of(s: Session, entry_id: int) -> str | None:
    entry = s.get(OutboxEntry, entry_id)
    return entry.workflow_id if entry is not None else None


def retry(s: Session, entry_id: int, lease_until: datetime) -> Outgoing:
    """An agent's "retry now": a failed entry is pending again, a waiting one is sent without waiting."""
    entry = s.get(OutboxEntry, entry_id)
    if entry is None:
        raise LookupError(f"unknown outbox entry {entry_id}")
    s.refresh(entry)
    if entry.status in (SENT, SUPERSEDED):
        raise ReplyRefused(gettext("Ese mensaje ya no necesita enviarse."))
    values = _fresh_drive(entry, lease_until)
    if not outbox_store.transition(s, entry.id, values, drive=entry.drive, statuses=(entry.status,)):
        raise ReplyRefused(gettext("El envío cambió mientras tanto; recargá la página."))
    msg = _set_message_status(s, entry, "pending_send")
    if msg is not None and msg.meta and "error" in msg.meta:
        msg.meta = {k: v for k, v in msg.meta.items() if k != "error"} or None
    return load(s, entry.id)


# ---- what Mercado Libre already shows ----------------------------------------------------------------
def adopt_posted(
    s: Session, thread: Conversation, text: str, remote_id: str, remote_at: datetime | None
) -> Message | None:
    """Our reply (outcome unknown, or sent without an id) if this remote message is it; else None."""
    for msg, entry in outbox_store.adoptable(s, thread.id, REPLY_PREFIX):
        if not same_text(msg.text, text):
            continue
        if remote_at is not None and remote_at < msg.created_at - CLOCK_SLACK:
            continue  # posted before we even recorded this reply: someone else's identical text
        if entry.status == SENT:  # sent without Mercado Libre's id (a claim message): link it now
            _link_sent_message(s, entry, Posted(remote_id))
        else:
            settle_remote(s, entry.id, Posted(remote_id))
        return msg
    return None


def _link_sent_message(s: Session, entry: OutboxEntry, posted: Posted) -> None:
    msg = s.get(Message, entry.message_id) if entry.message_id is not None else None
    if msg is None:
        return
    if posted.remote_id and msg.external_id != posted.remote_id:
        twin = conversations_store.message_by_external_id(s, msg.conversation_id, "out", posted.remote_id)
        if twin is not None and not outbox_store.is_ours(s, twin.id):
            s.delete(twin)  # an ingest recorded the same message before we knew it was ours
            s.flush()
            twin = None
        if twin is None:
            msg.external_id = posted.remote_id
    msg.status, msg.sent_at = "sent", msg.sent_at or utcnow()
    if posted.remote_status:
        msg.external_status = posted.remote_status
    if posted.moderation:
        msg.meta = {**(msg.meta or {}), "moderation": posted.moderation}
    if posted.text:
        msg.text = posted.text
    if msg.meta and "error" in msg.meta:
        msg.meta = {k: v for k, v in msg.meta.items() if k != "error"} or None
    operations_store.add_event(
        s,
        msg.conversation.workspace_id,
        "message",
        msg.conversation_id,
        {"status": "sent", "message_id": msg.id},
    )


def _wake_later(s: Session, entry: OutboxEntry) -> None:
    """Replies of the thread written after this one, waiting for it, go now."""
    now = utcnow()
    for later in outbox_store.later_pending(s, entry.conversation_id, entry.id):
        if later.deferrals == 0 and later.next_attempt_at is not None and later.next_attempt_at > now:
            outbox_store.transition(s, later.id, {"next_attempt_at": now}, drive=later.drive)


def _set_message_status(s: Session, entry: OutboxEntry, status: str) -> Message | None:
    msg = s.get(Message, entry.message_id) if entry.message_id is not None else None
    if msg is not None:
        msg.status = status
        operations_store.add_event(
            s,
            msg.conversation.workspace_id,
            "message",
            msg.conversation_id,
            {"status": status, "message_id": msg.id},
        )
    return msg


def sent_twins_without_id(s: Session, reply: Outgoing) -> int:
    """How many earlier replies of the thread with the same text were sent but not yet linked to
    Mercado Libre's id (a claim message's POST returns none): the first that many identical remote
    messages are theirs, not this reply's."""
    return sum(
        1
        for msg, entry in outbox_store.adoptable(s, reply.conversation_id, REPLY_PREFIX)
        if entry.id < reply.id and entry.status == SENT and same_text(msg.text, reply.text)
    )
