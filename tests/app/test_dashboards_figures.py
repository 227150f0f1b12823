"""Every figure of the claims, questions and messages dashboards against counts this test computes
itself from what it seeded: questions, answers, drafts and handoffs recorded through the
conversations service, post-sale chats around business hours, claim records as the claims channel
keeps them, orders as the order search returns them. Two accounts in one workspace and a third in
another workspace whose data must never show."""

from __future__ import annotations

import csv
import io
import json
import math
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from mostrador.context import AppContext
from mostrador.conversations import service as conv
from mostrador.dashboards import histogram, rollups, sales
from mostrador.meli.models import Order
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, ClaimRecord, utcnow
from mostrador.users.roles import Role
from mostrador.users.service import create_user

from .conftest import AGENT_PASSWORD, log_in

BA = ZoneInfo("America/Argentina/Buenos_Aires")
HANDOFFS = ["low_confidence", "order_matter", "complaint", "missing_fact:invoice", "out_of_hours"]
REASONS = {"PDD9944": "defective", "PDD9939": "repentant", "PNR9501": "not_received", "PDD9943": "different"}


def nearest_rank(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def shown_bound(values: list[float], p: int) -> int | None:
    """What the page must show for a percentile: the first bucket edge at or above the exact value."""
    if not values:
        return None
    exact = nearest_rank(values, p)
    return next((e for e in histogram.EDGES if e >= exact), histogram.EDGES[-1])


def local_day(at: datetime) -> date:
    return at.astimezone(BA).date()


# ---- what the test seeds, as the test sees it --------------------------------------------------------
@dataclass
class Question:
    account: int
    asked_at: datetime
    answered_by: str | None
    answered_at: datetime | None
    handoff: str | None
    item: str
    buyer: str
    sold: bool = False


@dataclass
class Claim:
    account: int
    reason: str
    type: str
    stage: str
    item: str
    opened_at: datetime
    first_response_at: datetime | None
    disputed: bool
    closed: bool
    benefited: str | None
    affected: bool
    missed: bool


@dataclass
class Turn:
    account: int
    started_at: datetime
    replied_at: datetime | None
    deadline: datetime


@dataclass
class World:
    ctx: AppContext
    accounts: list[int]  # the workspace's
    other_account: int  # another workspace's
    questions: list[Question] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    received: int = 0
    sent: int = 0

    def recent(self, items: list[Any], attr: str, days: int = 30) -> list[Any]:
        first = local_day(utcnow()) - timedelta(days=days - 1)
        return [x for x in items if x.account in self.accounts and local_day(getattr(x, attr)) >= first]


def add_account(s: Any, workspace: str, seller: int, nickname: str) -> Account:
    ws = people_store.get_or_create_workspace(s, workspace)
    account = Account(workspace_id=ws.id, meli_user_id=seller, nickname=nickname, site_id="MLA")
    s.add(account)
    s.flush()
    return account


def seed_questions(s: Any, world: World, account: Account, rng: random.Random, n: int) -> None:
    made = 0
    while made < n:
        item, buyer = f"MLA{rng.randrange(5)}", str(7000 + rng.randrange(40))
        thread = conv.open_thread(
            s, account, conv.ThreadKey("questions", f"{item}:{buyer}"), buyer, buyer, item_id=item
        )
        for _ in range(rng.choice((1, 2, 3))):
            made += 1
            qid = f"{account.id}{made:05d}"
            days_ago = rng.choice((rng.uniform(0.05, 20), rng.uniform(40, 80)))
            asked = utcnow() - timedelta(days=days_ago)
            kind = rng.choice(("bot", "bot", "agent", "seller", "handed", "draft", "draft_sent", "failed"))
            meta: dict[str, Any] | None = {"intents": ["stock"], "reason": None}
            answer: tuple[str, str] | None = None  # (author, status)
            handoff: str | None = None
            if kind == "bot":
                answer = ("bot", "sent")
            elif kind in ("agent", "handed"):
                handoff = rng.choice(HANDOFFS)
                meta = {"intents": ["other"], "reason": handoff}
                answer = ("agent", "sent") if kind == "agent" else None
            elif kind == "seller":
                meta, answer = None, ("seller", "sent")
            elif kind == "draft":
                handoff, answer = "draft", ("bot", "draft")
            elif kind == "draft_sent":
                handoff, answer = "draft", ("agent", "sent")
            else:  # the bot's answer failed to send: unanswered, and a person must see to it
                handoff, answer = "draft", ("bot", "failed")
            message = conv.record_inbound(s, thread, qid, "¿Tenés stock?", asked)
            message.meta = meta
            answered_at = None
            if answer is not None:
                at = asked + timedelta(seconds=rng.lognormvariate(6, 2))
                at = min(at, utcnow())
                conv.record_outbound(
                    s,
                    thread,
                    f"answer:{qid}",
                    "Sí.",
                    answer[0],
                    answer[1],
                    sent_at=at if answer[1] == "sent" else None,
                )
                answered_at = at if answer[1] == "sent" else None
            world.questions.append(
                Question(
                    account.id,
                    asked,
                    answer[0] if answered_at else None,
                    answered_at,
                    handoff,
                    item,
                    buyer,
                )
            )


def seed_claims(s: Any, world: World, account: Account, rng: random.Random, n: int) -> None:
    for i in range(n):
        opened = utcnow() - timedelta(days=rng.choice((rng.uniform(0.05, 20), rng.uniform(40, 80))))
        reason = rng.choice(list(REASONS))
        claim_id = f"{account.id}{i:06d}"
        thread = conv.open_thread(s, account, conv.ThreadKey("claims", claim_id), "9", "B")
        closed = rng.random() < 0.6
        first = opened + timedelta(seconds=rng.lognormvariate(8, 1.5)) if rng.random() < 0.8 else None
        benefited = (
            rng.choice(("respondent", "complainant", "complainant,respondent", None)) if closed else None
        )
        claim = Claim(
            account=account.id,
            reason=reason,
            type=rng.choice(("mediations", "returns")),
            stage=rng.choice(("claim", "dispute")),
            item=f"MLA{rng.randrange(4)}",
            opened_at=opened,
            first_response_at=first,
            disputed=rng.random() < 0.3,
            closed=closed,
            benefited=benefited,
            affected=rng.random() < 0.5,
            missed=rng.random() < 0.2,
        )
        s.add(
            ClaimRecord(
                workspace_id=account.workspace_id,
                account_id=account.id,
                conversation_id=thread.id,
                claim_id=claim_id,
                type=claim.type,
                stage=claim.stage,
                status="closed" if closed else "opened",
                reason_id=reason,
                reason_name=f"name of {reason}",
                category=REASONS[reason],
                affects_reputation="affected" if claim.affected else "not_affected",
                item_id=claim.item,
                opened_at=opened,
                first_response_at=first,
                first_response_by="agent" if first else None,
                disputed_at=opened + timedelta(days=1) if claim.disputed else None,
                closed_at=opened + timedelta(days=3) if closed else None,
                benefited=benefited,
                due_missed_at=opened + timedelta(days=2) if claim.missed else None,
            )
        )
        world.claims.append(claim)


def last_monday(weeks_back: int) -> datetime:
    today = utcnow().astimezone(BA).date()
    monday = today - timedelta(days=today.weekday() + 7 * weeks_back)
    return datetime.combine(monday, datetime.min.time(), tzinfo=BA)


def seed_chats(s: Any, world: World, account: Account, n: int) -> None:
    """Turns around the default business hours (weekdays 09–18): (start, reply after, deadline)."""
    for week in range(1, n + 1):
        monday = last_monday(week)
        cases = [
            (monday + timedelta(hours=10), timedelta(hours=7), monday + timedelta(hours=18)),  # met
            (
                monday + timedelta(days=4, hours=17),
                timedelta(days=3),
                monday + timedelta(days=7, hours=16),
            ),  # late
            (
                monday + timedelta(days=5, hours=11),
                timedelta(days=2, hours=7),
                monday + timedelta(days=7, hours=17),
            ),
            (
                monday + timedelta(days=1, hours=12),
                None,
                monday + timedelta(days=2, hours=11),
            ),  # never answered
        ]
        for i, (start, after, deadline) in enumerate(cases):
            pack = f"{account.id}{week:02d}{i}"
            thread = conv.open_thread(s, account, conv.ThreadKey("messages", pack), "55", "B")
            conv.record_outbound(
                s,
                thread,
                f"{pack}-0",
                "¡Gracias por tu compra!",
                "agent",
                "sent",
                sent_at=start - timedelta(days=1),
            )
            conv.record_inbound(s, thread, f"{pack}-1", "Hola", start.astimezone(UTC))
            conv.record_inbound(
                s, thread, f"{pack}-2", "¿Hola?", start.astimezone(UTC) + timedelta(minutes=3)
            )
            world.received += 2
            world.sent += 1
            replied = None
            if after is not None:
                replied = (start + after).astimezone(UTC)
                conv.record_outbound(
                    s, thread, f"{pack}-3", "Hola, te ayudo", "agent", "sent", sent_at=replied
                )
                world.sent += 1
            world.turns.append(Turn(account.id, start.astimezone(UTC), replied, deadline.astimezone(UTC)))
    # A buyer who wrote a minute ago: waiting, still within the window.
    thread = conv.open_thread(s, account, conv.ThreadKey("messages", f"{account.id}now"), "56", "C")
    conv.record_inbound(
        s, thread, f"{account.id}now-1", "¿Ya lo despacharon?", utcnow() - timedelta(minutes=1)
    )
    world.received += 1
    world.turns.append(Turn(account.id, utcnow() - timedelta(minutes=1), None, utcnow() + timedelta(days=30)))


def order(order_id: int, buyer: str, item: str, at: datetime, status: str = "paid") -> Order:
    return Order.model_validate(
        {
            "id": order_id,
            "status": status,
            "date_created": at.isoformat(),
            "date_closed": at.isoformat(),
            "order_items": [{"item": {"id": item}, "quantity": 1}],
            "buyer": {"id": int(buyer)},
        }
    )


@pytest.fixture
def world(ctx: AppContext) -> World:
    rng = random.Random(20261128)
    with transaction(ctx.sessions) as s:
        mine = [add_account(s, "w1", 3_000_000_001 + i, f"TIENDA{i}") for i in range(2)]
        theirs = add_account(s, "w2", 3_900_000_001, "OTRA")
        found = World(ctx, [a.id for a in mine], theirs.id)
        for account in [*mine, theirs]:
            seed_questions(s, found, account, rng, 90)
            seed_claims(s, found, account, rng, 70)
            seed_chats(s, found, account, 3)
    create_user(ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w1", Role.VIEWER)
    create_user(ctx.sessions, "otra@example.com", AGENT_PASSWORD, "Otra", "w2")
    return found


@pytest.fixture
async def viewer(ctx: AppContext, world: World) -> Iterator[httpx.AsyncClient]:
    from mostrador.web.app import create_app

    app = create_app(ctx.settings, ctx, durable=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await log_in(client, "ana@example.com")).status_code == 303
        yield client


def tiles(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="(\w+)" data-value="([^"]*)"', html))


def number(raw: str) -> float | None:
    return None if raw == "" else float(raw)


async def csv_rows(client: httpx.AsyncClient, url: str) -> list[dict[str, str]]:
    r = await client.get(url)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), r.text[:300]
    return list(csv.DictReader(io.StringIO(r.text)))


