"""What an agent does in the inbox: answer a question, approve or edit a bot draft, write in a
post-sale chat or a claim, retry a send that failed or waits for Mercado Libre.

The text passes the same guard as the bot's, with the channel's limit (2,000 characters for answers,
§5.4; 350 for post-sale and claim messages, §8.3); the channel's rules say whether a reply may be
written there now and to whom; then the reply is recorded in the outbox. The caller schedules its
send after the commit (`workflows.outbox.schedule`); if the process dies first, the re-drive sends it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from mostrador import i18n
from mostrador.bot.guard import explain, guard
from mostrador.channels.registry import channel_named
from mostrador.context import AppContext
from mostrador.conversations import outgoing
from mostrador.conversations import service as conv_service
from mostrador.conversations.files import NewFile
from mostrador.conversations.outgoing import Outgoing, ReplyPlan, ReplyRefused
from mostrador.i18n import gettext
from mostrador.inbox import composing
from mostrador.store import conversations as conversations_store
from mostrador.store import outbox as outbox_store
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import Conversation, Message, utcnow
from mostrador.store.waiting import ACTION_PREFIX, waiting_texts

REPLY_KEY = re.compile(r"[0-9a-f]{16}")

__all__ = [
    "AnsweredMeanwhile",
    "ConversationNotFound",
    "NewFile",
    "ReplyRefused",
    "act",
    "answer_all",
    "new_reply_key",
    "reply",
    "retry",
]


class ConversationNotFound(LookupError):
    """No such conversation (or send) in the agent's workspace."""


class AnsweredMeanwhile(ReplyRefused):
    """Someone else's answer reached the question after the agent's page showed it: this one is stopped
    before it is recorded, so a colleague's text is never replaced and the buyer never gets two."""


def answer_version(entry_id: int, drive: int) -> str:
    """What the answer form remembers of the answer it showed (`seen`): its send and that send's drive."""
    return f"{entry_id}.{drive}"


def new_reply_key() -> str:
    """Put in each reply form: a double submit of the same form records (and sends) one reply."""
    return secrets.token_hex(8)


def reply(
    ctx: AppContext,
    workspace_id: int,
    agent_id: int | None,
    conversation_id: int,
    text: str,
    *,
    in_reply_to: str | None = None,
    reply_key: str = "",
    files: Sequence[NewFile] = (),
    allow: Sequence[str] = (),
    seen: str | None = None,
) -> Outgoing | None:
    """Record an agent's reply (an answer to question `in_reply_to`, or a chat message), with `files`
    where the channel takes them.

    `allow`: Mercado Libre's own values the text quotes (a tracking number, an order id filled from a
    variable) that the guard must not read as contact data; a suggestion's own are added here.
    `seen`: for an answer, the version of the question's answer the agent's page showed ("" for none);
    for a chat, the newest message id it showed: an answer someone else gave since, or a message someone
    else wrote since, stops this one (`AnsweredMeanwhile`).
    Returns the reply when its send must be scheduled; None for a double submit of one already recorded.
    Raises `ConversationNotFound`, or `ReplyRefused` with the reason in the agent's words.
    """
    if not REPLY_KEY.fullmatch(reply_key or ""):
        reply_key = new_reply_key()
    lease_until = utcnow() + timedelta(seconds=ctx.settings.outbox_lease_s)
    with transaction(ctx.sessions) as s:
        thread = conversations_store.conversation_in_workspace(s, workspace_id, conversation_id)
        if thread is None:
            raise ConversationNotFound(ConversationNotFound.__doc__)
        channel = channel_named(thread.channel)
        text, allowed = _checked(text, channel, [*allow, *_suggestion_values(thread, channel)])
        rules = channel.presentation.files
        if any(f.name or f.data for f in files) and rules is None:
            raise ReplyRefused(gettext("Acá no se pueden adjuntar archivos."))
        attached = rules.check(files) if rules is not None else []
        if in_reply_to is not None:
            _stop_if_answered_meanwhile(s, thread, in_reply_to, seen, agent_id)
        elif seen is not None and seen.isdigit():
            _stop_if_written_meanwhile(s, thread, int(seen), agent_id)
        plan = _allowing(channel.plan_reply(s, thread, text, in_reply_to, reply_key), allowed)
        entry, must_schedule = outgoing.record(
            s, thread, plan, text, "agent", lease_until, agent_id=agent_id, files=attached
        )
        return entry if must_schedule else None


