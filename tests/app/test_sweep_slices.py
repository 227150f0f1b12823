"""With thousands of accounts the safety nets sweep a slice per pass: the accounts swept longest ago,
each at most once every `sweep_account_every_s`, within the pass's budget, never the same account in
two passes at once; the orders job reads only accounts whose questions an order could still follow."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, func, select, update

from mostrador.context import AppContext
from mostrador.dashboards import rollups, sales
from mostrador.reconciliation import sweeps as nets
from mostrador.store import accounts as accounts_store
from mostrador.store import dashboards as dash_store
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, SyncRun, utcnow
from mostrador.store.models.dashboards import DashQuestionDay, DashSale
from mostrador.workflows import dashboards as dash_workflows
from mostrador.workflows import schedules

from .conftest import Market
from .sandbox_grant import Connected, run_in_worker_context
from .test_postsale_workspaces import connect_second_seller

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def four_accounts(postsale: Connected) -> list[int]:
    """The fixture's seller and three more, each a real grant in the sandbox."""
    others = [connect_second_seller(postsale, "w", nickname=f"S{n}")[1] for n in (2, 3, 4)]
    return [postsale.account_id, *others]


def sweeps_per_account(postsale: Connected) -> Counter[int]:
    """How many times each account was swept (one questions sweep per account sweep)."""
    with transaction(postsale.ctx.sessions) as s:
        rows = s.scalars(select(SyncRun.account_id).where(SyncRun.kind == "sweep_questions")).all()
    return Counter(int(a) for a in rows if a is not None)


def set_swept_at(postsale: Connected, account_id: int, at: datetime | None) -> None:
    with transaction(postsale.ctx.sessions) as s:
        s.execute(update(Account).where(Account.id == account_id).values(swept_at=at))


def test_a_pass_sweeps_each_due_account_once_and_the_next_only_what_fell_due(
    postsale: Connected, market: Market
) -> None:
    ids = four_accounts(postsale)
    postsale.ctx.settings.sweep_account_every_s = 3600
    first = run_in_worker_context(postsale, lambda ctx: nets.run_due(ctx, budget_s=120))
    assert (first["accounts"], first["failed"]) == (4, 0)
    assert sweeps_per_account(postsale) == Counter({i: 1 for i in ids})
    # Within the hour nothing is due again; the missed feeds are still read every pass.
    second = run_in_worker_context(postsale, lambda ctx: nets.run_due(ctx, budget_s=120))
    assert second["accounts"] == 0
    with transaction(postsale.ctx.sessions) as s:
        assert s.scalar(select(SyncRun.id).where(SyncRun.kind == "missed_feeds").offset(1).limit(1))
    # One account whose last sweep is two hours old is the only one swept by the next pass.
    set_swept_at(postsale, ids[2], datetime.now(UTC) - timedelta(hours=2))
    third = run_in_worker_context(postsale, lambda ctx: nets.run_due(ctx, budget_s=120))
    assert third["accounts"] == 1
    assert sweeps_per_account(postsale) == Counter({ids[0]: 1, ids[1]: 1, ids[2]: 2, ids[3]: 1})


def test_a_spent_budget_starts_no_account_and_those_left_come_first_next_time(
    postsale: Connected, market: Market
) -> None:
    ids = four_accounts(postsale)
    postsale.ctx.settings.sweep_account_every_s = 0
    spent = run_in_worker_context(postsale, lambda ctx: nets.run_due(ctx, budget_s=0))
    assert spent["accounts"] == 0 and sweeps_per_account(postsale) == Counter()
    # Swept at different times: the next claims go to the oldest sweep first, never-swept before all.
    set_swept_at(postsale, ids[0], datetime.now(UTC) - timedelta(minutes=1))
    set_swept_at(postsale, ids[1], datetime.now(UTC) - timedelta(minutes=30))
    set_swept_at(postsale, ids[2], datetime.now(UTC) - timedelta(minutes=10))
    order = []
    for _ in ids:
        with transaction(postsale.ctx.sessions) as s:
            order.append(accounts_store.claim_sweep(s, datetime.now(UTC), datetime.now(UTC)))
    assert order == [ids[3], ids[1], ids[2], ids[0]]
    with transaction(postsale.ctx.sessions) as s:
        assert (
            accounts_store.claim_sweep(s, datetime.now(UTC) - timedelta(seconds=5), datetime.now(UTC)) is None
        )


