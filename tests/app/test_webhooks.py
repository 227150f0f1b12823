"""Outgoing webhooks: events derived from what the sandbox makes happen, signed per Standard Webhooks
(checked by a verifier written from the specification), retried through DBOS after 500s and time-outs,
one `webhook-id` per event, never sent to non-public addresses unless allowed, never across workspaces.

Receivers are real HTTP servers on loopback, so these tests allow private addresses except where the
refusal itself is tested.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from mostrador.context import AppContext
from mostrador.inbox import actions
from mostrador.settings import Settings
from mostrador.store import people as people_store
from mostrador.store import webhooks as webhooks_store
from mostrador.store.db import transaction
from mostrador.store.models import (
    AuditEntry,
    Conversation,
    Event,
    WebhookAttempt,
    WebhookDelivery,
    WebhookFeed,
    WebhookMessage,
    utcnow,
)
from mostrador.webhooks import addresses, endpoints, sender
from mostrador.workflows import runtime
from mostrador.workflows import webhooks as webhook_workflows
from mostrador.workflows.webhooks import derive_all

from ..waiting import wait_for
from .conftest import Market
from .sandbox_grant import Connected, ask_question, deliver, ingest
from .webhook_receiver import HANG, Receiver, verify

QUESTION_EVENTS = ["question.received", "question.answered", "question.handed_off"]
ALL_EVENTS = list(endpoints.EVENT_TYPES)


@pytest.fixture(autouse=True)
def loopback_allowed(settings: Settings) -> None:
    """Receivers listen on 127.0.0.1; tries are quick so retries take moments, not hours."""
    settings.webhooks_allow_private_addresses = True
    settings.webhooks_retry_delays_s = [0.05, 0.05, 0.05]
    settings.webhooks_timeout_s = 0.5


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def workspace(ctx: AppContext, name: str) -> int:
    with transaction(ctx.sessions) as s:
        return people_store.get_or_create_workspace(s, name).id


def workspace_of(connected: Connected) -> int:
    return workspace(connected.ctx, "w")


def send_owed(ctx: AppContext) -> list[sender.Outcome]:
    """What the feed schedule and the delivery workflows do, one try each, without DBOS: derive the
    events owed, then try every pending delivery once."""
    derive_all(ctx, utcnow())
    with transaction(ctx.sessions) as s:
        pending = webhooks_store.unenqueued(s, 1_000)

    async def go() -> list[sender.Outcome]:
        return [await sender.attempt(ctx, delivery_id) for delivery_id in pending]

    return asyncio.run(go())


def messages(ctx: AppContext) -> list[WebhookMessage]:
    with transaction(ctx.sessions) as s:
        found = list(s.scalars(select(WebhookMessage).order_by(WebhookMessage.id)))
        s.expunge_all()
        return found


def delivery(ctx: AppContext, delivery_id: int) -> tuple[WebhookDelivery, list[WebhookAttempt]]:
    with transaction(ctx.sessions) as s:
        row = s.get(WebhookDelivery, delivery_id)
        assert row is not None
        tries = list(
            s.scalars(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id == delivery_id)
                .order_by(WebhookAttempt.number)
            )
        )
        s.expunge_all()
        return row, tries


# ---- signing -------------------------------------------------------------------------------------------
def test_the_verifier_written_from_the_specification_refuses_what_it_must() -> None:
    """The independent verifier is worth something only if it can say no."""
    from datetime import UTC, datetime

    from mostrador.webhooks import signing

    secret, body = signing.new_secret(), b'{"type":"webhook.test"}'
    headers = signing.headers(secret, "msg_1", datetime.now(UTC), body.decode())
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body + b" ")
    assert not verify(signing.new_secret(), headers, body)
    assert not verify(secret, {**headers, "webhook-id": "msg_2"}, body)
    old = signing.headers(secret, "msg_1", datetime(2020, 1, 1, tzinfo=UTC), body.decode())
    assert not verify(secret, old, body)
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", secret)


# ---- events from the product ---------------------------------------------------------------------------
def test_question_events_reach_the_workspace_s_endpoint_signed_once_each_and_never_another_s(
    connected: Connected, receiver: Receiver
) -> None:
    ctx = connected.ctx
    mine, secret = endpoints.create(ctx, workspace_of(connected), receiver.url, "ERP", QUESTION_EVENTS)
    with Receiver() as elsewhere:
        endpoints.create(ctx, workspace(ctx, "otra"), elsewhere.url, "otra", ALL_EVENTS)

        question = ask_question(connected, "¿Hacen factura A? <b>urgente</b>")
        ingest(connected, "questions", question["id"])  # the bot hands it to a person
        send_owed(ctx)
        [received] = receiver.of_type("question.received")
        [handed] = receiver.of_type("question.handed_off")
        for hook in (received, handed):
            assert verify(secret, hook.headers, hook.body), hook.headers
            assert hook.path == "/hooks" and hook.headers["content-type"] == "application/json"
        data = received.json["data"]
        assert data["question_id"] == str(question["id"]) and data["text"] == question["text"]
        assert data["account"]["id"] == connected.account_id and data["item_id"] == question["item_id"]
        with transaction(ctx.sessions) as s:
            reason = s.scalars(select(Conversation.handoff_reason)).one()
        assert reason and handed.json["data"]["reason"] == reason  # why the bot did not answer

        # The same question read again (a redelivered notification, a sweep) is no new event.
        ingest(connected, "questions", question["id"])
        send_owed(ctx)
        assert len(receiver.of_type("question.received")) == 1

        # An agent answers; once Mercado Libre has it, the integrator hears it, once.
        from mostrador.users.service import create_user

        agent = create_user(ctx.sessions, "ana@example.com", "correct horse battery staple", "Ana", "w")
        with transaction(ctx.sessions) as s:
            thread = s.scalars(select(Conversation)).one()
            thread_id, workspace_id = thread.id, thread.workspace_id
        reply = actions.reply(
            ctx, workspace_id, agent, thread_id, "Sí, emitimos factura A.", in_reply_to=str(question["id"])
        )
        assert reply is not None
        send_owed(ctx)
        assert receiver.of_type("question.answered") == []  # recorded, not yet sent: nothing to say
        assert deliver(connected, reply.id) == "sent"
        send_owed(ctx)
        [answered] = receiver.of_type("question.answered")
        assert answered.json["data"]["text"] == "Sí, emitimos factura A."
        assert answered.json["data"]["answered_by"] == "agent" and verify(
            secret, answered.headers, answered.body
        )

        # Another workspace's endpoint, subscribed to everything, heard none of it.
        assert elsewhere.received == []
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == 3
    assert {m.msg_id for m in messages(ctx)} == set(ids)
    assert all(m.workspace_id == workspace_of(connected) for m in messages(ctx))
    log = endpoints.deliveries(ctx, workspace_of(connected), mine.id)
    assert [d.status for d in log] == ["succeeded"] * 3


def test_reading_the_feed_again_makes_no_second_event(connected: Connected, receiver: Receiver) -> None:
    """A replayed feed (the position lost, a crash before it moved) finds every fact already made."""
    ctx = connected.ctx
    endpoints.create(ctx, workspace_of(connected), receiver.url, "", ALL_EVENTS)
    question = ask_question(connected, "¿Tienen stock del azul?")
    ingest(connected, "questions", question["id"])
    send_owed(ctx)
    before = messages(ctx)
    assert {m.event_type for m in before} == {"question.received", "question.handed_off"}
    with transaction(ctx.sessions) as s:
        position = s.get(WebhookFeed, 1)
        assert position is not None
        position.cursor = 0
    assert send_owed(ctx) == []
    assert [m.msg_id for m in messages(ctx)] == [m.msg_id for m in before]
    assert len(receiver.received) == 2


def test_an_id_skipped_in_the_feed_is_read_when_it_commits(ctx: AppContext, account_id: int) -> None:
    """PostgreSQL may commit event 3 after event 4: the position keeps 3 as a gap and reads it later."""
    now = utcnow()
    with transaction(ctx.sessions) as s:
        start = s.get(WebhookFeed, 1).cursor  # type: ignore[union-attr]
        s.add(Event(id=start + 1, workspace_id=1, kind="outbox", conversation_id=None, data={}))
        s.add(Event(id=start + 3, workspace_id=1, kind="outbox", conversation_id=None, data={}))
    derive_all(ctx, now)
    with transaction(ctx.sessions) as s:
        position = s.get(WebhookFeed, 1)
        assert position is not None and (position.cursor, list(position.gaps)) == (
            start + 3,
            [str(start + 2)],
        )
        s.add(Event(id=start + 2, workspace_id=1, kind="outbox", conversation_id=None, data={}))
    derive_all(ctx, now)
    with transaction(ctx.sessions) as s:
        position = s.get(WebhookFeed, 1)
        assert position is not None and (position.cursor, position.gaps) == (start + 3, {})


def test_post_sale_messages_and_claims_opened_changed_and_due_soon(
    postsale: Connected, market: Market, receiver: Receiver
) -> None:
    ctx = postsale.ctx
    ctx.settings.webhooks_due_soon_s = 60 * 86_400  # the sandbox's claims are due in days
    _, secret = endpoints.create(ctx, workspace(ctx, "w"), receiver.url, "", ALL_EVENTS)
    order = market.sale("Auriculares inalámbricos")
    written = market.buyer_writes(order, "¿Cuándo llega?")
    ingest(postsale, "messages", written["id"])  # the messages topic points at the message
    claim = market.open_claim(order)
    ingest(postsale, "post_purchase", claim["id"])
    send_owed(ctx)
    [message] = receiver.of_type("message.received")
    assert message.json["data"]["text"] == "¿Cuándo llega?"
    assert message.json["data"]["pack_id"] == str(market.pack_of(order))
    [opened] = receiver.of_type("claim.opened")
    assert opened.json["data"]["claim_id"] == str(claim["id"]) and opened.json["data"]["stage"] == "claim"
    [due] = receiver.of_type("claim.due_soon")
    assert due.json["data"]["due_date"] == opened.json["data"]["due_date"]
    assert receiver.of_type("claim.changed") == []

    ingest(postsale, "post_purchase", claim["id"])  # read again, nothing moved: nothing to say
    send_owed(ctx)
    assert receiver.of_type("claim.changed") == []
    market.advance_claim(claim["id"], stage="dispute")
    ingest(postsale, "post_purchase", claim["id"])
    send_owed(ctx)
    [changed] = receiver.of_type("claim.changed")
    assert changed.json["data"]["stage"] == "dispute"
    assert all(verify(secret, r.headers, r.body) for r in receiver.received)
    assert len(receiver.of_type("claim.opened")) == 1


# ---- retries through DBOS ------------------------------------------------------------------------------
async def test_a_failing_receiver_is_retried_through_dbos_with_the_same_id_until_it_accepts(
    ctx: AppContext, settings: Settings
) -> None:
    """500, then no answer within the time-out, then 200: three tries of one delivery, one webhook-id,
    each signed for its own timestamp, recorded in the delivery log; started by the feed schedule. A
    delivery whose workflow ended without settling it is handed to a new run and delivered too."""
    settings.webhooks_feed_interval_s = 1
    with Receiver([500, HANG, 200]) as flaky, Receiver() as steady:
        ws = workspace(ctx, "w1")
        made, secret = endpoints.create(ctx, ws, flaky.url, "", ["question.received"])
        delivery_id = endpoints.send_test(ctx, ws, made.id)  # not started: the schedule starts it
        other, _ = endpoints.create(ctx, ws, steady.url, "", ["question.received"])
        stranded = endpoints.send_test(ctx, ws, other.id)
        with transaction(ctx.sessions) as s:  # recorded as started an hour ago; no workflow ever ran
            row = s.get(WebhookDelivery, stranded)
            assert row is not None
            row.enqueued_at = utcnow() - timedelta(hours=1)
        await runtime.launch(ctx)
        try:
            done = await asyncio.to_thread(
                wait_for, lambda: (d := delivery(ctx, delivery_id))[0].status != "pending" and d, 60
            )
            rescued = await asyncio.to_thread(
                wait_for, lambda: (d := delivery(ctx, stranded))[0].status != "pending" and d, 60
            )
        finally:
            runtime.shutdown()
        row, tries = done
        assert row.status == "succeeded" and row.attempts == 3 and row.enqueued_at is not None
        assert [(t.number, t.status_code) for t in tries] == [(1, 500), (2, None), (3, 200)]
        assert tries[1].error and "Timeout" in tries[1].error
        assert len(flaky.received) == 3
        assert len({r.headers["webhook-id"] for r in flaky.received}) == 1
        assert all(verify(secret, r.headers, r.body) for r in flaky.received)
        assert {r.body for r in flaky.received} == {flaky.received[0].body}
        assert flaky.received[0].json["type"] == "webhook.test"
        assert (rescued[0].status, rescued[0].runs, len(steady.received)) == ("succeeded", 2, 1)


def test_a_delivery_gives_up_after_its_budget_and_says_so(ctx: AppContext, settings: Settings) -> None:
    settings.webhooks_retry_delays_s = [0.01, 0.01]
    with Receiver([500, 503, 502, 200]) as down:
        ws = workspace(ctx, "w1")
        made, _ = endpoints.create(ctx, ws, down.url, "", ["question.received"])
        delivery_id = endpoints.send_test(ctx, ws, made.id)

        async def go() -> list[sender.Outcome]:
            outcomes = [await sender.attempt(ctx, delivery_id)]
            while outcomes[-1].status == "pending":
                outcomes.append(await sender.attempt(ctx, delivery_id))
            return outcomes

        outcomes = asyncio.run(go())
        assert [o.status for o in outcomes] == ["pending", "pending", "failed"]
        row, tries = delivery(ctx, delivery_id)
        assert (row.status, row.failure, row.attempts) == ("failed", "gave_up", 3)
        assert row.last_error and "HTTP 502" in row.last_error
        assert len(down.received) == 3 and len(tries) == 3
        assert asyncio.run(sender.attempt(ctx, delivery_id)).detail == "already settled"
        assert len(down.received) == 3
        [shown] = endpoints.deliveries(ctx, ws, made.id)
        assert shown.failure == "gave_up" and len(shown.attempts) == 3


def test_failed_deliveries_recovered_get_a_fresh_budget_and_nothing_else_is_sent_again(
    ctx: AppContext, settings: Settings
) -> None:
    """After an outage longer than the retries: what failed since the chosen moment is pending again,
    tried through every delay once more, under the same webhook-id; what succeeded, what is still
    pending and what failed before that moment stay as they are."""
    settings.webhooks_retry_delays_s = [0.01]
    with Receiver([503] * 5) as down:
        ws = workspace(ctx, "w1")
        made, _ = endpoints.create(ctx, ws, down.url, "", ["question.received"])
        old, failed, succeeded, pending = (endpoints.send_test(ctx, ws, made.id) for _ in range(4))

        def run_out(delivery_id: int) -> list[str]:
            async def go() -> list[str]:
                outcomes = [await sender.attempt(ctx, delivery_id)]
                while outcomes[-1].status == "pending":
                    outcomes.append(await sender.attempt(ctx, delivery_id))
                return [o.status for o in outcomes]

            return asyncio.run(go())

        assert run_out(old) == run_out(failed) == ["pending", "failed"]  # 4 requests, 503 each
        assert run_out(succeeded) == ["pending", "succeeded"]  # one 503, then the receiver is back
        with transaction(ctx.sessions) as s:  # the oldest failure is from before the chosen moment
            s.get(WebhookDelivery, old).created_at = utcnow() - timedelta(days=2)  # type: ignore[union-attr]
        assert endpoints.recover(ctx, ws, made.id, utcnow() - timedelta(days=1)) == 1
        again, _tries = delivery(ctx, failed)
        assert (again.status, again.failure, again.attempts, again.budget_from, again.runs) == (
            "pending",
            None,
            2,
            2,
            2,
        )
        assert [delivery(ctx, i)[0].status for i in (old, succeeded, pending)] == [
            "failed",
            "succeeded",
            "pending",
        ]
        # The fresh budget: a failure and a retry again (one more 503, then 200), the tries numbered on.
        down.script.append(503)
        assert run_out(failed) == ["pending", "succeeded"]
        row, tries = delivery(ctx, failed)
        assert (row.status, [t.number for t in tries]) == ("succeeded", [1, 2, 3, 4])
        webhook_id = endpoints.delivery(ctx, ws, made.id, failed).msg_id
        assert [r.headers["webhook-id"] for r in down.received].count(webhook_id) == 4
        # Recovering again touches nothing: nothing failed is left since then.
        assert endpoints.recover(ctx, ws, made.id, utcnow() - timedelta(days=1)) == 0


def test_a_recovered_delivery_is_sent_by_its_new_run_only_never_by_the_run_that_failed_it(
    ctx: AppContext, settings: Settings
) -> None:
    """A crash right after the last try recorded the failure and before DBOS recorded that step: on
    restart DBOS runs that try again under the old workflow id. If the admin recovered the delivery
    meanwhile, that old run must send nothing — the new run (`runs` + 1) owns it — or the receiver gets
    it twice at once."""
    settings.webhooks_retry_delays_s = [0.01]
    with Receiver([503, 503]) as down:
        ws = workspace(ctx, "w1")
        made, _ = endpoints.create(ctx, ws, down.url, "", ["question.received"])
        failed = endpoints.send_test(ctx, ws, made.id)
        tries = [asyncio.run(sender.attempt(ctx, failed, run=1)) for _ in range(2)]
        assert [o.status for o in tries] == ["pending", "failed"] and len(down.received) == 2
        assert endpoints.recover(ctx, ws, made.id, utcnow() - timedelta(hours=1)) == 1
        old_run = asyncio.run(sender.attempt(ctx, failed, run=webhook_workflows.run_of(f"webhook:{failed}")))
        assert (old_run.status, old_run.retry_in, old_run.detail) == ("pending", None, "another run owns it")
        assert len(down.received) == 2 and len(delivery(ctx, failed)[1]) == 2  # nothing sent, nothing logged
        new_id = webhook_workflows.delivery_workflow_id(failed, 2)
        new_run = asyncio.run(sender.attempt(ctx, failed, run=webhook_workflows.run_of(new_id)))
        assert new_run.status == "succeeded" and len(down.received) == 3
    ids = ("webhook:7", "webhook:7:3", "outbox:7", "webhook:x", None)
    assert [webhook_workflows.run_of(i) for i in ids] == [1, 3, None, None, None]


def test_recovering_refuses_a_disabled_endpoint_and_a_moment_that_is_not_one(ctx: AppContext) -> None:
    ws = workspace(ctx, "w1")
    made, _ = endpoints.create(ctx, ws, "https://example.com/h", "", ["claim.opened"])
    with pytest.raises(endpoints.EndpointRefused, match="futura"):
        endpoints.recover(ctx, ws, made.id, utcnow() + timedelta(minutes=5))
    with pytest.raises(endpoints.EndpointRefused, match="zona horaria"):
        endpoints.recover(ctx, ws, made.id, utcnow().replace(tzinfo=None))
    endpoints.update(ctx, ws, made.id, made.url, "", ["claim.opened"], False)
    with pytest.raises(endpoints.EndpointDisabled):
        endpoints.recover(ctx, ws, made.id, utcnow() - timedelta(hours=1))


# ---- server-side request forgery -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",
        "http://localhost/hooks",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://224.0.0.1/",
    ],
)
def test_non_public_addresses_are_refused_when_saved(ctx: AppContext, settings: Settings, url: str) -> None:
    settings.webhooks_allow_private_addresses = False
    with pytest.raises(endpoints.EndpointRefused, match="privadas o locales"):
        endpoints.create(ctx, workspace(ctx, "w1"), url, "", ["question.received"])


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com/", "https://"),
        ("https://user:pw@example.com/", "usuario"),
        ("https:///nohost", "servidor"),
        ("https://example.com:99999/", "no es válida"),
        ("", "entre 1"),
    ],
)
def test_malformed_urls_are_refused_with_a_reason(ctx: AppContext, url: str, why: str) -> None:
    with pytest.raises(endpoints.EndpointRefused, match=why):
        endpoints.create(ctx, workspace(ctx, "w1"), url, "", ["question.received"])


def test_an_ipv6_address_in_the_url_is_sent_to_with_its_brackets_in_the_host_header(ctx: AppContext) -> None:
    """An endpoint written as an IPv6 address (the pages and the API take them): the try connects to that
    address and presents the host as the URL wrote it ("[::1]:port"), as HTTP/1.1 asks (RFC 9112 §3.2)."""
    ws = workspace(ctx, "w1")
    with Receiver(host="::1") as v6:
        made, secret = endpoints.create(ctx, ws, v6.url, "", ["question.received"])
        outcome = asyncio.run(sender.attempt(ctx, endpoints.send_test(ctx, ws, made.id)))
        assert outcome.status == "succeeded", outcome
        (got,) = v6.received
        assert got.headers["host"] == v6.url.split("/")[2] and got.headers["host"].startswith("[::1]:")
        assert verify(secret, got.headers, got.body)


def test_a_name_that_resolves_to_loopback_is_refused_at_send_time(
    ctx: AppContext, settings: Settings, receiver: Receiver
) -> None:
    """Checked on the address the name resolves to when sending, not only on the URL when saved: the
    endpoint was saved while private addresses were allowed, then the operator turned that off."""
    ws = workspace(ctx, "w1")
    port = receiver.url.split(":")[2].split("/")[0]
    made, _ = endpoints.create(ctx, ws, f"http://localhost:{port}/hooks", "", ["question.received"])
    settings.webhooks_allow_private_addresses = False
    delivery_id = endpoints.send_test(ctx, ws, made.id)
    outcome = asyncio.run(sender.attempt(ctx, delivery_id))
    assert (outcome.status, outcome.detail) == ("failed", "address_refused")
    row, tries = delivery(ctx, delivery_id)
    assert row.failure == "address_refused" and "no pública" in (row.last_error or "")
    assert len(tries) == 1 and tries[0].status_code is None
    assert receiver.received == []
    settings.webhooks_allow_private_addresses = True  # the same endpoint, allowed: delivered
    again = endpoints.send_test(ctx, ws, made.id)
    assert asyncio.run(sender.attempt(ctx, again)).status == "succeeded"
    assert len(receiver.received) == 1


def test_is_public_judges_addresses_as_the_specification_of_each_range_says() -> None:
    import ipaddress

    public = ["8.8.8.8", "2001:4860:4860::8888", "::ffff:8.8.8.8"]
    private = ["127.0.0.1", "10.0.0.1", "169.254.1.1", "::1", "fc00::1", "::ffff:10.0.0.1", "ff02::1"]
    assert all(addresses.is_public(ipaddress.ip_address(a)) for a in public)
    assert not any(addresses.is_public(ipaddress.ip_address(a)) for a in private)


# ---- the admin pages -----------------------------------------------------------------------------------
def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


async def test_an_admin_makes_an_endpoint_sees_its_secret_once_and_sends_a_test_event(
    web: Any, ctx: AppContext, receiver: Receiver
) -> None:
    page = await web.get("/webhooks")
    assert page.status_code == 200 and "Nuevo endpoint" in page.text
    csrf = csrf_of(page.text)
    refused = await web.post(
        "/webhooks",
        data={"url": "ftp://x", "event_types": ["question.received"], "csrf_token": csrf},
    )
    assert refused.status_code == 422 and "https://" in refused.text
    without_token = await web.post(
        "/webhooks",
        data={"url": receiver.url, "event_types": ["question.received"]},
        headers={"x-csrf-token": ""},
    )
    assert without_token.status_code == 403
    made = await web.post(
        "/webhooks",
        data={
            "url": receiver.url,
            "description": "<script>alert(1)</script>",
            "event_types": ["question.received", "claim.opened"],
            "csrf_token": csrf,
        },
    )
    assert made.status_code == 201
    [secret] = re.findall(r"whsec_[A-Za-z0-9+/=]+", made.text)
    endpoint_id = int(re.search(r'action="/webhooks/(\d+)/test"', made.text).group(1))  # type: ignore[union-attr]
    shown = await web.get(f"/webhooks/{endpoint_id}")
    assert "whsec_" not in shown.text
    listing = await web.get("/webhooks")
    assert "<script>alert(1)</script>" not in listing.text and "&lt;script&gt;" in listing.text

    tested = await web.post(f"/webhooks/{endpoint_id}/test", data={"csrf_token": csrf})
    assert tested.status_code == 303
    await asyncio.to_thread(send_owed, ctx)  # no DBOS behind this app: what the schedule would start
    [hook] = receiver.of_type("webhook.test")
    assert verify(secret, hook.headers, hook.body)
    log = await web.get(f"/webhooks/{endpoint_id}")
    assert hook.headers["webhook-id"] in log.text and 'data-status="succeeded"' in log.text

    off = await web.post(
        f"/webhooks/{endpoint_id}",
        data={"url": receiver.url, "event_types": ["claim.opened"], "csrf_token": csrf},
    )
    assert off.status_code == 303
    assert endpoints.get(ctx, workspace(ctx, "w1"), endpoint_id).enabled is False
    refused_test = await web.post(f"/webhooks/{endpoint_id}/test", data={"csrf_token": csrf})
    assert refused_test.status_code == 422 and "desactivado" in refused_test.text
    assert "data-recovered" not in refused_test.text  # a page re-rendered with an error claims no resend

    rotated = await web.post(f"/webhooks/{endpoint_id}/secret", data={"csrf_token": csrf})
    [new_secret] = re.findall(r"whsec_[A-Za-z0-9+/=]+", rotated.text)
    assert new_secret != secret
    gone = await web.post(f"/webhooks/{endpoint_id}/delete", data={"csrf_token": csrf})
    assert gone.status_code == 303 and endpoints.list_endpoints(ctx, workspace(ctx, "w1")) == []
    assert (await web.get(f"/webhooks/{endpoint_id}")).status_code == 404
    with transaction(ctx.sessions) as s:  # the audit log: each change once, by Ana; refusals not at all
        logged = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.target, e.actor) for e in logged] == [
        (action, f"webhook:{endpoint_id}", "Ana <ana@example.com>")
        for action in ("webhook.created", "webhook.changed", "webhook.changed", "webhook.deleted")
    ]


def test_another_workspace_s_endpoint_is_not_found(ctx: AppContext) -> None:
    made, _ = endpoints.create(ctx, workspace(ctx, "w1"), "https://example.com/h", "", ["claim.opened"])
    other = workspace(ctx, "w2")
    for call in (
        lambda: endpoints.get(ctx, other, made.id),
        lambda: endpoints.deliveries(ctx, other, made.id),
        lambda: endpoints.send_test(ctx, other, made.id),
        lambda: endpoints.rotate_secret(ctx, other, made.id),
        lambda: endpoints.delete(ctx, other, made.id),
        lambda: endpoints.update(ctx, other, made.id, "https://example.com/x", "", ["claim.opened"], True),
        lambda: endpoints.recover(ctx, other, made.id, utcnow() - timedelta(hours=1)),
    ):
        with pytest.raises(endpoints.EndpointNotFound):
            call()
    assert endpoints.get(ctx, workspace(ctx, "w1"), made.id).url == "https://example.com/h"
    assert json.loads(json.dumps(endpoints.list_endpoints(ctx, other), default=str)) == []


def test_secrets_are_encrypted_at_rest_and_follow_a_token_key_rotation(ctx: AppContext) -> None:
    from cryptography.fernet import Fernet
    from pydantic import SecretStr

    from mostrador.context import build_context
    from mostrador.security.crypto import TokenCipher, TokenDecryptError
    from mostrador.store.models import WebhookEndpoint

    made, secret = endpoints.create(ctx, workspace(ctx, "w1"), "https://example.com/h", "", ["claim.opened"])
    with transaction(ctx.sessions) as s:
        stored = s.get(WebhookEndpoint, made.id)
        assert stored is not None and secret not in stored.secret_enc
    old_key, new_key = ctx.settings.token_keys[0], SecretStr(Fernet.generate_key().decode())
    ctx.settings.token_keys = [new_key, old_key]
    rotated = build_context(ctx.settings)
    try:
        assert endpoints.reencrypt_secrets(rotated) == 1
    finally:
        rotated.engine.dispose()
    with transaction(ctx.sessions) as s:
        stored = s.get(WebhookEndpoint, made.id)
        assert stored is not None
        assert TokenCipher([new_key.get_secret_value()]).decrypt(stored.secret_enc) == secret
        with pytest.raises(TokenDecryptError):
            TokenCipher([old_key.get_secret_value()]).decrypt(stored.secret_enc)


def test_two_feed_passes_at_once_make_each_event_and_delivery_once(
    connected: Connected, receiver: Receiver
) -> None:
    """Two processes' schedules read the feed at the same moment (the schedule runs once across
    processes, but a slow pass can overlap the next): every event is made once, with one delivery and
    one `webhook-id`, and neither pass fails."""
    import threading

    ctx = connected.ctx
    endpoints.create(ctx, workspace_of(connected), receiver.url, "", QUESTION_EVENTS)
    for n in range(3):
        ingest(
            connected,
            "questions",
            ask_question(connected, f"¿Pregunta {n} sobre el envío?", buyer=f"BUYER{n}")["id"],
        )
    start = threading.Barrier(2)
    made: list[int] = []
    errors: list[BaseException] = []

    def one_pass() -> None:
        start.wait()
        try:
            made.append(derive_all(ctx, utcnow()))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    passes = [threading.Thread(target=one_pass) for _ in range(2)]
    for t in passes:
        t.start()
    for t in passes:
        t.join(60)
    assert errors == [] and len(made) == 2
    made_events = messages(ctx)
    assert sum(made) == len(made_events) == 6  # received and handed off, for each of three questions
    assert len({m.dedup_key for m in made_events}) == len({m.msg_id for m in made_events}) == 6
    send_owed(ctx)
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert sorted(ids) == sorted(m.msg_id for m in made_events)  # each delivered once


async def test_an_admin_sends_again_from_the_page_what_failed_and_bad_input_changes_nothing(
    web: Any, ctx: AppContext, settings: Settings
) -> None:
    """The page's "Reenviar fallidos": only the offered spans, never for a disabled endpoint, never
    without the form's token; what it reopened is counted on the page and once in the audit log."""
    settings.webhooks_retry_delays_s = [0.01]
    with Receiver([503, 503]) as down:
        page = await web.get("/webhooks")
        csrf = csrf_of(page.text)
        made = await web.post(
            "/webhooks", data={"url": down.url, "event_types": ["claim.opened"], "csrf_token": csrf}
        )
        endpoint_id = int(re.search(r'action="/webhooks/(\d+)/recover"', made.text).group(1))  # type: ignore[union-attr]
        assert (await web.post(f"/webhooks/{endpoint_id}/test", data={"csrf_token": csrf})).status_code == 303
        assert [o.status for o in await asyncio.to_thread(lambda: send_owed(ctx) + send_owed(ctx))] == [
            "pending",
            "failed",
        ]
        for hours in ("", "2", "-1", "24h"):
            bad = await web.post(
                f"/webhooks/{endpoint_id}/recover", data={"csrf_token": csrf, "hours": hours}
            )
            assert bad.status_code == 422 and "Elegí desde cuándo reenviar." in bad.text
            assert "data-recovered" not in bad.text and "se reenvían" not in bad.text  # no "resent: ."
        forged = await web.post(
            f"/webhooks/{endpoint_id}/recover", data={"hours": "24"}, headers={"x-csrf-token": ""}
        )
        assert forged.status_code == 403
        assert (
            await web.post(f"/webhooks/{endpoint_id + 99}/recover", data={"csrf_token": csrf, "hours": "24"})
        ).status_code == 404
        ws = workspace(ctx, "w1")
        endpoint = endpoints.get(ctx, ws, endpoint_id)
        endpoints.update(ctx, ws, endpoint_id, endpoint.url, "", ["claim.opened"], False)
        off = await web.post(f"/webhooks/{endpoint_id}/recover", data={"csrf_token": csrf, "hours": "24"})
        assert off.status_code == 422 and "desactivado" in off.text
        with transaction(ctx.sessions) as s:
            assert s.scalars(select(WebhookDelivery.status)).all() == ["failed"]
        endpoints.update(ctx, ws, endpoint_id, endpoint.url, "", ["claim.opened"], True)
        sent = await web.post(f"/webhooks/{endpoint_id}/recover", data={"csrf_token": csrf, "hours": "24"})
        assert (sent.status_code, sent.headers["location"]) == (303, f"/webhooks/{endpoint_id}?recovered=1")
        shown = await web.get(sent.headers["location"])
        assert 'data-recovered="1"' in shown.text and 'data-status="pending"' in shown.text
        assert shown.text.count("data-resent-at") == 1  # the log says which delivery was sent again
        assert [o.status for o in await asyncio.to_thread(send_owed, ctx)] == ["succeeded"]
    with transaction(ctx.sessions) as s:
        logged = s.scalars(select(AuditEntry).where(AuditEntry.action == "webhook.recovered")).all()
    assert [(e.target, e.details) for e in logged] == [(f"webhook:{endpoint_id}", {"hours": 24, "count": 1})]
