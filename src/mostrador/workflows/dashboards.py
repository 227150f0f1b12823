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


RUN_S = 50.0  # of the minute between runs: the fold and the orders together stop starting work then
ORDERS_MIN_S = 5.0  # the orders' least share, so a long backfill of the fold does not stop them


def orders_budget_s(fold_seconds: float) -> float:
    """What is left of the run for the orders after the fold (at most `sales.BUDGET_S`)."""
    return min(sales.BUDGET_S, max(ORDERS_MIN_S, RUN_S - fold_seconds))


@DBOS.step()
async def orders_step(fold_seconds: float = 0.0) -> dict[str, int]:
    return await sales.fetch_due(context(), budget_s=orders_budget_s(fold_seconds))


@DBOS.workflow(name="dashboards")
async def refresh_dashboards(scheduled_at: datetime, _context: Any) -> None:
    """One pass; what each step did is in its recorded output. The orders get what the fold left of the
    run (a backfilling fold takes up to 45 s), so a run does not outlast the minute."""
    fold = await fold_step()
    await orders_step(float(fold.get("seconds") or 0.0))


async def install() -> None:
    await DBOS.apply_schedules_async(
        [{"schedule_name": SCHEDULE_NAME, "workflow_fn": refresh_dashboards, "schedule": SCHEDULE}]
    )
