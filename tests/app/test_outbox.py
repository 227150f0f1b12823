"""The one send pipeline against the sandbox: refusals it was not told about, edits racing a send,
answers published elsewhere, giving up after the give-up age, and the migration of the old replies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from mostrador.conversations import outgoing
from mostrador.inbox import actions, views
from mostrador.store.db import transaction
from mostrador.store.models import Conversation, OutboxEntry, utcnow

from .sandbox_grant import Connected, ask_question, deliver, ingest, sandbox_faults, sandbox_log


@pytest.fixture
def agent(connected: Connected) -> int:
    from mostrador.users.service import create_user

    return create_user(connected.ctx.sessions, "ana@example.com", "correct horse battery staple", "Ana", "w")


def question_thread(connected: Connected, question: dict[str, Any]) -> Conversation:
    """Ingest the question (a new account's bot only drafts, so nothing is sent) and return its thread."""
    ingest(connected, "questions", question["id"])
    with transaction(connected.ctx.sessions) as s:
        thread = s.scalars(
            select(Conversation).where(Conversation.external_key.startswith(question["item_id"]))
        )
        found = thread.one()
        s.expunge(found)
        return found


def answers(connected: Connected, question_id: int) -> list[str]:
    return [e["text"] for e in sandbox_log(connected, "answers") if int(e["question_id"]) == question_id]


def entry(connected: Connected, entry_id: int) -> OutboxEntry:
    with transaction(connected.ctx.sessions) as s:
        row = s.get(OutboxEntry, entry_id)
        assert row is not None
        s.expunge(row)
        return row


def answer(connected: Connected, thread: Conversation, agent: int, qid: int, text: str) -> outgoing.Outgoing:
    recorded = actions.reply(connected.ctx, thread.workspace_id, agent, thread.id, text, in_reply_to=str(qid))
    assert recorded is not None
    return recorded


def test_a_refusal_no_channel_expected_fails_with_a_reason_and_a_retry_sends_it(
    connected: Connected, agent: int
) -> None:
    """A second 401 after a token refresh (Mercado Libre refusing the seller now) is no transient error
    and no refusal the channel names: the reply fails, says why, and an agent's retry sends it once."""
    question = ask_question(connected, "¿Hacen factura A?")
    thread = question_thread(connected, question)
    recorded = answer(connected, thread, agent, question["id"], "Sí, emitimos factura A.")
    sandbox_faults(connected, error_rate=1.0, error_statuses=[401], path_pattern="^/answers")
    assert deliver(connected, recorded.id) == "failed"
    failed = entry(connected, recorded.id)
    assert failed.failure == "rejected" and failed.last_error and "Unauthorized" in failed.last_error
    found = views.thread(connected.ctx, thread.workspace_id, thread.id)
    assert found is not None
    [shown] = found[0].questions
    assert shown.answer_status == "failed" and shown.send is not None and shown.send.retriable

    sandbox_faults(connected)
    again = actions.retry(connected.ctx, thread.workspace_id, thread.id, recorded.id)
    assert again.drive == recorded.drive + 1 and again.last_error is None
    found = views.thread(connected.ctx, thread.workspace_id, thread.id)
    assert found is not None and found[0].questions[0].send is not None
    assert not found[0].questions[0].send.retrying  # shown as sending, not as an outage
    assert deliver(connected, recorded.id) == "sent"
    assert answers(connected, question["id"]) == ["Sí, emitimos factura A."]


def test_an_edit_once_the_send_counted_its_attempt_is_refused(connected: Connected, agent: int) -> None:
    """The text may be at Mercado Libre from that moment: replacing it would show one text and publish
    another. Before the attempt, the edit wins and the old drive can no longer post."""
    question = ask_question(connected, "¿Tiene garantía?")
    thread = question_thread(connected, question)
    first = answer(connected, thread, agent, question["id"], "Sí, 6 meses.")
    edited = answer(connected, thread, agent, question["id"], "Sí, 12 meses de garantía oficial.")
    assert edited.id == first.id and edited.drive == first.drive + 1
    assert deliver(connected, first.id, drive=first.drive) == "stale"  # the old drive is fenced off
    with transaction(connected.ctx.sessions) as s:  # the pipeline, right before posting
        assert outgoing.count_attempt(s, edited.id, edited.drive, utcnow() + timedelta(seconds=60))
    with pytest.raises(actions.ReplyRefused, match="Ya se está enviando"):
        answer(connected, thread, agent, question["id"], "Otro texto")
    assert entry(connected, first.id).text == "Sí, 12 meses de garantía oficial."


def test_an_answer_published_elsewhere_shows_what_mercado_libre_shows(
    connected: Connected, agent: int
) -> None:
    """The seller answered in Mercado Libre's own UI meanwhile: ours is superseded, the thread shows the
    public answer by the seller, and the question no longer waits."""
    question = ask_question(connected, "¿Envían a Córdoba?")
    thread = question_thread(connected, question)
    recorded = answer(connected, thread, agent, question["id"], "Sí, por Mercado Envíos.")
    import httpx

    with httpx.Client(base_url=connected.sandbox.url) as c:  # the seller, in Mercado Libre's UI
        r = c.post(
            "/answers",
            json={"question_id": question["id"], "text": "Hola! Sí, llegamos a todo el país."},
            headers={"Authorization": f"Bearer {connected.seller['access_token']}"},
        )
        r.raise_for_status()
    assert deliver(connected, recorded.id) == "superseded"
    assert answers(connected, question["id"]) == ["Hola! Sí, llegamos a todo el país."]
    found = views.thread(connected.ctx, thread.workspace_id, thread.id)
    assert found is not None
    [shown] = found[0].questions
    assert (shown.answer, shown.answered_by) == ("Hola! Sí, llegamos a todo el país.", "seller")
    assert found[0].waiting == 0


def test_a_reply_pending_longer_than_the_give_up_age_fails_and_says_so(
    connected: Connected, agent: int
) -> None:
    question = ask_question(connected, "¿Viene con cargador?")
    thread = question_thread(connected, question)
    recorded = answer(connected, thread, agent, question["id"], "Sí, trae cargador.")
    with transaction(connected.ctx.sessions) as s:
        row = s.get(OutboxEntry, recorded.id)
        assert row is not None
        row.pending_since = utcnow() - timedelta(days=2)  # a two-day outage, compressed
    sandbox_faults(connected, error_rate=1.0, error_statuses=[503], path_pattern="^/answers")
    assert deliver(connected, recorded.id) == "failed"
    failed = entry(connected, recorded.id)
    assert failed.failure == "gave_up" and failed.last_error and "48 h" in failed.last_error
    with transaction(connected.ctx.sessions) as s:
        assert s.get(Conversation, thread.id).handoff_reason == "send_failed:gave_up"  # type: ignore[union-attr]


def test_the_same_reply_form_with_another_text_is_refused(connected: Connected, agent: int) -> None:
    """A form's reply key records one reply; sent again with a different text it is not silently the
    first one."""
    question = ask_question(connected, "hola")
    thread = question_thread(connected, question)
    plan = outgoing.ReplyPlan(target_id="x:0123456789abcdef", external_id="reply:0123456789abcdef", params={})
    lease = utcnow() + timedelta(seconds=60)
    with transaction(connected.ctx.sessions) as s:
        first, new = outgoing.record(s, s.get(Conversation, thread.id), plan, "Uno", "agent", lease)  # type: ignore[arg-type]
        assert new
        again, new = outgoing.record(s, s.get(Conversation, thread.id), plan, "Uno", "agent", lease)  # type: ignore[arg-type]
        assert not new and again.id == first.id
        with pytest.raises(outgoing.ReplyRefused):
            outgoing.record(s, s.get(Conversation, thread.id), plan, "Dos", "agent", lease)  # type: ignore[arg-type]


@pytest.mark.parametrize(("status", "attempts"), [(429, 3), (503, 1)])
def test_only_a_post_that_may_have_arrived_waits_before_the_next_try(
    connected: Connected, agent: int, status: int, attempts: int
) -> None:
    """A 429 is refused before any work, so it is retried in place (each try counted); after a 503 the
    text may be at Mercado Libre, so the send is deferred at once and looked for before any new post."""
    question = ask_question(connected, "¿Hay en negro?")
    thread = question_thread(connected, question)
    recorded = answer(connected, thread, agent, question["id"], "Sí, hay en negro.")
    sandbox_faults(connected, error_rate=1.0, error_statuses=[status], path_pattern="^/answers")
    assert deliver(connected, recorded.id) == "deferred"
    deferred = entry(connected, recorded.id)
    assert (deferred.attempts, deferred.deferrals) == (attempts, 1)
    sandbox_faults(connected)
    assert deliver(connected, recorded.id) == "sent"
    assert answers(connected, question["id"]) == ["Sí, hay en negro."]
