"""The 8-business-hour reply window of a post-sale message, across a night, on the sandbox's clock: a
buyer writes at 17:00 on a working day (Buenos Aires), one hour before the account closes; the inbox
counts that hour and seven of the next morning, so the reply is due at 16:00 the next day. This module
has its own world: it moves the sandbox's clock forward, which the other modules' worlds never see."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from .conftest import World, wait_for
from .test_browser import login
from .test_postsale_flow import buy, buyer_writes, conversation_id, pack_of

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
SCREENSHOTS = Path("test-results")
BUENOS_AIRES = ZoneInfo("America/Argentina/Buenos_Aires")


def sandbox_now(world: World) -> datetime:
    with world.sandbox() as c:
        return datetime.fromisoformat(c.get("/_sandbox/clock").json()["now"].replace("Z", "+00:00"))


def next_weekday_at_five(after: datetime) -> datetime:
    """17:00 in Buenos Aires on the first Monday–Thursday after `after` (the next day works too)."""
    day = after.astimezone(BUENOS_AIRES).date() + timedelta(days=1)
    while day.weekday() > 3:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 17, tzinfo=BUENOS_AIRES)


def test_a_message_written_an_hour_before_closing_is_due_the_next_afternoon(page: Page, world: World) -> None:
    now = sandbox_now(world)
    five_pm = next_weekday_at_five(now)
    with world.sandbox() as c:
        c.post("/_sandbox/clock", json={"advance_s": (five_pm - now).total_seconds()}).raise_for_status()
    order = buy(world)
    buyer_writes(world, order, "Hola, ¿me confirman cuándo despachan?")
    thread = wait_for(lambda: conversation_id(world, "messages", pack_of(order)), timeout=20)
    login(page, world)
    page.goto(f"{world.app_url}/inbox/{thread}")
    clock = page.locator(".clock").first
    expect(clock).to_be_visible()
    due = datetime.fromisoformat(clock.locator(".due").get_attribute("data-due") or "")
    expected = (five_pm + timedelta(days=1)).replace(hour=16)
    # The message carries the sandbox's time of writing (a few seconds after 17:00): one business hour
    # that day, seven the next morning from 09:00.
    assert timedelta(0) <= due - expected < timedelta(minutes=5), (due, expected)
    assert "Esperando desde " + five_pm.strftime("%d/%m 17:") in (clock.get_attribute("title") or "")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "postsale-clock-across-a-night.png"), full_page=True)