def _stop_if_answered_meanwhile(
    s: Session, thread: Conversation, question_id: str, seen: str | None, agent_id: int | None
) -> None:
    """Refuse an answer when another one reached the question after the page was read.

    The outbox keeps one answer per question (its target), but on its own it would let a second agent's
    text replace a colleague's not yet sent, or treat a same-text double as a no-op: here the agent is told
    instead. The agent's own answer may be edited or submitted twice; a page without `seen` (an older form)
    is stopped only by a colleague's answer.
    """
    entry = outbox_store.entry_for_target(s, thread.account_id, thread.channel, question_id)
    written: Message | None = None
    if entry is not None and entry.status in (outgoing.PENDING, outgoing.SENT):
        if seen is not None and seen == answer_version(entry.id, entry.drive):
            return  # the page showed this very answer: the agent edits it knowingly
        written = s.get(Message, entry.message_id) if entry.message_id else None
        if written is not None and written.author == "agent" and written.agent_id == agent_id:
            return  # the agent's own answer: an edit before it went out, or a double submit
        if seen is None and (written is None or written.author != "agent"):
            return
    else:  # answered in Mercado Libre's own site: no send of ours, a seller's answer recorded
        written = next(
            (
                m
                for m in thread.messages
                if m.direction == "out"
                and m.author == "seller"
                and m.status == "sent"
                and m.external_id.split(":", 1)[-1] == question_id
            ),
            None,
        )
        if written is None:
            return
    who = _author_words(s, written)
    if written is not None and written.text:
        said = gettext(
            "Mientras escribías, %(who)s respondió esta pregunta: «%(text)s». Tu respuesta no se envió: "
            "Mercado Libre admite una sola por pregunta."
        ) % {"who": who, "text": written.text}
    else:
        said = gettext(
            "Mientras escribías, %(who)s respondió esta pregunta. Tu respuesta no se envió: Mercado Libre "
            "admite una sola por pregunta."
        ) % {"who": who}
    raise AnsweredMeanwhile(said)


def _stop_if_written_meanwhile(s: Session, thread: Conversation, seen: int, agent_id: int | None) -> None:
    """Refuse a chat message when someone else — a colleague, the bot, the seller in Mercado Libre's own
    site — wrote in the chat after the newest message the agent's page showed: they may have said it."""
    for m in sorted(thread.messages, key=lambda m: m.id):
        if m.id <= seen or m.direction != "out" or m.status in ("failed", "draft"):
            continue
        if m.author == "agent" and m.agent_id == agent_id:
            continue  # the agent's own message (a double submit is recorded once by its reply key)
        if m.author not in ("agent", "bot", "seller") or m.external_id.startswith(ACTION_PREFIX):
            continue  # an action's record, the channel's state: nothing said to the buyer
        raise AnsweredMeanwhile(
            gettext(
                "Mientras escribías, %(who)s escribió en esta conversación: «%(text)s». "
                "Tu mensaje no se envió: leelo y, si todavía hace falta, volvé a enviar el tuyo."
            )
            % {"who": _author_words(s, m), "text": m.text}
        )


def _author_words(s: Session, written: Message | None) -> str:
    if written is None or written.author == "bot":
        return gettext("el bot")
    if written.author == "seller":
        return gettext("el vendedor desde Mercado Libre")
    person = people_store.user_by_id(s, written.agent_id) if written.agent_id else None
    return person.name if person is not None else gettext("otra persona")


