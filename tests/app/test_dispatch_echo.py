"""The notification Mercado Libre sends because we answered a question is settled without a workflow
(issue 12: one workflow per answered question, not two); a later one about the same question (deleted
minutes after the answer) still runs one and updates the thread.

The app runs in this process with DBOS on and its queue consumed, against a sandbox; dispatch passes
are run by hand so each notification is looked at when the test says.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from dbos import DBOS
from sqlalchemy import select, update

from mostrador.accounts.bot_settings import set_mode
from mostrador.store import notifications as notifications_store
from mostrador.store import outbox as outbox_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Message, Notification
from mostrador.workflows import runtime
from mostrador.workflows.dispatch import ECHO_COUNTER, Dispatcher

from .sandbox_grant import Connected, ask_question, new_listing
from .test_dispatch_retries import answered, eventually, record_notification

pytestmark = pytest.mark.slow


def rows(connected: Connected, question_id: int) -> list[Notification]:
    with transaction(connected.ctx.sessions) as s:
        found = s.scalars(
            select(Notification).where(Notification.resource_id == str(question_id)).order_by(Notification.id)
        ).all()
        s.expunge_all()
        return list(found)


def question_status(connected: Connected, question_id: int) -> str | None:
    with transaction(connected.ctx.sessions) as s:
        return s.scalar(
            select(Message.external_status).where(
                Message.external_id == str(question_id), Message.direction == "in"
            )
        )


async def test_the_answered_echo_runs_no_workflow_and_a_later_change_still_does(
    connected: Connected,
) -> None:
    ctx = connected.ctx
    with transaction(ctx.sessions) as s:
        account = s.get(Account, connected.account_id)
        assert account is not None
        workspace_id = account.workspace_id
    set_mode(ctx, workspace_id, connected.account_id, "auto")
    question = int(ask_question(connected, "hola, tenés stock?", item_id=new_listing(connected))["id"])
    await asyncio.to_thread(ctx.bots.warm)
    await runtime.launch(ctx)
    dispatcher = Dispatcher(ctx)
    try:
        record_notification(connected, question)
        await dispatcher.dispatch_pass()
        await eventually(lambda: question in answered(connected), within_s=60)
        await (await DBOS.retrieve_workflow_async(f"question:{question}")).get_result()

        # Mercado Libre's notification about our own answer: settled, no workflow, counted.
        record_notification(connected, question)
        await dispatcher.dispatch_pass()
        echo = rows(connected, question)[-1]
        assert (echo.status, echo.workflow_id) == ("dispatched", "")
        assert await DBOS.get_workflow_status_async(f"question:{question}:2") is None
        with transaction(ctx.sessions) as s:
            assert notifications_store.counters(s)[ECHO_COUNTER] == 1
            entry = outbox_store.entry_for_target(s, connected.account_id, "questions", str(question))
            assert entry is not None and entry.status == "sent" and entry.sent_at is not None
            sent_at = entry.sent_at

        # Minutes later Mercado Libre deletes the question: that notification is work again.
        async with httpx.AsyncClient(base_url=connected.sandbox.url) as c:
            deleted = await c.post(f"/_sandbox/questions/{question}/status", json={"status": "DELETED"})
            deleted.raise_for_status()
        record_notification(connected, question)
        later = rows(connected, question)[-1]
        with transaction(ctx.sessions) as s:
            s.execute(
                update(Notification)
                .where(Notification.id == later.id)
                .values(received_at=sent_at + timedelta(minutes=5))
            )
        await dispatcher.dispatch_pass()
        assert rows(connected, question)[-1].workflow_id == f"question:{question}:3"
        await (await DBOS.retrieve_workflow_async(f"question:{question}:3")).get_result()
        assert question_status(connected, question) == "DELETED"
        assert answered(connected) == {question}
    finally:
        await dispatcher.stop()
        await ctx.meli.aclose()
        runtime.shutdown()


def test_only_a_clean_attempt_in_flight_or_a_recent_post_is_an_echo(connected: Connected) -> None:
    """`QuestionsChannel.own_echo` on real rows: what makes a notification an echo, and what does not."""
    from mostrador.channels.questions import QuestionsChannel
    from mostrador.store.models import OutboxEntry, utcnow

    from .sandbox_grant import ingest

    ctx = connected.ctx
    with transaction(ctx.sessions) as s:
        account = s.get(Account, connected.account_id)
        assert account is not None
        workspace_id = account.workspace_id
    set_mode(ctx, workspace_id, connected.account_id, "auto")
    question = str(ask_question(connected, "hola, tenés stock?", item_id=new_listing(connected))["id"])
    plan = ingest(connected, "questions", question)
    assert plan.outcome == "reply_pending" and plan.reply_id is not None
    now = utcnow()

    def echo(**entry: object) -> bool:
        if entry:
            with transaction(ctx.sessions) as s:
                s.execute(update(OutboxEntry).where(OutboxEntry.id == plan.reply_id).values(**entry))
        with transaction(ctx.sessions) as s:
            return QuestionsChannel().own_echo(s, connected.account_id, question, now)

    assert not echo(), "recorded, never attempted: the notification may be anything"
    lease = now + timedelta(seconds=60)
    assert echo(attempts=1, next_attempt_at=lease), "the first attempt is in flight"
    assert not echo(deferrals=1), "put off by an outage: ingest as usual"
    assert not echo(deferrals=0, next_attempt_at=now - timedelta(seconds=1)), "the lease ran out"
    assert echo(status="sent", next_attempt_at=None, sent_at=now - timedelta(seconds=20))
    assert not echo(sent_at=now - timedelta(seconds=31)), "posted longer ago than the echo window"
    assert not echo(status="failed", sent_at=None)
    with transaction(ctx.sessions) as s:
        assert not QuestionsChannel().own_echo(s, connected.account_id, "999999", now), "no answer of ours"
