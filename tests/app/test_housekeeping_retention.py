"""Housekeeping keeps the tables that grow with every question from growing forever: the live-update
events once every reader of the feed is past them, and DBOS's records of workflows that ended well."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from dbos import DBOS
from sqlalchemy import func, select

from mostrador.context import AppContext
from mostrador.dashboards.rollups import CONVERSATIONS
from mostrador.store import dashboards as dashboards_store
from mostrador.store import operations as operations_store
from mostrador.store import webhooks as webhooks_store
from mostrador.store.db import transaction
from mostrador.store.models import Event, utcnow
from mostrador.workflows import housekeeping, runtime


def _events(ctx: AppContext, ages_days: list[float]) -> list[int]:
    """Events made `age` days ago, in this order (ids ascending)."""
    now = utcnow()
    with transaction(ctx.sessions) as s:
        rows = [Event(workspace_id=1, kind="message", created_at=now - timedelta(days=a)) for a in ages_days]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def _left(ctx: AppContext) -> set[int]:
    with transaction(ctx.sessions) as s:
        return set(s.scalars(select(Event.id)))


def _feed_at(ctx: AppContext, cursor: int, gaps: dict[str, str] | None = None) -> None:
    with transaction(ctx.sessions) as s:
        row = webhooks_store.feed_position(s)
        row.cursor, row.gaps = cursor, gaps or {}


def test_old_events_go_once_every_reader_is_past_them(ctx: AppContext) -> None:
    ids = _events(ctx, [30, 30, 30, 30, 10, 1, 0])  # four a month old, one 10 days, two recent
    _feed_at(ctx, cursor=ids[2])  # the webhooks read up to the third
    with transaction(ctx.sessions) as s:
        dashboards_store.watermark(s, CONVERSATIONS).settled = ids[5]  # the fold is further on

    assert housekeeping.purge_events(ctx, utcnow()) == 3  # only what the slowest reader has read
    assert _left(ctx) == set(ids[3:])

    _feed_at(ctx, cursor=ids[6], gaps={str(ids[3]): "2026-01-01T00:00:00"})  # an id it saw missing
    assert housekeeping.purge_events(ctx, utcnow()) == 0  # …may still commit: it stays
    _feed_at(ctx, cursor=ids[6])
    assert housekeeping.purge_events(ctx, utcnow()) == 2  # 30 and 10 days old; the recent ones stay
    assert _left(ctx) == set(ids[5:])


def test_the_dashboards_fold_holds_events_back_too(ctx: AppContext) -> None:
    ids = _events(ctx, [20, 20, 20])
    _feed_at(ctx, cursor=ids[2])
    with transaction(ctx.sessions) as s:
        dashboards_store.watermark(s, CONVERSATIONS).settled = ids[0]  # it reads again after the first
    assert housekeeping.purge_events(ctx, utcnow()) == 1
    assert _left(ctx) == set(ids[1:])


def test_a_long_backlog_goes_in_bounded_batches(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(housekeeping, "EVENTS_BATCH", 4)
    monkeypatch.setattr(housekeeping, "EVENTS_BATCHES", 2)
    ids = _events(ctx, [9.0] * 11)
    _feed_at(ctx, cursor=ids[-1])
    assert housekeeping.purge_events(ctx, utcnow()) == 8  # two batches of four this pass
    assert housekeeping.purge_events(ctx, utcnow()) == 3  # the rest on the next
    assert _left(ctx) == set()


def test_the_delete_is_bounded_by_age_and_id(ctx: AppContext) -> None:
    ids = _events(ctx, [8, 8, 8])
    with transaction(ctx.sessions) as s:
        assert operations_store.delete_events(s, utcnow() - timedelta(days=9), None, 10) == 0
        assert operations_store.delete_events(s, utcnow(), ids[0], 10) == 1
        assert operations_store.delete_events(s, utcnow(), None, 1) == 1
        assert s.scalar(select(func.count()).select_from(Event)) == 1


@DBOS.workflow(name="test_retention_ends_well")
async def ends_well(n: int) -> int:
    return n


@DBOS.workflow(name="test_retention_fails")
async def fails(n: int) -> int:
    raise RuntimeError(f"failed {n}")


async def test_only_workflows_that_ended_well_before_the_cutoff_are_pruned(ctx: AppContext) -> None:
    await runtime.launch(ctx, consume=False)
    try:
        for n in range(3):
            assert await (await DBOS.start_workflow_async(ends_well, n)).get_result() == n
        for n in range(2):
            handle = await DBOS.start_workflow_async(fails, n)
            with pytest.raises(RuntimeError):
                await handle.get_result()
        done = {w.workflow_id for w in await DBOS.list_workflows_async(status="SUCCESS")}
        assert len(done) >= 3

        prune = housekeeping.prune_history_step
        assert await asyncio.to_thread(prune, utcnow() - timedelta(days=1)) == 0  # none ended that long ago
        assert await asyncio.to_thread(prune, utcnow() + timedelta(seconds=1)) == len(done)
        assert await DBOS.list_workflows_async(status="SUCCESS") == []
        assert len(await DBOS.list_workflows_async(status="ERROR")) == 2  # kept for people to look at

        # The scheduled pass itself, with a history kept for a moment only: it prunes from inside its
        # own workflow (DBOS's delete runs as a step there) and never itself, which is still running.
        await (await DBOS.start_workflow_async(ends_well, 7)).get_result()
        ctx.settings.workflow_history_keep_days = 1e-9
        at = utcnow() + timedelta(seconds=1)
        handle = await asyncio.to_thread(DBOS.start_workflow, housekeeping.housekeeping, at, None)
        await asyncio.to_thread(handle.get_result)
        names = {w.name for w in await DBOS.list_workflows_async(status="SUCCESS")}
        assert names == {"housekeeping"}
    finally:
        await ctx.meli.aclose()
        runtime.shutdown()
