"""An outage longer than every retry: when Mercado Libre takes posts again, every reply recorded during
the outage is posted exactly once — with no agent action and no restart; and a question whose reading
failed for longer than the ingest step's retries is read again and answered within seconds of the end
of the outage, not at the next reconciliation sweep.

The outbox settings are shortened (back-off capped at 2 s, re-drive every second) so the outage can be
short enough for CI and still outlast the pipeline's in-place retries, several re-drives and the circuit
breaker; each entry's `deferrals` proves its send was put off and picked up again by the re-drive.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOS
from sqlalchemy import select

from mostrador.cli.demo import _hidden_inputs
from mostrador.store.db import make_engine, make_sessionmaker, transaction
from mostrador.store.models import Conversation, OutboxEntry

from .conftest import World, running_world, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FAST_OUTBOX = {
    "outbox_quick_tries": 2,
    "outbox_backoff_s": 0.5,
    "outbox_max_backoff_s": 2.0,
    "outbox_redrive_interval_s": 1,
    "outbox_lease_s": 5.0,
    "meli_breaker_reset_s": 1.0,
    "ingest_later_s": [1.0, 2.0, 4.0],
}
OUTAGE_S = 12.0  # > quick tries (~1 s) + several re-drives + breaker cool-downs
QUESTIONS = [
    "Hola! tenés stock de este producto?",
    "Buenas, hay stock disponible?",
    "tenés stock?",
    "Hola, tienen stock para enviar hoy?",
    "hay disponible?",
    "Consulta: queda stock?",
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, model_cache_dir: Path) -> Iterator[World]:
    with running_world(tmp_path_factory.mktemp("outage"), model_cache_dir, **FAST_OUTBOX) as w:
        yield w


def outage(world: World, path_pattern: str | None) -> None:
    """Every call whose path matches answers 503 (None: the outage is over)."""
    faults: dict[str, Any] = {}
    if path_pattern is not None:
        faults = {"error_rate": 1.0, "error_statuses": [503], "path_pattern": path_pattern}
    with world.sandbox() as c:
        c.put("/_sandbox/faults", json=faults).raise_for_status()


def entries(world: World, channel: str) -> list[OutboxEntry]:
    engine = make_engine(world.settings.resolved_database_url)
    try:
        with transaction(make_sessionmaker(engine)) as s:
            rows = list(
                s.scalars(select(OutboxEntry).where(OutboxEntry.channel == channel).order_by(OutboxEntry.id))
            )
            s.expunge_all()
            return rows
    finally:
        engine.dispose()


def items_in_stock(world: World, n: int) -> list[str]:
    auth = {"Authorization": f"Bearer {world.seller['access_token']}"}
    with world.sandbox() as c:
        found = [
            i
            for i in world.items
            if (body := c.get(f"/items/{i}", headers=auth).json()).get("status") == "active"
            and (body.get("available_quantity") or 0) > 0
        ]
    assert found, "the demo catalogue has no active listing with stock"
    return [found[k % len(found)] for k in range(n)]


def test_answers_recorded_during_an_outage_are_all_posted_once_after_it(world: World) -> None:
    outage(world, r"^/answers")
    started = time.monotonic()
    try:
        asked = [
            world.ask(item, text) for item, text in zip(items_in_stock(world, 6), QUESTIONS, strict=True)
        ]
        ids = {str(q["id"]) for q in asked}

        def all_deferred() -> bool:
            rows = [e for e in entries(world, "questions") if e.target_id in ids]
            return len(rows) == len(ids) and all(e.deferrals >= 2 and e.status == "pending" for e in rows)

        # Every answer was recorded, tried, and handed to the re-drive more than once; nothing got out.
        wait_for(all_deferred, timeout=30)
        assert all(world.answers_for(int(i)) == [] for i in ids)
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - started)))  # the outage itself lasts this long
    finally:
        outage(world, None)

    # No agent action, no restart: the re-drive posts each answer once Mercado Libre is back.
    wait_for(lambda: all(world.answers_for(int(i)) for i in ids), timeout=30)
    wait_for(
        lambda: all(e.status == "sent" for e in entries(world, "questions") if e.target_id in ids), timeout=15
    )
    time.sleep(2.0)  # a duplicate post, if any, would land in this window (two re-drive periods)
    assert sorted(len(world.answers_for(int(i))) for i in ids) == [1] * len(ids)


def test_agent_replies_after_the_sale_survive_an_outage_and_keep_their_order(world: World) -> None:
    with world.sandbox() as c:
        buyer = c.post("/_sandbox/users", json={"nickname": "POSTVENTA", "site_id": "MLA", "role": "buyer"})
        item = next(i for i in items_in_stock(world, len(world.items)) if not _variations(world, i))
        made = c.post("/_sandbox/orders", json={"buyer_id": buyer.json()["id"], "item_id": item})
        assert made.status_code == 201, made.text
        order = made.json()
        pack_id = int(order["pack_id"] or order["id"])
        c.post(  # not a delivery question: the demo's post-sale bot would answer that one itself
            f"/_sandbox/packs/{pack_id}/buyer_messages", json={"text": "Hola, una consulta sobre la compra."}
        ).raise_for_status()

    conversation_id = wait_for(lambda: _conversation_of(world, str(pack_id)), timeout=15)
    texts = ["Sale hoy por correo.", "Te paso el seguimiento apenas lo tenga.", "¡Gracias por tu compra!"]
    outage(world, r"^/messages/packs/")
    started = time.monotonic()
    try:
        with world.inbox() as inbox:
            for text in texts:
                page = inbox.get(f"/inbox/{conversation_id}")
                form = _hidden_inputs(page.text)
                r = inbox.post(
                    f"/inbox/{conversation_id}/reply",
                    data={"csrf_token": form["csrf_token"], "reply_key": form["reply_key"], "text": text},
                )
                assert r.status_code == 303, r.text

            # The thread page says the replies wait for Mercado Libre and will be retried on their own.
            # The first is deferred by the outage; the later ones wait for it (they keep their order).
            def first_deferred_rest_waiting() -> bool:
                rows = entries(world, "messages")
                return (
                    len(rows) == len(texts)
                    and rows[0].deferrals >= 1
                    and all(e.status == "pending" for e in rows)
                )

            wait_for(first_deferred_rest_waiting, timeout=30)
            assert "se reintenta solo" in inbox.get(f"/inbox/{conversation_id}").text
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - started)))
    finally:
        outage(world, None)

    def seller_posts() -> list[str]:
        with world.sandbox() as c:
            log = c.get("/_sandbox/log", params={"kind": "messages"}).json()
        rows = log if isinstance(log, list) else log.get("entries", [])
        return [e["text"] for e in rows if int(e["pack_id"]) == pack_id and e["from_role"] == "seller"]

    wait_for(lambda: len(seller_posts()) >= len(texts), timeout=30)
    wait_for(lambda: all(e.status == "sent" for e in entries(world, "messages")), timeout=15)
    time.sleep(2.0)
    assert seller_posts() == texts  # each once, in the order the agent wrote them


def _variations(world: World, item_id: str) -> list[Any]:
    with world.sandbox() as c:
        item = c.get(f"/items/{item_id}", headers={"Authorization": f"Bearer {world.seller['access_token']}"})
        return list(item.json().get("variations") or [])


def _conversation_of(world: World, pack_id: str) -> int | None:
    engine = make_engine(world.settings.resolved_database_url)
    try:
        with transaction(make_sessionmaker(engine)) as s:
            return s.scalar(select(Conversation.id).where(Conversation.external_key == pack_id))
    finally:
        engine.dispose()


def test_a_question_read_during_an_outage_longer_than_the_ingest_retries_is_answered_after_it(
    world: World,
) -> None:
    ingest_retries_s = 0.5 + 1 + 2 + 4 + 8  # the ingest step's DBOS retries (workflows/resources.py)
    outage(world, r"^/questions/[0-9]+$")  # reading a question fails; buyers can still ask
    started = time.monotonic()
    try:
        asked = [world.ask(item, "tenés stock?") for item in items_in_stock(world, 2)]
        time.sleep(ingest_retries_s + 3.0 - (time.monotonic() - started))  # the outage outlasts them
        assert all(world.answers_for(q["id"]) == [] for q in asked)
    finally:
        outage(world, None)
    healed = time.monotonic()
    # Re-read by the delayed re-ingest (the reconciliation sweep would only look after 15 minutes).
    wait_for(lambda: all(world.answers_for(q["id"]) for q in asked), timeout=20)
    assert time.monotonic() - healed < 20
    # It was the delayed re-ingest: the first workflow gave up and handed over to `~later<n>`.
    assert all(DBOS.get_workflow_status(f"question:{q['id']}~later1") is not None for q in asked)
    time.sleep(1.0)
    assert [len(world.answers_for(q["id"])) for q in asked] == [1, 1]


def test_a_post_slower_than_the_lease_is_neither_taken_over_nor_posted_twice(world: World) -> None:
    """Mercado Libre takes 8 s to answer the POST, longer than the send's 5 s lease: the re-drive sees the
    workflow that owns the drive still running, extends the lease instead of starting a new drive, and the
    answer is posted once."""
    [item] = items_in_stock(world, 1)
    with world.sandbox() as c:
        c.put("/_sandbox/faults", json={"latency_ms": 8000, "path_pattern": "^/answers"}).raise_for_status()
    try:
        question = world.ask(item, "Hola, tenés stock de este?")
        wait_for(lambda: world.answers_for(question["id"]), timeout=30)
    finally:
        outage(world, None)

    def settled() -> Any:
        [row] = [e for e in entries(world, "questions") if e.target_id == str(question["id"])]
        return row if row.status != "pending" else None

    # The sandbox stores the answer before the app reads its reply and records the send: wait for that.
    row = wait_for(settled, timeout=15)
    assert (row.status, row.drive, row.attempts) == ("sent", 1, 1)
    time.sleep(2.0)
    assert len(world.answers_for(question["id"])) == 1
