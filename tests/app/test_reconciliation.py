"""Safety nets recover what webhooks lost: missed feeds (§4.5) and sweeps of unanswered questions."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from mostrador.channels.registry import channel_named
from mostrador.reconciliation import sweeps as nets
from mostrador.store.db import transaction
from mostrador.store.models import Notification, SyncRun

from ..waiting import wait_for
from .sandbox_grant import Connected, ask_question, run_in_worker_context


def ask(connected: Connected, text: str) -> dict[str, Any]:
    return ask_question(connected, text, buyer="B9")


def recorded(connected: Connected, question_id: int) -> list[Notification]:
    with transaction(connected.ctx.sessions) as s:
        rows = s.scalars(select(Notification).where(Notification.resource_id == str(question_id))).all()
        return list(rows)


def test_notifications_that_never_got_a_200_are_recovered_from_missed_feeds(connected: Connected) -> None:
    question = ask(connected, "hay stock?")
    with httpx.Client(base_url=connected.sandbox.url) as c:

        def missed() -> bool:
            c.post("/_sandbox/clock", json={"advance_s": 600})  # the app's callback is down: retries fail
            views = c.get("/_sandbox/notifications").json()
            return any(v["status"] == "missed" for v in views)

        wait_for(missed, timeout=30, interval=0.05)
    assert run_in_worker_context(connected, nets.reconcile_missed_feeds) == 1
    rows = recorded(connected, question["id"])
    assert [(r.source, r.status) for r in rows] == [("missed_feeds", "accepted")]
    assert run_in_worker_context(connected, nets.reconcile_missed_feeds) == 0, (
        "a second pass must not record it again"
    )
    with transaction(connected.ctx.sessions) as s:
        runs = s.scalars(select(SyncRun).where(SyncRun.kind == "missed_feeds")).all()
        assert [(r.status, r.found) for r in runs] == [("ok", 1), ("ok", 0)]


def test_sweep_records_unanswered_questions_no_webhook_announced(connected: Connected) -> None:
    with httpx.Client(base_url=connected.sandbox.url) as c:
        c.put("/_sandbox/faults", json={"notification": {"drop_rate": 1.0}}).raise_for_status()
    question = ask(connected, "tenés en azul?")
    questions = channel_named("questions")
    assert (
        run_in_worker_context(connected, lambda ctx: nets.sweep_account(ctx, connected.account_id, questions))
        == 1
    )
    rows = recorded(connected, question["id"])
    assert [(r.source, r.topic) for r in rows] == [("sweep", "questions")]
    with transaction(connected.ctx.sessions) as s:
        run_row = s.scalars(select(SyncRun).where(SyncRun.kind == "sweep_questions")).one()
        assert run_row.status == "ok" and run_row.found == 1 and run_row.account_id == connected.account_id
