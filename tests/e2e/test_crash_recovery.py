"""A worker killed with SIGKILL in the middle of posting an answer resumes and answers exactly once."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from mostrador import failpoints
from mostrador.cli.demo import (
    DEMO_EMAIL,
    _create_admin,
    _hidden_inputs,
    child_process_settings,
    connect_seller_via_oauth,
    setup_sandbox,
)
from mostrador.cli.servers import ChildApp, free_port
from mostrador.sandbox.config import SandboxConfig
from mostrador.sandbox.testing import running_sandbox_app
from mostrador.settings import Settings
from mostrador.store.db import make_engine, make_sessionmaker, transaction
from mostrador.store.models import Conversation, OutboxEntry, WebhookAttempt, WebhookDelivery, WebhookEndpoint

from ..conftest import PG_URL, _drop_pg_database, _fresh_pg_database
from .conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@contextmanager
def deployed(tmp_path: Path, model_cache_dir: Path, **settings: str) -> Iterator[dict[str, Any]]:
    """A sandbox and `mostrador serve` as a child process (so it can be killed), a seller connected."""
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    created_db = None
    with running_sandbox_app(SandboxConfig(seed=5)) as sandbox:
        world = setup_sandbox(sandbox.url, app_url, "MLA")
        extra = {
            "executor_id": "crash-test-slot-1",
            "queue_polling_interval_s": "0.05",
            "cache_dir": str(model_cache_dir),
            **settings,
        }
        if PG_URL:
            extra["database_url"], created_db = _fresh_pg_database(PG_URL)
        app_settings, env = child_process_settings(
            app_url, sandbox.url, world["app"], tmp_path / "data", **extra
        )
        password = secrets.token_urlsafe(12)
        _create_admin(app_settings, password)
        app = ChildApp(env, port, str(tmp_path / "app.log"))
        app.start()
        try:
            connect_seller_via_oauth(app_url, DEMO_EMAIL, password, world["seller"])
            yield {
                "app": app,
                "sandbox": sandbox,
                "world": world,
                "settings": app_settings,
                "login": (DEMO_EMAIL, password),
            }
        finally:
            app.stop()
            if created_db and PG_URL:
                _drop_pg_database(PG_URL, created_db)


@pytest.fixture
def deployment(tmp_path: Path, model_cache_dir: Path) -> Iterator[dict[str, Any]]:
    with deployed(tmp_path, model_cache_dir) as d:
        yield d


def _reply_state(settings: Settings, question_id: int) -> tuple[str, int] | None:
    engine = make_engine(settings.resolved_database_url)
    try:
        with transaction(make_sessionmaker(engine)) as s:
            reply = s.scalars(select(OutboxEntry).where(OutboxEntry.target_id == str(question_id))).first()
            return (reply.status, reply.attempts) if reply else None
    finally:
        engine.dispose()


def test_sigkill_during_send_resumes_and_answers_once(deployment: dict[str, Any]) -> None:
    sandbox, world, settings, app = (deployment[k] for k in ("sandbox", "world", "settings", "app"))
    api = httpx.Client(base_url=sandbox.url, timeout=10)
    buyer = api.post("/_sandbox/users", json={"nickname": "B1", "site_id": "MLA", "role": "buyer"}).json()
    # Slow down only the answer POST so the worker is caught in the middle of sending.
    r = api.put("/_sandbox/faults", json={"latency_ms": 3000, "path_pattern": "^/answers"})
    assert r.status_code == 200, r.text
    item_id = next(
        i
        for i in world["items"]
        if api.get(
            f"/items/{i}", headers={"Authorization": f"Bearer {world['seller']['access_token']}"}
        ).json()["available_quantity"]
        > 0
    )
    question = api.post(
        "/questions",
        json={"item_id": item_id, "text": "hola, tenés stock?"},
        headers={"Authorization": f"Bearer {buyer['access_token']}"},
    ).json()
    wait_for(lambda: (st := _reply_state(settings, question["id"])) and st[1] >= 1, timeout=30)
    app.kill()
    api.put("/_sandbox/faults", json={})
    app.start()

    def answers() -> list[dict[str, Any]]:
        log = api.get("/_sandbox/log", params={"kind": "answers"}).json()
        entries = log if isinstance(log, list) else log.get("entries", [])
        return [e for e in entries if int(e["question_id"]) == int(question["id"])]

    wait_for(answers, timeout=45)
    wait_for(lambda: (st := _reply_state(settings, question["id"])) and st[0] == "sent", timeout=30)
    time.sleep(1.0)  # a duplicate post, if any, would land in this window
    assert len(answers()) == 1
    api.close()


def test_an_agent_reply_recorded_just_before_a_crash_is_sent_once_after_the_restart(
    tmp_path: Path, model_cache_dir: Path
) -> None:
    """The process dies right after committing an agent's reply, before scheduling its send (a failpoint,
    os._exit, at exactly that place). Restarted, nobody clicks anything: the re-drive sends it, once."""
    fast = {"outbox_lease_s": "3", "outbox_redrive_interval_s": "1", "failpoints": "reply_recorded"}
    with deployed(tmp_path, model_cache_dir, **fast) as d:
        sandbox, app, settings = d["sandbox"], d["app"], d["settings"]
        api = httpx.Client(base_url=sandbox.url, timeout=10)
        seller = d["world"]["seller"]
        buyer = api.post("/_sandbox/users", json={"nickname": "B2", "site_id": "MLA", "role": "buyer"}).json()
        auth = {"Authorization": f"Bearer {seller['access_token']}"}
        item = next(
            i
            for i in d["world"]["items"]
            if not (body := api.get(f"/items/{i}", headers=auth).json()).get("variations")
            and (body.get("available_quantity") or 0) > 0
        )
        order = api.post("/_sandbox/orders", json={"buyer_id": buyer["id"], "item_id": item}).json()
        pack_id = int(order["pack_id"] or order["id"])
        # Something the post-sale bot leaves to a person (it answers invoice requests from the facts).
        api.post(
            f"/_sandbox/packs/{pack_id}/buyer_messages", json={"text": "¿Lo puedo cambiar por otro color?"}
        )
        conversation_id = wait_for(lambda: _conversation_id(settings, str(pack_id)), timeout=20)

        text = "Sí, te la mando hoy por este medio."
        with httpx.Client(base_url=app.url, timeout=10) as inbox:
            csrf = _hidden_inputs(inbox.get("/login").text)["csrf_token"]
            email, password = d["login"]
            inbox.post("/login", data={"email": email, "password": password, "csrf_token": csrf})
            form = _hidden_inputs(inbox.get(f"/inbox/{conversation_id}").text)
            with pytest.raises(httpx.TransportError):  # the process is gone before it answers
                inbox.post(
                    f"/inbox/{conversation_id}/reply",
                    data={"csrf_token": form["csrf_token"], "reply_key": form["reply_key"], "text": text},
                )
        assert app.proc is not None and app.proc.wait(timeout=10) == failpoints.EXIT_STATUS
        assert _entry_state(settings, conversation_id) == ("pending", 0, 1)  # recorded, never scheduled
        assert _seller_posts(api, pack_id) == []

        app.env = {k: v for k, v in app.env.items() if k != "MOSTRADOR_FAILPOINTS"}
        app.start()
        wait_for(lambda: _seller_posts(api, pack_id), timeout=30)
        wait_for(lambda: (_entry_state(settings, conversation_id) or ("",))[0] == "sent", timeout=15)
        time.sleep(2.0)  # a second post, if any, would land within two re-drive periods
        assert _seller_posts(api, pack_id) == [text]
        api.close()


def _conversation_id(settings: Settings, external_key: str) -> int | None:
    engine = make_engine(settings.resolved_database_url)
    try:
        with transaction(make_sessionmaker(engine)) as s:
            return s.scalar(select(Conversation.id).where(Conversation.external_key == external_key))
    finally:
        engine.dispose()


def _entry_state(settings: Settings, conversation_id: int) -> tuple[str, int, int] | None:
    engine = make_engine(settings.resolved_database_url)
    try:
        with transaction(make_sessionmaker(engine)) as s:
            entry = s.scalars(
                select(OutboxEntry).where(OutboxEntry.conversation_id == conversation_id)
            ).first()
            return (entry.status, entry.attempts, entry.drive) if entry else None
    finally:
        engine.dispose()


def _seller_posts(api: httpx.Client, pack_id: int) -> list[str]:
    log = api.get("/_sandbox/log", params={"kind": "messages"}).json()
    rows = log if isinstance(log, list) else log.get("entries", [])
    return [e["text"] for e in rows if int(e["pack_id"]) == pack_id and e["from_role"] == "seller"]


def test_a_receiver_down_longer_than_the_retries_with_a_restart_between_gets_each_event_once_recovered(
    tmp_path: Path, model_cache_dir: Path
) -> None:
    """An integrator's endpoint answers 503 through every try of the retry budget, and Mostrador is
    killed (SIGKILL) between two tries. Restarted, the delivery resumes its wait — no try repeated or
    skipped — and ends failed; once the receiver is back, the admin's "send the failed ones again" sends
    it once more, with the same `webhook-id`, and never again."""
    from ..app.webhook_receiver import Receiver

    fast = {
        "webhooks_retry_delays_s": "[4.0, 1.0]",  # three tries in all; the kill lands in the first wait
        "webhooks_feed_interval_s": "1",
        "webhooks_allow_private_addresses": "true",  # the receiver is on loopback
    }
    with Receiver([503, 503, 503]) as receiver, deployed(tmp_path, model_cache_dir, **fast) as d:
        sandbox, app, settings = d["sandbox"], d["app"], d["settings"]
        with _admin(app.url, d["login"]) as pages:
            form = _hidden_inputs(pages.get("/webhooks").text)
            made = pages.post(
                "/webhooks",
                data={
                    "csrf_token": form["csrf_token"],
                    "url": receiver.url,
                    "event_types": "question.received",
                },
            )
            assert made.status_code == 201, made.text
        api = httpx.Client(base_url=sandbox.url, timeout=10)
        buyer = api.post("/_sandbox/users", json={"nickname": "B3", "site_id": "MLA", "role": "buyer"}).json()
        api.post(
            "/questions",
            json={"item_id": d["world"]["items"][0], "text": "hola, hacen factura A?"},
            headers={"Authorization": f"Bearer {buyer['access_token']}"},
        ).raise_for_status()
        wait_for(lambda: (_delivery_state(settings) or ("", 0))[1] >= 1, timeout=30)
        app.kill()  # between the first try and the second
        time.sleep(1.0)
        app.start()
        state = wait_for(lambda: (st := _delivery_state(settings)) and st[0] == "failed" and st, timeout=45)
        assert state == ("failed", 3, "gave_up", [1, 2, 3])
        assert len(receiver.received) == 3

        # The receiver is back (its script is spent: 200 from now on); the admin sends the failed again.
        with _admin(app.url, d["login"]) as pages:
            endpoint_id = _endpoint_id(settings)
            form = _hidden_inputs(pages.get(f"/webhooks/{endpoint_id}").text)
            sent = pages.post(
                f"/webhooks/{endpoint_id}/recover", data={"csrf_token": form["csrf_token"], "hours": "1"}
            )
            assert sent.status_code == 200 and 'data-recovered="1"' in sent.text
        wait_for(lambda: (_delivery_state(settings) or ("",))[0] == "succeeded", timeout=30)
        time.sleep(2.0)  # a second delivery, if any, would come within two feed passes
        assert _delivery_state(settings) == ("succeeded", 4, None, [1, 2, 3, 4])
        ids = {r.headers["webhook-id"] for r in receiver.received}
        assert len(receiver.received) == 4 and len(ids) == 1
        api.close()


@contextmanager
def _admin(app_url: str, login: tuple[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_url, timeout=10, follow_redirects=True) as pages:
        csrf = _hidden_inputs(pages.get("/login").text)["csrf_token"]
        pages.post("/login", data={"email": login[0], "password": login[1], "csrf_token": csrf})
        yield pages


def _endpoint_id(settings: Settings) -> int:
    engine = make_engine(settings.resolved_database_url)
    try:
        with transaction(make_sessionmaker(engine)) as s:
            return int(s.scalars(select(WebhookEndpoint.id)).one())
    finally:
        engine.dispose()


def _delivery_state(settings: Settings) -> tuple[str, int, str | None, list[int]] | None:
    """The one delivery's state, attempts, failure and the numbers of its logged tries."""
    engine = make_engine(settings.resolved_database_url)
    try:
        with transaction(make_sessionmaker(engine)) as s:
            found = s.scalars(select(WebhookDelivery)).all()
            if not found:
                return None
            [delivery] = found
            tries = s.scalars(
                select(WebhookAttempt.number)
                .where(WebhookAttempt.delivery_id == delivery.id)
                .order_by(WebhookAttempt.number)
            ).all()
            return (delivery.status, delivery.attempts, delivery.failure, list(tries))
    finally:
        engine.dispose()
