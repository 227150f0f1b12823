"""Working together on a conversation: assign it, take it over from the bot and hand it back, and say
who is on its page (viewing or typing). Each call is one transaction; the web layer only parses."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from mostrador.context import AppContext
from mostrador.conversations import ownership
from mostrador.conversations import presence as presence_service
from mostrador.conversations.presence import Present, Ttl
from mostrador.store import conversations as conversations_store
from mostrador.store import presence as presence_store
from mostrador.store.db import transaction
from mostrador.store.models import Conversation, utcnow
from mostrador.users.roles import Role

__all__ = ["ConversationNotFound", "NotAssignable", "Person", "Present"]


class ConversationNotFound(LookupError):
    """No such conversation in the person's workspace."""


class NotAssignable(ValueError):
    """That person cannot be given conversations (not in the workspace, or a viewer)."""


@dataclass(frozen=True)
class Person:
    id: int
    name: str


def _conversation(s: Session, workspace_id: int, conversation_id: int) -> Conversation:
    conv = conversations_store.conversation_in_workspace(s, workspace_id, conversation_id)
    if conv is None:
        raise ConversationNotFound(ConversationNotFound.__doc__)
    return conv


def assignable(ctx: AppContext, workspace_id: int) -> list[Person]:
    """The workspace's people who answer buyers (agents and above), by name."""
    with transaction(ctx.sessions) as s:
        rows = presence_store.workspace_people(s, workspace_id)
    return [Person(i, name) for i, name, role in rows if _answers(role)]


def names(ctx: AppContext, workspace_id: int) -> dict[int, str]:
    """Every user of the workspace by id (a conversation's assignee or taker may be any of them)."""
    with transaction(ctx.sessions) as s:
        return {i: name for i, name, _ in presence_store.workspace_people(s, workspace_id)}


def _answers(role: str) -> bool:
    try:
        return Role.parse(role).at_least(Role.AGENT)
    except ValueError:
        return False


def assign(
    ctx: AppContext, workspace_id: int, by: int, conversation_id: int, assignee_id: int | None
) -> bool:
    """Assign the conversation to an agent of the workspace (None: to nobody); False when it already was."""
    with transaction(ctx.sessions) as s:
        conv = _conversation(s, workspace_id, conversation_id)
        if assignee_id is not None:
            people = {i: role for i, _, role in presence_store.workspace_people(s, workspace_id)}
            if assignee_id not in people or not _answers(people[assignee_id]):
                raise NotAssignable(NotAssignable.__doc__)
        return ownership.assign(s, conv, assignee_id, by)


def take_over(ctx: AppContext, workspace_id: int, agent_id: int, conversation_id: int) -> bool:
    """The agent takes the conversation from the bot (the bots stay silent in it)."""
    with transaction(ctx.sessions) as s:
        return ownership.take_over(s, _conversation(s, workspace_id, conversation_id), agent_id, utcnow())


def hand_back(ctx: AppContext, workspace_id: int, agent_id: int, conversation_id: int) -> bool:
    """Give the conversation back to the bot: it answers the buyer's new texts again."""
    with transaction(ctx.sessions) as s:
        return ownership.hand_back(s, _conversation(s, workspace_id, conversation_id), agent_id, utcnow())


def ttl_of(ctx: AppContext) -> Ttl:
    return Ttl.of(ctx.settings.presence_ttl_s, ctx.settings.presence_typing_ttl_s)


def heartbeat(
    ctx: AppContext, workspace_id: int, user_id: int, conversation_id: int, state: str
) -> list[Present]:
    """The person is on the page (viewing, typing, or `gone`: leaving); returns who else is there."""
    now, ttl = utcnow(), ttl_of(ctx)
    with transaction(ctx.sessions) as s:
        conv = _conversation(s, workspace_id, conversation_id)
        if state == "gone":
            presence_service.leave(s, conv, user_id)
        else:
            presence_service.heartbeat(s, conv, user_id, state, now, ttl)
        return [p for p in presence_service.present(s, conv.id, now, ttl) if p.user_id != user_id]


def others_present(ctx: AppContext, workspace_id: int, user_id: int, conversation_id: int) -> list[Present]:
    """Who else is on the conversation's page now."""
    now, ttl = utcnow(), ttl_of(ctx)
    with transaction(ctx.sessions) as s:
        conv = _conversation(s, workspace_id, conversation_id)
        return [p for p in presence_service.present(s, conv.id, now, ttl) if p.user_id != user_id]
