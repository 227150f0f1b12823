"""The claims cockpit against the sandbox: the bot's first response by claim type (exactly once per rule,
none without a rule, none once someone has written), a suggestion in draft mode, actions recorded and
sent once, and due dates that float to the top and are recorded as missed."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from mostrador.bot import BotConfig
from mostrador.channels.registry import channel_named
from mostrador.conversations import service as conv
from mostrador.inbox import actions, views
from mostrador.reconciliation import sweeps
from mostrador.store.db import transaction
from mostrador.store.models import Account, ClaimRecord, Conversation, OutboxEntry, utcnow

from .conftest import Market
from .sandbox_grant import Connected, deliver, run_in_worker_context
from .sandbox_grant import ingest as ingest_topic


@pytest.fixture
def agent(postsale: Connected) -> int:
    from mostrador.users.service import create_user

    return create_user(postsale.ctx.sessions, "ana@example.com", "correct horse battery staple", "Ana", "w")


def set_bot(postsale: Connected, **config: Any) -> None:
    with transaction(postsale.ctx.sessions) as s:
        account = s.get(Account, postsale.account_id)
        assert account is not None
        account.bot_config = BotConfig.from_data(config).model_dump(mode="json")


def ingest(postsale: Connected, claim_id: int) -> Any:
    return ingest_topic(postsale, "post_purchase", claim_id)


def claim(postsale: Connected, claim_id: int) -> tuple[Conversation, ClaimRecord, dict[str, Any]]:
    with transaction(postsale.ctx.sessions) as s:
        thread = s.scalars(
            select(Conversation).where(
                Conversation.channel == "claims", Conversation.external_key == str(claim_id)
            )
        ).one()
        record = s.scalars(select(ClaimRecord).where(ClaimRecord.conversation_id == thread.id)).one()
        state = conv.state_of(thread, "claim")
        s.expunge_all()
        return thread, record, state


def bot_entries(postsale: Connected, thread: Conversation) -> list[OutboxEntry]:
    with transaction(postsale.ctx.sessions) as s:
        rows = list(
            s.scalars(
                select(OutboxEntry).where(
                    OutboxEntry.conversation_id == thread.id, OutboxEntry.target_id.contains(":rule:")
                )
            )
        )
        s.expunge_all()
        return rows


def nav_badge(postsale: Connected) -> str | None:
    """The navigation's count of claims due within a day, as a logged-in person sees it."""
    import asyncio

    import httpx

    from mostrador.users.service import create_user
    from mostrador.web.app import create_app

    from .conftest import AGENT_PASSWORD, log_in

    create_user(postsale.ctx.sessions, "nav@example.com", AGENT_PASSWORD, "Nav", "w")

    async def go() -> str | None:
        app = create_app(postsale.ctx.settings, postsale.ctx, durable=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            await log_in(c, "nav@example.com")
            page = (await c.get("/account/password")).text
        found = re.search(r'data-urgent="(\d+)"', page)
        return found.group(1) if found else None

    return asyncio.run(go())


def claim_posts(market: Market, claim_id: int) -> list[dict[str, Any]]:
    """What the seller's side posted in the claim."""
    return [
        e
        for e in market.log("claim_messages")
        if int(e["claim_id"]) == claim_id and e.get("sender_role") == "respondent"
    ]


@pytest.mark.parametrize(
    ("reason_id", "rule", "says"),
    [
        ("PNR9501", "not_received", "Estado del envío"),
        ("PDD9944", "defective_or_different", "devolverlo sin costo"),
        ("PDD9943", "defective_or_different", "devolverlo sin costo"),
        ("PDD9939", "repentant", "30 días"),
    ],
)
def test_each_claim_type_gets_its_first_response_exactly_once(
    postsale: Connected, market: Market, reason_id: str, rule: str, says: str
) -> None:
    set_bot(postsale, mode="auto")
    order = market.sale("Lámpara de escritorio")
    opened = market.open_claim(order, reason_id=reason_id)
    plan = ingest(postsale, opened["id"])
    assert plan.outcome == "reply_pending" and plan.detail == f"first response {rule}"
    assert deliver(postsale, plan.reply_id) == "sent"
    for _ in range(3):  # redeliveries and later reads: never a second first response
        ingest(postsale, opened["id"])
    thread, record, state = claim(postsale, opened["id"])
    [entry] = bot_entries(postsale, thread)
    assert entry.status == "sent" and says in entry.text
    [posted] = claim_posts(market, opened["id"])
    assert posted["text"] == entry.text and posted["receiver_role"] == "complainant"
    assert record.auto_rule == rule and record.first_response_by == "bot"
    assert record.first_response_at is not None
    assert state["category"] in ("not_received", "defective", "different", "repentant")
    # The conversation still goes to a person: the bot only starts it.
    assert thread.owner == "agent" and thread.handoff_reason == "claim_opened"


def test_the_first_response_quotes_the_shipment_when_nothing_arrived(
    postsale: Connected, market: Market
) -> None:
    set_bot(postsale, mode="auto")
    order = market.sale()
    opened = market.open_claim(order, reason_id="PNR9501")
    plan = ingest(postsale, opened["id"])
    _, record, state = claim(postsale, opened["id"])
    sale = state["sale"]
    assert sale["order_id"] == str(order["id"]) and record.order_id == str(order["id"])
    with transaction(postsale.ctx.sessions) as s:
        entry = s.get(OutboxEntry, plan.reply_id)
        assert entry is not None
        if sale.get("tracking_number"):
            assert sale["tracking_number"] in entry.text
            assert sale["tracking_number"] in entry.params["allow"]  # quoted despite the guard


def test_no_first_response_for_a_reason_without_a_rule(postsale: Connected, market: Market) -> None:
    only_not_received = [r for r in BotConfig().claim_rules if r.id == "not_received"]
    set_bot(postsale, mode="auto", claim_rules=[r.model_dump() for r in only_not_received])
    opened = market.open_claim(market.sale(), reason_id="PDD9944")
    plan = ingest(postsale, opened["id"])
    assert plan.outcome == "handed_off"
    thread, record, state = claim(postsale, opened["id"])
    assert bot_entries(postsale, thread) == [] and record.auto_rule is None
    assert state.get("suggested_reply") is None and claim_posts(market, opened["id"]) == []


def test_no_first_response_once_a_person_has_written(postsale: Connected, market: Market, agent: int) -> None:
    """In draft mode the rule's text is only suggested; an agent writes; later reads in auto mode must
    not add the bot's first response after the person's."""
    opened = market.open_claim(market.sale(), reason_id="PDD9944")
    assert ingest(postsale, opened["id"]).outcome == "handed_off"  # a new account drafts
    thread, record, state = claim(postsale, opened["id"])
    assert state["suggested_reply"]["rule"] == "defective_or_different"
    assert bot_entries(postsale, thread) == [] and record.auto_rule is None
    found = views.thread(postsale.ctx, thread.workspace_id, thread.id)
    assert found is not None and found[0].state["suggested_reply"]["text"]
    written = actions.reply(postsale.ctx, thread.workspace_id, agent, thread.id, "Hola, ya lo revisamos.")
    assert written is not None and deliver(postsale, written.id) == "sent"
    set_bot(postsale, mode="auto")
    market.buyer_writes_in_claim(opened["id"], "¿Y entonces?")
    assert ingest(postsale, opened["id"]).outcome == "handed_off"
    assert bot_entries(postsale, thread) == []
    assert [p["text"] for p in claim_posts(market, opened["id"])] == ["Hola, ya lo revisamos."]
    _, record, _ = claim(postsale, opened["id"])
    assert record.first_response_by == "agent"


def test_a_refund_is_confirmed_recorded_and_sent_once(
    postsale: Connected, market: Market, agent: int
) -> None:
    opened = market.open_claim(market.sale(), reason_id="PNR9501")
    ingest(postsale, opened["id"])
    thread, _, _ = claim(postsale, opened["id"])
    found = views.thread(postsale.ctx, thread.workspace_id, thread.id)
    assert found is not None and "refund" in [a.name for a in found[0].actions]
    done = actions.act(postsale.ctx, thread.workspace_id, agent, thread.id, "refund", {})
    assert done is not None
    assert (
        actions.act(postsale.ctx, thread.workspace_id, agent, thread.id, "refund", {}) is None
    )  # recorded once
    assert deliver(postsale, done.id) == "sent"
    assert deliver(postsale, done.id) == "sent"  # a repeated step: nothing sent again
    ingest(postsale, opened["id"])
    _, record, state = claim(postsale, opened["id"])
    assert state["status"] == "closed" and record.status == "closed" and record.closed_at is not None
    with pytest.raises(actions.ReplyRefused):
        actions.act(postsale.ctx, thread.workspace_id, agent, thread.id, "open_dispute", {})


def test_a_close_due_date_floats_to_the_top_and_a_passed_one_is_recorded_as_missed(
    postsale: Connected, market: Market
) -> None:
    opened = market.open_claim(market.sale(), reason_id="PDD9944")
    ingest(postsale, opened["id"])
    thread, record, _ = claim(postsale, opened["id"])
    assert record.due_date is not None and record.due_missed_at is None
    urgent = views.urgent(
        postsale.ctx, thread.workspace_id, within=record.due_date - utcnow() + timedelta(hours=1)
    )
    assert [u.conversation_id for u in urgent] == [thread.id]
    assert views.urgent(postsale.ctx, thread.workspace_id, within=timedelta(seconds=1)) == []
    # In the list, a claim due within a day sits above every other, however recent the others are.
    later = market.open_claim(market.sale("Termo", nickname="OTRA_COMPRADORA"), reason_id="PDD9944")
    ingest(postsale, later["id"])
    market.advance_claim(opened["id"], due_in_s=3600)
    ingest(postsale, opened["id"])
    listed = views.inbox_page(postsale.ctx, thread.workspace_id, views.ThreadFilter(channel="claims"))
    assert listed.threads[0].id == thread.id and len(listed.threads) == 2
    assert nav_badge(postsale) == "1"  # counted in the navigation of every page
    _, record, _ = claim(postsale, opened["id"])
    with transaction(postsale.ctx.sessions) as s:  # the due date passes with nothing done
        row = s.get(ClaimRecord, record.id)
        assert row is not None
        row.due_date = utcnow() - timedelta(minutes=5)
    swept = run_in_worker_context(
        postsale, lambda ctx: sweeps.sweep_account(ctx, postsale.account_id, channel_named("claims"))
    )
    assert swept >= 0
    _, record, _ = claim(postsale, opened["id"])
    assert record.due_missed_at is not None


@pytest.mark.parametrize(
    ("resolution", "benefited", "closed_by", "shown"),
    [
        ("payment_refunded", "complainant", "respondent", "se devolvió el dinero (a favor del comprador)"),
        ("seller_explained_functions", "respondent", "mediator", "explicaste cómo funciona (a tu favor)"),
        ("respondent_timeout", "complainant", "mediator", "no respondiste a tiempo (a favor del comprador)"),
        ("product_delivered", "respondent", "buyer", "el producto llegó (a tu favor)"),
    ],
)
def test_a_claim_closed_with_each_resolution_records_and_shows_its_outcome(
    postsale: Connected, market: Market, resolution: str, benefited: str, closed_by: str, shown: str
) -> None:
    opened = market.open_claim(market.sale(), reason_id="PNR9501")
    ingest(postsale, opened["id"])
    if resolution == "seller_explained_functions":  # closed by Mercado Libre after a dispute
        market.advance_claim(opened["id"], stage="dispute")
        ingest(postsale, opened["id"])
    market.advance_claim(
        opened["id"], status="closed", resolution=resolution, benefited=benefited, closed_by=closed_by
    )
    ingest(postsale, opened["id"])
    thread, record, state = claim(postsale, opened["id"])
    assert (record.status, record.resolution, record.benefited, record.closed_by) == (
        "closed",
        resolution,
        benefited,
        closed_by,
    )
    assert record.closed_at is not None and thread.status == "closed"
    assert (record.disputed_at is not None) == (resolution == "seller_explained_functions")
    assert channel_named("claims").actions(state) == []  # nothing left to do in a closed claim
    found = views.thread(postsale.ctx, thread.workspace_id, thread.id)
    assert found is not None
    html = _render_facts(postsale, found[0])
    assert f"Cerrado · {shown}" in " ".join(re.sub(r"<[^>]+>", "", html).split())


def _render_facts(postsale: Connected, thread: Any) -> str:
    from mostrador.web.deps import build_templates

    template = build_templates().env.get_template("_claim_facts.html")
    return template.render(thread=thread, compact=False, user=None)


def seller_reads(market: Market, path: str) -> Any:
    r = market.http.get(path, headers={"Authorization": f"Bearer {market.seller['access_token']}"})
    r.raise_for_status()
    return r.json()


def offered(postsale: Connected, thread: Conversation, name: str) -> Any:
    found = views.thread(postsale.ctx, thread.workspace_id, thread.id)
    assert found is not None
    return next((a for a in found[0].actions if a.name == name), None)


@pytest.mark.parametrize("name", ["allow_return", "partial_refund", "shipping_evidence", "open_dispute"])
def test_each_claim_action_is_offered_when_allowed_sent_once_and_shown_by_mercado_libre(
    postsale: Connected, market: Market, agent: int, name: str
) -> None:
    # Returns and partial refunds are for a product that arrived wrong; shipping evidence for one that
    # did not arrive.
    reason = "PNR9501" if name in ("shipping_evidence", "open_dispute") else "PDD9944"
    opened = market.open_claim(market.sale(), reason_id=reason)
    claim_id = opened["id"]
    ingest(postsale, claim_id)
    thread, _, _ = claim(postsale, claim_id)
    offer = offered(postsale, thread, name)
    assert offer is not None, f"{name} not offered on {reason}"
    form: dict[str, str] = {}
    if name == "partial_refund":
        assert offer.choices["percentage"]  # Mercado Libre's own offers, read at ingest
        form = {"percentage": offer.choices["percentage"][-1]}
    if name == "shipping_evidence":
        form = {
            "shipping_method": "mail",
            "shipping_company_name": "Correo Argentino",
            "tracking_number": "CA123456789AR",
            "date_shipped": "2026-11-20",
        }
    done = actions.act(postsale.ctx, thread.workspace_id, agent, thread.id, name, form)
    assert done is not None
    assert actions.act(postsale.ctx, thread.workspace_id, agent, thread.id, name, form) is None
    assert deliver(postsale, done.id) == "sent"
    assert deliver(postsale, done.id) == "sent"  # a repeated send step sends nothing again

    base = f"/post-purchase/v1/claims/{claim_id}"
    history = [e["action_name"] for e in seller_reads(market, f"{base}/actions-history")]
    if name == "allow_return":
        assert history.count("allow_return") == 1
        assert seller_reads(market, f"/post-purchase/v2/claims/{claim_id}/returns")
    elif name == "partial_refund":
        mine = [
            e
            for e in seller_reads(market, f"{base}/expected-resolutions")
            if e["expected_resolution"] == "partial_refund"
        ]
        assert len(mine) == 1 and mine[0]["status"] == "pending"
        assert any(d["value"] == f"{float(form['percentage'])}" for d in mine[0]["details"])
    elif name == "shipping_evidence":
        evidences = seller_reads(market, f"{base}/evidences")
        assert [e.get("tracking_number") for e in evidences if e.get("type") == "shipping_evidence"] == [
            "CA123456789AR"
        ]
    else:
        assert seller_reads(market, base)["stage"] == "dispute"
        ingest(postsale, claim_id)
        _, record, _ = claim(postsale, claim_id)
        assert record.disputed_at is not None
    # The action stays in the conversation as the agent's.
    found = views.thread(postsale.ctx, thread.workspace_id, thread.id)
    assert found is not None
    assert [m.text for m in found[0].messages if m.text.startswith("Acción:")] == [done.text]


def test_an_action_not_allowed_now_is_refused_in_words(
    postsale: Connected, market: Market, agent: int
) -> None:
    opened = market.open_claim(market.sale(), reason_id="PNR9501")  # not received: nothing to return
    ingest(postsale, opened["id"])
    thread, _, _ = claim(postsale, opened["id"])
    for name, form in (("allow_return", {}), ("partial_refund", {"percentage": "50"}), ("teleport", {})):
        with pytest.raises(actions.ReplyRefused, match="no permite"):
            actions.act(postsale.ctx, thread.workspace_id, agent, thread.id, name, form)


def test_an_action_that_reached_mercado_libre_before_a_crash_is_not_sent_again(
    postsale: Connected, market: Market, agent: int
) -> None:
    from mostrador.accounts.seller_api import SellerApi
    from mostrador.conversations import outgoing

    opened = market.open_claim(market.sale(), reason_id="PNR9501")
    ingest(postsale, opened["id"])
    thread, _, _ = claim(postsale, opened["id"])
    done = actions.act(postsale.ctx, thread.workspace_id, agent, thread.id, "open_dispute", {})
    assert done is not None

    async def first_attempt_then_crash(ctx: Any) -> None:
        with transaction(ctx.sessions) as s:  # what the pipeline records right before posting
            assert outgoing.count_attempt(s, done.id, done.drive, done.created_at)
        api = await SellerApi.open(ctx, postsale.account_id)
        await api.call(api.meli.open_claim_dispute, opened["id"])

    run_in_worker_context(postsale, first_attempt_then_crash)
    # A second open-dispute would be refused (the claim is in dispute already) and fail the entry: the
    # history shows ours, so it is settled as sent instead.
    assert deliver(postsale, done.id) == "sent"
    history = seller_reads(market, f"/post-purchase/v1/claims/{opened['id']}/actions-history")
    assert [e["action_name"] for e in history].count("open_dispute") == 1


def test_a_deadline_missed_then_escalated_is_recorded_missed_although_no_sweep_ran(
    postsale: Connected, market: Market
) -> None:
    """Mercado Libre escalates a claim whose seller did not answer in time (§9.1) and notifies at once;
    the new reading has a new deadline, yet the one that passed is counted as missed."""
    set_bot(postsale, mode="draft")  # nobody answers
    opened = market.open_claim(market.sale(), reason_id="PNR9501")
    ingest(postsale, opened["id"])
    _, record, _ = claim(postsale, opened["id"])
    assert record.due_date is not None and record.due_action and record.due_missed_at is None
    market.advance_claim(opened["id"], due_in_s=2)  # the deadline is in two seconds
    ingest(postsale, opened["id"])  # read with that deadline
    time.sleep(3)  # it passes with nothing done; the sandbox escalates the claim (no sweep runs here)
    ingest(postsale, opened["id"])
    _, record, state = claim(postsale, opened["id"])
    assert state["stage"] == "dispute"
    assert record.due_missed_at is not None


def test_a_deadline_the_seller_met_is_not_missed_when_the_claim_moves_on(
    postsale: Connected, market: Market, agent: int
) -> None:
    set_bot(postsale, mode="draft")
    opened = market.open_claim(market.sale(), reason_id="PNR9501")
    ingest(postsale, opened["id"])
    thread, record, _ = claim(postsale, opened["id"])
    entry = actions.reply(postsale.ctx, thread.workspace_id, agent, thread.id, "Hola, ya lo revisamos.")
    assert entry is not None and deliver(postsale, entry.id) == "sent"
    ingest(postsale, opened["id"])  # now the buyer's move: no deadline of the seller's
    _, record, state = claim(postsale, opened["id"])
    assert state["turn"] != "seller" and record.due_date is None and record.due_missed_at is None
    swept = run_in_worker_context(
        postsale, lambda ctx: sweeps.sweep_account(ctx, postsale.account_id, channel_named("claims"))
    )
    assert swept >= 0
    _, record, _ = claim(postsale, opened["id"])
    assert record.due_missed_at is None  # waiting for the buyer is nothing the seller can miss


def test_a_claim_closed_because_the_seller_did_not_answer_counts_as_missed(
    postsale: Connected, market: Market
) -> None:
    set_bot(postsale, mode="draft")
    opened = market.open_claim(market.sale(), reason_id="PDD9944")
    ingest(postsale, opened["id"])
    market.advance_claim(opened["id"], resolution="respondent_timeout", benefited="complainant")
    ingest(postsale, opened["id"])
    _, record, _ = claim(postsale, opened["id"])
    assert record.resolution == "respondent_timeout" and record.due_missed_at is not None
