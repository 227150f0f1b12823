"""Webhook endpoints through the REST API (`/api/v1/webhook-endpoints`), over real HTTP to the app in
front of a sandbox seller, with real receivers on loopback: an integration makes an endpoint (the secret
shown once), hears its signed test event (checked by the verifier written from the specification),
reads the delivery log page by page, changes, rotates and deletes it — through the pages' own service,
with the same refusals (private addresses, unknown types, another workspace's ids) and audit entries.
Also the hostile week: bad and huge bodies, NUL bytes, a key revoked mid-use, a deletion while an
attempt is under way, and the audit of writes made through the API.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from mostrador.channels.webhook_events import Fact
from mostrador.context import AppContext
from mostrador.store import people as people_store
from mostrador.store import webhooks as webhooks_store
from mostrador.store.db import transaction
from mostrador.store.models import (
    AuditEntry,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
    utcnow,
)
from mostrador.users import api_keys
from mostrador.webhooks import endpoints, sender
from mostrador.webhooks.derive import record_fact

from ..conftest import PG_URL
from ..waiting import wait_for
from .sandbox_grant import Connected
from .test_api import Api, is_problem, question_in_inbox, served_api
from .test_webhooks import send_owed
from .webhook_receiver import HANG, Receiver, verify

BASE = "/api/v1/webhook-endpoints"
SINCE = "2020-01-01T00:00:00Z"  # every failure of the test's endpoint
SECRET = re.compile(r"whsec_[A-Za-z0-9+/]{43}=")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def api(connected: Connected) -> Iterator[Api]:
    with served_api(connected) as served:
        yield served


@pytest.fixture
def loopback(api: Api) -> Api:
    """Receivers listen on 127.0.0.1: allowed here, except where the refusal is what is tested."""
    settings = api.connected.ctx.settings
    settings.webhooks_allow_private_addresses = True
    settings.webhooks_retry_delays_s = [0.05]
    settings.webhooks_timeout_s = 0.5
    return api


def audit_log(api: Api) -> list[AuditEntry]:
    with transaction(api.connected.ctx.sessions) as s:
        found = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        s.expunge_all()
        return found


def key_label(api: Api, kind: str) -> str:
    prefix = api.keys[kind].split(".")[0]
    with transaction(api.connected.ctx.sessions) as s:
        ws = people_store.workspace_by_name(s, "w")
        assert ws is not None
        [info] = [k for k in api_keys.keys_of(s, ws.id) if k.prefix == prefix]
        return f"clave API {info.name} ({prefix})"


# ---- the whole life of an endpoint ---------------------------------------------------------------------
def test_an_integration_manages_an_endpoint_and_hears_its_signed_test_event(
    loopback: Api, receiver: Receiver
) -> None:
    api = loopback
    with api.client("write") as c:
        made = c.post(BASE, json={"url": receiver.url, "event_types": ["question.received", "claim.opened"]})
        assert made.status_code == 201, made.text
        created = made.json()
        secret, endpoint_id = created["secret"], created["id"]
        assert SECRET.fullmatch(secret) and created["enabled"] is True
        assert created["event_types"] == ["question.received", "claim.opened"]
        listed = c.get(BASE).json()
        assert [e["id"] for e in listed["data"]] == [endpoint_id] and listed["next_cursor"] is None
        shown = c.get(f"{BASE}/{endpoint_id}")
        assert shown.status_code == 200 and "whsec_" not in shown.text + c.get(BASE).text

        tested = c.post(f"{BASE}/{endpoint_id}/test")
        assert tested.status_code == 202, tested.text
        delivery = tested.json()
        assert (delivery["status"], delivery["event_type"], delivery["attempts"]) == (
            "pending",
            "webhook.test",
            [],
        )
        send_owed(api.connected.ctx)  # what the feed schedule and the delivery workflow do (no DBOS here)
        [hook] = receiver.of_type("webhook.test")
        assert verify(secret, hook.headers, hook.body)
        assert hook.headers["webhook-id"] == delivery["webhook_id"]
        followed = c.get(f"{BASE}/{endpoint_id}/deliveries/{delivery['id']}").json()
        assert followed["status"] == "succeeded" and followed["body"].encode() == hook.body
        assert followed["recovered_at"] is None
        assert [(a["number"], a["status_code"]) for a in followed["attempts"]] == [(1, 200)]

        off = c.patch(f"{BASE}/{endpoint_id}", json={"enabled": False})
        assert off.status_code == 200 and off.json()["enabled"] is False
        assert off.json()["event_types"] == ["question.received", "claim.opened"]  # left as it was
        assert is_problem(c.post(f"{BASE}/{endpoint_id}/test"), 409)
        assert is_problem(c.patch(f"{BASE}/{endpoint_id}", json={"event_types": ["order.paid"]}), 422)
        assert is_problem(c.patch(f"{BASE}/{endpoint_id}", json={"enabeld": True}), 422)  # a typo
        assert is_problem(c.patch(f"{BASE}/{endpoint_id}", json={"event_types": []}), 422)

        rotated = c.post(f"{BASE}/{endpoint_id}/secret").json()["secret"]
        assert SECRET.fullmatch(rotated) and rotated != secret
        on = c.patch(f"{BASE}/{endpoint_id}", json={"enabled": True, "description": "ERP"})
        assert on.json()["enabled"] is True and on.json()["description"] == "ERP"
        assert c.post(f"{BASE}/{endpoint_id}/test").status_code == 202
        send_owed(api.connected.ctx)
        second = receiver.of_type("webhook.test")[1]
        assert verify(rotated, second.headers, second.body) and not verify(
            secret, second.headers, second.body
        )

        assert c.delete(f"{BASE}/{endpoint_id}").status_code == 204
        assert is_problem(c.get(f"{BASE}/{endpoint_id}"), 404)
        assert is_problem(c.delete(f"{BASE}/{endpoint_id}"), 404)  # a repeated DELETE changes nothing
        assert c.get(BASE).json()["data"] == []
    actor = key_label(api, "write")
    assert [(e.action, e.target, e.actor, e.user_id) for e in audit_log(api)] == [
        (action, f"webhook:{endpoint_id}", actor, None)
        for action in ("webhook.created", "webhook.changed", "webhook.changed", "webhook.changed")
    ] + [("webhook.deleted", f"webhook:{endpoint_id}", actor, None)]


def test_private_and_loopback_addresses_are_refused_as_in_the_pages(api: Api) -> None:
    assert api.connected.ctx.settings.webhooks_allow_private_addresses is False
    with api.client("write") as c:
        for url in (
            "http://127.0.0.1:8000/h",
            "http://localhost/h",
            "http://169.254.169.254/",
            "http://10.0.0.1",
        ):
            r = c.post(BASE, json={"url": url, "event_types": ["question.received"]})
            assert is_problem(r, 422) and "privadas o locales" in r.json()["detail"], (url, r.text)
            assert r.json()["type"] == "urn:mostrador:problem:address-not-allowed"
        ipv6 = c.post(BASE, json={"url": "http://[::1]/", "event_types": ["question.received"]})
        assert is_problem(ipv6, 422) and ipv6.json()["type"] == "urn:mostrador:problem:address-not-allowed"
        for malformed in ("http://[::g]/", "http://[1.2.3.4]/", "http://[::1%25eth0]/", "http://::1/"):
            r = c.post(BASE, json={"url": malformed, "event_types": ["question.received"]})
            assert is_problem(r, 422) and r.json()["errors"][0]["loc"] == ["body", "url"], malformed
        public_v6 = c.post(
            BASE, json={"url": "https://[2001:4860:4860::8888]:8443/h", "event_types": ["claim.opened"]}
        )
        assert public_v6.status_code == 201, public_v6.text
        assert is_problem(c.post(BASE, json={"url": "ftp://x.example", "event_types": ["claim.opened"]}), 422)
        made = c.post(BASE, json={"url": "https://hooks.example.com/a", "event_types": ["claim.opened"]})
        assert made.status_code == 201
        endpoint_id = made.json()["id"]
        moved = c.patch(f"{BASE}/{endpoint_id}", json={"url": "http://10.0.0.5/inside"})
        assert is_problem(moved, 422)
        assert c.get(f"{BASE}/{endpoint_id}").json()["url"] == "https://hooks.example.com/a"
    assert [e.action for e in audit_log(api)] == ["webhook.created"] * 2  # refusals are not logged


# ---- scopes, workspaces, keys --------------------------------------------------------------------------
def test_read_keys_read_other_workspaces_see_nothing_and_a_revoked_key_stops_at_once(
    api: Api,
) -> None:
    with api.client("write") as c:
        endpoint_id = c.post(
            BASE, json={"url": "https://h.example.com/", "event_types": ["claim.opened"]}
        ).json()["id"]
        delivery_id = c.post(f"{BASE}/{endpoint_id}/test").json()["id"]
    mine = [
        f"{BASE}/{endpoint_id}",
        f"{BASE}/{endpoint_id}/deliveries",
        f"{BASE}/{endpoint_id}/deliveries/{delivery_id}",
    ]
    with api.client("read") as c:
        assert all(c.get(path).status_code == 200 for path in [BASE, *mine])
        assert is_problem(
            c.post(BASE, json={"url": "https://x.example.com/", "event_types": ["claim.opened"]}), 403
        )
        assert is_problem(c.patch(f"{BASE}/{endpoint_id}", json={"enabled": False}), 403)
        assert is_problem(c.delete(f"{BASE}/{endpoint_id}"), 403)
        assert is_problem(c.post(f"{BASE}/{endpoint_id}/test"), 403)
        assert is_problem(c.post(f"{BASE}/{endpoint_id}/secret"), 403)
        assert is_problem(c.post(f"{BASE}/{endpoint_id}/recover", json={"since": SINCE}), 403)
    with api.client("other") as theirs:
        assert theirs.get(BASE).json()["data"] == []
        for path in mine:
            r = theirs.get(path)
            assert is_problem(r, 404) and "h.example.com" not in r.text
        assert is_problem(theirs.delete(f"{BASE}/{endpoint_id}"), 404)
        assert is_problem(theirs.patch(f"{BASE}/{endpoint_id}", json={"enabled": False}), 404)
        assert is_problem(theirs.post(f"{BASE}/{endpoint_id}/recover", json={"since": SINCE}), 404)
        theirs_made = theirs.post(
            BASE, json={"url": "https://o.example.com/", "event_types": ["claim.opened"]}
        )
        their_id = theirs_made.json()["id"]
    with api.client("write") as c:
        assert is_problem(c.get(f"{BASE}/{their_id}"), 404)
        assert is_problem(c.get(f"{BASE}/{their_id}/deliveries/{delivery_id}"), 404)  # mixed ids
        assert is_problem(c.get(f"{BASE}/{endpoint_id}/deliveries/{delivery_id + 999}"), 404)
        assert [e["id"] for e in c.get(BASE).json()["data"]] == [endpoint_id]
        # Revoked while a client keeps using it: the next request is refused, nothing else changes.
        assert c.get(BASE).status_code == 200
        with transaction(api.connected.ctx.sessions) as s:
            holder = api_keys.authenticate(api.connected.ctx.sessions, api.keys["write"])
            assert holder is not None
            api_keys.revoke(s, holder.workspace_id, holder.key_id)
        assert is_problem(c.delete(f"{BASE}/{endpoint_id}"), 401)
        assert is_problem(c.get(BASE), 401)
    with api.client("read") as c:
        assert c.get(f"{BASE}/{endpoint_id}").json()["enabled"] is True


def test_an_integration_sends_again_what_failed_during_its_outage(loopback: Api) -> None:
    """The receiver was down through every retry; the integration asks for the failures since a moment,
    once: each failed delivery comes back pending and is delivered; asked again, nothing more."""
    ctx = loopback.connected.ctx
    with Receiver([503, 503]) as down, loopback.client("write") as c:
        endpoint_id = c.post(BASE, json={"url": down.url, "event_types": ["claim.opened"]}).json()["id"]
        delivery_id = c.post(f"{BASE}/{endpoint_id}/test").json()["id"]
        # What the feed schedule and the delivery workflow do (no DBOS here): two tries, both 503.
        assert [o.status for o in send_owed(ctx) + send_owed(ctx)] == ["pending", "failed"]
        assert is_problem(c.post(f"{BASE}/{endpoint_id}/recover", json={"since": "2026-11-28T10:00:00"}), 422)
        future = (utcnow() + timedelta(hours=1)).isoformat()
        assert is_problem(c.post(f"{BASE}/{endpoint_id}/recover", json={"since": future}), 422)
        r = c.post(f"{BASE}/{endpoint_id}/recover", json={"since": SINCE})
        assert (r.status_code, r.json()) == (202, {"recovered": 1})
        assert [o.status for o in send_owed(ctx)] == ["succeeded"]
        found = c.get(f"{BASE}/{endpoint_id}/deliveries/{delivery_id}").json()
        assert [(a["number"], a["status_code"]) for a in found["attempts"]] == [(1, 503), (2, 503), (3, 200)]
        assert found["recovered_at"] is not None
        assert c.post(f"{BASE}/{endpoint_id}/recover", json={"since": SINCE}).json() == {"recovered": 0}
        assert c.patch(f"{BASE}/{endpoint_id}", json={"enabled": False}).status_code == 200
        off = c.post(f"{BASE}/{endpoint_id}/recover", json={"since": SINCE})
        assert is_problem(off, 409) and off.json()["type"].endswith("endpoint-disabled")
    logged = [e for e in audit_log(loopback) if e.action == "webhook.recovered"]
    assert [(e.actor, e.details["count"]) for e in logged] == [
        (key_label(loopback, "write"), n) for n in (1, 0)
    ]


# ---- the delivery log in pages -------------------------------------------------------------------------
def test_the_delivery_log_walks_every_delivery_once_and_filters(loopback: Api) -> None:
    api = loopback
    with Receiver([500]) as flaky, api.client("write") as c:
        endpoint_id = c.post(BASE, json={"url": flaky.url, "event_types": ["question.received"]}).json()["id"]
        sent = [c.post(f"{BASE}/{endpoint_id}/test").json()["id"] for _ in range(5)]
        outcomes = send_owed(api.connected.ctx)  # the first attempt meets the 500; the rest succeed
        assert sorted(o.status for o in outcomes) == ["pending", *["succeeded"] * 4]
        walked, cursor, pages = [], None, 0
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            body = c.get(f"{BASE}/{endpoint_id}/deliveries", params=params).json()
            walked += [d["id"] for d in body["data"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
            if pages == 1:  # a delivery made during the walk comes on a later page, once
                sent.append(c.post(f"{BASE}/{endpoint_id}/test").json()["id"])
        assert walked == sent and pages >= 3
        pending = c.get(f"{BASE}/{endpoint_id}/deliveries", params={"status": "pending"}).json()["data"]
        assert [d["id"] for d in pending] == [sent[0], sent[-1]]
        assert pending[0]["attempts"][0]["status_code"] == 500 and pending[0]["next_attempt_at"]
        tests = c.get(f"{BASE}/{endpoint_id}/deliveries", params={"event_type": "webhook.test"}).json()
        assert len(tests["data"]) == 6
        assert (
            c.get(f"{BASE}/{endpoint_id}/deliveries", params={"event_type": "claim.opened"}).json()["data"]
            == []
        )
        assert is_problem(c.get(f"{BASE}/{endpoint_id}/deliveries", params={"status": "lost"}), 422)
        assert is_problem(c.get(f"{BASE}/{endpoint_id}/deliveries", params={"stauts": "pending"}), 422)


# ---- the hostile week ----------------------------------------------------------------------------------
def test_bad_huge_and_nul_bodies_are_clear_refusals(api: Api) -> None:
    with api.client("write") as c:
        broken = c.post(BASE, content=b'{"url": ', headers={"content-type": "application/json"})
        assert is_problem(broken, 400)
        assert is_problem(c.post(BASE, json=["https://a.example.com/"]), 422)
        assert is_problem(c.post(BASE, json={"url": "https://a.example.com/"}), 422)  # no event types
        for nul in ({"url": "https://a.example.com/\x00"}, {"description": "ERP\x00"}):
            body = {"url": "https://a.example.com/", "event_types": ["claim.opened"], **nul}
            r = c.post(BASE, json=body)
            assert is_problem(r, 422) and r.json()["errors"][0]["loc"][:1] == ["body"], r.text
        made = c.post(BASE, json={"url": "https://a.example.com/", "event_types": ["claim.opened"]}).json()
        assert is_problem(c.patch(f"{BASE}/{made['id']}", json={"description": "a\x00b"}), 422)
        assert c.delete(f"{BASE}/{made['id']}").status_code == 204
    ctx = api.connected.ctx
    with transaction(ctx.sessions) as s:
        ws = people_store.get_or_create_workspace(s, "w").id
    for url, description in (("https://a.example.com/\x00", ""), ("https://a.example.com/", "ERP\x00")):
        with pytest.raises(endpoints.EndpointRefused, match="byte nulo"):  # the pages' forms: same service
            endpoints.create(ctx, ws, url, description, ["claim.opened"])
    with api.client("write") as c:
        huge = {
            "url": "https://a.example.com/",
            "event_types": ["claim.opened"],
            "description": "x" * 2_000_000,
        }
        assert is_problem(c.post(BASE, json=huge), 413)
        assert is_problem(c.post(BASE, json={**huge, "description": "x" * 201}), 422)
        long_url = "https://a.example.com/" + "a" * 2_000
        assert is_problem(c.post(BASE, json={"url": long_url, "event_types": ["claim.opened"]}), 422)
        assert c.get(BASE).json()["data"] == []  # nothing was made by any of them


def test_an_endpoint_deleted_while_an_attempt_is_under_way_leaves_nothing_behind(loopback: Api) -> None:
    api = loopback
    ctx = api.connected.ctx
    ctx.settings.webhooks_timeout_s = 5
    with Receiver([HANG], hang_s=5) as slow, api.client("write") as c:
        endpoint_id = c.post(BASE, json={"url": slow.url, "event_types": ["claim.opened"]}).json()["id"]
        delivery_id = c.post(f"{BASE}/{endpoint_id}/test").json()["id"]
        outcome: list[sender.Outcome] = []
        attempt = threading.Thread(
            target=lambda: outcome.append(asyncio.run(sender.attempt(ctx, delivery_id)))
        )
        attempt.start()
        try:
            for _ in range(500):  # until the receiver holds the request
                if slow.received:
                    break
                threading.Event().wait(0.01)
            assert slow.received, "the attempt never reached the receiver"
            assert c.delete(f"{BASE}/{endpoint_id}").status_code == 204
        finally:
            slow._release.set()  # the receiver answers now
            attempt.join(10)
        assert [o.detail for o in outcome] == ["gone"]
        with transaction(ctx.sessions) as s:
            assert s.scalars(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)).first() is None
            assert (
                s.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)).first()
                is None
            )
            assert len(s.scalars(select(WebhookMessage)).all()) == 1  # the event stays; nobody is owed it
        assert asyncio.run(sender.attempt(ctx, delivery_id)).detail == "gone"  # a later run of it: nothing
        assert is_problem(c.get(f"{BASE}/{endpoint_id}/deliveries/{delivery_id}"), 404)


def test_writes_through_the_api_are_in_the_audit_log_with_the_key_as_actor(api: Api) -> None:
    question = question_in_inbox(api, "¿Tiene garantía?")
    with api.client("write") as c:
        r = c.post(f"/api/v1/questions/{question['id']}/answer", json={"text": "Sí, 12 meses de garantía."})
        assert r.status_code == 202, r.text
        refused = c.post(
            f"/api/v1/questions/{question['id']}/answer", json={"text": "Llamame al 11 4444 5555"}
        )
        assert is_problem(refused, 422)  # refused by the guard: not in the log
    logged = [e for e in audit_log(api) if e.action == "question.answered"]
    assert len(logged) == 1
    assert logged[0].actor == key_label(api, "write") and logged[0].user_id is None
    assert logged[0].details["question_id"] == str(question["id"])
    assert logged[0].details["api_key_id"] > 0


def test_endpoints_made_with_the_api_are_the_pages_endpoints(api: Api) -> None:
    """One service: what the API made is what the pages list, and the other way round."""
    with api.client("write") as c:
        made = c.post(BASE, json={"url": "https://a.example.com/", "event_types": ["claim.opened"]}).json()
    ctx = api.connected.ctx
    with transaction(ctx.sessions) as s:
        ws = people_store.get_or_create_workspace(s, "w").id
    assert [e.id for e in endpoints.list_endpoints(ctx, ws)] == [made["id"]]
    page_made, _ = endpoints.create(ctx, ws, "https://b.example.com/", "", ["question.answered"])
    with api.client("read") as c:
        assert [e["url"] for e in c.get(BASE).json()["data"]] == [
            "https://a.example.com/",
            "https://b.example.com/",
        ]
        assert c.get(f"{BASE}/{page_made.id}").json()["event_types"] == ["question.answered"]


def test_the_same_answer_posted_at_once_from_several_clients_is_recorded_once(api: Api) -> None:
    """A retrying integration, or two workers of it, send the same answer at the same moment: one
    outbox entry, never a 5xx (the outbox's one answer per question holds under concurrency)."""
    question = question_in_inbox(api, "¿Viene con cargador?")
    path = f"/api/v1/questions/{question['id']}/answer"
    start = threading.Barrier(4)
    answers: list[httpx.Response] = []

    def post() -> None:
        with api.client("write") as c:
            start.wait()
            answers.append(c.post(path, json={"text": "Sí, trae el cargador original."}))

    clients = [threading.Thread(target=post) for _ in range(4)]
    for t in clients:
        t.start()
    for t in clients:
        t.join(60)
    assert sorted(r.status_code for r in answers) == [202] * 4, [r.text for r in answers]
    sends = [s["id"] for r in answers for s in r.json()["sends"]]
    assert len(set(sends)) == 1, sends  # recorded once (later doubles answer with no new send)
    with transaction(api.connected.ctx.sessions) as s:
        logged = s.scalars(select(AuditEntry).where(AuditEntry.action == "question.answered")).all()
    assert len(logged) == len(sends)  # one entry per recorded send, none for a double


def test_a_create_sent_twice_with_one_idempotency_key_makes_one_endpoint(api: Api) -> None:
    """A client that lost the answer sends the create again: the same endpoint and secret come back,
    once more in the log; at once from four clients, still one; other settings under the key are 409."""
    body = {"url": "https://erp.example.com/hooks", "event_types": ["question.received"]}
    with api.client("write") as c:
        first = c.post(BASE, json=body, headers={"Idempotency-Key": "erp-setup-1"})
        again = c.post(BASE, json=body, headers={"Idempotency-Key": "erp-setup-1"})
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        other = c.post(
            BASE, json={**body, "url": "https://crm.example.com/"}, headers={"Idempotency-Key": "erp-setup-1"}
        )
        assert is_problem(other, 409)
        fresh = c.post(BASE, json=body)  # no key: a create is a create
        assert fresh.status_code == 201 and fresh.json()["id"] != first.json()["id"]

        start = threading.Barrier(4)
        answers: list[httpx.Response] = []

        def post() -> None:
            with api.client("write") as mine:
                start.wait()
                answers.append(mine.post(BASE, json=body, headers={"Idempotency-Key": "erp-setup-2"}))

        clients = [threading.Thread(target=post) for _ in range(4)]
        for t in clients:
            t.start()
        for t in clients:
            t.join(60)
        assert [r.status_code for r in answers] == [201] * 4, [r.text for r in answers]
        assert len({r.json()["id"] for r in answers}) == 1 and len({r.json()["secret"] for r in answers}) == 1
        listed = [e["id"] for e in c.get(BASE).json()["data"]]
    assert len(listed) == 3
    with api.client("other") as theirs:  # the key is the API key's: another workspace's makes its own
        mine_id = first.json()["id"]
        assert (
            theirs.post(BASE, json=body, headers={"Idempotency-Key": "erp-setup-1"}).json()["id"] != mine_id
        )
    created = [e for e in audit_log(api) if e.action == "webhook.created"]
    assert len(created) == 4  # erp-setup-1, no key, erp-setup-2 once, and the other workspace's


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="row locks: SQLite runs one writer at a time")
def test_a_delete_waits_for_new_deliveries_to_its_endpoint_and_takes_them_along(ctx: AppContext) -> None:
    """The feed's pass has read an endpoint as a subscriber and is recording a delivery to it when the
    endpoint is deleted (through the API or the pages): the delete waits for that transaction, then
    removes the new delivery with the endpoint — neither side fails on the foreign key."""
    with transaction(ctx.sessions) as s:
        ws = people_store.get_or_create_workspace(s, "w1").id
    made, _ = endpoints.create(ctx, ws, "https://a.example.com/", "", ["claim.opened"])
    deriving = ctx.sessions()
    errors: list[BaseException] = []

    def delete() -> None:
        try:
            endpoints.delete(ctx, ws, made.id)
        except BaseException as exc:
            errors.append(exc)

    try:
        assert [e for e, _types in webhooks_store.subscribers(deriving, [ws])[ws]] == [made.id]
        deleting = threading.Thread(target=delete)
        deleting.start()
        wait_for(lambda: _waiting_on_a_lock(ctx), 30)  # the delete is blocked behind the feed's pass
        fact = Fact("claim.opened", "claim.opened:race", "claim:1", {"claim_id": "1"})
        assert record_fact(deriving, ws, fact, [(made.id, ["claim.opened"])], utcnow()) is not None
        deriving.commit()
    finally:
        deriving.close()
    deleting.join(30)
    assert errors == [] and not deleting.is_alive()
    with transaction(ctx.sessions) as s:
        assert s.scalars(select(WebhookDelivery)).all() == []
        assert s.get(WebhookEndpoint, made.id) is None


