"""Retraining an account's model after its agents confirmed (or removed) examples.

One workflow per account and revision (`bot-retrain:<account>:<revision>`), on the `bot-learning`
queue: one training at a time in the whole process (training takes seconds of one core, and the
questions must keep the other), enqueued with a short delay so a run of confirmations retrains once
(a later run finds the same examples' model ready and only records it). A schedule catches up any
account whose examples changed but whose retraining was never scheduled (the process died between
the commit and the enqueue).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

import dbos
from dbos import DBOS, SetEnqueueOptions, SetWorkflowID
from sqlalchemy.exc import SQLAlchemyError

from mostrador.accounts import bot_learning
from mostrador.context import AppContext
from mostrador.store import learning as learning_store
from mostrador.store.db import transaction
from mostrador.store.models import utcnow
from mostrador.workflows import runtime
from mostrador.workflows.runtime import context

log = logging.getLogger(__name__)
SCHEDULE_NAME = "bot-learning"
SCHEDULE = "0 * * * * *"  # every minute (6-field cron, seconds first)


def workflow_id(account_id: int, revision: int) -> str:
    return f"bot-retrain:{account_id}:{revision}"


@DBOS.step()
async def retrain_step(account_id: int) -> dict[str, Any]:
    return await asyncio.to_thread(bot_learning.retrain, context(), account_id)


@DBOS.workflow(name="bot_retrain")
async def retrain(account_id: int, revision: int) -> dict[str, Any]:
    """Train the account's model with its examples as they are now (at least `revision`)."""
    return await retrain_step(account_id)


async def schedule(account_id: int, revision: int, delay_s: float | None = None) -> None:
    """Enqueue the retraining of this revision (call after the transaction that recorded the change)."""
    delay = context().settings.bot_retrain_delay_s if delay_s is None else delay_s
    with SetWorkflowID(workflow_id(account_id, revision)), SetEnqueueOptions(delay_seconds=delay):
        await runtime.learning_queue().enqueue_async(retrain, account_id, revision)


async def schedule_quietly(account_id: int, revision: int) -> bool:
    """`schedule`, for a web request right after its commit: if the queue cannot be reached (or no DBOS
    runs in this process), the learning schedule retrains the account within a minute anyway."""
    try:
        await schedule(account_id, revision)
    except (dbos.error.DBOSException, SQLAlchemyError, runtime.RuntimeNotStarted):
        log.warning("scheduling the retraining of account %s failed; the schedule will", account_id)
        return False
    return True


@DBOS.step()
async def behind_step() -> list[list[int]]:
    return await asyncio.to_thread(_behind, context())


def _behind(ctx: AppContext) -> list[list[int]]:
    quiet_since = utcnow() - timedelta(seconds=ctx.settings.bot_retrain_delay_s)
    with transaction(ctx.sessions) as s:
        return [[a, r] for a, r in learning_store.behind(s, quiet_since)]


@DBOS.workflow(name="bot_learning_catch_up")
async def catch_up(scheduled_at: datetime, _context: Any) -> None:
    """Schedule the retraining of every account whose examples changed since its last training."""
    for account_id, revision in await behind_step():
        await schedule(account_id, revision, delay_s=0)


async def install() -> None:
    await DBOS.apply_schedules_async(
        [{"schedule_name": SCHEDULE_NAME, "workflow_fn": catch_up, "schedule": SCHEDULE}]
    )
