"""Learning from the team: an agent confirms a handed-off question's intents, the account's model is
retrained with it, and the same way of asking is then answered by the bot."""

from __future__ import annotations

from typing import Any

import pytest

from mostrador.accounts import bot_learning
from mostrador.bot.errors import InvalidExample
from mostrador.inbox import learning
from mostrador.store import learning as learning_store
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, Message, utcnow
from mostrador.users.roles import Role
from mostrador.users.service import create_user

from .sandbox_grant import Connected, ask_question, ingest, new_listing

# Spanish for "have you restocked?": the built-in model does not know it (low confidence).
RESTOCKED = "¿Llegaste a reponer?"
AUTO = {"mode": "auto", "facts": {"invoice": {"issues": True}, "pickup": {"allowed": False}}}


def _setup(connected: Connected) -> tuple[int, int, int]:
    """(workspace, agent, viewer) of the connected account; the account answers automatically."""
    ctx = connected.ctx
    with transaction(ctx.sessions) as s:
        account = s.get(Account, connected.account_id)
        assert account is not None
        account.bot_config = AUTO
        workspace_id = account.workspace_id
        from mostrador.store.models import Workspace

        ws_name = s.get(Workspace, workspace_id).name  # type: ignore[union-attr]
    owner = create_user(ctx.sessions, "owner@example.com", "x" * 20, "Olga", ws_name)
    viewer = create_user(ctx.sessions, "viewer@example.com", "x" * 20, "Vera", ws_name, Role.VIEWER)
    return workspace_id, owner, viewer