def _waiting_on_a_lock(ctx: AppContext) -> bool:
    with ctx.engine.connect() as c:
        waiting = c.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        ).scalar()
    return bool(waiting)


def test_the_documented_url_shape_takes_every_ip_address_the_service_takes() -> None:
    """The document's pattern and the service agree: an address Python reads as IPv6 (without a zone)
    matches in brackets, anything else does not (IPv4 in brackets, zones, stray colons)."""
    import ipaddress
    import re

    from mostrador.web.api.webhook_endpoints import URL_PATTERN

    takes = [
        "::",
        "::1",
        "2001:db8::1",
        "fe80::1:2:3:4",
        "1:2:3:4:5:6:7:8",
        "::ffff:10.0.0.1",
        "1::1.2.3.4",
        "1:2:3:4:5:6:1.2.3.4",
        "a::b:c:d:e:f",
        "ABCD:ef01::",
    ]
    refuses = [
        "1:2:3:4:5:6:7:8:9",
        ":::",
        "1::2::3",
        "::g",
        "1.2.3.4",
        "::1%eth0",
        "12345::",
        "1:2:3:4:5:6:7",
        "::1.2.3.256",
        "::01.2.3.4",
    ]
    for written in takes + refuses:
        try:
            valid = ipaddress.IPv6Address(written).scope_id is None  # a zone names a local interface: refused
        except ValueError:
            valid = False
        assert valid == (written in takes), written
        assert bool(re.fullmatch(URL_PATTERN, f"http://[{written}]:8080/h")) == valid, written
