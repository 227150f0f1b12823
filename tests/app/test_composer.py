"""The composer: the team's templates (validated, one workspace's own), variables filled from the live
listing or order when the reply is sent, the guard's verdict while typing, and one text for every
question of a buyer still waiting (one public answer each)."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from mostrador.conversations.outgoing import ReplyRefused
from mostrador.conversations.templating import fill, unknown_variables, variables_in
from mostrador.inbox import actions, composing
from mostrador.store.db import transaction
from mostrador.store.models import AuditEntry, Conversation, Message
from mostrador.users.roles import Role
from mostrador.users.service import create_user
from mostrador.web.app import create_app

from .conftest import AGENT_PASSWORD, Market
from .sandbox_grant import Buyer, Connected, ask_question, deliver, ingest, new_listing, run_in_worker_context


async def _text(filling: Any) -> str:
    return (await filling).text  # type: ignore[no-any-return]


def _workspace_id(connected: Connected) -> int:
    from mostrador.store import people as people_store

    with transaction(connected.ctx.sessions) as s:
        return people_store.get_or_create_workspace(s, "w").id


def thread_by_key(connected: Connected, key: str) -> Conversation:
    with transaction(connected.ctx.sessions) as s:
        found = s.scalars(select(Conversation).where(Conversation.external_key == key)).one()
        s.expunge(found)
        return found


def seller_call(connected: Connected, method: str, path: str, **kw: Any) -> Any:
    with httpx.Client(base_url=connected.sandbox.url, timeout=10) as c:
        r = c.request(
            method, path, headers={"Authorization": f"Bearer {connected.seller['access_token']}"}, **kw
        )
        r.raise_for_status()
        return r.json()


# ---- variables and the live check ----------------------------------------------------------------------
def test_variables_are_named_once_in_order_and_a_hole_is_refused_naming_it() -> None:
    known = {"price": "precio actual", "stock": "unidades"}
    text = "Sale {price}; quedan {stock}. Repito: {price}"
    assert variables_in(text) == ["price", "stock"]
    assert fill(text, {"price": "$ 9.000", "stock": "3"}, known) == "Sale $ 9.000; quedan 3. Repito: $ 9.000"
    assert unknown_variables("Hola {precio}", known) == ["precio"]
    with pytest.raises(ReplyRefused, match=r"\{precio\}"):
        fill("Hola {precio}", {}, known)
    with pytest.raises(ReplyRefused, match=r"\{stock\} \(unidades\)"):
        fill(text, {"price": "$ 9.000", "stock": None}, known)
    # Braces that are not a variable's name are text.
    assert fill("Talles {38 a 44}", {}, known) == "Talles {38 a 44}"


def test_the_check_counts_explains_and_lets_variables_stand_in() -> None:
    ok = composing.check("Hola, sale {price} con {free_shipping}.", "questions")
    assert ok.ok and ok.variables == ["price", "free_shipping"] and ok.limit == 2000
    contact = composing.check("Escribime a ventas@example.com", "questions")
    assert not contact.ok and contact.problem
    unknown = composing.check("Va por {tracking_number}", "questions")
    assert not unknown.ok and "{tracking_number}" in unknown.problem and "{price}" in unknown.problem
    assert composing.check("Va por {tracking_number}", "messages").ok
    long = composing.check("a" * 351, "messages")
    assert not long.ok and long.length == 351 and long.limit == 350
    # Counted as it will be sent: an answer is one paragraph (runs of spaces and line breaks collapse),
    # a chat message only loses its outer blanks.
    spaced = "Hola,\n\n   sí   hay.  "
    assert composing.check(spaced, "questions").length == len("Hola, sí hay.")
    assert composing.check(spaced, "messages").length == len("Hola,\n\n   sí   hay.")
    assert composing.check("  " + "a" * 350 + "\n", "messages").ok


# ---- templates ------------------------------------------------------------------------------------------
def test_templates_are_validated_renamed_and_kept_per_workspace(connected: Connected) -> None:
    ctx = connected.ctx
    ws = _workspace_id(connected)
    with transaction(ctx.sessions) as s:
        from mostrador.store import people as people_store

        other_ws = people_store.get_or_create_workspace(s, "otro").id
    saved = composing.save_template(ctx, ws, None, None, "  Precio   ", "questions", "Sale {price}.")
    assert (saved.name, saved.channel, saved.channel_label) == ("Precio", "questions", "Preguntas")

    refused = {
        "empty name": ("", "questions", "Hola"),
        "taken": ("Precio", "messages", "Hola"),
        "unknown variable": ("Otra", "questions", "Va por {tracking_number}"),
        "contact data": ("Otra", "questions", "Llamá al 11 5555 4444"),
        "all channels, listing only": ("Otra", None, "Sale {price}"),
        "no such channel": ("Otra", "fax", "Hola"),
        "empty text": ("Otra", "questions", "   "),
    }
    for why, (name, channel, text) in refused.items():
        with pytest.raises(composing.TemplateRefused):
            composing.save_template(ctx, ws, None, None, name, channel, text)
            pytest.fail(why)
    # A template for every channel may name what every channel fills, and keeps to the shortest limit.
    shared = composing.save_template(ctx, ws, None, None, "Saludo", None, "¡Gracias, {buyer}!")
    assert shared.channel_label == "Todas"
    with pytest.raises(composing.TemplateRefused):
        composing.save_template(ctx, ws, None, None, "Largo", None, "a" * 351)

    # The same name in another workspace is another template; neither sees the other's.
    theirs = composing.save_template(ctx, other_ws, None, None, "Precio", "questions", "Cuesta {price}")
    assert [t.name for t in composing.templates_for(ctx, ws, "questions")] == ["Precio", "Saludo"]
    assert [t.name for t in composing.templates_for(ctx, ws, "messages")] == ["Saludo"]
    assert [t.id for t in composing.templates_for(ctx, other_ws)] == [theirs.id]
    with pytest.raises(LookupError):
        composing.save_template(ctx, ws, None, theirs.id, "Mío", "questions", "Hola")
    assert not composing.delete_template(ctx, ws, theirs.id)
    assert composing.templates_for(ctx, other_ws)[0].text == "Cuesta {price}"

    changed = composing.save_template(ctx, ws, None, saved.id, "Precio", "questions", "Hoy sale {price}.")
    assert changed.id == saved.id and changed.text == "Hoy sale {price}."
    assert composing.delete_template(ctx, ws, saved.id)
    assert not composing.delete_template(ctx, ws, saved.id)


# ---- filled when sent -------------------------------------------------------------------------------
def test_listing_variables_are_read_when_the_reply_is_sent(connected: Connected) -> None:
    item = new_listing(connected, "Termo de acero")
    question = ask_question(connected, "¿Cuánto sale y hay stock?", item_id=item)
    ingest(connected, "questions", question["id"])
    thread = thread_by_key(connected, f"{item}:{question['from']['id']}")
    text = "{title}: {price}, quedan {stock}, {free_shipping}."

    def filled(text: str = text, workspace_id: int = thread.workspace_id) -> str:
        return run_in_worker_context(  # type: ignore[no-any-return]
            connected, lambda ctx: _text(composing.fill_variables(ctx, workspace_id, thread.id, text))
        )

    assert filled() == "Termo de acero: $ 9.000, quedan 4, con envío a cargo del comprador."
    seller_call(connected, "PUT", f"/items/{item}", json={"price": 12500, "available_quantity": 2})
    assert filled() == "Termo de acero: $ 12.500, quedan 2, con envío a cargo del comprador."
    with pytest.raises(ReplyRefused, match=r"\{order_id\}"):
        filled("{order_id}")
    with pytest.raises(LookupError):
        filled(workspace_id=thread.workspace_id + 99)
    # Without variables nothing is read.
    assert (
        run_in_worker_context(connected, lambda ctx: _text(composing.fill_variables(ctx, 0, 0, "Hola")))
        == "Hola"
    )
    # The buyer's name is not known yet (nobody opened the thread): no "Comprador 123456789" in a reply.
    with pytest.raises(ReplyRefused, match=r"\{buyer\}"):
        filled("Hola {buyer}")
    # The listing's own link is Mercado Libre's, not a link "outside": it goes out through the guard.
    agent = create_user(connected.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")
    link = run_in_worker_context(
        connected,
        lambda ctx: composing.fill_variables(ctx, thread.workspace_id, thread.id, "Mirala acá: {permalink}"),
    )
    assert link.quoted and link.quoted[0].startswith("https://articulo.mercadolibre.com.ar/")
    with pytest.raises(ReplyRefused):
        actions.reply(
            connected.ctx, thread.workspace_id, agent, thread.id, link.text, in_reply_to=str(question["id"])
        )
    entry = actions.reply(
        connected.ctx,
        thread.workspace_id,
        agent,
        thread.id,
        link.text,
        in_reply_to=str(question["id"]),
        allow=link.quoted,
    )
    assert entry is not None and deliver(connected, entry.id) == "sent"


def test_a_tracking_number_is_filled_once_the_order_shipped_and_refused_before(
    postsale: Connected, market: Market
) -> None:
    from .sandbox_grant import ingest as ingest_topic

    waiting = market.sale("Mochila", nickname="SINENVIO")
    ingest_topic(postsale, "messages", market.buyer_writes(waiting, "¿Cuándo llega?")["id"])
    thread = thread_by_key(postsale, str(market.pack_of(waiting)))

    def fill_in(t: Conversation, text: str) -> str:
        return run_in_worker_context(  # type: ignore[no-any-return]
            postsale, lambda ctx: _text(composing.fill_variables(ctx, t.workspace_id, t.id, text))
        )

    with pytest.raises(ReplyRefused, match=r"\{tracking_number\} \(código de seguimiento\)"):
        fill_in(thread, "Tu código es {tracking_number}")
    said = fill_in(thread, "Venta {order_id}: {shipping_status}, {buyer}.")
    assert said == f"Venta {waiting['id']}: listo para despachar, SINENVIO."

    buyer = market.http.post("/_sandbox/users", json={"nickname": "CONENVIO", "site_id": "MLA"}).json()
    item = waiting["order_items"][0]["item"]["id"]
    shipped = market.http.post(
        "/_sandbox/orders", json={"buyer_id": buyer["id"], "item_id": item, "ship_after_s": 0}
    ).json()
    ingest_topic(postsale, "messages", market.buyer_writes(shipped, "¿Me pasás el seguimiento?")["id"])
    other = thread_by_key(postsale, str(market.pack_of(shipped)))
    tracking = fill_in(other, "{tracking_number} ({shipping_status})")
    assert re.fullmatch(r"SB\d+ \(en camino\)", tracking), tracking

    # Sent by an agent: the tracking number's digits are Mercado Libre's, not a phone number.
    agent = create_user(postsale.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")
    filled = run_in_worker_context(
        postsale,
        lambda ctx: composing.fill_variables(
            ctx, other.workspace_id, other.id, "Seguimiento: {tracking_number}"
        ),
    )
    assert filled.quoted and filled.quoted[0] in filled.text
    with pytest.raises(ReplyRefused):  # the same digits typed by hand read as a phone number
        actions.reply(postsale.ctx, other.workspace_id, agent, other.id, filled.text)
    entry = actions.reply(postsale.ctx, other.workspace_id, agent, other.id, filled.text, allow=filled.quoted)
    assert entry is not None and deliver(postsale, entry.id) == "sent"
    posted = [m for m in market.log("messages") if m.get("text") == filled.text]
    assert len(posted) == 1


# ---- one text for every waiting question ---------------------------------------------------------------
def test_every_waiting_question_of_the_buyer_gets_its_own_answer_once(connected: Connected) -> None:
    agent = create_user(connected.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")
    item = new_listing(connected)
    buyer = Buyer(connected, "TRES")
    asked = [buyer.ask(item, text).json() for text in ("¿Hay?", "¿Color?", "¿Y?")]
    for q in asked:
        ingest(connected, "questions", q["id"])
    thread = thread_by_key(connected, f"{item}:{asked[0]['from']['id']}")
    assert actions.waiting_questions(_loaded(connected, thread.id)) == [str(q["id"]) for q in asked]

    with pytest.raises(ReplyRefused):
        actions.answer_all(connected.ctx, thread.workspace_id, agent, thread.id, "Mandame un mail a a@b.com")
    entries = actions.answer_all(connected.ctx, thread.workspace_id, agent, thread.id, "Sí, todo disponible.")
    assert len(entries) == 3
    # A second submit (a double click, a retry) finds nothing left to answer: nothing is sent twice.
    with pytest.raises(ReplyRefused, match="No queda"):
        actions.answer_all(connected.ctx, thread.workspace_id, agent, thread.id, "Sí, todo disponible.")
    for entry in entries:
        assert deliver(connected, entry.id) == "sent"
    for q in asked:
        answered = seller_call(connected, "GET", f"/questions/{q['id']}", params={"api_version": 4})
        assert answered["status"] == "ANSWERED" and answered["answer"]["text"] == "Sí, todo disponible."
    with pytest.raises(actions.ConversationNotFound):
        actions.answer_all(connected.ctx, thread.workspace_id + 1, agent, thread.id, "Hola")


def _loaded(connected: Connected, conversation_id: int) -> Conversation:
    with transaction(connected.ctx.sessions) as s:
        thread = s.get(Conversation, conversation_id)
        assert thread is not None
        _ = list(thread.messages)
        s.expunge_all()
        return thread


# ---- through the web ----------------------------------------------------------------------------------
async def _log_in(client: httpx.AsyncClient, email: str) -> str:
    login = await client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]
    r = await client.post("/login", data={"email": email, "password": AGENT_PASSWORD, "csrf_token": csrf})
    assert r.status_code == 303, r.text
    page = await client.get("/account/password")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def test_the_composer_through_the_web(connected: Connected) -> None:
    create_user(connected.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")
    create_user(connected.ctx.sessions, "lu@example.com", AGENT_PASSWORD, "Lu", "w", role=Role.VIEWER)
    item = new_listing(connected, "Mate imperial")
    buyer = Buyer(connected, "DOS")
    asked = [buyer.ask(item, t).json() for t in ("¿Precio?", "¿Envío?")]
    for q in asked:
        ingest(connected, "questions", q["id"])
    thread = thread_by_key(connected, f"{item}:{asked[0]['from']['id']}")

    async def go() -> None:
        app = create_app(connected.ctx.settings, connected.ctx, durable=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as ana:
            csrf = await _log_in(ana, "ana@example.com")
            made = await ana.post(
                "/templates",
                data={
                    "name": "Precio <b>",
                    "channel": "questions",
                    "text": "Sale {price}.",
                    "csrf_token": csrf,
                },
            )
            assert made.status_code == 303
            listed = await ana.get("/templates")
            assert "Precio &lt;b&gt;" in listed.text and "<b>" not in listed.text.split("Precio", 1)[1][:10]
            bad = await ana.post(
                "/templates",
                data={"name": "X", "channel": "questions", "text": "{tracking}", "csrf_token": csrf},
            )
            assert bad.status_code == 422 and "{tracking}" in bad.text
            no_csrf = await ana.post("/templates", data={"name": "Y", "channel": "", "text": "Hola"})
            assert no_csrf.status_code == 403

            page = await ana.get(f"/inbox/{thread.id}")
            assert "answer-all" in page.text
            # Each template's text is on the page once (every reply form's picker names it by id).
            texts = page.text.split('id="reply-templates">', 1)[1].split("</script>", 1)[0]
            assert "Sale {price}." in json.loads(texts).values() and page.text.count("Sale {price}.") == 1
            assert f'data-check-url="/inbox/{thread.id}/check"' in page.text

            said = await ana.post(
                f"/inbox/{thread.id}/check",
                data={"text": "Whatsapp 11 4444 5555"},
                headers={"x-csrf-token": csrf},
            )
            assert said.status_code == 200 and 'role="alert"' in said.text
            fine = await ana.post(
                f"/inbox/{thread.id}/check", data={"text": "Sale {price}"}, headers={"x-csrf-token": csrf}
            )
            assert "Cumple" in fine.text and "{price}" in fine.text
            assert (await ana.post(f"/inbox/{thread.id}/check", data={"text": "x"})).status_code == 403

            sent = await ana.post(
                f"/inbox/{thread.id}/answer-all",
                data={"text": "Hoy sale {price}, envío a todo el país.", "csrf_token": csrf},
            )
            assert sent.status_code == 303
            again = await ana.post(
                f"/inbox/{thread.id}/answer-all", data={"text": "Otra vez", "csrf_token": csrf}
            )
            assert again.status_code == 422 and "No queda" in again.text
            with transaction(connected.ctx.sessions) as s:  # the audit log: who answered, once
                logged = s.scalars(select(AuditEntry).where(AuditEntry.action == "question.answered")).all()
            assert [(e.actor, e.target, e.details) for e in logged] == [
                ("Ana <ana@example.com>", f"conversation:{thread.id}", {"count": 2})
            ]

        async with httpx.AsyncClient(transport=transport, base_url="http://test") as lu:
            csrf = await _log_in(lu, "lu@example.com")
            assert (await lu.get("/templates")).status_code == 200
            for path in ("/templates", f"/inbox/{thread.id}/check", f"/inbox/{thread.id}/answer-all"):
                r = await lu.post(path, data={"name": "Z", "text": "Hola", "csrf_token": csrf})
                assert r.status_code == 403, path

    asyncio.run(go())
    with transaction(connected.ctx.sessions) as s:
        texts = s.scalars(
            select(Message.text).where(Message.conversation_id == thread.id, Message.direction == "out")
        ).all()
    assert texts == ["Hoy sale $ 9.000, envío a todo el país."] * 2