def _checked(text: str, channel: Any, allow: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """The reply tidied and guard-checked for its channel, with the quoted values the guard let through;
    `ReplyRefused` in the agent's words when it is empty or breaks a rule."""
    text = composing.tidy(text, channel.presentation.layout)
    if not text:
        raise ReplyRefused(gettext("El texto está vacío."))
    allowed = _quoted(text, allow)
    checked = guard(text, limit=channel.reply_limit, allow=allowed)
    if not checked.ok:
        raise ReplyRefused(explain(checked, channel.reply_limit, i18n.current()))
    return text, allowed


def _quoted(text: str, values: Sequence[str]) -> tuple[str, ...]:
    """The values the text really quotes (each at least 4 characters, as the guard requires)."""
    return tuple(dict.fromkeys(v for v in values if v and len(v) >= 4 and v in text))


def _suggestion_values(thread: Conversation, channel: Any) -> list[str]:
    """Mercado Libre's values a suggestion the bot left in the thread quotes (sent as it is, or edited)."""
    key = channel.presentation.state_key
    state = conv_service.state_of(thread, key) if key else {}
    suggested = state.get("suggested_reply") if isinstance(state, dict) else None
    values = suggested.get("allow") if isinstance(suggested, dict) else None
    return [str(v) for v in values] if isinstance(values, list) else []


def _allowing(plan: ReplyPlan, allowed: tuple[str, ...]) -> ReplyPlan:
    """The plan carrying what the guard may let through, so the send's own check agrees."""
    if not allowed:
        return plan
    return replace(plan, params={**plan.params, "allow": list(allowed)})


def answer_all(
    ctx: AppContext,
    workspace_id: int,
    agent_id: int | None,
    conversation_id: int,
    text: str,
    allow: Sequence[str] = (),
) -> list[Outgoing]:
    """Answer every question of the thread still waiting with the same text (one public answer each, as
    Mercado Libre keeps them); returns the answers whose sends must be scheduled."""
    lease_until = utcnow() + timedelta(seconds=ctx.settings.outbox_lease_s)
    with transaction(ctx.sessions) as s:
        thread = conversations_store.conversation_in_workspace(s, workspace_id, conversation_id)
        if thread is None:
            raise ConversationNotFound(ConversationNotFound.__doc__)
        channel = channel_named(thread.channel)
        if channel.presentation.layout != "answers":
            raise ReplyRefused(gettext("Acá no hay preguntas que responder de a una."))
        text, allowed = _checked(text, channel, allow)
        waiting = waiting_questions(thread)
        if not waiting:
            raise ReplyRefused(gettext("No queda ninguna pregunta sin responder."))
        recorded = []
        for question_id in waiting:
            earlier = outbox_store.entry_for_target(s, thread.account_id, thread.channel, question_id)
            written = s.get(Message, earlier.message_id) if earlier and earlier.message_id else None
            if earlier and earlier.status in ("pending", "sent") and written and written.author == "agent":
                continue  # a colleague's answer got there first: never overwrite a person's text
            plan = _allowing(channel.plan_reply(s, thread, text, question_id, ""), allowed)
            entry, must_schedule = outgoing.record(
                s, thread, plan, text, "agent", lease_until, agent_id=agent_id
            )
            if must_schedule:
                recorded.append(entry)
        return recorded


def waiting_questions(thread: Conversation) -> list[str]:
    """The ids of the thread's questions still waiting for their answer, oldest first."""
    rows = sorted(thread.messages, key=lambda m: (m.created_at, m.id))
    return [external_id for external_id, _ in waiting_texts(rows, closed=thread.status == "closed")]


def act(
    ctx: AppContext,
    workspace_id: int,
    agent_id: int | None,
    conversation_id: int,
    name: str,
    form: dict[str, str],
) -> Outgoing | None:
    """Record a person's action in a thread (a claim's refund, return …), sent once through the outbox.

    Returns it when its send must be scheduled (None: the same action again, already recorded). Raises
    `ConversationNotFound`, or `ReplyRefused` when the thread does not allow it now.
    """
    lease_until = utcnow() + timedelta(seconds=ctx.settings.outbox_lease_s)
    with transaction(ctx.sessions) as s:
        thread = conversations_store.conversation_in_workspace(s, workspace_id, conversation_id)
        if thread is None:
            raise ConversationNotFound(ConversationNotFound.__doc__)
        plan, text = channel_named(thread.channel).plan_action(s, thread, name, form)
        entry, must_schedule = outgoing.record(s, thread, plan, text, "agent", lease_until, agent_id=agent_id)
        return entry if must_schedule else None


def retry(ctx: AppContext, workspace_id: int, conversation_id: int, entry_id: int) -> Outgoing:
    """Send again now: a failed reply, or one waiting for Mercado Libre after an outage."""
    lease_until = utcnow() + timedelta(seconds=ctx.settings.outbox_lease_s)
    with transaction(ctx.sessions) as s:
        thread = conversations_store.conversation_in_workspace(s, workspace_id, conversation_id)
        entry = (
            outbox_store.entry_in_conversation(s, conversation_id, entry_id) if thread is not None else None
        )
        if thread is None or entry is None:
            raise ConversationNotFound(ConversationNotFound.__doc__)
        return outgoing.retry(s, entry.id, lease_until)