# ---- claims --------------------------------------------------------------------------------------------
def claim_counts(claims: list[Claim]) -> dict[str, Any]:
    responded = [(c.first_response_at - c.opened_at).total_seconds() for c in claims if c.first_response_at]
    return {
        "opened": len(claims),
        "responded": len(responded),
        "disputed": sum(c.disputed for c in claims),
        "closed": sum(c.closed for c in claims),
        "for_seller": sum(c.closed and c.benefited == "respondent" for c in claims),
        "for_buyer": sum(c.closed and c.benefited == "complainant" for c in claims),
        "affected": sum(c.affected for c in claims),
        "due_met": sum(c.closed and not c.missed for c in claims),
        "due_missed": sum(c.missed for c in claims),
        "due_pending": sum(not c.closed and not c.missed for c in claims),
        "first_response_p50": shown_bound(responded, 50),
        "first_response_p90": shown_bound(responded, 90),
    }


@pytest.mark.parametrize("days", [30, 90])
async def test_every_claims_figure_matches_the_claims_seeded(
    ctx: AppContext, world: World, viewer: httpx.AsyncClient, days: int
) -> None:
    rollups.refresh(ctx)
    expected = claim_counts(world.recent(world.claims, "opened_at", days))
    shown = tiles((await viewer.get(f"/dashboards/claims?days={days}")).text)
    assert {key: number(shown[key]) for key in expected} == expected
    assert (
        expected["opened"] > 20 and expected["for_seller"] and expected["due_missed"]
    )  # a test that can fail


