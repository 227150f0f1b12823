"""Recording a claim read from Mercado Libre: its conversation and messages, its facts (the cockpit's
state), its queryable record (deadlines, first response, dispute, outcome), and its first response.

The facts are kept as the conversation's state (`conversations.service.record_state`): type, stage,
status, the reason and what the buyer expects, whether it affects reputation, whose turn it is and the
seller's actions with their due dates, the sale and its shipment, the history of actions.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from mostrador.channels.base import Plan
from mostrador.channels.claims.first_response import claim_category, first_response
from mostrador.channels.claims.reading import ClaimView, Sale
from mostrador.conversations import outgoing
from mostrador.conversations import service as conv
from mostrador.meli.models import Claim, ClaimMessage, ClaimReputation
from mostrador.store import claims as claims_store
from mostrador.store import conversations as conversations_store
from mostrador.store.models import Account, ClaimRecord, Conversation, utcnow

NAME = "claims"
STATE_KEY = "claim"
AUTHORS = {"complainant": "buyer", "mediator": "mediator", "respondent": "seller"}
HISTORY_KEPT = 30  # the newest actions shown in the cockpit


def receiver_role(claim: Claim) -> str | None:
    """Whom the seller may write to now (§9.6): the buyer in stage `claim`, the mediator in `dispute`."""
    if not claim.is_open:
        return None
    for role in ("complainant", "mediator"):
        if claim.can("respondent", f"send_message_to_{role}"):
            return role
    return None


def due_date(claim: Claim, reputation: ClaimReputation | None, turn: str | None = None) -> datetime | None:
    """When the seller must act: its mandatory action's due date, else the reputation window (§9.1, §9.3)
    — but only while the move is the seller's: waiting for the buyer or the mediator, the seller has no
    deadline (the window's date would count down, and be "missed", for nothing the seller can do)."""
    respondent = claim.player("respondent")
    if respondent is not None:
        for action in respondent.available_actions:
            if action.mandatory and action.due_date is not None:
                return action.due_date
    if turn not in (None, "seller"):
        return None
    return reputation.due_date if reputation is not None else None


def message_key(m: ClaimMessage) -> str:
    """`hash` is the documented unique key (§9.6); without it, sender + date + text."""
    if m.hash:
        return m.hash[:64]
    date = m.date_created or m.message_date
    when = date.isoformat() if date is not None else ""
    digest = hashlib.sha256(f"{m.sender_role}|{when}|{m.message}".encode()).hexdigest()[:40]
    return f"msg:{digest}"


def facts(
    view: ClaimView, known: dict[str, Any], sale: Sale, offers: list[float] | None = None
) -> dict[str, Any]:
    """The claim's facts as JSON; what was not re-read now is kept from an earlier read."""
    claim, reputation, reason = view.claim, view.reputation, view.reason
    respondent = claim.player("respondent")
    actions = respondent.available_actions if respondent else []
    detail = view.detail
    turn = (detail.action_responsible if detail else None) or _turn(claim)
    due = due_date(claim, reputation, turn)
    return {
        "claim_id": claim.id,
        "type": claim.type,
        "stage": claim.stage,
        "status": claim.status,
        "reason_id": claim.reason_id,
        "reason_name": reason.name if reason else known.get("reason_name"),
        "reason_detail": reason.detail if reason else known.get("reason_detail"),
        "reason_triage": ((reason.settings or {}).get("rules_engine_triage") if reason else None)
        or known.get("reason_triage")
        or [],
        "category": claim_category(view, known),
        "affects_reputation": reputation.affects_reputation if reputation else None,
        "has_incentive": reputation.has_incentive if reputation else None,
        "due_date": due.isoformat() if due else None,
        "mandatory_actions": [a.action for a in actions if a.mandatory],
        "available_actions": [a.action for a in actions],
        "actions": [
            {
                "action": a.action,
                "mandatory": a.mandatory,
                "due_date": a.due_date.isoformat() if a.due_date else None,
            }
            for a in actions
        ],
        "turn": turn,
        "problem": detail.problem if detail else known.get("problem"),
        "detail_title": detail.title if detail else known.get("detail_title"),
        "expected": [
            {"player": e.player_role, "resolution": e.expected_resolution, "status": e.status}
            for e in view.expected
        ],
        "history": [
            {
                "action": h.action_name,
                "by": h.player_role,
                "stage": h.claim_stage,
                "at": h.date_created.isoformat() if h.date_created else None,
            }
            for h in sorted(view.history, key=lambda h: h.date_created or datetime.min.replace(tzinfo=UTC))
        ][-HISTORY_KEPT:],
        "return": (
            {"status": view.returned.status, "money": view.returned.status_money}
            if view.returned is not None
            else known.get("return")
        ),
        "resolution": claim.resolution.model_dump(mode="json") if claim.resolution else None,
        "resource": claim.resource,
        "resource_id": claim.resource_id,
        "fulfilled": claim.fulfilled,
        "sale": sale.to_dict() or known.get("sale") or {},
        # The purchase's post-sale chat (one conversation per pack, or per order without one, §8).
        "related": {"channel": "messages", "key": sale.pack_id} if sale.pack_id else known.get("related"),
        "partial_refund_offers": offers,
        "suggested_reply": known.get("suggested_reply"),
        "date_created": claim.date_created.isoformat() if claim.date_created else None,
        "last_updated": claim.last_updated.isoformat() if claim.last_updated else None,
    }


def _turn(claim: Claim) -> str | None:
    """Whose move it is, from who holds a mandatory action (only one player does at a time, §9.1)."""
    for player in claim.players:
        if any(a.mandatory for a in player.available_actions):
            return {"respondent": "seller", "complainant": "buyer", "mediator": "mediator"}.get(player.role)
    return None


def summary(f: dict[str, Any]) -> str:
    reason = f.get("reason_detail") or f.get("reason_name") or f.get("reason_id") or ""
    return f"Reclamo {f['claim_id']} · {f.get('stage')} · {f.get('status')} · {reason}"[:500]


def record(
    s: Session,
    account: Account,
    view: ClaimView,
    sale: Sale | None,
    lease_until: datetime,
    now: datetime,
    offers: list[float] | None = None,
) -> Plan:
    """Record one read of the claim in the caller's transaction; returns what happens next."""
    claim = view.claim
    complainant = claim.player("complainant")
    buyer = str(complainant.user_id) if complainant and complainant.user_id else "unknown"
    key = str(claim.id)
    title = sale.title if sale is not None else ""
    thread = conv.open_thread(
        s,
        account,
        conv.ThreadKey(NAME, key),
        buyer,
        conv.unnamed_buyer(buyer),
        subject=(f"Reclamo {claim.id}" + (f" · {title}" if title else "")) if sale is not None else "",
        item_id=sale.item_id if sale else None,
    )
    known = conversations_store.conversation_states(s, account.id, NAME, [key], STATE_KEY).get(key, {})
    is_new = not known
    new_inbound = record_messages(s, thread, view.messages)
    sale = sale or Sale.from_dict(known.get("sale"))
    state = facts(view, known, sale, offers)
    claim_record = _keep_record(s, account, thread, view, sale, state, now)
    plan: Plan | None = None
    answer = first_response(s, thread, claim_record, view, sale, known, account.bot_config, account.site_id)
    if answer is not None and answer.send:
        entry, _new = outgoing.record(s, thread, answer.plan, answer.text, "bot", lease_until)
        claim_record.auto_rule = answer.rule_id
        plan = Plan(
            "reply_pending", reply_id=entry.id, drive=entry.drive, detail=f"first response {answer.rule_id}"
        )
    elif answer is not None:
        state["suggested_reply"] = {"rule": answer.rule_id, "text": answer.text}
    conv.record_state(s, thread, STATE_KEY, summary(state), state)
    if not claim.is_open:
        conv.close(s, thread, f"claim_{claim.status}")
        return Plan("recorded", detail=f"claim {claim.status}")
    moved = known.get("stage") != claim.stage or known.get("status") != claim.status
    if is_new or new_inbound or moved or thread.owner != "agent" or thread.status == "closed":
        # A person acts before the due date (§9.1); the bot's first response does not change that.
        reason = "claim_dispute" if claim.stage == "dispute" else "claim_opened" if is_new else "claim_update"
        conv.hand_off(s, thread, reason)
        return plan or Plan("handed_off", detail=reason)
    return plan or Plan("recorded", detail="no change")


def _keep_record(
    s: Session,
    account: Account,
    thread: Conversation,
    view: ClaimView,
    sale: Sale,
    state: dict[str, Any],
    now: datetime,
) -> ClaimRecord:
    claim = view.claim
    opened = claim.date_created or now
    row = claims_store.ensure_record(
        s,
        {
            "workspace_id": account.workspace_id,
            "account_id": account.id,
            "conversation_id": thread.id,
            "claim_id": str(claim.id),
            "opened_at": opened,
            "updated_at": now,
        },
    )
    row.type, row.stage, row.status = claim.type, claim.stage, claim.status
    row.reason_id, row.reason_name, row.category = (
        claim.reason_id,
        state.get("reason_name"),
        state["category"],
    )
    row.affects_reputation, row.has_incentive = state.get("affects_reputation"), state.get("has_incentive")
    row.item_id, row.order_id = sale.item_id or row.item_id, sale.order_id or row.order_id
    complainant = claim.player("complainant")
    row.buyer_id = str(complainant.user_id) if complainant and complainant.user_id else row.buyer_id
    respondent = claim.player("respondent")
    mandatory = next((a for a in (respondent.available_actions if respondent else []) if a.mandatory), None)
    previous_due = row.due_date
    row.due_date = datetime.fromisoformat(state["due_date"]) if state.get("due_date") else None
    row.due_action = mandatory.action if mandatory else None
    if row.due_missed_at is None:
        row.due_missed_at = _missed_at(s, thread, view, row.due_date, previous_due, now)
    first = _first_response(s, thread)
    if first is not None and (row.first_response_at is None or first[0] < row.first_response_at):
        row.first_response_at, row.first_response_by = first
    if claim.stage == "dispute" and row.disputed_at is None:
        row.disputed_at = _dispute_date(view) or now
    if not claim.is_open and row.closed_at is None:
        resolution = claim.resolution
        row.closed_at = (resolution.date_created if resolution else None) or claim.last_updated or now
    if claim.resolution is not None:
        row.resolution = claim.resolution.reason
        row.benefited = ",".join(claim.resolution.benefited or []) or None
        row.closed_by = claim.resolution.closed_by
    row.updated_at = now
    return row


def _missed_at(
    s: Session,
    thread: Conversation,
    view: ClaimView,
    due: datetime | None,
    previous_due: datetime | None,
    now: datetime,
) -> datetime | None:
    """When the seller missed a deadline, as far as this reading shows; None if they did not.

    - Read after its due date, still open and still the seller's to do: missed now.
    - The deadline read last time passed and Mercado Libre has moved on (escalated, a new deadline)
      while the claim is still open, with nothing done by the seller's side — no message of ours, no
      respondent action in the claim's history — between the buyer's (or mediator's) last word before
      that deadline and the deadline: missed at that date. A sweep that would have caught it may not
      have run before the claim's notification did.
    - Closed by Mercado Libre because the seller did not answer (`respondent_timeout`): missed.
    """
    claim = view.claim
    if due is not None and due < now and claim.is_open:
        return now
    resolution = claim.resolution
    if resolution is not None and resolution.reason == "respondent_timeout":
        return resolution.date_created or claim.last_updated or now
    if previous_due is None or previous_due >= now or due == previous_due or not claim.is_open:
        return None
    messages = conversations_store.messages_of(s, thread.id)
    turn_began = max(
        (m.created_at for m in messages if m.direction == "in" and m.created_at <= previous_due),
        default=claim.date_created or previous_due,
    )
    acted_at = [
        m.sent_at or m.created_at for m in messages if m.direction == "out" and m.status == "sent"
    ] + [h.date_created for h in view.history if h.player_role == "respondent" and h.date_created]
    if any(turn_began <= at <= previous_due for at in acted_at):
        return None
    return previous_due


def _first_response(s: Session, thread: Conversation) -> tuple[datetime, str] | None:
    """When the seller's side first wrote in the claim, and who: the bot, an agent, or the seller in
    Mercado Libre's own UI (a message counts once it is sent)."""
    sent = [
        (m.sent_at or m.created_at, m.author)
        for m in conversations_store.messages_of(s, thread.id)
        if m.direction == "out" and m.status == "sent"
    ]
    return min(sent) if sent else None


def _dispute_date(view: ClaimView) -> datetime | None:
    dates = [h.date_created for h in view.history if h.action_name == "open_dispute" and h.date_created]
    return min(dates) if dates else None


def record_messages(s: Session, conversation: Conversation, messages: list[ClaimMessage]) -> int:
    """Record each claim message once; returns how many new ones came from the buyer or the mediator."""
    known = {(m.direction, m.external_id): m for m in conversations_store.messages_of(s, conversation.id)}
    new_inbound = 0
    for m in sorted(messages, key=lambda m: m.date_created or m.message_date or utcnow()):
        key = message_key(m)
        when = m.date_created or m.message_date or utcnow()
        meta = {
            "sender_role": m.sender_role,
            "receiver_role": m.receiver_role,
            "stage": m.stage,
            "attachments": [
                {
                    "filename": a.filename,
                    "name": a.original_filename or a.filename,
                    "type": a.type,
                    "size": a.size,
                }
                for a in m.attachments
            ],
            "moderation": {
                "status": (m.message_moderation or {}).get("status"),
                "reason": (m.message_moderation or {}).get("reason") or None,
            },
        }
        if m.sender_role == "respondent":
            row = (
                known.get(("out", key))
                or outgoing.adopt_posted(s, conversation, m.message, key, when)
                # a send may have linked it since this ingest read the claim
                or conversations_store.message_by_external_id(s, conversation.id, "out", key)
            )
            if row is None:
                conv.record_outbound(
                    s, conversation, key, m.message, "seller", "sent", meta=meta, sent_at=when
                )
            elif row.external_status != m.status or row.meta != {**(row.meta or {}), **meta}:
                row.external_status, row.meta = m.status, {**(row.meta or {}), **meta}
                conv.note_changed(s, conversation, row)
            continue
        row = known.get(("in", key))
        if row is None:
            msg = conv.record_inbound(
                s, conversation, key, m.message, when, external_status=m.status, meta=meta
            )
            msg.author = AUTHORS.get(m.sender_role, "buyer")
            new_inbound += 1
        elif row.external_status != m.status or row.meta != meta:
            row.external_status, row.meta = m.status, meta
            conv.note_changed(s, conversation, row)
    return new_inbound


def mark_missed(s: Session, account_id: int, now: datetime) -> int:
    """Due dates that passed with the action still the seller's, recorded once (run by the sweep)."""
    return claims_store.mark_missed_due_dates(s, account_id, now)