def _asked(connected: Connected, question: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The conversation of an ingested question, and the bot's recorded decision about it."""
    with transaction(connected.ctx.sessions) as s:
        message = s.query(Message).filter_by(direction="in", external_id=str(question["id"])).one()
        return message.conversation_id, dict(message.meta or {})


def test_a_confirmed_question_teaches_the_account_and_the_same_phrasing_is_then_answered(
    connected: Connected,
) -> None:
    ctx = connected.ctx
    workspace_id, agent, viewer = _setup(connected)
    item_id = new_listing(connected)

    first = ask_question(connected, RESTOCKED, item_id=item_id, buyer="B1")
    assert ingest(connected, "questions", first["id"]).outcome == "handed_off"
    conversation_id, decided = _asked(connected, first)
    assert decided["reason"] == "low_confidence" and decided["intents"] != ["availability"]

    # Validation and scope, before anything is recorded.
    with pytest.raises(InvalidExample):
        learning.confirm_intents(ctx, workspace_id, agent, conversation_id, str(first["id"]), ["restock"])
    with pytest.raises(InvalidExample):
        learning.confirm_intents(
            ctx, workspace_id, agent, conversation_id, str(first["id"]), ["other", "price"]
        )
    with pytest.raises(learning.NotAllowed):
        learning.confirm_intents(
            ctx, workspace_id, viewer, conversation_id, str(first["id"]), ["availability"]
        )
    stranger = create_user(ctx.sessions, "stranger@example.com", "x" * 20, "Sam", "elsewhere")
    with transaction(ctx.sessions) as s:
        elsewhere = people_store.workspace_by_name(s, "elsewhere").id  # type: ignore[union-attr]
    with pytest.raises(learning.ConversationNotFound):
        learning.confirm_intents(
            ctx, elsewhere, stranger, conversation_id, str(first["id"]), ["availability"]
        )
    with pytest.raises(learning.QuestionNotFound):
        learning.confirm_intents(ctx, workspace_id, agent, conversation_id, "999", ["availability"])
    assert learning.examples(ctx, workspace_id, connected.account_id) == []

    confirmed = learning.confirm_intents(
        ctx, workspace_id, agent, conversation_id, str(first["id"]), ["availability"]
    )
    assert confirmed.changed and confirmed.revision == 1 and confirmed.account_id == connected.account_id
    again = learning.confirm_intents(
        ctx, workspace_id, agent, conversation_id, str(first["id"]), ["availability"]
    )
    assert not again.changed and again.revision == 1 and again.example_id == confirmed.example_id
    [example] = learning.examples(ctx, workspace_id, connected.account_id)
    assert (example.text, example.intents, example.confirmed_by) == (RESTOCKED, ["availability"], agent)
    assert example.bot_intents == decided["intents"]
    assert learning.examples(ctx, elsewhere, connected.account_id) == []

    # Until the retraining has run, the account keeps deciding with the model it had.
    with transaction(ctx.sessions) as s:
        assert learning_store.behind(s, utcnow()) == [(connected.account_id, 1)]
    before = bot_learning.bot_for(ctx, connected.account_id, AUTO).classify(RESTOCKED)
    assert before.intents != ["availability"]

    done = bot_learning.retrain(ctx, connected.account_id)  # what the retraining workflow's step runs
    assert done["outcome"] == "trained" and done["revision"] == 1 and done["examples"] == 1
    with transaction(ctx.sessions) as s:
        assert learning_store.behind(s, utcnow()) == []

    second = ask_question(connected, RESTOCKED, item_id=item_id, buyer="B2")
    assert ingest(connected, "questions", second["id"]).outcome == "reply_pending"
    _, decided_now = _asked(connected, second)
    assert decided_now["intents"] == ["availability"] and decided_now["reason"] is None
    assert min(decided_now["scores"][i] for i in decided_now["intents"]) >= 0.85


def test_removing_an_example_counts_a_change_and_retrains_without_it(connected: Connected) -> None:
    ctx = connected.ctx
    workspace_id, agent, viewer = _setup(connected)
    question = ask_question(connected, RESTOCKED, buyer="B3")
    ingest(connected, "questions", question["id"])
    conversation_id, _ = _asked(connected, question)
    confirmed = learning.confirm_intents(
        ctx, workspace_id, agent, conversation_id, str(question["id"]), ["availability"]
    )
    changed = learning.confirm_intents(
        ctx, workspace_id, agent, conversation_id, str(question["id"]), ["variants"]
    )
    assert changed.changed and changed.revision == 2 and changed.example_id == confirmed.example_id
    with pytest.raises(learning.NotAllowed):
        learning.remove_example(ctx, workspace_id, viewer, confirmed.example_id)
    stranger = create_user(ctx.sessions, "stranger@example.com", "x" * 20, "Sam", "elsewhere")
    with transaction(ctx.sessions) as s:
        elsewhere = people_store.workspace_by_name(s, "elsewhere").id  # type: ignore[union-attr]
    with pytest.raises(learning.ExampleNotFound):
        learning.remove_example(ctx, elsewhere, stranger, confirmed.example_id)
    removed = learning.remove_example(ctx, workspace_id, agent, confirmed.example_id)
    assert removed.revision == 3 and learning.examples(ctx, workspace_id, connected.account_id) == []
    done = bot_learning.retrain(ctx, connected.account_id)
    assert done["outcome"] == "trained" and done["examples"] == 0
    with transaction(ctx.sessions) as s:
        assert s.query(Conversation).filter_by(id=conversation_id).one() is not None
        assert learning_store.behind(s, utcnow()) == []


async def test_the_retraining_is_a_durable_workflow_and_the_schedule_catches_up(connected: Connected) -> None:
    """The retraining runs on DBOS (its own queue); a change whose retraining was never scheduled (the
    process died after the commit) is found by the learning schedule's workflow."""
    import asyncio
    from datetime import timedelta

    from dbos import DBOS

    from mostrador.store import conversations as conversations_store
    from mostrador.workflows import learning as learning_workflows
    from mostrador.workflows import runtime

    ctx = connected.ctx
    ctx.settings.bot_retrain_delay_s = 0
    workspace_id, agent, _ = _setup(connected)
    with transaction(ctx.sessions) as s:  # a question the bot classified, as the channel records it
        account = s.get(Account, connected.account_id)
        assert account is not None
        contact = conversations_store.ensure_contact(s, account, "questions", "7001", "COMPRADOR")
        thread = conversations_store.ensure_conversation(
            s, account, "questions", "MLA1:7001", contact, subject="Mate", item_id="MLA1"
        )
        asked = conversations_store.upsert_message(
            s, thread.id, "in", "555", author="buyer", text=RESTOCKED, status="received"
        )
        asked.meta = {"intents": ["product_details"], "lang": "es", "reason": "low_confidence"}
        conversation_id = thread.id
    confirmed = learning.confirm_intents(ctx, workspace_id, agent, conversation_id, "555", ["availability"])

    await runtime.launch(ctx)
    try:
        await learning_workflows.schedule(connected.account_id, confirmed.revision)
        handle = await DBOS.retrieve_workflow_async(
            learning_workflows.workflow_id(connected.account_id, confirmed.revision)
        )
        result = await handle.get_result()
        assert result["outcome"] == "trained" and result["revision"] == 1 and result["examples"] == 1
        bot = bot_learning.bot_for(ctx, connected.account_id, AUTO)
        assert bot.classify(RESTOCKED).intents == ["availability"]

        changed = learning.confirm_intents(
            ctx, workspace_id, agent, conversation_id, "555", ["variants"]
        )  # recorded, never scheduled
        await DBOS.start_workflow_async(learning_workflows.catch_up, utcnow(), None)
        deadline = asyncio.get_running_loop().time() + timedelta(seconds=120).total_seconds()
        while True:
            with transaction(ctx.sessions) as s:
                state = learning_store.learning_state(s, connected.account_id)
                assert state is not None
                if state.trained_revision == changed.revision:
                    break
            assert asyncio.get_running_loop().time() < deadline, "the schedule never retrained"
            await asyncio.sleep(0.2)
        bot = bot_learning.bot_for(ctx, connected.account_id, AUTO)
        assert bot.classify(RESTOCKED).intents == ["variants"]
    finally:
        await ctx.meli.aclose()
        runtime.shutdown()
