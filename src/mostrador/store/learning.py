"""Repository of the bot's per-account examples and of each account's retraining revision."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mostrador.store.models import BotExample, BotLearning
from mostrador.store.upsert import insert_ignore


def record_example(
    s: Session,
    *,
    workspace_id: int,
    account_id: int,
    conversation_id: int,
    question_id: str,
    text: str,
    lang: str | None,
    intents: list[str],
    bot_intents: list[str] | None,
    user_id: int,
    now: datetime,
) -> tuple[BotExample, bool]:
    """Insert the example, or replace the intents of the one already recorded for this question.
    Returns it and whether anything changed (the same intents again change nothing)."""
    values = {
        "workspace_id": workspace_id,
        "account_id": account_id,
        "conversation_id": conversation_id,
        "question_id": question_id,
        "text": text,
        "lang": lang,
        "intents": intents,
        "bot_intents": bot_intents,
        "confirmed_by": user_id,
        "created_at": now,
        "updated_at": now,
    }
    new_id = insert_ignore(s, BotExample.__table__, values, ["account_id", "question_id"])  # type: ignore[arg-type]
    if new_id is not None:
        example = s.get(BotExample, new_id)
        assert example is not None
        return example, True
    example = s.scalars(
        select(BotExample)
        .where(BotExample.account_id == account_id, BotExample.question_id == question_id)
        .with_for_update()
    ).one()
    if sorted(example.intents) == sorted(intents):
        return example, False
    example.intents = intents
    example.confirmed_by = user_id
    example.updated_at = now
    return example, True


def examples_of(s: Session, account_id: int) -> Sequence[BotExample]:
    """The account's examples, oldest first."""
    return s.scalars(
        select(BotExample).where(BotExample.account_id == account_id).order_by(BotExample.id)
    ).all()


def taught_in(s: Session, conversation_id: int) -> dict[str, list[str]]:
    """The intents the team confirmed for questions of one conversation: question id -> intents."""
    rows = s.execute(
        select(BotExample.question_id, BotExample.intents).where(
            BotExample.conversation_id == conversation_id
        )
    )
    return {question_id: list(intents) for question_id, intents in rows}


def example_in_workspace(s: Session, workspace_id: int, example_id: int) -> BotExample | None:
    example = s.get(BotExample, example_id)
    return example if example is not None and example.workspace_id == workspace_id else None


def delete_example(s: Session, example_id: int) -> None:
    s.execute(delete(BotExample).where(BotExample.id == example_id))


def bump_revision(s: Session, account_id: int, now: datetime) -> int:
    """Count one more change to the account's examples; returns the new revision."""
    module: Any = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    s.execute(
        module.insert(BotLearning)
        .values(account_id=account_id, revision=0, trained_revision=0, changed_at=now)
        .on_conflict_do_nothing(index_elements=["account_id"])
    )
    s.execute(
        update(BotLearning)
        .where(BotLearning.account_id == account_id)
        .values(revision=BotLearning.revision + 1, changed_at=now)
    )
    return int(s.scalars(select(BotLearning.revision).where(BotLearning.account_id == account_id)).one())


def learning_state(s: Session, account_id: int) -> BotLearning | None:
    return s.get(BotLearning, account_id)


def mark_trained(s: Session, account_id: int, revision: int, now: datetime, detail: dict[str, Any]) -> bool:
    """Record that `revision` is trained, unless a later one already is (conditional update)."""
    done = s.execute(
        update(BotLearning)
        .where(BotLearning.account_id == account_id, BotLearning.trained_revision < revision)
        .values(trained_revision=revision, trained_at=now, detail=detail)
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def behind(s: Session, changed_before: datetime, limit: int = 100) -> list[tuple[int, int]]:
    """(account, revision) of accounts whose examples changed after their last training, quiet since
    `changed_before`."""
    rows = s.execute(
        select(BotLearning.account_id, BotLearning.revision)
        .where(BotLearning.revision > BotLearning.trained_revision, BotLearning.changed_at <= changed_before)
        .order_by(BotLearning.changed_at)
        .limit(limit)
    ).all()
    return [(int(a), int(r)) for a, r in rows]