@pytest.mark.parametrize(
    ("group_by", "key", "of"),
    [
        ("reason", "reason_id", lambda c: c.reason),
        ("category", "category", lambda c: REASONS[c.reason]),
        ("type", "type", lambda c: c.type),
        ("stage", "stage", lambda c: c.stage),
        ("item", "item_id", lambda c: c.item),
        ("account", "account_id", lambda c: str(c.account)),
        (
            "week",
            "period",
            lambda c: (local_day(c.opened_at) - timedelta(days=local_day(c.opened_at).weekday())).isoformat(),
        ),
    ],
)
async def test_the_claims_table_grouped_every_way_downloads_as_csv_with_the_same_counts(
    ctx: AppContext, world: World, viewer: httpx.AsyncClient, group_by: str, key: str, of: Any
) -> None:
    rollups.refresh(ctx)
    claims = world.recent(world.claims, "opened_at", 90)
    rows = await csv_rows(viewer, f"/dashboards/claims.csv?days=90&group_by={group_by}")
    assert {"reason_id", "opened"} <= set(rows[0]) or group_by != "reason"
    got = {row[key]: row for row in rows}
    groups: dict[str, list[Claim]] = {}
    for c in claims:
        groups.setdefault(of(c), []).append(c)
    assert set(got) == set(groups)
    for value, members in groups.items():
        counts = claim_counts(members)
        row = got[value]
        assert int(row["opened"]) == counts["opened"] and int(row["closed"]) == counts["closed"]
        assert int(row["for_buyer"]) == counts["for_buyer"] and int(row["due_missed"]) == counts["due_missed"]
        assert int(row["affected"]) == counts["affected"] and int(row["responded"]) == counts["responded"]
        p50 = counts["first_response_p50"]
        assert row["first_response_p50_s"] == ("" if p50 is None else str(p50))
    # The page shows the same table, and the other workspace's values are nowhere.
    page = (await viewer.get(f"/dashboards/claims?days=90&group_by={group_by}")).text
    assert page.count('data-col="opened"') == len(groups)
    assert "OTRA" not in page


