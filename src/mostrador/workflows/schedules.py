"""Scheduled reconciliation (DBOS schedules survive restarts and fire once across processes), and the
sync an admin starts by hand for their own workspace."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from dbos import DBOS, SetWorkflowID

from mostrador.reconciliation import sweeps
from mostrador.workflows import dashboards, outbox
from mostrador.workflows.runtime import context

SCHEDULE_NAME = "reconciliation"
SYNC_EVERY_S = 60  # a workspace's manual sync runs at most once per minute


PASS_SHARE = 0.8  # a pass stops starting accounts after this share of the interval: passes never pile up


@DBOS.step()
async def reconcile_step() -> dict[str, int]:
    settings = context().settings
    return await sweeps.run_due(context(), budget_s=shortest_gap_s(settings.sweep_interval_s) * PASS_SHARE)


@DBOS.workflow(name="reconciliation")
async def reconciliation(scheduled_at: datetime, _context: Any) -> None:
    """One pass of the safety nets over the accounts due a sweep; what each found is recorded in
    `sync_runs`."""
    await reconcile_step()


@DBOS.step()
async def sync_workspace_step(workspace_id: int) -> dict[str, int]:
    return await sweeps.run_workspace(context(), workspace_id)


@DBOS.workflow(name="sync_workspace")
async def sync_workspace(workspace_id: int) -> dict[str, int]:
    return await sync_workspace_step(workspace_id)


def cron_every(seconds: int) -> str:
    """A 6-field cron (seconds first) for 'every N seconds', N < 60, or every N minutes."""
    if seconds < 60:
        return f"*/{max(seconds, 5)} * * * * *"
    return f"0 */{max(seconds // 60, 1)} * * * *"


def shortest_gap_s(seconds: int) -> int:
    """The shortest wait between two runs of `cron_every(seconds)`: a step that does not divide the
    minute (or the hour) leaves a shorter gap where it wraps (every 45 s runs at :00 and :45; every
    90 s is every minute), and a pass's budget must fit that gap, not the setting."""
    if seconds < 60:
        step, span = max(seconds, 5), 60
    else:
        step, span = max(seconds // 60, 1), 60
    wrap = span - (span - 1) // step * step
    return min(step, wrap) * (1 if seconds < 60 else 60)


async def install(interval_s: int) -> None:
    """Reconciliation every `interval_s`, and the outbox re-drive every `outbox_redrive_interval_s`."""
    redrive_s = context().settings.outbox_redrive_interval_s
    await DBOS.apply_schedules_async(
        [
            {
                "schedule_name": SCHEDULE_NAME,
                "workflow_fn": reconciliation,
                "schedule": cron_every(interval_s),
            },
            {
                "schedule_name": outbox.REDRIVE_SCHEDULE,
                "workflow_fn": outbox.redrive,
                "schedule": outbox.redrive_cron(redrive_s),
            },
        ]
    )
    await dashboards.install()


def sync_workflow_id(workspace_id: int, now: float | None = None) -> str:
    """One id per workspace and minute: DBOS runs a workflow id once, so a second click is a no-op."""
    minute = int((time.time() if now is None else now) // SYNC_EVERY_S)
    return f"sync:{workspace_id}:{minute}"


async def sync_workspace_now(workspace_id: int) -> bool:
    """Start the sweeps of one workspace's accounts in the background; False if one already started in
    this minute (then nothing new is started)."""
    workflow_id = sync_workflow_id(workspace_id)
    if await DBOS.get_workflow_status_async(workflow_id) is not None:
        return False
    with SetWorkflowID(workflow_id):
        await DBOS.start_workflow_async(sync_workspace, workspace_id)
    return True
