"""A buyer asking several questions in a row on one item: with a burst window, the bot waits until they
stop (never longer than four windows after the first), then answers each one — greeted once, and a
later question about "the 42" read with the colour asked about before. Without a window, nothing waits."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from mostrador.bot import BotConfig
from mostrador.channels import questions as questions_channel
from mostrador.conversations import service as conv
from mostrador.meli.models import Question
from mostrador.store.db import transaction
from mostrador.store.models import Account, OutboxEntry

from .sandbox_grant import Buyer, Connected, deliver, ingest, new_listing


def set_bot(connected: Connected, **config: Any) -> None:
    with transaction(connected.ctx.sessions) as s:
        account = s.get(Account, connected.account_id)
        assert account is not None
        account.bot_config = BotConfig.from_data(config).model_dump(mode="json")


def entries(connected: Connected) -> list[OutboxEntry]:
    with transaction(connected.ctx.sessions) as s:
        rows = list(s.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))
        s.expunge_all()
        return rows


def answer_of(connected: Connected, question_id: int) -> str:
    import httpx

    with httpx.Client(base_url=connected.sandbox.url) as c:
        r = c.get(
            f"/questions/{question_id}",
            params={"api_version": 4},
            headers={"Authorization": f"Bearer {connected.seller['access_token']}"},
        )
        return str((r.json().get("answer") or {}).get("text") or "")


def test_the_bot_waits_for_the_burst_then_answers_each_question_greeting_once(connected: Connected) -> None:
    set_bot(connected, mode="auto", burst_window_s=2)
    item = new_listing(connected)
    buyer = Buyer(connected, "RAFAGA")
    first = buyer.ask(item, "Hola! ¿Tenés stock?").json()
    waiting = ingest(connected, "questions", first["id"])
    assert waiting.outcome == "waiting" and 0 < (waiting.wait_s or 0) <= 2 and entries(connected) == []
    second = buyer.ask(item, "¿Y cuánto sale?").json()
    assert ingest(connected, "questions", second["id"]).outcome == "waiting"
    assert ingest(connected, "questions", first["id"]).outcome == "waiting"  # the burst goes on

    time.sleep(2.5)  # the buyer stopped asking
    plans = [ingest(connected, "questions", q["id"]) for q in (first, second)]
    assert [p.outcome for p in plans] == ["reply_pending", "reply_pending"]
    for p in plans:
        assert deliver(connected, p.reply_id) == "sent"
    said = [answer_of(connected, q["id"]) for q in (first, second)]
    assert said[0].startswith("¡Hola!") and ("stock" in said[0].lower() or "disponible" in said[0].lower())
    assert not said[1].startswith("¡Hola!") and "$ 9.000" in said[1]
    assert ingest(connected, "questions", second["id"]).outcome == "recorded"  # answered once


def test_when_a_person_got_the_burst_s_first_question_the_bot_s_answer_still_greets(
    connected: Connected,
) -> None:
    set_bot(connected, mode="auto", burst_window_s=2)
    item = new_listing(connected)
    buyer = Buyer(connected, "RAFAGA2")
    first = buyer.ask(item, "¿Hacen factura A?").json()  # no invoice facts configured: a person answers
    second = buyer.ask(item, "¿Y cuánto sale?").json()
    assert ingest(connected, "questions", first["id"]).outcome == "waiting"
    time.sleep(2.5)
    plans = [ingest(connected, "questions", q["id"]) for q in (first, second)]
    assert [p.outcome for p in plans] == ["handed_off", "reply_pending"]
    assert deliver(connected, plans[1].reply_id) == "sent"
    said = answer_of(connected, second["id"])
    assert said.startswith("¡Hola!") and "$ 9.000" in said  # the buyer's first answer: greeted


def test_without_a_window_nothing_waits(connected: Connected) -> None:
    set_bot(connected, mode="auto")
    item = new_listing(connected)
    buyer = Buyer(connected, "SINRAFAGA")
    plans = [
        ingest(connected, "questions", buyer.ask(item, t).json()["id"]) for t in ("Hola! ¿Hay?", "¿Precio?")
    ]
    assert [p.outcome for p in plans] == ["reply_pending", "reply_pending"]


def test_a_burst_is_waited_for_at_most_four_windows(connected: Connected) -> None:
    """A buyer who never stops still gets answers: the wait ends four windows after the burst began."""
    with transaction(connected.ctx.sessions) as s:
        account = s.get(Account, connected.account_id)
        assert account is not None
        thread = conv.open_thread(
            s, account, conv.ThreadKey("questions", "MLA9:77"), "77", "RAFAGA", "Mate", "MLA9"
        )
        start = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
        for i in range(12):  # one question every 9 s for almost two minutes
            conv.record_inbound(s, thread, f"{900 + i}", f"pregunta {i}", start + timedelta(seconds=9 * i))

    def question(i: int) -> Question:
        return Question.model_validate(
            {
                "id": 900 + i,
                "item_id": "MLA9",
                "buyer_id": 77,
                "date_created": start + timedelta(seconds=9 * i),
            }
        )

    burst = questions_channel._burst  # the rule itself, on recorded times
    earlier, _, wait = burst(connected.ctx, connected.account_id, question(0), 10, start)
    assert earlier == [] and wait == 40.0  # capped: four windows after the first question
    earlier, _, wait = burst(
        connected.ctx, connected.account_id, question(3), 10, start + timedelta(seconds=27)
    )
    assert earlier == ["pregunta 0", "pregunta 1", "pregunta 2"] and wait == 13.0
    _, _, wait = burst(connected.ctx, connected.account_id, question(5), 10, start + timedelta(seconds=41))
    assert wait == 0.0  # past the cap: answer now, although the buyer is still asking