# ---- questions -------------------------------------------------------------------------------------------
async def test_every_questions_figure_matches_the_questions_seeded(
    ctx: AppContext, world: World, viewer: httpx.AsyncClient
) -> None:
    rollups.refresh(ctx)
    questions = world.recent(world.questions, "asked_at")
    answered = [q for q in questions if q.answered_by]
    times = [(q.answered_at - q.asked_at).total_seconds() for q in answered if q.answered_at]
    shown = tiles((await viewer.get("/dashboards/questions")).text)
    expected = {
        "asked": len(questions),
        "answered": len(answered),
        "unanswered": len(questions) - len(answered),
        "by_bot": sum(q.answered_by == "bot" for q in answered),
        "response_p50": shown_bound(times, 50),
        "response_p90": shown_bound(times, 90),
        "response_p99": shown_bound(times, 99),
        "sold": 0,
    }
    assert {key: number(shown[key]) for key in expected} == expected
    handoffs = Counter(q.handoff for q in questions if q.handoff)
    rows = await csv_rows(viewer, "/dashboards/questions.csv?table=handoffs")
    assert {r["reason"]: int(r["count"]) for r in rows} == dict(handoffs)
    assert all(r["reason_words"] != r["reason"] for r in rows)  # words, never the code
    by_account = await csv_rows(viewer, "/dashboards/questions.csv?group_by=account")
    assert {int(r["account_id"]): int(r["asked"]) for r in by_account} == dict(
        Counter(q.account for q in questions)
    )
    days = await csv_rows(viewer, "/dashboards/questions.csv?group_by=day")
    assert {r["period"]: int(r["answered"]) for r in days if int(r["answered"])} == dict(
        Counter(local_day(q.asked_at).isoformat() for q in answered)
    )