def test_with_no_interval_a_pass_still_sweeps_each_account_once(postsale: Connected, market: Market) -> None:
    ids = four_accounts(postsale)
    postsale.ctx.settings.sweep_account_every_s = 0
    totals = run_in_worker_context(postsale, lambda ctx: nets.run_due(ctx, budget_s=120))
    assert totals["accounts"] == 4 and sweeps_per_account(postsale) == Counter({i: 1 for i in ids})
    run_in_worker_context(postsale, lambda ctx: nets.run_due(ctx, budget_s=120))  # the next pass: again
    assert sweeps_per_account(postsale) == Counter({i: 2 for i in ids})


def test_two_passes_at_once_never_sweep_the_same_account(postsale: Connected, market: Market) -> None:
    """A pass that outlives its interval overlaps the next: each account is claimed by one of them."""
    ids = four_accounts(postsale)
    postsale.ctx.settings.sweep_account_every_s = 3600

    async def two_passes(ctx: AppContext) -> list[dict[str, int]]:
        return list(await asyncio.gather(nets.run_due(ctx, budget_s=120), nets.run_due(ctx, budget_s=120)))

    passes = run_in_worker_context(postsale, two_passes)
    assert sorted(p["accounts"] for p in passes) != [0, 0] and sum(p["accounts"] for p in passes) == 4
    assert sweeps_per_account(postsale) == Counter({i: 1 for i in ids})


def test_a_full_pass_puts_every_account_at_the_back_of_the_schedule(
    postsale: Connected, market: Market
) -> None:
    ids = four_accounts(postsale)
    postsale.ctx.settings.sweep_account_every_s = 3600
    totals = run_in_worker_context(postsale, nets.run_all)
    assert totals["failed"] == 0 and sweeps_per_account(postsale) == Counter({i: 1 for i in ids})
    assert run_in_worker_context(postsale, lambda ctx: nets.run_due(ctx, budget_s=120))["accounts"] == 0


# ---- the orders job ---------------------------------------------------------------------------------
def _accounts(ctx: AppContext, n: int) -> list[int]:
    with transaction(ctx.sessions) as s:
        ws = people_store.get_or_create_workspace(s, "w1")
        rows = [
            Account(workspace_id=ws.id, meli_user_id=3_100_000_000 + i, nickname=f"SELLER{i}", site_id="MLA")
            for i in range(n)
        ]
        s.add_all(rows)
        s.flush()
        return [a.id for a in rows]


def _asked(ctx: AppContext, account_id: int, day: datetime) -> None:
    with transaction(ctx.sessions) as s:
        s.add(DashQuestionDay(workspace_id=1, account_id=account_id, day=day.date(), asked=1, handoffs={}))


def _read_orders(ctx: AppContext, account_id: int, at: datetime) -> None:
    with transaction(ctx.sessions) as s:
        dash_store.watermark(s, sales.mark_name(account_id)).position_at = at


def test_the_orders_job_reads_only_accounts_an_order_could_still_attribute_oldest_read_first(
    ctx: AppContext,
) -> None:
    quiet, long_ago, recent, read_lately, read_long_ago, never_read = _accounts(ctx, 6)
    _asked(ctx, long_ago, NOW - timedelta(days=45))  # beyond the 30 days an order may follow a question
    for account_id in (recent, read_lately, read_long_ago, never_read):
        _asked(ctx, account_id, NOW - timedelta(days=3))
    _read_orders(ctx, recent, NOW - timedelta(minutes=15))
    _read_orders(ctx, read_lately, NOW - timedelta(minutes=2))  # read less than EVERY ago: not due
    _read_orders(ctx, read_long_ago, NOW - timedelta(hours=5))
    assert quiet not in sales.due_accounts(ctx, NOW)
    assert sales.due_accounts(ctx, NOW) == [never_read, read_long_ago, recent]


def test_a_question_early_in_a_utc_day_counts_by_its_local_day_at_the_window_s_edge(ctx: AppContext) -> None:
    """Question days are local days: asked at 02:30 UTC on the window's first day, 23:30 the day before
    in Buenos Aires, the question is inside the window, so its account is still read."""
    early = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    edge, gone = _accounts(ctx, 2)
    asked_at = early - rollups.ATTRIBUTION + timedelta(minutes=30)  # 2026-10-29 02:30 UTC
    _asked(ctx, edge, asked_at - timedelta(hours=3))  # folded on its local day, 2026-10-28
    _asked(ctx, gone, asked_at - timedelta(days=2))
    assert sales.due_accounts(ctx, early) == [edge]


