"""Post-sale messages (§8) as a channel: one conversation per pack, each message once, replies posted once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from mostrador.accounts.seller_api import SellerApi
from mostrador.context import AppContext
from mostrador.conversations import outgoing
from mostrador.conversations import service as conv
from mostrador.inbox import actions, views
from mostrador.store.db import transaction
from mostrador.store.models import Conversation, Message, OutboxEntry

from .conftest import Market
from .sandbox_grant import Connected, deliver, run_in_worker_context
from .sandbox_grant import ingest as ingest_topic


def ingest(postsale: Connected, message_id: str) -> Any:
    return ingest_topic(postsale, "messages", message_id)


def send(postsale: Connected, reply: outgoing.Outgoing | None) -> str:
    assert reply is not None
    return deliver(postsale, reply.id)


def pack_thread(postsale: Connected, pack_id: int) -> tuple[Conversation, list[Message]]:
    with transaction(postsale.ctx.sessions) as s:
        c = s.scalars(
            select(Conversation).where(
                Conversation.channel == "messages", Conversation.external_key == str(pack_id)
            )
        ).one()
        msgs = [m for m in c.messages if not conv.is_state(m)]
        assert c.contact is not None  # loaded before the session ends
        s.expunge_all()
        return c, msgs


@pytest.fixture
def agent(postsale: Connected) -> int:
    """An agent of the seller's workspace."""
    from mostrador.users.service import create_user

    return create_user(postsale.ctx.sessions, "ana@example.com", "correct horse battery staple", "Ana", "w")


def seller_posts(market: Market, pack_id: int) -> list[dict[str, Any]]:
    return [e for e in market.log("messages") if int(e["pack_id"]) == pack_id and e["from_role"] == "seller"]


def test_buyer_messages_are_recorded_once_per_pack_with_attachments_and_handed_to_an_agent(
    postsale: Connected, market: Market, agent: int
) -> None:
    order = market.sale("Termo acero 1 litro")
    pack_id = market.pack_of(order)
    photo = market.buyer_uploads(order, "foto_caja.png", b"\x89PNG fake")
    first = market.buyer_writes(order, "Hola, llegó la caja golpeada", attachments=[photo])
    second = market.buyer_writes(order, "<script>alert(1)</script> ¿me cambian el termo?")

    # Reordered and duplicated notifications: each ingest re-reads the pack and records idempotently.
    plans = [ingest(postsale, m["id"]) for m in (second, first, second)]
    assert plans[0].outcome == "handed_off"
    assert [p.outcome for p in plans[1:]] == ["recorded", "recorded"]

    thread, msgs = pack_thread(postsale, pack_id)
    assert [(m.direction, m.external_id) for m in msgs] == [("in", first["id"]), ("in", second["id"])]
    assert msgs[0].meta and msgs[0].meta["attachments"][0]["name"] == "foto_caja.png"
    assert msgs[0].external_status == "available"
    assert thread.owner == "agent" and thread.handoff_reason == "post_sale_message"
    assert "Termo acero 1 litro" in thread.subject and thread.item_id
    assert thread.contact.display_name == f"Comprador {order['buyer']['id']}"

    [view] = views.inbox_threads(postsale.ctx, thread.workspace_id, channel="messages")
    assert view.waiting and view.can_reply and view.messages[0].text == "Hola, llegó la caja golpeada"
    assert views.inbox_threads(postsale.ctx, thread.workspace_id, channel="questions") == []