async def test_an_answer_published_later_moves_its_question_to_answered(
    ctx: AppContext, world: World, viewer: httpx.AsyncClient
) -> None:
    rollups.refresh(ctx)
    before = tiles((await viewer.get("/dashboards/questions")).text)
    with transaction(ctx.sessions) as s:
        account = s.get(Account, world.accounts[0])
        assert account is not None
        thread = conv.open_thread(
            s, account, conv.ThreadKey("questions", "MLA9:8001"), "8001", "N", item_id="MLA9"
        )
        conv.record_inbound(s, thread, "99001", "¿Hacen factura A?", utcnow() - timedelta(minutes=10))
    rollups.refresh(ctx)
    middle = tiles((await viewer.get("/dashboards/questions")).text)
    assert number(middle["asked"]) == number(before["asked"]) + 1  # type: ignore[operator]
    assert number(middle["unanswered"]) == number(before["unanswered"]) + 1  # type: ignore[operator]
    with transaction(ctx.sessions) as s:
        account = s.get(Account, world.accounts[0])
        assert account is not None
        thread = conv.open_thread(s, account, conv.ThreadKey("questions", "MLA9:8001"), "8001", "N")
        conv.record_outbound(s, thread, "answer:99001", "Sí.", "agent", "sent", sent_at=utcnow())
    rollups.refresh(ctx)
    after = tiles((await viewer.get("/dashboards/questions")).text)
    assert number(after["unanswered"]) == number(before["unanswered"])
    assert number(after["answered"]) == number(before["answered"]) + 1  # type: ignore[operator]