def test_an_account_whose_orders_cannot_be_read_waits_its_turn_instead_of_heading_every_run(
    ctx: AppContext,
) -> None:
    """A failure (here an account with no tokens) spends the account's turn like a read: otherwise it
    stays first in every run, and a few slow failures would spend each run's budget before any other
    account; its next read still reaches back to the newest order it has."""
    failing, read_long_ago = _accounts(ctx, 2)
    for account_id in (failing, read_long_ago):
        _asked(ctx, account_id, NOW - timedelta(days=3))
    _read_orders(ctx, read_long_ago, NOW - timedelta(hours=5))
    with transaction(ctx.sessions) as s:
        dash_store.watermark(s, sales.mark_name(read_long_ago)).since = NOW - timedelta(hours=6)
    assert sales.due_accounts(ctx, NOW) == [failing, read_long_ago]
    totals = asyncio.run(sales.fetch_due(ctx))  # neither has tokens: both fail
    assert totals == {"accounts": 0, "sold": 0, "failed": 2}
    assert sales.due_accounts(ctx, utcnow()) == []
    assert sales.due_accounts(ctx, utcnow() + sales.EVERY) == [failing, read_long_ago]
    with transaction(ctx.sessions) as s:  # what it had read stays the reach of its next read
        assert dash_store.watermark(s, sales.mark_name(read_long_ago)).since == NOW - timedelta(hours=6)


def test_a_claim_whose_account_another_pass_took_meanwhile_takes_the_next_one(ctx: AppContext) -> None:
    """The claim's race made certain: between this pass reading the account swept longest ago and
    marking it, another pass marks it (its own transaction, committed). The conditional update then
    changes nothing, and the claim takes the next account instead of sweeping that one again."""
    first, second = _accounts(ctx, 2)
    stolen: list[int | None] = []
    entered: list[bool] = []

    def another_pass_first(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not entered and statement.lstrip().upper().startswith("UPDATE ACCOUNTS"):
            entered.append(True)
            with transaction(ctx.sessions) as s:  # a second connection: the other pass
                stolen.append(accounts_store.claim_sweep(s, NOW, NOW))

    event.listen(ctx.engine, "before_cursor_execute", another_pass_first)
    try:
        with transaction(ctx.sessions) as s:
            mine = accounts_store.claim_sweep(s, NOW, NOW)
    finally:
        event.remove(ctx.engine, "before_cursor_execute", another_pass_first)
    assert (stolen, mine) == ([first], second)
    with transaction(ctx.sessions) as s:
        assert accounts_store.claim_sweep(s, NOW, NOW) is None  # both taken, each once


def test_a_pass_s_budget_fits_the_shortest_gap_its_schedule_leaves_not_the_setting() -> None:
    """`cron_every` can only say steps of the minute or the hour: every 45 s runs at :00 and :45 (15 s
    apart), every 90 s every minute, every 7 minutes at :56 and then :00. A budget of 80 % of the setting
    would outlast those gaps and passes would pile up."""
    expected = {5: 5, 30: 30, 45: 15, 50: 10, 60: 60, 90: 60, 120: 120, 420: 240, 600: 600, 7200: 3600}
    assert {s: schedules.shortest_gap_s(s) for s in expected} == expected
    assert [schedules.cron_every(s) for s in (45, 90, 420)] == [
        "*/45 * * * * *",
        "0 */1 * * * *",
        "0 */7 * * * *",
    ]


def test_the_orders_get_what_the_fold_left_of_the_minute_and_two_runs_storing_one_order_keep_it_once(
    ctx: AppContext,
) -> None:
    """A backfilling fold takes up to 45 s of the run: 40 s more of orders would outlast the minute, and
    the next run would read the same accounts at once. The orders get what is left (at least 5 s), and
    if two runs still overlap, the order both stored is kept once instead of failing the later run."""
    assert [dash_workflows.orders_budget_s(s) for s in (0.0, 30.0, 46.2, 90.0)] == [40.0, 20.0, 5.0, 5.0]
    [account_id] = _accounts(ctx, 1)
    row = {
        "account_id": account_id,
        "order_id": "2000001",
        "item_id": "MLA1",
        "buyer_id": "9",
        "status": "paid",
    }
    for _run in range(2):  # each run saw the order as unknown before either committed
        with transaction(ctx.sessions) as s:
            dash_store.add_sales(s, [{**row, "sold_at": NOW}])
    with transaction(ctx.sessions) as s:
        assert dash_store.known_orders(s, account_id, ["2000001"]) == {"2000001"}
        assert s.scalar(select(func.count()).select_from(DashSale)) == 1
