"""Who works on a conversation: the agent it is assigned to, and whether a person took it over from the
bot (then every bot — questions, post-sale, claims' first responses — stays silent in it until it is
handed back).

Assignment and takeover are independent: a conversation may be assigned to Ana while the bot still
answers it, or taken over by Beto while assigned to nobody. Every change leaves an event in the
caller's transaction: open pages hear it (`events`), and its `data` says who did what (the trail the
audit log reads, see `audit_trail`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from mostrador.store import audit
from mostrador.store import conversations as conversations_store
from mostrador.store import operations as operations_store
from mostrador.store.models import Conversation

ASSIGNMENT = "assignment"  # event kinds
OWNERSHIP = "ownership"


def bot_may_speak(s: Session, conv: Conversation) -> bool:
    """Whether the bots may answer, draft or send first responses in the conversation.

    Read again under a row lock (PostgreSQL): a takeover committed while the bot was deciding is seen,
    and one that comes later waits for the bot's move to commit, so the page shows it.
    """
    conversations_store.lock_ownership(s, conv)
    return conv.taken_by_id is None


def assign(s: Session, conv: Conversation, assignee_id: int | None, by: int) -> bool:
    """Assign the conversation to `assignee_id` (None: to nobody); False when it already was."""
    if conv.assignee_id == assignee_id:
        return False
    before, conv.assignee_id = conv.assignee_id, assignee_id
    audit_trail(s, conv, by, "assigned", {"from": before, "to": assignee_id})
    return True


def take_over(s: Session, conv: Conversation, agent_id: int, now: datetime) -> bool:
    """A person takes the conversation from the bot; False when this person already had it. Taking it
    from a colleague moves it to the new person (the page showed who had it)."""
    if conv.taken_by_id == agent_id:
        return False
    before = conv.taken_by_id
    conv.taken_by_id, conv.taken_at, conv.owner = agent_id, now, "agent"
    audit_trail(s, conv, by=agent_id, action="took_over", detail={"from": before})
    return True


def hand_back(s: Session, conv: Conversation, by: int, now: datetime) -> bool:
    """Give the conversation back to the bot: it answers the buyer's new texts again (what was written
    before the hand-back stays a person's). False when the bot had it already."""
    if conv.taken_by_id is None and conv.owner == "bot":
        return False
    before = conv.taken_by_id
    conv.taken_by_id, conv.taken_at, conv.owner = None, None, "bot"
    conv.handoff_reason, conv.bot_resumed_at = None, now
    audit_trail(s, conv, by=by, action="handed_back", detail={"from": before})
    return True


AUDITED = {
    "assigned": "conversation.assigned",
    "took_over": "conversation.taken_over",
    "handed_back": "conversation.handed_back",
}


def audit_trail(s: Session, conv: Conversation, by: int, action: str, detail: dict[str, int | None]) -> None:
    """Record who did what to the conversation: an `events` row, which the live pages hear, and an entry
    of the admins' audit log (in the same transaction as the change)."""
    kind = ASSIGNMENT if action == "assigned" else OWNERSHIP
    operations_store.add_event(s, conv.workspace_id, kind, conv.id, {"by": by, "action": action, **detail})
    audit.record(s, conv.workspace_id, by, AUDITED[action], f"conversation:{conv.id}", dict(detail))