def test_an_agent_reply_is_posted_exactly_once_even_when_the_send_step_repeats(
    postsale: Connected, market: Market, agent: int
) -> None:
    order = market.sale()
    pack_id = market.pack_of(order)
    ingest(postsale, market.buyer_writes(order, "¿Cuándo despachan?")["id"])
    thread, _ = pack_thread(postsale, pack_id)

    text, key = "Hoy mismo sale por correo.", "0123456789abcdef"
    recorded = actions.reply(postsale.ctx, thread.workspace_id, agent, thread.id, text, reply_key=key)
    again = actions.reply(  # a double submit of the same form: recorded once, nothing more to schedule
        postsale.ctx, thread.workspace_id, agent, thread.id, text, reply_key=key
    )
    assert recorded is not None and again is None
    assert send(postsale, recorded) == "sent"
    assert send(postsale, recorded) == "sent"  # the step repeated after a crash: nothing posted
    assert [e["text"] for e in seller_posts(market, pack_id)] == ["Hoy mismo sale por correo."]

    # The next notification re-reads the pack: our message is linked, not recorded a second time.
    ingest(postsale, market.buyer_writes(order, "Gracias!")["id"])
    _, msgs = pack_thread(postsale, pack_id)
    outbound = [m for m in msgs if m.direction == "out"]
    assert [(m.author, m.status, m.text) for m in outbound] == [
        ("agent", "sent", "Hoy mismo sale por correo.")
    ]
    assert outbound[0].external_id == seller_posts(market, pack_id)[0]["message_id"]


def test_a_send_that_reached_mercado_libre_before_a_crash_is_settled_not_posted_again(
    postsale: Connected, market: Market, agent: int
) -> None:
    order = market.sale()
    pack_id = market.pack_of(order)
    ingest(postsale, market.buyer_writes(order, "Tienen factura A?")["id"])
    thread, _ = pack_thread(postsale, pack_id)
    text = "Sí, emitimos factura A."
    recorded = actions.reply(postsale.ctx, thread.workspace_id, agent, thread.id, text)
    assert recorded is not None

    async def first_attempt_then_crash(ctx: AppContext) -> None:
        # What the pipeline does before the process dies: count the attempt, then post.
        with transaction(ctx.sessions) as s:
            assert outgoing.count_attempt(s, recorded.id, recorded.drive, recorded.created_at)
        api = await SellerApi.open(ctx, postsale.account_id)
        await api.call(api.meli.send_message, pack_id, postsale.seller["id"], order["buyer"]["id"], text)

    run_in_worker_context(postsale, first_attempt_then_crash)
    assert send(postsale, recorded) == "sent"
    assert [e["text"] for e in seller_posts(market, pack_id)] == [text]
    with transaction(postsale.ctx.sessions) as s:
        assert s.get(OutboxEntry, recorded.id).status == "sent"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "explained"),
    [
        ("Escribime al 11 4567-8901 y lo vemos", "teléfono"),
        ("Pasame tu mail: comprador arroba gmail punto com", "e-mail"),
        ("Hola! " + "Te cuento los detalles del envío. " * 12, "350"),
    ],
)
def test_a_reply_with_contact_data_or_over_350_characters_is_refused_with_the_guard_explanation(
    postsale: Connected, market: Market, agent: int, text: str, explained: str
) -> None:
    order = market.sale()
    ingest(postsale, market.buyer_writes(order, "Hola")["id"])
    thread, _ = pack_thread(postsale, market.pack_of(order))
    with pytest.raises(actions.ReplyRefused) as refused:
        actions.reply(postsale.ctx, thread.workspace_id, agent, thread.id, text)
    assert "reglas de Mercado Libre" in str(refused.value) and explained in str(refused.value)
    with transaction(postsale.ctx.sessions) as s:
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == 0