async def test_questions_followed_by_an_order_of_the_item_by_the_buyer_became_sales(
    ctx: AppContext, world: World, viewer: httpx.AsyncClient
) -> None:
    rollups.refresh(ctx)
    recent = [q for q in world.recent(world.questions, "asked_at") if q.account == world.accounts[0]]
    first, second, third, fourth = sorted(recent, key=lambda q: q.asked_at)[:4]
    orders = [
        order(1, first.buyer, first.item, first.asked_at + timedelta(days=2)),  # a sale
        order(2, second.buyer, second.item, second.asked_at - timedelta(hours=1)),  # bought before asking
        order(3, third.buyer, third.item, third.asked_at + timedelta(days=31)),  # too late to count
        order(4, fourth.buyer, fourth.item, fourth.asked_at + timedelta(hours=1), status="cancelled"),
        order(5, first.buyer, "MLA999", first.asked_at + timedelta(hours=1)),  # another item
    ]
    sold = {
        (q.buyer, q.item, q.asked_at)
        for q in world.questions
        if q.account == world.accounts[0]
        and any(
            o.buyer is not None
            and str(o.buyer.id) == q.buyer
            and o.order_items[0].item.id == q.item
            and o.status != "cancelled"
            and q.asked_at <= o.date_created <= q.asked_at + timedelta(days=30)  # type: ignore[operator]
            for o in orders
        )
    }
    assert sales._keep(ctx, world.accounts[0], orders, utcnow()) == len(sold)
    assert sales._keep(ctx, world.accounts[0], orders, utcnow()) == 0  # the same orders again: nothing new
    in_period = sum((q.buyer, q.item, q.asked_at) in sold for q in world.recent(world.questions, "asked_at"))
    shown = tiles((await viewer.get("/dashboards/questions")).text)
    assert number(shown["sold"]) == in_period >= 1


# ---- post-sale messages -----------------------------------------------------------------------------------
async def test_every_messages_figure_matches_the_chats_seeded(
    ctx: AppContext, world: World, viewer: httpx.AsyncClient
) -> None:
    rollups.refresh(ctx)
    now = utcnow()
    turns = [t for t in world.turns if t.account in world.accounts]
    replied = [t for t in turns if t.replied_at]
    times = [(t.replied_at - t.started_at).total_seconds() for t in replied if t.replied_at]
    expected = {
        "received": 2 * 4 * 3 + 1,  # per account: 2 buyer messages × 4 cases × 3 weeks, and one just now
        "sent": 3 * (4 + 3),  # per week: a welcome in each of the 4 chats, a reply in 3 of them
        "replied": len(replied),
        "window_met": sum(1 for t in replied if t.replied_at and t.replied_at <= t.deadline),
        "window_missed": sum(1 for t in turns if (t.replied_at or now) > t.deadline),
        "window_pending": sum(1 for t in turns if t.replied_at is None and t.deadline >= now),
        "response_p50": shown_bound(times, 50),
        "response_p90": shown_bound(times, 90),
    }
    expected["received"] *= len(world.accounts)
    expected["sent"] *= len(world.accounts)
    assert expected["window_met"] == 3 * len(world.accounts) and expected["window_pending"] == len(
        world.accounts
    )
    shown = tiles((await viewer.get("/dashboards/messages")).text)
    assert {key: number(shown[key]) for key in expected} == expected
    rows = await csv_rows(viewer, "/dashboards/messages.csv?group_by=account")
    assert {int(r["account_id"]): int(r["window_missed"]) for r in rows} == {
        account: expected["window_missed"] // len(world.accounts) for account in world.accounts
    }


