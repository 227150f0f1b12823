"""Takeover against the sandbox: once a person takes a conversation over from the bot, each bot stays
silent in it — the questions bot (no answer, no draft), the post-sale bot, the claims' first responses —
and once it is handed back, the bot answers the buyer's new texts again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from mostrador.bot import BotConfig
from mostrador.conversations import service as conv
from mostrador.inbox import actions, ownership
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, Event, OutboxEntry
from mostrador.users.service import create_user

from .conftest import AGENT_PASSWORD, Market
from .sandbox_grant import Buyer, Connected, deliver, ingest, new_listing
from .test_postsale_bot import shipped_sale


def set_bot(connected: Connected, **config: Any) -> None:
    with transaction(connected.ctx.sessions) as s:
        account = s.get(Account, connected.account_id)
        assert account is not None
        account.bot_config = BotConfig.from_data(config).model_dump(mode="json")


def thread_by_key(connected: Connected, channel: str, key: str) -> Conversation:
    with transaction(connected.ctx.sessions) as s:
        thread = s.scalars(
            select(Conversation).where(Conversation.channel == channel, Conversation.external_key == key)
        ).one()
        s.expunge_all()
        return thread


def bot_entries(connected: Connected, thread_id: int) -> list[OutboxEntry]:
    with transaction(connected.ctx.sessions) as s:
        rows = [
            e
            for e in s.scalars(select(OutboxEntry).where(OutboxEntry.conversation_id == thread_id))
            if e.message_id is not None and s.get(conv.Message, e.message_id).author == "bot"  # type: ignore[union-attr]
        ]
        s.expunge_all()
        return rows


def ownership_events(connected: Connected, thread_id: int) -> list[dict[str, Any]]:
    with transaction(connected.ctx.sessions) as s:
        rows = s.scalars(
            select(Event)
            .where(Event.conversation_id == thread_id, Event.kind == "ownership")
            .order_by(Event.id)
        )
        return [dict(e.data or {}) for e in rows]


def test_the_questions_bot_is_silent_in_a_taken_conversation_and_answers_again_once_handed_back(
    connected: Connected,
) -> None:
    set_bot(connected, mode="auto")
    agent = create_user(connected.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")
    item = new_listing(connected)
    buyer = Buyer(connected, "ATENTO")
    first = buyer.ask(item, "Hola! ¿Tenés stock?").json()
    plan = ingest(connected, "questions", first["id"])
    assert plan.outcome == "reply_pending" and deliver(connected, plan.reply_id) == "sent"
    thread = thread_by_key(connected, "questions", f"{item}:{buyer.id}")
    workspace = thread.workspace_id

    assert ownership.take_over(connected.ctx, workspace, agent, thread.id)
    assert not ownership.take_over(connected.ctx, workspace, agent, thread.id)  # already hers
    second = buyer.ask(item, "¿Y cuánto sale?").json()
    held = ingest(connected, "questions", second["id"])
    assert held.outcome == "recorded" and held.reply_id is None and "silent" in held.detail
    assert len(bot_entries(connected, thread.id)) == 1  # only the answer from before the takeover
    taken = thread_by_key(connected, "questions", f"{item}:{buyer.id}")
    assert taken.taken_by_id == agent and taken.owner == "agent" and taken.waiting_count == 1

    assert ownership.hand_back(connected.ctx, workspace, agent, thread.id)
    third = buyer.ask(item, "¿Hacen envíos?").json()
    again = ingest(connected, "questions", third["id"])
    assert again.outcome == "reply_pending" and deliver(connected, again.reply_id) == "sent"
    back = thread_by_key(connected, "questions", f"{item}:{buyer.id}")
    assert back.taken_by_id is None and back.owner == "bot" and back.bot_resumed_at is not None
    # The question asked while it was taken still waits for a person (handing back does not answer it).
    assert [e["action"] for e in ownership_events(connected, thread.id)] == ["took_over", "handed_back"]
    assert ownership_events(connected, thread.id)[0]["by"] == agent


def test_the_questions_bot_drafts_nothing_in_a_taken_conversation(connected: Connected) -> None:
    set_bot(connected, mode="draft")
    agent = create_user(connected.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")
    item = new_listing(connected)
    buyer = Buyer(connected, "BORRADOR")
    first = buyer.ask(item, "Hola! ¿Tenés stock?").json()
    assert ingest(connected, "questions", first["id"]).outcome == "drafted"
    thread = thread_by_key(connected, "questions", f"{item}:{buyer.id}")
    ownership.take_over(connected.ctx, thread.workspace_id, agent, thread.id)
    second = buyer.ask(item, "¿Tenés stock del rojo?").json()
    assert ingest(connected, "questions", second["id"]).outcome == "recorded"
    with transaction(connected.ctx.sessions) as s:
        drafts = [
            m.external_id
            for m in s.scalars(select(conv.Message).where(conv.Message.conversation_id == thread.id))
            if m.status == "draft"
        ]
    assert drafts == [f"answer:{first['id']}"]  # no draft for the question asked after the takeover


def test_the_post_sale_bot_is_silent_while_taken_and_answers_again_after_the_hand_back(
    postsale: Connected, market: Market
) -> None:
    set_bot(postsale, mode="auto", post_sale=True)
    agent = create_user(postsale.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")
    order = shipped_sale(market)
    pack = str(market.pack_of(order))
    first = ingest(postsale, "messages", market.buyer_writes(order, "¿Dónde está mi pedido?")["id"])
    assert first.outcome == "reply_pending" and deliver(postsale, first.reply_id) == "sent"
    thread = thread_by_key(postsale, "messages", pack)
    bot_before = len(bot_entries(postsale, thread.id))

    ownership.take_over(postsale.ctx, thread.workspace_id, agent, thread.id)
    held = ingest(postsale, "messages", market.buyer_writes(order, "¿Cuándo llega mi compra?")["id"])
    assert held.reply_id is None and len(bot_entries(postsale, thread.id)) == bot_before
    written = actions.reply(postsale.ctx, thread.workspace_id, agent, thread.id, "Te escribo en un rato.")
    assert written is not None and deliver(postsale, written.id) == "sent"

    # Handed back: what the agent wrote before no longer silences the bot; the buyer's next text is its.
    ownership.hand_back(postsale.ctx, thread.workspace_id, agent, thread.id)
    asked = market.buyer_writes(order, "¿Dónde está mi pedido? ¿Cuándo llega?")
    again = ingest(postsale, "messages", asked["id"])
    assert again.outcome == "reply_pending", again
    assert len(bot_entries(postsale, thread.id)) == bot_before + 1 == 2
    assert deliver(postsale, again.reply_id) == "sent"


def test_no_claim_first_response_while_taken_and_one_after_the_hand_back(
    postsale: Connected, market: Market
) -> None:
    agent = create_user(postsale.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")
    opened = market.open_claim(market.sale(), reason_id="PDD9944")
    assert ingest(postsale, "post_purchase", opened["id"]).outcome == "handed_off"  # a new account drafts
    thread = thread_by_key(postsale, "claims", str(opened["id"]))
    assert conv.state_of(_loaded(postsale, thread.id), "claim")["suggested_reply"]["rule"]

    ownership.take_over(postsale.ctx, thread.workspace_id, agent, thread.id)
    set_bot(postsale, mode="auto")
    market.buyer_writes_in_claim(opened["id"], "¿Y entonces?")
    assert ingest(postsale, "post_purchase", opened["id"]).reply_id is None
    assert bot_entries(postsale, thread.id) == []
    # (the suggestion made before the takeover stays in the reply form for the person to use)

    ownership.hand_back(postsale.ctx, thread.workspace_id, agent, thread.id)
    market.buyer_writes_in_claim(opened["id"], "¿Hola?")
    sent = ingest(postsale, "post_purchase", opened["id"])
    assert sent.outcome == "reply_pending" and len(bot_entries(postsale, thread.id)) == 1


def _loaded(connected: Connected, thread_id: int) -> Conversation:
    with transaction(connected.ctx.sessions) as s:
        thread = s.get(Conversation, thread_id)
        assert thread is not None
        _ = list(thread.messages)
        s.expunge_all()
        return thread
