"""The inbox list: waiting threads first, filters, search and pages, computed in SQL and checked
against counts made independently here."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mostrador.context import AppContext
from mostrador.conversations import service as conv
from mostrador.inbox import views
from mostrador.inbox.views import PAGE_SIZE, ThreadFilter
from mostrador.store.db import transaction
from mostrador.store.models import Account
from mostrador.web.app import create_app

from .conftest import log_in

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def seed(ctx: AppContext, account_id: int, n: int) -> list[dict[str, Any]]:
    """`n` question threads: every third answered by the bot, every fifth by an agent, the rest
    waiting; two listings; buyer names and texts that vary."""
    made = []
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        assert account is not None
        for i in range(n):
            item = "MLA100" if i % 2 else "MLA200"
            key = conv.ThreadKey("questions", f"{item}:{9000 + i}")
            thread = conv.open_thread(s, account, key, str(9000 + i), f"COMPRADOR_{i}", f"Mate {item}", item)
            asked = T0 + timedelta(minutes=i)
            text = "¿Hay stock del 100% algodón?" if i == 7 else f"pregunta {i}"
            conv.record_inbound(s, thread, f"q{i}", text, asked, external_status="UNANSWERED")
            by = "bot" if i % 3 == 0 else "agent" if i % 5 == 0 else None
            if by:
                conv.record_outbound(
                    s, thread, f"answer:q{i}", "Sí", by, "sent", sent_at=asked + timedelta(seconds=30)
                )
            made.append({"id": thread.id, "item": item, "by": by, "asked": asked})
    return made


def test_waiting_threads_come_first_longest_waiting_first_then_pages(
    ctx: AppContext, account_id: int, agent_email: str
) -> None:
    made = seed(ctx, account_id, 130)
    ws = workspace(ctx, account_id)
    waiting = [m for m in made if m["by"] is None]
    answered = [m for m in made if m["by"] is not None]
    first = views.inbox_page(ctx, ws, ThreadFilter(channel="questions"), page=1)
    assert first.total == 130 and first.pages == -(-130 // PAGE_SIZE)
    everything = [
        t.id
        for p in range(1, first.pages + 1)
        for t in views.inbox_page(ctx, ws, ThreadFilter(channel="questions"), p).threads
    ]
    expected = [m["id"] for m in sorted(waiting, key=lambda m: m["asked"])] + [
        m["id"] for m in sorted(answered, key=lambda m: m["asked"], reverse=True)
    ]
    assert everything == expected  # no thread twice, none left out, in the promised order
    assert first.waiting["questions"][0] == len(waiting)


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (ThreadFilter(channel="questions", status="waiting"), lambda m: m["by"] is None),
        (ThreadFilter(channel="questions", status="answered"), lambda m: m["by"] is not None),
        (ThreadFilter(channel="questions", answered_by="bot"), lambda m: m["by"] == "bot"),
        (ThreadFilter(channel="questions", answered_by="agent"), lambda m: m["by"] == "agent"),
        (ThreadFilter(channel="questions", item_id="MLA100"), lambda m: m["item"] == "MLA100"),
        (
            ThreadFilter(channel="questions", item_id="MLA200", status="waiting"),
            lambda m: m["item"] == "MLA200" and m["by"] is None,
        ),
        (ThreadFilter(channel="messages"), lambda m: False),
    ],
)
def test_each_filter_matches_an_independent_count(
    ctx: AppContext, account_id: int, f: ThreadFilter, expected: Any
) -> None:
    made = seed(ctx, account_id, 40)
    found = views.inbox_page(ctx, workspace(ctx, account_id), f)
    assert found.total == sum(1 for m in made if expected(m))
    assert {t.id for t in found.threads} == {m["id"] for m in made if expected(m)}


def test_search_finds_words_names_and_items_and_treats_wildcards_as_text(
    ctx: AppContext, account_id: int
) -> None:
    made = seed(ctx, account_id, 20)
    ws = workspace(ctx, account_id)

    def ids(q: str) -> set[int]:
        return {t.id for t in views.inbox_page(ctx, ws, ThreadFilter(channel="questions", search=q)).threads}

    assert ids("100% ALGODÓN") == {made[7]["id"]}  # case folded; "%" is a character, not a wildcard
    assert ids("%") == {made[7]["id"]}
    assert ids("_") == {m["id"] for m in made}  # every buyer is COMPRADOR_<n>
    assert ids("comprador_12") == {made[12]["id"]}
    assert ids("mla100") == {m["id"] for m in made if m["item"] == "MLA100"}
    assert ids("nada de esto") == set()


def test_the_list_page_escapes_buyer_text_and_keeps_filters_in_links(
    ctx: AppContext, account_id: int, agent_email: str
) -> None:
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        assert account is not None
        thread = conv.open_thread(
            s, account, conv.ThreadKey("questions", "MLA1:1"), "1", "<b>X</b>", "Mate", "MLA1"
        )
        conv.record_inbound(s, thread, "1", '<script>alert("q")</script>', T0)

    async def go() -> str:
        app = create_app(ctx.settings, ctx, durable=False)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            await log_in(client, agent_email)
            r = await client.get(
                "/inbox", params={"channel": "questions", "q": "<script>", "status": "waiting", "page": "x"}
            )
            assert r.status_code == 200
            return r.text

    page = asyncio.run(go())
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;q&#34;)&lt;/script&gt;" in page
    assert "<b>X</b>" not in page
    assert 'value="&lt;script&gt;"' in page and '<option value="waiting" selected>' in page


def workspace(ctx: AppContext, account_id: int) -> int:
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        assert account is not None
        return account.workspace_id
