"""Presence: who has a conversation open and who is typing in it, so two people never answer the same
buyer at once.

An open page says so every few seconds (a heartbeat) and when its person starts typing; each word
refreshes one row per person and conversation in the database, so every web process sees the same
people. A row counts while fresh (`ttl`; typing for a shorter `typing_ttl`): a closed tab or a crashed
browser simply stops refreshing it. Only a change of what others would see (someone arrives, starts or
stops typing, leaves) writes an event, so a heartbeat costs one row update, not a refresh of every page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from mostrador.store import operations as operations_store
from mostrador.store import presence as presence_store
from mostrador.store.models import Conversation, Presence

VIEWING, TYPING = "viewing", "typing"
STATES = (VIEWING, TYPING)
EVENT = "presence"


@dataclass(frozen=True)
class Ttl:
    """How long a person counts as viewing, and as typing, after their last word."""

    viewing: timedelta
    typing: timedelta

    @classmethod
    def of(cls, viewing_s: float, typing_s: float) -> Ttl:
        return cls(timedelta(seconds=viewing_s), timedelta(seconds=typing_s))


@dataclass(frozen=True)
class Present:
    user_id: int
    name: str
    state: str  # viewing | typing


def _shown(row: Presence | None, now: datetime, ttl: Ttl) -> str | None:
    """What others see of a row now: typing, viewing, or nothing (stale)."""
    if row is None or row.seen_at <= now - ttl.viewing:
        return None
    return TYPING if row.state == TYPING and row.seen_at > now - ttl.typing else VIEWING


def heartbeat(s: Session, conv: Conversation, user_id: int, state: str, now: datetime, ttl: Ttl) -> bool:
    """The person is on the conversation's page (`state`: viewing or typing); True when others now see
    something different, and then an event tells their pages."""
    if state not in STATES:
        raise ValueError(f"unknown presence state {state!r}")
    before = _shown(presence_store.row_of(s, conv.id, user_id), now, ttl)
    presence_store.touch(s, conv.workspace_id, conv.id, user_id, state, now)
    if before == state:
        return False
    operations_store.add_event(s, conv.workspace_id, EVENT, conv.id, {"user": user_id, "state": state})
    return True


def leave(s: Session, conv: Conversation, user_id: int) -> bool:
    """The person left the page; True (and an event) when they were shown there."""
    if not presence_store.leave(s, conv.id, user_id):
        return False
    operations_store.add_event(s, conv.workspace_id, EVENT, conv.id, {"user": user_id, "state": "gone"})
    return True


def present(s: Session, conversation_id: int, now: datetime, ttl: Ttl) -> list[Present]:
    """Everyone on the conversation's page now, by name."""
    out = []
    for user_id, name, state, seen_at in presence_store.present(s, conversation_id, now - ttl.viewing):
        typing = state == TYPING and seen_at > now - ttl.typing
        out.append(Present(user_id, name, TYPING if typing else VIEWING))
    return out
