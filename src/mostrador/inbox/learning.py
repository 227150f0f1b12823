"""Learning from the team: an agent confirms the intents of a buyer question, and the question becomes
a training example for that account's model.

    confirmation = confirm_intents(ctx, workspace_id, user_id, conversation_id, question_id, ["price"])
    if confirmation.changed:
        await workflows.learning.schedule(confirmation.account_id, confirmation.revision)  # after commit

Workspace-scoped (another workspace's conversation is "not found"), validated (the labelling rules of
intents.md; viewers may not teach), idempotent (the same confirmation again changes nothing; new
intents for the same question replace the old ones). The account's model is retrained in the
background; if the retraining is never scheduled, the learning schedule finds it (`behind`).

Errors: `ConversationNotFound`, `QuestionNotFound`, `ExampleNotFound` (LookupError → 404),
`NotAllowed` (PermissionError → 403), `InvalidExample` (ValueError → 400, from the bot package).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from mostrador.bot.errors import InvalidExample
from mostrador.bot.learning import checked_intents
from mostrador.context import AppContext
from mostrador.inbox.actions import ConversationNotFound
from mostrador.store import conversations as conversations_store
from mostrador.store import learning as learning_store
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import utcnow
from mostrador.users.roles import Role

__all__ = [
    "Confirmation",
    "ConversationNotFound",
    "Example",
    "ExampleNotFound",
    "InvalidExample",
    "NotAllowed",
    "QuestionNotFound",
    "confirm_intents",
    "examples",
    "remove_example",
]


class QuestionNotFound(LookupError):
    """No question with that id in this conversation, or none the bot classified."""


class ExampleNotFound(LookupError):
    """No such example in this workspace."""


class NotAllowed(PermissionError):
    """Only agents, admins and owners of the workspace teach the bot."""


@dataclass(frozen=True, slots=True)
class Confirmation:
    """The example recorded for a question; `changed` says whether a retraining is due (`revision`)."""

    example_id: int
    account_id: int
    intents: list[str]
    changed: bool
    revision: int


@dataclass(frozen=True, slots=True)
class Example:
    """One example as the bot settings and the CLI list it."""

    id: int
    account_id: int
    conversation_id: int
    question_id: str
    text: str
    intents: list[str]
    bot_intents: list[str] | None
    confirmed_by: int
    updated_at: datetime


def confirm_intents(
    ctx: AppContext,
    workspace_id: int,
    user_id: int,
    conversation_id: int,
    question_id: str,
    intents: Sequence[str],
) -> Confirmation:
    """Record that question `question_id` of the conversation asks `intents` (see the module doc)."""
    chosen = checked_intents(intents)
    now = utcnow()
    with transaction(ctx.sessions) as s:
        _check_teacher(s, workspace_id, user_id)
        thread = conversations_store.conversation_in_workspace(s, workspace_id, conversation_id)
        if thread is None:
            raise ConversationNotFound(ConversationNotFound.__doc__)
        asked = conversations_store.message_by_external_id(s, thread.id, "in", str(question_id))
        decided = (asked.meta or {}) if asked is not None else {}
        if asked is None or "intents" not in decided:
            # Only what the bot classified is a question it can learn from (not chat or claim text).
            raise QuestionNotFound(QuestionNotFound.__doc__)
        lang = decided.get("lang")
        example, changed = learning_store.record_example(
            s,
            workspace_id=workspace_id,
            account_id=thread.account_id,
            conversation_id=thread.id,
            question_id=asked.external_id,
            text=asked.text,
            lang=lang if lang in ("es", "pt") else None,
            intents=chosen,
            bot_intents=list(decided.get("intents") or []),
            user_id=user_id,
            now=now,
        )
        if changed:
            revision = learning_store.bump_revision(s, thread.account_id, now)
        else:
            state = learning_store.learning_state(s, thread.account_id)
            revision = state.revision if state is not None else 0
        return Confirmation(example.id, thread.account_id, chosen, changed, revision)


def remove_example(
    ctx: AppContext, workspace_id: int, user_id: int, example_id: int, account_id: int | None = None
) -> Confirmation:
    """Delete an example (of `account_id`, when given); the account's model is retrained without it
    (schedule `revision`)."""
    now = utcnow()
    with transaction(ctx.sessions) as s:
        _check_teacher(s, workspace_id, user_id)
        example = learning_store.example_in_workspace(s, workspace_id, example_id)
        if example is None or account_id not in (None, example.account_id):
            raise ExampleNotFound(ExampleNotFound.__doc__)
        account_id, intents = example.account_id, list(example.intents)
        learning_store.delete_example(s, example_id)
        revision = learning_store.bump_revision(s, account_id, now)
        return Confirmation(example_id, account_id, intents, True, revision)


def examples(ctx: AppContext, workspace_id: int, account_id: int) -> list[Example]:
    """The account's examples (empty for an account of another workspace)."""
    with transaction(ctx.sessions) as s:
        return [
            Example(
                e.id,
                e.account_id,
                e.conversation_id,
                e.question_id,
                e.text,
                list(e.intents),
                list(e.bot_intents) if e.bot_intents is not None else None,
                e.confirmed_by,
                e.updated_at,
            )
            for e in learning_store.examples_of(s, account_id)
            if e.workspace_id == workspace_id
        ]


def _check_teacher(s: Session, workspace_id: int, user_id: int) -> None:
    user = people_store.user_by_id(s, user_id)
    if user is None or user.workspace_id != workspace_id or not Role(user.role).at_least(Role.AGENT):
        raise NotAllowed(NotAllowed.__doc__)
