"""Reply clocks: a post-sale message must be answered within 8 business hours of the account (nights,
weekends and holidays do not count), a question within one; threads past their window are marked,
counted per tab and filtered, each account by its own hours."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from mostrador.context import AppContext
from mostrador.conversations import calendar
from mostrador.conversations import service as conv
from mostrador.inbox import views
from mostrador.inbox.views import ThreadFilter
from mostrador.store.db import transaction
from mostrador.store.models import Account
from mostrador.web.app import create_app

from .conftest import log_in

BA = ZoneInfo("America/Argentina/Buenos_Aires")
DEFAULT = calendar.business_hours(None, "MLA")  # weekdays 09:00-18:00 in Buenos Aires
EIGHT_HOURS = 8 * 3600


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BA)  # type: ignore[misc]


# ---- the arithmetic -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "due"),
    [
        (local(2026, 11, 25, 9, 0), local(2026, 11, 25, 17, 0)),  # a Wednesday morning: the same day
        (local(2026, 11, 25, 20, 30), local(2026, 11, 26, 17, 0)),  # after hours: the night does not count
        (local(2026, 11, 25, 3, 0), local(2026, 11, 25, 17, 0)),  # before opening: from 09:00
        (local(2026, 11, 27, 17, 0), local(2026, 11, 30, 16, 0)),  # Friday 17:00: 1 h, then Monday 7 h
        (local(2026, 11, 28, 11, 0), local(2026, 11, 30, 17, 0)),  # a Saturday: from Monday 09:00
    ],
)
def test_eight_business_hours_skip_nights_and_weekends(written: datetime, due: datetime) -> None:
    got = calendar.add_business_time(written.astimezone(UTC), EIGHT_HOURS, DEFAULT)
    assert got == due.astimezone(UTC)
    # The inverse, as the overdue filter uses it: a minute before the due instant the text is not late
    # (written at or after the cutoff), a minute after it is (written before the cutoff).
    minute = timedelta(minutes=1)
    assert written.astimezone(UTC) >= calendar.subtract_business_time(got - minute, EIGHT_HOURS, DEFAULT)
    assert written.astimezone(UTC) < calendar.subtract_business_time(got + minute, EIGHT_HOURS, DEFAULT)


def test_an_account_s_own_hours_and_holidays_are_used() -> None:
    config = {
        "business_hours": {
            "timezone": "America/Sao_Paulo",
            "weekly": {"mon": ["08:00-12:00"], "tue": ["08:00-12:00", "14:00-18:00"]},
            "holidays": [date(2026, 11, 30)],
        }
    }
    hours = calendar.business_hours(config, "MLA")
    assert hours.configured and hours.zone == ZoneInfo("America/Sao_Paulo")
    sp = ZoneInfo("America/Sao_Paulo")
    written = datetime(2026, 11, 27, 10, 0, tzinfo=sp)  # a Friday: closed; Monday 30 a holiday
    due = calendar.add_business_time(written.astimezone(UTC), EIGHT_HOURS, hours)
    # Tuesday Dec 1 opens 08-12 and 14-18: the eight hours end at its closing, not at 16:00.
    assert due == datetime(2026, 12, 1, 18, 0, tzinfo=sp).astimezone(UTC)
    assert calendar.subtract_business_time(due, EIGHT_HOURS, hours) == datetime(2026, 12, 1, 8, 0, tzinfo=sp)


def test_overlapping_opening_ranges_count_their_shared_hours_once() -> None:
    config = {
        "business_hours": {
            "timezone": "America/Argentina/Buenos_Aires",
            "weekly": {"mon": ["09:00-13:00", "12:00-18:00", "17:00-18:00"], "tue": ["09:00-18:00"]},
        }
    }
    hours = calendar.business_hours(config, "MLA")
    assert hours.week[0] == ((time(9), time(18)),)
    written = local(2026, 11, 30, 9, 0).astimezone(UTC)  # Monday 09:00: nine hours open, not fourteen
    assert calendar.add_business_time(written, EIGHT_HOURS, hours) == local(2026, 11, 30, 17, 0)
    assert calendar.add_business_time(written, 10 * 3600, hours) == local(2026, 12, 1, 10, 0)


def test_subtracting_walks_back_over_closed_days() -> None:
    monday_10 = local(2026, 11, 30, 10, 0).astimezone(UTC)
    # 8 business hours before Monday 10:00: Monday 09-10 (1 h) and Friday 11-18 (7 h).
    assert calendar.subtract_business_time(monday_10, EIGHT_HOURS, DEFAULT) == local(2026, 11, 27, 11, 0)


# ---- in the inbox -------------------------------------------------------------------------------------
NOW = local(2026, 11, 30, 12, 0).astimezone(UTC)  # a Monday at noon in Buenos Aires


def seed_chats(
    ctx: AppContext, account_id: int, shift: timedelta = timedelta()
) -> tuple[int, dict[str, int]]:
    """Two accounts of one workspace (the second open Mondays 10-11 only) with post-sale chats waiting
    since various times, one question, and one chat the seller answered (`shift` whole weeks earlier
    than the times written here); thread ids by name."""
    made: dict[str, int] = {}
    with transaction(ctx.sessions) as s:
        first = s.get(Account, account_id)
        assert first is not None
        second = Account(
            workspace_id=first.workspace_id,
            meli_user_id=2_200_000_002,
            nickname="SELLER2",
            site_id="MLA",
            bot_config={
                "business_hours": {
                    "timezone": "America/Argentina/Buenos_Aires",
                    "weekly": {"mon": ["10:00-11:00"]},
                }
            },
        )
        s.add(second)
        s.flush()

        def chat(name: str, account: Account, written: datetime, answered: bool = False) -> None:
            key = conv.ThreadKey("messages", f"{2000000000 + len(made)}")
            thread = conv.open_thread(s, account, key, str(700 + len(made)), f"COMPRADOR_{name}", name, None)
            written = written + shift
            conv.record_inbound(s, thread, f"m-{name}", f"<b>{name}</b>", written.astimezone(UTC))
            if answered:
                conv.record_outbound(
                    s, thread, f"r-{name}", "Listo", "agent", "sent", sent_at=written + timedelta(minutes=5)
                )
            made[name] = thread.id

        # First account, weekdays 09-18: 8 business hours before Monday 12:00 is Friday 13:00.
        chat("friday_noon", first, local(2026, 11, 27, 12, 0))  # overdue (due Monday 11:00)
        chat("friday_night", first, local(2026, 11, 27, 22, 0))  # the night and weekend do not count
        chat("saturday", first, local(2026, 11, 28, 15, 0))  # due Monday 17:00
        chat("answered_long_ago", first, local(2026, 11, 20, 12, 0), answered=True)
        # Second account, open one hour a week: written last Monday 10:30, due in 8 weeks' Mondays.
        chat("other_hours", second, local(2026, 11, 23, 10, 30))
        question = conv.open_thread(
            s, first, conv.ThreadKey("questions", "MLA1:55"), "55", "PREGUNTON", "Mate", "MLA1"
        )
        conv.record_inbound(s, question, "q55", "¿Hay?", (local(2026, 11, 30, 10, 0) + shift).astimezone(UTC))
        made["question"] = question.id  # a question's window is one business hour: overdue at noon
        return first.workspace_id, made


def test_overdue_threads_are_marked_counted_and_filtered_by_each_account_s_hours(
    ctx: AppContext, account_id: int
) -> None:
    ws, made = seed_chats(ctx, account_id)
    chats = views.inbox_page(ctx, ws, ThreadFilter(channel="messages"), now=NOW)
    shown = {t.id: t for t in chats.threads}
    assert shown[made["friday_noon"]].overdue
    assert shown[made["friday_noon"]].reply_due == local(2026, 11, 30, 11, 0).astimezone(UTC)
    assert not shown[made["friday_night"]].overdue
    assert shown[made["friday_night"]].reply_due == local(2026, 11, 30, 17, 0).astimezone(UTC)
    assert shown[made["saturday"]].reply_due == local(2026, 11, 30, 17, 0).astimezone(UTC)
    assert shown[made["answered_long_ago"]].reply_due is None and not shown[made["answered_long_ago"]].overdue
    assert not shown[made["other_hours"]].overdue  # 30 min of its 8 h counted so far
    assert shown[made["other_hours"]].reply_due == local(2027, 1, 18, 10, 30).astimezone(UTC)

    assert chats.waiting == {"messages": (4, 1), "questions": (1, 1)}
    late = views.inbox_page(ctx, ws, ThreadFilter(channel="messages"), overdue_only=True, now=NOW)
    assert [t.id for t in late.threads] == [made["friday_noon"]]
    # A week later everything still waiting on the first account is late; the other account's is not.
    week = NOW + timedelta(days=7)
    later = views.inbox_page(ctx, ws, ThreadFilter(channel="messages"), overdue_only=True, now=week)
    assert {t.id for t in later.threads} == {made["friday_noon"], made["friday_night"], made["saturday"]}
    questions = views.inbox_page(ctx, ws, ThreadFilter(channel="questions"), overdue_only=True, now=NOW)
    assert [t.id for t in questions.threads] == [made["question"]]


def test_the_inbox_page_shows_the_clock_and_filters_overdue(
    ctx: AppContext, account_id: int, agent_email: str
) -> None:
    # The page runs on the real clock: move the week so that NOW fell one to two weeks ago.
    weeks = (datetime.now(UTC) - NOW) // timedelta(weeks=1) - 1
    _, made = seed_chats(ctx, account_id, shift=timedelta(weeks=weeks))

    async def go() -> None:
        app = create_app(ctx.settings, ctx, durable=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            await log_in(c, agent_email)
            page = (await c.get("/inbox?channel=messages")).text
            assert 'name="overdue"' in page and "data-due=" in page and "Responder en" in page
            assert "<b>" not in page  # buyer text escaped
            late = (await c.get("/inbox?channel=messages&overdue=1")).text
            ids = {int(i) for i in re.findall(r'data-thread-id="(\d+)"', late)}
            # One to two weeks later: the first account's chats are all late, the other's not.
            expected = {made["friday_noon"], made["friday_night"], made["saturday"]}
            assert ids == expected
            assert 'class="thread channel-messages overdue"' in late and "Vencida" in late
            assert 'value="1" checked' in late
            # Claims keep their own due dates: no reply clock, and the filter is ignored.
            claims = (await c.get("/inbox?channel=claims&overdue=1")).text
            assert 'name="overdue"' not in claims

    asyncio.run(go())


def test_a_daylight_saving_change_counts_real_hours_both_ways() -> None:
    """New York springs forward on 2024-03-10: a day open 00:00-24:00 has 23 real hours, and the due
    instant and the overdue filter's cutoff must agree on it."""
    config = {
        "business_hours": {
            "timezone": "America/New_York",
            "weekly": {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        }
    }
    hours = calendar.business_hours(config, "MLA")
    ny = ZoneInfo("America/New_York")
    since = datetime(2024, 3, 9, 12, 0, tzinfo=ny).astimezone(UTC)
    due = calendar.add_business_time(since, 24 * 3600, hours)
    assert due - since == timedelta(hours=24)  # real hours, whatever the wall clock says
    minute = timedelta(minutes=1)
    assert since >= calendar.subtract_business_time(due - minute, 24 * 3600, hours)
    assert since < calendar.subtract_business_time(due + minute, 24 * 3600, hours)
