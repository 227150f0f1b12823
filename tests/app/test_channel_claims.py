"""Claims (§9) as a channel: one conversation per claim with its facts, messages once, replies posted once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from mostrador.accounts.seller_api import SellerApi
from mostrador.channels.registry import channel_for
from mostrador.context import AppContext
from mostrador.conversations import outgoing
from mostrador.conversations import service as conv
from mostrador.inbox import actions, views
from mostrador.store.db import transaction
from mostrador.store.models import Conversation, Message, OutboxEntry

from .conftest import Market
from .sandbox_grant import Connected, deliver, run_in_worker_context
from .sandbox_grant import ingest as ingest_topic


def ingest(postsale: Connected, claim_id: int) -> Any:
    return ingest_topic(postsale, "post_purchase", claim_id)


def send(postsale: Connected, reply: outgoing.Outgoing | None) -> str:
    assert reply is not None
    return deliver(postsale, reply.id)


def reply(postsale: Connected, thread: Conversation, agent: int, text: str) -> outgoing.Outgoing | None:
    return actions.reply(postsale.ctx, thread.workspace_id, agent, thread.id, text)


def claim_thread(postsale: Connected, claim_id: int) -> tuple[Conversation, list[Message], dict[str, Any]]:
    with transaction(postsale.ctx.sessions) as s:
        c = s.scalars(
            select(Conversation).where(
                Conversation.channel == "claims", Conversation.external_key == str(claim_id)
            )
        ).one()
        msgs = [m for m in c.messages if not conv.is_state(m)]
        state = conv.state_of(c, "claim")
        s.expunge_all()
        return c, msgs, state


@pytest.fixture
def agent(postsale: Connected) -> int:
    from mostrador.users.service import create_user

    return create_user(postsale.ctx.sessions, "ana@example.com", "correct horse battery staple", "Ana", "w")


def test_both_claim_topics_are_channels_and_nothing_else_changed() -> None:
    new, old, messages = (channel_for(t) for t in ("post_purchase", "claims", "messages"))
    assert new is not None and old is not None and messages is not None
    assert new.channel is old.channel and new.channel.name == "claims"
    assert messages.channel.name == "messages"
    # One claim, whichever topic announced it, is worked on one partition.
    assert new.partition_key(1, "9") == old.partition_key(1, "9")
    assert new.workflow_key("9") != old.workflow_key("9")


def test_an_opened_claim_is_recorded_with_its_facts_and_handed_to_an_agent(
    postsale: Connected, market: Market
) -> None:
    order = market.sale("Auriculares inalámbricos")
    claim = market.open_claim(order, reason_id="PDD9944")
    plan = ingest(postsale, claim["id"])
    assert plan.outcome == "handed_off" and plan.detail == "claim_opened"

    thread, msgs, facts = claim_thread(postsale, claim["id"])
    assert thread.owner == "agent" and thread.handoff_reason == "claim_opened"
    assert (
        "Auriculares inalámbricos" in thread.subject
        and thread.item_id == order["order_items"][0]["item"]["id"]
    )
    assert facts["reason_id"] == "PDD9944" and facts["reason_detail"]  # §9.4: what the buyer complained about
    assert (facts["stage"], facts["status"]) == ("claim", "opened")
    assert facts["affects_reputation"] in ("affected", "not_affected", "not_applies")
    assert datetime.fromisoformat(facts["due_date"]) > datetime.fromisoformat(facts["date_created"])
    assert "send_message_to_complainant" in facts["mandatory_actions"]
    assert msgs == []

    [view] = views.inbox_threads(postsale.ctx, thread.workspace_id, channel="claims")
    assert view.due_date is not None and view.can_reply


def test_claim_messages_are_recorded_once_and_a_dispute_moves_the_stage(
    postsale: Connected, market: Market
) -> None:
    order = market.sale()
    claim = market.open_claim(order)
    ingest(postsale, claim["id"])
    market.buyer_writes_in_claim(claim["id"], "El producto vino roto, quiero la devolución")
    for _ in range(3):  # redeliveries of the same claims_actions notification
        ingest(postsale, claim["id"])
    _, msgs, _ = claim_thread(postsale, claim["id"])
    assert [(m.direction, m.author, m.text) for m in msgs] == [
        ("in", "buyer", "El producto vino roto, quiero la devolución")
    ]

    market.advance_claim(claim["id"], stage="dispute")
    plan = ingest(postsale, claim["id"])
    assert plan.outcome == "handed_off" and plan.detail == "claim_dispute"
    thread, _, facts = claim_thread(postsale, claim["id"])
    assert facts["stage"] == "dispute" and thread.handoff_reason == "claim_dispute"


def test_an_agent_reply_goes_to_the_right_player_exactly_once(
    postsale: Connected, market: Market, agent: int
) -> None:
    order = market.sale()
    claim = market.open_claim(order)
    ingest(postsale, claim["id"])
    thread, _, _ = claim_thread(postsale, claim["id"])
    text = "Lamentamos lo ocurrido: te enviamos otro hoy."
    recorded = reply(postsale, thread, agent, text)
    assert send(postsale, recorded) == "sent"
    assert send(postsale, recorded) == "sent"  # repeated step: nothing posted
    posted = [e for e in market.log("claim_messages") if int(e["claim_id"]) == claim["id"]]
    assert [(e["sender_role"], e["receiver_role"], e["text"]) for e in posted] == [
        ("respondent", "complainant", text)
    ]
    # The next read links our message to its hash instead of recording the seller's copy as new.
    ingest(postsale, claim["id"])
    _, msgs, _ = claim_thread(postsale, claim["id"])
    assert [(m.direction, m.author, m.status) for m in msgs] == [("out", "agent", "sent")]
    assert not msgs[0].external_id.startswith("reply:")

    # In a dispute the seller can only write to the mediator (§9.6).
    market.advance_claim(claim["id"], stage="dispute")
    ingest(postsale, claim["id"])
    second = reply(postsale, thread, agent, "Adjuntamos el envío.")
    assert send(postsale, second) == "sent"
    posted = [e for e in market.log("claim_messages") if int(e["claim_id"]) == claim["id"]]
    assert [e["receiver_role"] for e in posted] == ["complainant", "mediator"]


def test_a_claim_send_that_reached_mercado_libre_before_a_crash_is_not_posted_again(
    postsale: Connected, market: Market, agent: int
) -> None:
    order = market.sale()
    claim = market.open_claim(order)
    ingest(postsale, claim["id"])
    thread, _, _ = claim_thread(postsale, claim["id"])
    text = "Ya despachamos el reemplazo."
    recorded = reply(postsale, thread, agent, text)
    assert recorded is not None

    async def first_attempt_then_crash(ctx: AppContext) -> None:
        with transaction(ctx.sessions) as s:  # what the pipeline records right before posting
            assert outgoing.count_attempt(s, recorded.id, recorded.drive, recorded.created_at)
        api = await SellerApi.open(ctx, postsale.account_id)
        await api.call(api.meli.send_claim_message, claim["id"], "complainant", text)

    run_in_worker_context(postsale, first_attempt_then_crash)
    assert send(postsale, recorded) == "sent"
    posted = [e for e in market.log("claim_messages") if int(e["claim_id"]) == claim["id"]]
    assert [e["text"] for e in posted] == [text]


def test_a_closed_claim_closes_the_conversation_and_refuses_replies(
    postsale: Connected, market: Market, agent: int
) -> None:
    order = market.sale()
    claim = market.open_claim(order)
    ingest(postsale, claim["id"])
    market.advance_claim(claim["id"], status="closed", resolution="payment_refunded")
    ingest(postsale, claim["id"])
    thread, _, facts = claim_thread(postsale, claim["id"])
    assert facts["status"] == "closed" and thread.status == "closed"
    with pytest.raises(actions.ReplyRefused, match="cerrado"):
        reply(postsale, thread, agent, "Hola")
    with transaction(postsale.ctx.sessions) as s:
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == 0


def test_a_second_identical_reply_whose_post_never_arrived_is_posted_not_taken_for_the_first(
    postsale: Connected, market: Market, agent: int
) -> None:
    """Claim posts answer 201 with no id, so a sent reply stays unlinked until a read meets it. A second
    reply with the same text whose outcome is unknown must not mistake the first one's message for its
    own: it is posted."""
    order = market.sale()
    claim = market.open_claim(order)
    ingest(postsale, claim["id"])
    thread, _, _ = claim_thread(postsale, claim["id"])
    first = reply(postsale, thread, agent, "Ok, lo reviso.")
    assert send(postsale, first) == "sent"
    second = reply(postsale, thread, agent, "Ok, lo reviso.")
    assert second is not None and second.id != first.id  # (each form has its own reply key)
    with transaction(postsale.ctx.sessions) as s:  # counted, then the POST never left (a crash)
        assert outgoing.count_attempt(s, second.id, second.drive, second.created_at)
    assert send(postsale, second) == "sent"
    posted = [e["text"] for e in market.log("claim_messages") if int(e["claim_id"]) == claim["id"]]
    assert posted == ["Ok, lo reviso.", "Ok, lo reviso."]
    # A later read links each to its own message: two of ours, none recorded twice.
    ingest(postsale, claim["id"])
    _, msgs, _ = claim_thread(postsale, claim["id"])
    assert [(m.author, m.status) for m in msgs] == [("agent", "sent"), ("agent", "sent")]
    assert len({m.external_id for m in msgs}) == 2 and not any(
        m.external_id.startswith("reply:") for m in msgs
    )
