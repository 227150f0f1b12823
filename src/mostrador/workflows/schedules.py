"""Scheduled safety nets (DBOS schedules survive restarts and fire once across processes)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dbos import DBOS

from mostrador.safety import nets
from mostrador.workflows.runtime import context

SCHEDULE_NAME = "safety-nets"


@DBOS.step()
async def safety_step() -> dict[str, int]:
    return await nets.run_all(context())


@DBOS.workflow(name="safety_nets")
async def safety_nets(scheduled_at: datetime, _context: Any) -> None:
    """One pass of every safety net; what each found is recorded in `sync_runs`."""
    await safety_step()


def cron_every(seconds: int) -> str:
    """A 6-field cron (seconds first) for 'every N seconds', N < 60, or every N minutes."""
    if seconds < 60:
        return f"*/{max(seconds, 5)} * * * * *"
    return f"0 */{max(seconds // 60, 1)} * * * *"


async def install(interval_s: int) -> None:
    await DBOS.apply_schedules_async(
        [{"schedule_name": SCHEDULE_NAME, "workflow_fn": safety_nets, "schedule": cron_every(interval_s)}]
    )


async def run_now() -> None:
    """Start a safety-net pass immediately (the accounts page button); runs in the background."""
    await DBOS.start_workflow_async(safety_nets, datetime.now(UTC), None)
