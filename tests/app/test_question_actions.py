"""Deleting a question and blocking its buyer (§5.5, §5.6): offered in the thread, confirmed, sent once
through the outbox, and what Mercado Libre shows afterwards."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from mostrador.accounts.seller_api import SellerApi
from mostrador.conversations import outgoing
from mostrador.inbox import actions, views
from mostrador.store.db import transaction
from mostrador.store.models import Conversation

from .sandbox_grant import Buyer, Connected, deliver, ingest, new_listing, run_in_worker_context


@pytest.fixture
def agent(connected: Connected) -> int:
    from mostrador.users.service import create_user

    return create_user(connected.ctx.sessions, "ana@example.com", "correct horse battery staple", "Ana", "w")


def thread_of(connected: Connected, item_id: str, buyer: Buyer) -> Conversation:
    with transaction(connected.ctx.sessions) as s:
        found = s.scalars(
            select(Conversation).where(Conversation.external_key == f"{item_id}:{buyer.id}")
        ).one()
        s.expunge(found)
        return found


def seller_get(connected: Connected, path: str) -> Any:
    with httpx.Client(base_url=connected.sandbox.url) as c:
        r = c.get(path, headers={"Authorization": f"Bearer {connected.seller['access_token']}"})
        return r.json() if r.status_code == 200 else r.status_code


def offered(connected: Connected, thread: Conversation) -> list[str]:
    found = views.thread(connected.ctx, thread.workspace_id, thread.id)
    assert found is not None
    return [a.name for a in found[0].actions]


def test_a_question_is_deleted_once_and_stops_waiting(connected: Connected, agent: int) -> None:
    item = new_listing(connected)
    buyer = Buyer(connected)
    spam = buyer.ask(item, "compren en otro lado jajaja").json()
    kept = buyer.ask(item, "¿tenés talle 42?").json()
    for q in (spam, kept):
        ingest(connected, "questions", q["id"])
    thread = thread_of(connected, item, buyer)
    assert "delete_question" in offered(connected, thread)
    form = {"question_id": str(spam["id"])}
    done = actions.act(connected.ctx, thread.workspace_id, agent, thread.id, "delete_question", form)
    assert done is not None
    assert actions.act(connected.ctx, thread.workspace_id, agent, thread.id, "delete_question", form) is None
    assert deliver(connected, done.id) == "sent"
    assert seller_get(connected, f"/questions/{spam['id']}?api_version=4")["status"] == "DELETED"
    ingest(connected, "questions", spam["id"])  # Mercado Libre's notification of the change
    found = views.thread(connected.ctx, thread.workspace_id, thread.id)
    assert found is not None
    statuses = {q.question_id: q.status for q in found[0].questions}
    assert statuses == {str(spam["id"]): "DELETED", str(kept["id"]): "UNANSWERED"}
    assert [m.text for m in found[0].activity] == ["Acción: pregunta eliminada."]
    with transaction(connected.ctx.sessions) as s:
        row = s.get(Conversation, thread.id)
        assert row is not None and row.waiting_count == 1  # only the question still askable waits
    with pytest.raises(actions.ReplyRefused, match="ya no está"):
        actions.act(connected.ctx, thread.workspace_id, agent, thread.id, "delete_question", form)
    with pytest.raises(actions.ReplyRefused, match="no pertenece"):
        actions.act(
            connected.ctx, thread.workspace_id, agent, thread.id, "delete_question", {"question_id": "1"}
        )


def test_a_blocked_buyer_cannot_ask_until_unblocked_and_each_step_is_sent_once(
    connected: Connected, agent: int
) -> None:
    item = new_listing(connected)
    buyer = Buyer(connected, "MOLESTO")
    first = buyer.ask(item, "¿y ahora? ¿y ahora?").json()
    ingest(connected, "questions", first["id"])
    thread = thread_of(connected, item, buyer)
    ws = thread.workspace_id

    block = actions.act(connected.ctx, ws, agent, thread.id, "block_asker", {})
    assert block is not None and actions.act(connected.ctx, ws, agent, thread.id, "block_asker", {}) is None
    assert deliver(connected, block.id) == "sent"
    assert buyer.ask(item, "¿me bloqueaste?").status_code >= 400  # Mercado Libre refuses the buyer now
    assert offered(connected, thread) == ["unblock_asker", "delete_question"]
    with pytest.raises(actions.ReplyRefused):
        actions.act(connected.ctx, ws, agent, thread.id, "block_asker", {})  # not offered while blocked

    unblock = actions.act(connected.ctx, ws, agent, thread.id, "unblock_asker", {})
    assert unblock is not None and deliver(connected, unblock.id) == "sent"
    assert buyer.ask(item, "perdón, ¿tenés stock?").status_code < 300
    again = actions.act(connected.ctx, ws, agent, thread.id, "block_asker", {})  # a second block is new
    assert again is not None and again.id != block.id and deliver(connected, again.id) == "sent"
    blocked = seller_get(connected, f"/users/{connected.seller['id']}/questions_blacklist")
    assert [row["user"]["id"] for row in blocked] == [buyer.id]


def test_a_block_that_reached_mercado_libre_before_a_crash_is_not_sent_again(
    connected: Connected, agent: int
) -> None:
    item = new_listing(connected)
    buyer = Buyer(connected, "OTRO")
    ingest(connected, "questions", buyer.ask(item, "hola??").json()["id"])
    thread = thread_of(connected, item, buyer)
    block = actions.act(connected.ctx, thread.workspace_id, agent, thread.id, "block_asker", {})
    assert block is not None

    async def first_attempt_then_crash(ctx: Any) -> None:
        with transaction(ctx.sessions) as s:
            assert outgoing.count_attempt(s, block.id, block.drive, block.created_at)
        api = await SellerApi.open(ctx, connected.account_id)
        await api.call(api.meli.block_asker, api.seller_id, buyer.id)

    run_in_worker_context(connected, first_attempt_then_crash)
    assert deliver(connected, block.id) == "sent"
    assert offered(connected, thread)[0] == "unblock_asker"  # the state was recorded from what ML shows