def test_the_send_step_itself_refuses_a_text_the_guard_blocks(
    postsale: Connected, market: Market, agent: int
) -> None:
    """Every outgoing text passes the guard, also one recorded some other way than the inbox form."""
    order = market.sale()
    pack_id = market.pack_of(order)
    ingest(postsale, market.buyer_writes(order, "Hola")["id"])
    thread, _ = pack_thread(postsale, pack_id)
    recorded = actions.reply(postsale.ctx, thread.workspace_id, agent, thread.id, "Te escribo")
    assert recorded is not None
    with transaction(postsale.ctx.sessions) as s:
        entry = s.get(OutboxEntry, recorded.id)
        assert entry is not None
        entry.text = "mandame whatsapp al 1145678901"
    assert send(postsale, recorded) == "failed"
    assert seller_posts(market, pack_id) == []
    with transaction(postsale.ctx.sessions) as s:
        entry = s.get(OutboxEntry, recorded.id)
        assert entry is not None and entry.failure == "guard_blocked"
        assert entry.last_error and "teléfono" in entry.last_error
    found = views.thread(postsale.ctx, thread.workspace_id, thread.id)
    assert found is not None
    [shown] = [m for m in found[0].messages if m.direction == "out"]
    assert shown.send is not None and shown.send.status == "failed" and shown.send.retriable


def test_a_blocked_conversation_is_shown_and_refuses_replies(
    postsale: Connected, market: Market, agent: int
) -> None:
    order = market.sale()
    pack_id = market.pack_of(order)
    message = market.buyer_writes(order, "No funciona")
    market.open_claim(order)  # §8.6: a mediation blocks the chat
    ingest(postsale, message["id"])
    thread, _ = pack_thread(postsale, pack_id)
    found = views.thread(postsale.ctx, thread.workspace_id, thread.id)
    assert found is not None and not found[0].can_reply and "mediación" in (found[0].reply_refusal or "")
    with pytest.raises(actions.ReplyRefused, match="mediación"):
        actions.reply(postsale.ctx, thread.workspace_id, agent, thread.id, "Hola")


def test_a_message_of_another_seller_is_never_recorded(postsale: Connected, market: Market) -> None:
    other = market.http.post(
        "/_sandbox/users", json={"nickname": "OTRO", "site_id": "MLA", "role": "seller"}
    ).json()
    foreign = Market(market.http.base_url.__str__(), other)
    try:
        order = foreign.sale()
        message = foreign.buyer_writes(order, "hola")
    finally:
        foreign.close()
    plan = ingest(postsale, message["id"])
    assert plan.outcome == "skipped"
    with transaction(postsale.ctx.sessions) as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == 0


def test_a_later_reply_waits_for_an_earlier_one_without_counting_as_an_outage(
    postsale: Connected, market: Market, agent: int
) -> None:
    """Chat replies keep their order: while the first waits out an outage the second waits for it — not
    re-driven every few seconds, no deferral counted — and goes as soon as the first is out."""
    order = market.sale()
    pack_id = market.pack_of(order)
    ingest(postsale, market.buyer_writes(order, "¿Lo mandan hoy?")["id"])
    thread, _ = pack_thread(postsale, pack_id)
    first = actions.reply(postsale.ctx, thread.workspace_id, agent, thread.id, "Sí, sale hoy.")
    second = actions.reply(postsale.ctx, thread.workspace_id, agent, thread.id, "Te aviso el seguimiento.")
    assert first is not None and second is not None
    later = outgoing.utcnow() + timedelta(minutes=5)
    with transaction(postsale.ctx.sessions) as s:  # what an outage leaves: the first deferred
        assert outgoing.defer(s, first.id, first.drive, "ServerError: 503", later)
    assert send(postsale, second) == "waiting"  # not posted
    with transaction(postsale.ctx.sessions) as s:
        waiting = s.get(OutboxEntry, second.id)
        assert waiting is not None and waiting.deferrals == 0 and waiting.last_error is None
        assert waiting.next_attempt_at is not None and waiting.next_attempt_at > later
    assert seller_posts(market, pack_id) == []

    assert send(postsale, first) == "sent"
    with transaction(postsale.ctx.sessions) as s:  # woken: due now, not in five minutes
        woken = s.get(OutboxEntry, second.id)
        assert woken is not None and woken.next_attempt_at is not None
        assert woken.next_attempt_at <= outgoing.utcnow()
    assert send(postsale, second) == "sent"
    assert [e["text"] for e in seller_posts(market, pack_id)] == ["Sí, sale hoy.", "Te aviso el seguimiento."]