# ---- scope ---------------------------------------------------------------------------------------------
async def test_another_workspace_sees_only_its_own_figures_and_not_the_first_one_s_account(
    ctx: AppContext, world: World, viewer: httpx.AsyncClient
) -> None:
    rollups.refresh(ctx)
    theirs = [c for c in world.claims if c.account == world.other_account]
    first = local_day(utcnow()) - timedelta(days=29)
    assert (await viewer.get(f"/dashboards/claims?account={world.other_account}")).status_code == 404
    assert (await viewer.get(f"/dashboards/claims.csv?account={world.other_account}")).status_code == 404
    from mostrador.web.app import create_app

    app = create_app(ctx.settings, ctx, durable=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as other:
        assert (await log_in(other, "otra@example.com")).status_code == 303
        shown = tiles((await other.get("/dashboards/claims")).text)
        assert number(shown["opened"]) == sum(local_day(c.opened_at) >= first for c in theirs)
        page = (await other.get("/dashboards/questions?group_by=account")).text
        assert "TIENDA0" not in page and "TIENDA1" not in page and "OTRA" in page
        assert (await other.get(f"/dashboards/messages?account={world.accounts[0]}")).status_code == 404
    one = tiles((await viewer.get(f"/dashboards/claims?account={world.accounts[1]}")).text)
    mine = [c for c in world.recent(world.claims, "opened_at") if c.account == world.accounts[1]]
    assert number(one["opened"]) == len(mine)


# ---- the folds -------------------------------------------------------------------------------------------
def figures_of(ctx: AppContext) -> dict[str, Any]:
    """Every aggregate row the pages read, as plain values (to compare two ways of getting there)."""
    from sqlalchemy import select

    from mostrador.store.models.dashboards import DashChatDay, DashClaimDay, DashClaimMonth, DashQuestionDay

    found: dict[str, Any] = {}
    with transaction(ctx.sessions) as s:
        for table in (DashQuestionDay, DashChatDay, DashClaimDay, DashClaimMonth):
            rows = s.execute(select(table)).scalars().all()
            found[table.__tablename__] = sorted(
                tuple(
                    sorted((k, str(v)) for k, v in vars(r).items() if k not in ("_sa_instance_state", "id"))
                )
                for r in rows
            )
    return found


def assert_same_figures(now: dict[str, Any], before: dict[str, Any]) -> None:
    """Equal aggregate tables; on a difference, only the rows that differ, per table (not every row)."""
    differing = {
        table: {
            "only now": [r for r in now[table] if r not in before[table]],
            "only before": [r for r in before[table] if r not in now[table]],
            "rows now / before": (len(now[table]), len(before[table])),  # duplicates show here
        }
        for table in now
        if now[table] != before[table]
    }
    if differing:  # pytest.fail: the whole rows, never cut short by the assertion's repr
        pytest.fail("figures differ:\n" + json.dumps(differing, indent=1, default=str))


@pytest.mark.timeout(360)  # a dozen whole folds of three accounts: minutes on a loaded PostgreSQL
async def test_a_first_pass_cut_into_many_runs_gives_the_figures_of_one_and_folding_again_changes_nothing(
    ctx: AppContext, world: World, viewer: httpx.AsyncClient
) -> None:
    first = rollups.refresh(ctx, budget=timedelta(0), batch=15)
    assert first.backfilling and first.conversations == 15
    page = (await viewer.get("/dashboards/questions")).text
    assert "todavía se están calculando" in page  # nothing is shown as if it were complete
    runs = 1
    while rollups.refresh(ctx, budget=timedelta(0), batch=15).backfilling:
        runs += 1
    assert runs > 10
    in_pieces = figures_of(ctx)
    assert rollups.refresh(ctx).conversations == 0  # nothing changed since
    assert_same_figures(figures_of(ctx), in_pieces)
    # The same world folded in one go (a fresh start of the watermarks) lands on the same figures.
    from sqlalchemy import delete

    from mostrador.store.models.dashboards import DashWatermark

    with transaction(ctx.sessions) as s:
        s.execute(delete(DashWatermark))
    assert not rollups.refresh(ctx).backfilling
    assert_same_figures(figures_of(ctx), in_pieces)
    shown = tiles((await viewer.get("/dashboards/questions")).text)
    assert number(shown["asked"]) == len(world.recent(world.questions, "asked_at"))


async def test_one_fold_at_a_time(ctx: AppContext, world: World) -> None:
    from mostrador.store import dashboards as store

    now = utcnow()
    with transaction(ctx.sessions) as s:
        assert store.take_lease(s, rollups.LOCK, "another-process", now, now + timedelta(minutes=5))
    assert not rollups.refresh(ctx).ran  # someone else is folding
    with transaction(ctx.sessions) as s:  # that process died: its lease runs out
        assert store.take_lease(s, rollups.LOCK, "another-process", now, now - timedelta(seconds=1))
    assert rollups.refresh(ctx).ran
