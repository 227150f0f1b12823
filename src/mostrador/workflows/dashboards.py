"""The dashboards' schedule: every minute, fold what changed into the dashboards' figures, then read
the accounts' new orders (each account every ten minutes). A DBOS schedule fires once across processes;
a fold still running elsewhere makes the next one a no-op (dashboards.rollups)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from dbos import DBOS

from mostrador.dashboards import rollups, sales
from mostrador.workflows.runtime import context

SCHEDULE_NAME = "dashboards"
SCHEDULE = "30 * * * * *"  # every minute, at second 30 (6-field cron, seconds first)


@DBOS.step()
async def fold_step() -> dict[str, Any]:
    return (await asyncio.to_thread(rollups.refresh, context())).to_dict()


@DBOS.step()
async def orders_step() -> dict[str, int]:
    return await sales.fetch_due(context())


@DBOS.workflow(name="dashboards")
async def refresh_dashboards(scheduled_at: datetime, _context: Any) -> None:
    """One pass; what each step did is in its recorded output."""
    await fold_step()
    await orders_step()


async def install() -> None:
    await DBOS.apply_schedules_async(
        [{"schedule_name": SCHEDULE_NAME, "workflow_fn": refresh_dashboards, "schedule": SCHEDULE}]
    )
