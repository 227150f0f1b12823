"""`mostrador bot eval --account`: the account's answered questions, read from the sandbox over real
HTTP, decided again by the account's bot beside the seller's real answers."""

from __future__ import annotations

import asyncio
import json

import httpx

from mostrador.cli.bot_eval import account_report

from .sandbox_grant import Connected, ask_question, new_listing

PAST = {
    "¿Tenés stock para hoy?": "Sí, hay stock, podés comprar tranquilo.",
    "¿Hacen factura A?": "Sí, hacemos factura A y B.",
    "Ya lo compré, ¿cuándo lo despachan?": "Sale mañana a primera hora.",
}


def _answer(connected: Connected, question_id: int, text: str) -> None:
    with httpx.Client(base_url=connected.sandbox.url) as c:
        r = c.post(
            "/answers",
            json={"question_id": question_id, "text": text},
            headers={"Authorization": f"Bearer {connected.seller['access_token']}"},
        )
        r.raise_for_status()


def test_the_account_history_is_replayed_beside_the_sellers_answers(connected: Connected) -> None:
    item_id = new_listing(connected)
    for number, (text, answer) in enumerate(PAST.items()):
        asked = ask_question(connected, text, item_id=item_id, buyer=f"PASADO{number}")
        _answer(connected, asked["id"], answer)
    ask_question(connected, "¿Viene en rojo?", item_id=item_id, buyer="SINRESPUESTA")  # not answered

    report = json.loads(
        account_report(str(connected.seller["id"]), 50, as_json=True, settings=connected.ctx.settings)
    )
    assert report["question_count"] == 3 and report["account_id"] == connected.account_id
    replayed = {q["text"]: q for q in report["replayed"]}
    assert set(replayed) == set(PAST)
    assert all(replayed[text]["seller_answer"] == answer for text, answer in PAST.items())

    stock = replayed["¿Tenés stock para hoy?"]
    assert stock["action"] == "answer" and stock["intents"] == ["availability"] and stock["bot_answer"]
    assert replayed["¿Hacen factura A?"]["reason"] == "missing_fact:invoice"  # the facts are unknown
    assert replayed["Ya lo compré, ¿cuándo lo despachan?"]["reason"] == "order_matter"
    assert report["answered_by_bot"] == 1 and round(report["automatic_share"], 2) == 0.33
    assert report["handoffs"] == {"missing_fact:invoice": 1, "order_matter": 1}

    text = account_report(connected.seller["nickname"], 50, as_json=False, settings=connected.ctx.settings)
    assert "seller: Sí, hacemos factura A y B." in text
    assert "would have answered 1 of 3 (33%)" in text and "missing_fact:invoice" in text


def test_the_bot_settings_show_the_history_and_the_examples_the_team_taught(
    connected: Connected,
) -> None:
    """The same replay on a page of the bot settings, and an agent removes a taught example there."""
    from mostrador.inbox import learning
    from mostrador.store.db import transaction
    from mostrador.store.models import Message
    from mostrador.users.service import create_user
    from mostrador.web.app import create_app

    from .conftest import log_in
    from .sandbox_grant import ingest

    ctx = connected.ctx
    item_id = new_listing(connected)
    asked = ask_question(connected, "¿Hacen factura A?", item_id=item_id, buyer="PASADO")
    ingest(connected, "questions", asked["id"])
    _answer(connected, asked["id"], "Sí, factura A y B.")
    agent = create_user(ctx.sessions, "ana@example.com", "correct horse battery staple", "Ana", "w")
    with transaction(ctx.sessions) as s:
        message = s.query(Message).filter_by(direction="in", external_id=str(asked["id"])).one()
        workspace_id = message.conversation.workspace_id
        conversation_id = message.conversation_id
    example = learning.confirm_intents(
        ctx, workspace_id, agent, conversation_id, str(asked["id"]), ["invoice"]
    )

    async def visit() -> None:
        app = create_app(ctx.settings, ctx, durable=False)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            assert (await log_in(client, "ana@example.com")).status_code == 303
            page = await client.get(f"/accounts/{connected.account_id}/bot/history")
            assert page.status_code == 200
            assert "Sí, factura A y B." in page.text and "missing_fact:invoice" in page.text
            assert "habría respondido solo" in page.text and "¿Hacen factura A?" in page.text
            assert f'name="example_id" value="{example.example_id}"' in page.text
            delete = f"/accounts/{connected.account_id}/bot/examples/delete"
            removed = await client.post(delete, data={"example_id": example.example_id})
            assert removed.status_code == 303
            assert learning.examples(ctx, workspace_id, connected.account_id) == []
            again = await client.post(delete, data={"example_id": example.example_id})
            assert again.status_code == 303  # already gone: nothing changes
            assert (await client.get("/accounts/999/bot/history")).status_code == 404

    asyncio.run(visit())
