"""Working together in the inbox: assigning conversations (and the list's filters), taking one over and
handing it back through the pages, presence kept in the database with a short TTL, and an answer
stopped before it is sent when someone else answered the question meanwhile."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from mostrador.context import AppContext
from mostrador.conversations import outgoing
from mostrador.conversations import presence as presence_service
from mostrador.conversations.outgoing import ReplyPlan
from mostrador.inbox import actions, ownership
from mostrador.store import conversations as conversations_store
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, Event, OutboxEntry, utcnow
from mostrador.users.roles import Role
from mostrador.users.service import create_user
from mostrador.web.app import create_app

from .conftest import AGENT_PASSWORD, log_in

QUESTION = "5001"


def seed_thread(ctx: AppContext, account_id: int, question_id: str = QUESTION) -> int:
    """A question thread with one question waiting."""
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        assert account is not None
        contact = conversations_store.ensure_contact(s, account, "questions", "7001", "COMPRADOR")
        conv = conversations_store.ensure_conversation(
            s, account, "questions", f"MLA1:{question_id}", contact, subject="Mate", item_id="MLA1"
        )
        conversations_store.upsert_message(
            s, conv.id, "in", question_id, author="buyer", text="¿Tenés stock?", status="received"
        )
        return conv.id


def events(ctx: AppContext, thread_id: int, kind: str) -> list[dict[str, Any]]:
    with transaction(ctx.sessions) as s:
        rows = s.scalars(
            select(Event).where(Event.conversation_id == thread_id, Event.kind == kind).order_by(Event.id)
        )
        return [dict(e.data or {}) for e in rows]


def user_id(ctx: AppContext, email: str) -> int:
    with transaction(ctx.sessions) as s:
        user = people_store.user_by_email(s, email)
        assert user is not None
        return user.id


async def second_client(ctx: AppContext, email: str) -> httpx.AsyncClient:
    app = create_app(ctx.settings, ctx, durable=False)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    assert (await log_in(client, email)).status_code == 303
    return client


def thread_ids(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-thread-id="(\d+)"', page)}


async def test_assigning_shows_in_the_list_filters_it_and_is_heard_live(
    web: Any, ctx: AppContext, account_id: int
) -> None:
    thread = seed_thread(ctx, account_id)
    other = seed_thread(ctx, account_id, "5002")
    create_user(ctx.sessions, "beto@example.com", AGENT_PASSWORD, "Beto", "w1", Role.AGENT)
    create_user(ctx.sessions, "vera@example.com", AGENT_PASSWORD, "Vera", "w1", Role.VIEWER)
    create_user(ctx.sessions, "otra@example.com", AGENT_PASSWORD, "Otra", "otra")
    beto, vera, stranger = (user_id(ctx, e) for e in ("beto@", "vera@", "otra@") for e in [f"{e}example.com"])

    r = await web.post(f"/inbox/{thread}/assign", data={"assignee": str(beto)})
    assert r.status_code == 303
    listing = (await web.get("/inbox?channel=questions")).text
    assert "Asignada a Beto" in listing and "Sin asignar" in listing
    assert thread_ids((await web.get(f"/inbox?channel=questions&assigned={beto}")).text) == {thread}
    assert thread_ids((await web.get("/inbox?channel=questions&assigned=none")).text) == {other}
    assert thread_ids((await web.get("/inbox?channel=questions&assigned=mine")).text) == set()
    await web.post(f"/inbox/{other}/assign", data={"assignee": str(user_id(ctx, "ana@example.com"))})
    assert thread_ids((await web.get("/inbox?channel=questions&assigned=mine")).text) == {other}
    page = (await web.get(f"/inbox/{thread}")).text
    assert "Asignada a <strong>Beto</strong>" in page and f'<option value="{beto}" selected>' in page
    assert f'<option value="{vera}"' not in page  # viewers do not answer buyers: not offered

    for nobody in (vera, stranger):  # a viewer, someone of another workspace
        refused = await web.post(f"/inbox/{thread}/assign", data={"assignee": str(nobody)})
        assert refused.status_code == 422 and "Solo se asigna" in refused.text
    assert (await web.post(f"/inbox/{thread}/assign", data={"assignee": "x1"})).status_code == 422

    await web.post(f"/inbox/{thread}/assign", data={"assignee": str(beto)})  # the same again: no event
    await web.post(f"/inbox/{thread}/assign", data={"assignee": ""})
    assert thread_ids((await web.get("/inbox?channel=questions&assigned=none")).text) == {thread}
    said = events(ctx, thread, "assignment")
    assert [(e["from"], e["to"]) for e in said] == [(None, beto), (beto, None)]


async def test_taking_over_and_handing_back_through_the_pages(
    web: Any, ctx: AppContext, account_id: int
) -> None:
    thread = seed_thread(ctx, account_id)
    create_user(ctx.sessions, "beto@example.com", AGENT_PASSWORD, "Beto", "w1", Role.AGENT)
    beto = await second_client(ctx, "beto@example.com")
    try:
        assert "El bot responde" in (await web.get(f"/inbox/{thread}")).text
        assert (await web.post(f"/inbox/{thread}/takeover")).status_code == 303
        mine = (await web.get(f"/inbox/{thread}")).text
        assert "La tomaste vos" in mine and f'action="/inbox/{thread}/handback"' in mine
        theirs = (await beto.get(f"/inbox/{thread}")).text
        assert "Tomada por Ana" in theirs and "taken-by-other" in theirs
        assert "Tomarla en lugar de Ana" in theirs
        assert "Tomada por Ana" in (await beto.get("/inbox?channel=questions")).text
        assert (await beto.post(f"/inbox/{thread}/handback")).status_code == 303
        back = (await web.get(f"/inbox/{thread}")).text
        assert "El bot responde" in back and "Tomada por" not in back
    finally:
        await beto.aclose()
    with transaction(ctx.sessions) as s:
        conv = s.get(Conversation, thread)
        assert conv is not None and conv.taken_by_id is None and conv.owner == "bot"
    assert [e["action"] for e in events(ctx, thread, "ownership")] == ["took_over", "handed_back"]


def test_presence_lives_in_the_database_with_a_short_ttl_and_speaks_only_on_change(
    ctx: AppContext, account_id: int
) -> None:
    thread = seed_thread(ctx, account_id)
    ana = create_user(ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w1")
    beto = create_user(ctx.sessions, "beto@example.com", AGENT_PASSWORD, "Beto", "w1", Role.AGENT)
    ttl = presence_service.Ttl.of(30, 8)
    t0 = utcnow()

    def beat(user: int, state: str, at: Any) -> bool:
        with transaction(ctx.sessions) as s:
            conv = s.get(Conversation, thread)
            assert conv is not None
            return presence_service.heartbeat(s, conv, user, state, at, ttl)

    def seen(at: Any) -> list[tuple[str, str]]:
        with transaction(ctx.sessions) as s:
            return [(p.name, p.state) for p in presence_service.present(s, thread, at, ttl)]

    assert beat(ana, "viewing", t0) is True
    assert beat(ana, "viewing", t0 + timedelta(seconds=10)) is False  # a heartbeat: no event
    assert beat(beto, "typing", t0 + timedelta(seconds=11)) is True
    assert seen(t0 + timedelta(seconds=12)) == [("Ana", "viewing"), ("Beto", "typing")]
    assert seen(t0 + timedelta(seconds=20)) == [("Ana", "viewing"), ("Beto", "viewing")]  # stopped typing
    assert seen(t0 + timedelta(seconds=40.5)) == [("Beto", "viewing")]  # Ana's tab closed: she faded out
    assert seen(t0 + timedelta(seconds=45)) == []
    # Beto comes back typing after his row went stale: that is a change again.
    assert beat(beto, "typing", t0 + timedelta(seconds=60)) is True
    assert [e["state"] for e in events(ctx, thread, "presence")] == ["viewing", "typing", "typing"]

    # Another process is just another reader of the same rows (it keeps nothing in memory): Beto's row,
    # written "a minute after t0", is fresh and typing for anyone who reads it now.
    workspace = _workspace_of(ctx, thread)
    others = ownership.others_present(ctx, workspace, ana, thread)
    assert [(p.name, p.state) for p in others] == [("Beto", "typing")]


def _workspace_of(ctx: AppContext, thread: int) -> int:
    with transaction(ctx.sessions) as s:
        conv = s.get(Conversation, thread)
        assert conv is not None
        return conv.workspace_id


async def test_the_presence_heartbeat_answers_with_who_else_is_there(
    web: Any, ctx: AppContext, account_id: int
) -> None:
    thread = seed_thread(ctx, account_id)
    create_user(ctx.sessions, "beto@example.com", AGENT_PASSWORD, "Beto", "w1", Role.AGENT)
    create_user(ctx.sessions, "vera@example.com", AGENT_PASSWORD, "Vera <b>", "w1", Role.VIEWER)
    beto = await second_client(ctx, "beto@example.com")
    vera = await second_client(ctx, "vera@example.com")
    try:
        r = await beto.post(f"/inbox/{thread}/presence", data={"state": "typing"})
        assert r.status_code == 200 and 'id="presence"' in r.text and "Beto" not in r.text
        await vera.post(f"/inbox/{thread}/presence", data={"state": "typing"})  # a viewer only views
        mine = await web.post(f"/inbox/{thread}/presence", data={"state": "viewing"})
        assert "Beto está escribiendo" in mine.text
        assert "Vera &lt;b&gt; está viendo esta conversación" in mine.text  # names are escaped
        assert "Beto está escribiendo" in (await web.get(f"/inbox/{thread}/presence")).text
        assert "Beto está escribiendo" in (await web.get(f"/inbox/{thread}")).text
        await beto.post(f"/inbox/{thread}/presence", data={"state": "gone"})
        assert "Beto" not in (await web.get(f"/inbox/{thread}/presence")).text
        assert (await web.post(f"/inbox/{thread}/presence", data={"state": "sleeping"})).status_code == 422
        assert (await web.post("/inbox/999999/presence", data={"state": "viewing"})).status_code == 404
    finally:
        await beto.aclose()
        await vera.aclose()
    assert [e["state"] for e in events(ctx, thread, "presence")] == ["typing", "viewing", "viewing", "gone"]


async def test_a_second_answer_is_stopped_before_sending_with_a_clear_message(
    web: Any, ctx: AppContext, account_id: int
) -> None:
    thread = seed_thread(ctx, account_id)
    beto = create_user(ctx.sessions, "beto@example.com", AGENT_PASSWORD, "Beto", "w1", Role.AGENT)
    beto_web = await second_client(ctx, "beto@example.com")
    ws = _workspace_of(ctx, thread)
    page = (await web.get(f"/inbox/{thread}")).text
    assert 'name="seen" value=""' in page  # what Ana's form saw: no answer yet
    try:
        # Beto answers first (his page was open as well).
        first = actions.reply(ctx, ws, beto, thread, "Sí, hay stock.", in_reply_to=QUESTION, seen="")
        assert first is not None
        # Ana submits her form: stopped, told who answered and what, and nothing of hers is recorded.
        for text in ("Hola! Sí, tenemos.", "Sí, hay stock."):  # a different text, and the same one
            r = await web.post(
                f"/inbox/{thread}/answer", data={"question_id": QUESTION, "text": text, "seen": ""}
            )
            assert r.status_code == 409, r.text
            assert "Mientras escribías, Beto respondió esta pregunta: «Sí, hay stock.»" in r.text
            assert "Tu respuesta no se envió" in r.text
        # Beto's own double submit and his own edit before it went out are his to make.
        assert actions.reply(ctx, ws, beto, thread, "Sí, hay stock.", in_reply_to=QUESTION, seen="") is None
        edited = actions.reply(ctx, ws, beto, thread, "Sí, hay stock!", in_reply_to=QUESTION, seen="")
        assert edited is not None
        # A form from before this feature (no `seen`) cannot overwrite a colleague's answer either.
        r = await web.post(f"/inbox/{thread}/answer", data={"question_id": QUESTION, "text": "Otro"})
        assert r.status_code == 409
    finally:
        await beto_web.aclose()
    with transaction(ctx.sessions) as s:
        [entry] = s.scalars(select(OutboxEntry).where(OutboxEntry.conversation_id == thread)).all()
        assert entry.text == "Sí, hay stock!"


def test_a_bot_answer_recorded_meanwhile_stops_the_agent_unless_the_page_showed_it(
    ctx: AppContext, account_id: int
) -> None:
    thread = seed_thread(ctx, account_id)
    ana = create_user(ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w1")
    ws = _workspace_of(ctx, thread)
    with transaction(ctx.sessions) as s:
        conv = s.get(Conversation, thread)
        assert conv is not None
        plan = ReplyPlan(target_id=QUESTION, external_id=f"answer:{QUESTION}", params={})
        entry, _ = outgoing.record(s, conv, plan, "¡Hola! Sí, hay stock.", "bot", utcnow())
        version = actions.answer_version(entry.id, entry.drive)
    try:
        actions.reply(ctx, ws, ana, thread, "Sí, tenemos", in_reply_to=QUESTION, seen="")
    except actions.AnsweredMeanwhile as exc:
        assert "el bot respondió esta pregunta" in str(exc)
    else:
        raise AssertionError("the agent's answer should have been stopped")
    # Her page showed the bot's answer still pending: she may replace it knowingly.
    assert actions.reply(ctx, ws, ana, thread, "Sí, tenemos", in_reply_to=QUESTION, seen=version) is not None


def seed_chat(ctx: AppContext, account_id: int, pack_id: str = "2000000001") -> int:
    """A post-sale chat where the buyer wrote."""
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        assert account is not None
        contact = conversations_store.ensure_contact(s, account, "messages", "7002", "COMPRADOR")
        conv = conversations_store.ensure_conversation(
            s, account, "messages", pack_id, contact, subject="Mate"
        )
        conversations_store.upsert_message(
            s, conv.id, "in", "m-1", author="buyer", text="¿Cuándo llega?", status="received"
        )
        return conv.id


async def test_a_chat_message_is_stopped_when_a_colleague_wrote_meanwhile(
    web: Any, ctx: AppContext, account_id: int
) -> None:
    chat = seed_chat(ctx, account_id)
    beto = create_user(ctx.sessions, "beto@example.com", AGENT_PASSWORD, "Beto", "w1", Role.AGENT)
    ws = _workspace_of(ctx, chat)
    page = (await web.get(f"/inbox/{chat}")).text
    seen = re.search(r'name="seen" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    written = actions.reply(ctx, ws, beto, chat, "Llega el jueves.", seen=seen)
    assert written is not None
    r = await web.post(f"/inbox/{chat}/reply", data={"text": "Llega esta semana.", "seen": seen})
    assert r.status_code == 409
    assert "Mientras escribías, Beto escribió en esta conversación: «Llega el jueves.»" in r.text
    # The page she got shows Beto's message; sending from it is hers to decide.
    again = re.search(r'name="seen" value="(\d+)"', r.text).group(1)  # type: ignore[union-attr]
    assert int(again) > int(seen)
    ok = await web.post(f"/inbox/{chat}/reply", data={"text": "Y te aviso al salir.", "seen": again})
    assert ok.status_code == 303
    with transaction(ctx.sessions) as s:
        texts = [e.text for e in s.scalars(select(OutboxEntry).where(OutboxEntry.conversation_id == chat))]
    assert sorted(texts) == ["Llega el jueves.", "Y te aviso al salir."]
