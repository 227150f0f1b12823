"""A resource whose workflow can never be enqueued does not hold back the notifications behind it; it
is retried with back-off, given up on visibly (`dispatch_failed`, a counter, a log line) and re-driven
by an operator with `mostrador notifications redispatch`.

The failure is real: another DBOS workflow already holds the question's workflow id, so every enqueue
of `question:<id>` raises DBOS's conflicting-workflow error. The app runs in this process with DBOS
on, its queue consumed, against a sandbox that plays Mercado Libre.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from dbos import DBOS, SetWorkflowID
from sqlalchemy import select

from mostrador.accounts.bot_settings import set_mode
from mostrador.intake.service import accept
from mostrador.meli.models import Notification as NotificationModel
from mostrador.store import notifications as notifications_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Notification
from mostrador.workflows import runtime
from mostrador.workflows.dispatch import FAILED_COUNTER, Dispatcher, RetryPolicy

from .sandbox_grant import Connected, ask_question, new_listing

pytestmark = pytest.mark.slow


@DBOS.workflow(name="test_holds_a_workflow_id")
async def hold_workflow_id() -> str:
    """Stands for anything that already used a workflow id the dispatcher is about to use."""
    return "held"


def ask_questions(connected: Connected, count: int) -> list[int]:
    item_id = new_listing(connected)
    return [
        int(ask_question(connected, "hola, tenés stock?", item_id=item_id, buyer=f"DQ{n}")["id"])
        for n in range(count)
    ]


def record_notification(connected: Connected, question_id: int) -> None:
    """What intake does with a webhook about this question."""
    raw = {
        "_id": str(uuid.uuid4()),
        "resource": f"/questions/{question_id}",
        "user_id": int(connected.seller["id"]),
        "topic": "questions",
        "application_id": int(connected.ctx.settings.meli_client_id),
        "attempts": 1,
        "sent": "2026-11-27T10:00:00.000Z",
        "received": "2026-11-27T10:00:00.000Z",
    }
    settings = connected.ctx.settings
    result = accept(connected.ctx.engine, NotificationModel.model_validate(raw), raw, settings.meli_client_id)
    assert result.outcome == "accepted"


def answered(connected: Connected) -> set[int]:
    with httpx.Client(base_url=connected.sandbox.url) as c:
        log = c.get("/_sandbox/log", params={"kind": "answers"}).json()
    return {int(e["question_id"]) for e in log}


def row(connected: Connected, question_id: int) -> Notification:
    with transaction(connected.ctx.sessions) as s:
        return s.scalars(select(Notification).where(Notification.resource_id == str(question_id))).one()


async def eventually(predicate: Callable[[], Any], within_s: float = 30.0) -> Any:
    """Poll without blocking the event loop the dispatcher runs on."""
    deadline = time.monotonic() + within_s
    while not (value := await asyncio.to_thread(predicate)):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within_s} s (last value {value!r})")
        await asyncio.sleep(0.05)
    return value


def cli(connected: Connected, *args: str) -> subprocess.CompletedProcess[str]:
    settings = connected.ctx.settings
    env = {**os.environ, "MOSTRADOR_DATA_DIR": str(settings.data_dir)}
    if settings.database_url:
        env["MOSTRADOR_DATABASE_URL"] = settings.database_url
    return subprocess.run(
        [sys.executable, "-m", "mostrador.cli.main", "notifications", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_a_resource_that_cannot_be_enqueued_does_not_hold_back_later_notifications(
    connected: Connected, caplog: pytest.LogCaptureFixture
) -> None:
    ctx = connected.ctx
    with transaction(ctx.sessions) as s:
        account = s.get(Account, connected.account_id)
        assert account is not None
        workspace_id = account.workspace_id
    set_mode(ctx, workspace_id, connected.account_id, "auto")  # the bot answers on its own
    stuck, *others = ask_questions(connected, 4)
    await asyncio.to_thread(ctx.bots.warm)
    await runtime.launch(ctx)
    dispatcher = Dispatcher(ctx, RetryPolicy(max_attempts=3, first_delay_s=0.05, max_delay_s=0.2))
    try:
        with SetWorkflowID(f"question:{stuck}"):
            await DBOS.start_workflow_async(hold_workflow_id)
        for question_id in (stuck, *others):  # the stuck one is the oldest row: first in every pass
            record_notification(connected, question_id)
        with caplog.at_level(logging.WARNING, logger="mostrador.workflows.dispatch"):
            dispatcher.start()
            dispatcher.wake.set()
            await eventually(lambda: answered(connected) >= set(others), within_s=60)
            given_up = await eventually(
                lambda: (r := row(connected, stuck)).status == "dispatch_failed" and r
            )

        assert given_up.dispatch_attempts == 3
        assert given_up.next_dispatch_at is None
        assert "DBOSConflictingWorkflowError" in (given_up.dispatch_error or "")
        assert stuck not in answered(connected)
        assert [row(connected, q).status for q in others] == ["dispatched"] * len(others)
        with transaction(ctx.sessions) as s:
            assert notifications_store.counters(s)[FAILED_COUNTER] == 1
        retries = [r for r in caplog.records if "retrying in" in r.getMessage()]
        gave_up = [r for r in caplog.records if r.levelno == logging.ERROR and "gave up" in r.getMessage()]
        assert len(retries) == 2 and len(gave_up) == 1
        assert "notifications redispatch" in gave_up[0].getMessage()

        listed = await asyncio.to_thread(cli, connected, "failed")
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.startswith(f"{given_up.id}\tquestions\t/questions/{stuck}\t")

        # The operator removes the cause (here: the workflow that held the id), then re-drives.
        await DBOS.delete_workflow_async(f"question:{stuck}")
        redriven = await asyncio.to_thread(cli, connected, "redispatch", "--all")
        assert redriven.returncode == 0, redriven.stderr
        assert "1 notification(s) handed back" in redriven.stdout
        await eventually(lambda: stuck in answered(connected), within_s=60)
        assert row(connected, stuck).status == "dispatched"
    finally:  # the app's shutdown order: dispatcher, outbound client, then DBOS
        await dispatcher.stop()
        await ctx.meli.aclose()
        runtime.shutdown()
