"""Webhook delivery (§4): envelopes, the 500 ms contract, 8 attempts over an hour, then missed feeds."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from mostrador.sandbox.clock import iso_utc_ms
from mostrador.sandbox.faults import FaultInjector
from mostrador.sandbox.state import SandboxState

# §4.2: topics whose envelope carries `actions`.
SUBTOPIC_TOPICS = frozenset({"messages", "post_purchase", "user_products"})


@dataclass
class Attempt:
    number: int
    sent_ts: float
    http_code: int
    req_time_ms: int
    body: str
    headers: dict[str, str]


@dataclass
class Delivery:
    """One notification for one app, followed through its attempts."""

    id: str
    app_id: int
    callback_url: str
    topic: str
    resource: str
    user_id: int
    actions: list[str] | None
    received_ts: float
    next_ts: float
    status: str = "pending"  # pending | in_flight | delivered | missed
    attempts: list[Attempt] = field(default_factory=list)
    site_id: str | None = None

    def envelope(self, attempt: int, sent_ts: float) -> dict[str, Any]:
        body: dict[str, Any] = {
            "_id": self.id,
            "resource": self.resource,
            "user_id": self.user_id,
            "topic": self.topic,
        }
        if self.actions is not None:
            body["actions"] = self.actions
        body.update(
            {
                "application_id": self.app_id,
                "attempts": attempt,
                "sent": iso_utc_ms(sent_ts),
                "received": iso_utc_ms(self.received_ts),
            }
        )
        return body

    def view(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "application_id": self.app_id,
            "topic": self.topic,
            "resource": self.resource,
            "user_id": self.user_id,
            "actions": self.actions,
            "status": self.status,
            "received": iso_utc_ms(self.received_ts),
            "attempts": len(self.attempts),
            "history": [
                {
                    "attempt": a.number,
                    "sent": iso_utc_ms(a.sent_ts),
                    "http_code": a.http_code,
                    "req_time": a.req_time_ms,
                }
                for a in self.attempts
            ],
        }


class Notifier:
    """Queues notifications and delivers them from one background task started in the app's lifespan."""

    def __init__(self, get_state: Callable[[], SandboxState], faults: Callable[[], FaultInjector]) -> None:
        self._get_state = get_state
        self._faults = faults
        self.deliveries: list[Delivery] = []
        self.missed: list[tuple[Delivery, dict[str, Any]]] = []
        self._wake = asyncio.Event()
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        # Time-driven world changes (shipments moving on, claim deadlines) that may publish notifications.
        self.tickers: list[Callable[[], None]] = []

    def tick(self) -> None:
        for ticker in self.tickers:
            ticker()

    def reset(self) -> None:
        self.deliveries.clear()
        self.missed.clear()
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    def publish(
        self,
        topic: str,
        resource: str,
        user_id: int,
        actions: list[str] | None = None,
        site_id: str | None = None,
    ) -> list[Delivery]:
        """Fan out to every app the user granted that subscribed to `topic` (§4.1)."""
        state = self._get_state()
        faults = self._faults()
        created: list[Delivery] = []
        now = state.now()
        for (uid, app_id), grant in state.grants.items():
            app = state.apps[app_id]
            if uid != user_id or grant.revoked or app.internal or not app.callback_url:
                continue
            if topic not in app.topics or topic in app.switched_off_topics:
                continue  # §4.4: events while a topic is switched off are not kept anywhere.
            if faults.roll(faults.settings.notification.drop_rate):
                continue
            copies = 2 if faults.roll(faults.settings.notification.duplicate_rate) else 1
            for _ in range(copies):
                delivery = Delivery(
                    id=state.ids.notification_id(),
                    app_id=app.id,
                    callback_url=app.callback_url,
                    topic=topic,
                    resource=resource,
                    user_id=user_id,
                    actions=actions if topic in SUBTOPIC_TOPICS else None,
                    received_ts=now,
                    next_ts=now,
                    site_id=site_id,
                )
                self.deliveries.append(delivery)
                created.append(delivery)
        if created:
            self.wake()
        return created

    async def run(self) -> None:
        """Deliver whatever is due; sleep until the next due time, a new event, or a clock change."""
        async with httpx.AsyncClient() as client:
            self._client = client
            try:
                while True:
                    self._wake.clear()
                    self._dispatch_due()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self._idle_timeout()):
                            await self._wake.wait()
            finally:
                for task in list(self._tasks):
                    task.cancel()
                await asyncio.gather(*self._tasks, return_exceptions=True)
                self._client = None

    def _idle_timeout(self) -> float:
        state = self._get_state()
        due = [d.next_ts for d in self.deliveries if d.status == "pending"]
        if not due:
            return 1.0
        return max(0.005, min(1.0, state.clock.real_seconds_until(min(due))))

    def _dispatch_due(self) -> None:
        self.tick()
        state = self._get_state()
        now = state.now()
        self._expire_missed(now)
        for delivery in self.deliveries:
            if delivery.status == "pending" and delivery.next_ts <= now:
                delivery.status = "in_flight"
                task = asyncio.create_task(self._attempt(delivery))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _attempt(self, delivery: Delivery) -> None:
        state = self._get_state()
        faults = self._faults().settings.notification
        if faults.delay_ms:
            await asyncio.sleep(faults.delay_ms / 1000)
        if self._faults().roll(faults.reorder_rate):
            await asyncio.sleep(0.05 + self._faults().rng.random() * 0.25)
        number = len(delivery.attempts) + 1
        sent_ts = state.now()
        envelope = delivery.envelope(number, sent_ts)
        started = time.monotonic()
        http_code, body, headers = 0, "", {}
        client = self._client
        if client is None:  # the app is shutting down; the attempt is retried by the next run.
            delivery.status = "pending"
            return
        try:
            response = await client.post(
                delivery.callback_url, json=envelope, timeout=state.config.notification_timeout_s
            )
            http_code, body, headers = response.status_code, response.text[:500], dict(response.headers)
        except httpx.HTTPError as exc:
            body = f"{type(exc).__name__}: {exc}"[:500]
        req_time_ms = int((time.monotonic() - started) * 1000)
        delivery.attempts.append(Attempt(number, sent_ts, http_code, req_time_ms, body, headers))
        # §4.4: only a 200 within 500 ms counts as delivered.
        if http_code == 200 and req_time_ms <= state.config.notification_timeout_s * 1000:
            delivery.status = "delivered"
            state.apps[delivery.app_id].missed_in_a_row[delivery.topic] = 0
        elif number >= len(state.config.retry_schedule_s):
            self._to_missed_feeds(state, delivery, envelope)
        else:
            delivery.status = "pending"
            delivery.next_ts = delivery.attempts[0].sent_ts + state.config.retry_schedule_s[number]
        self.wake()

    def _to_missed_feeds(self, state: SandboxState, delivery: Delivery, envelope: dict[str, Any]) -> None:
        delivery.status = "missed"
        last = delivery.attempts[-1]
        data = json.dumps({k: v for k, v in envelope.items() if k != "_id"}, separators=(",", ":"))
        entry = dict(envelope)
        entry["request"] = {
            "url": delivery.callback_url,
            "headers": {
                "accept": "application/json",
                "content-type": "application/json",
                "content-length": len(data),
            },
            "data": data,
        }
        entry["response"] = {
            "req_time": last.req_time_ms,
            "http_code": last.http_code,
            "body": last.body,
            "headers": last.headers,
        }
        self.missed.append((delivery, entry))
        app = state.apps[delivery.app_id]
        streak = app.missed_in_a_row.get(delivery.topic, 0) + 1
        app.missed_in_a_row[delivery.topic] = streak
        limit = state.config.topic_switch_off_after
        if limit is not None and streak >= limit:
            app.switched_off_topics.add(delivery.topic)

    def _expire_missed(self, now: float) -> None:
        """§4.5: missed feeds are kept for 2 days."""
        retention = self._get_state().config.missed_feeds_retention_s
        self.missed = [(d, e) for (d, e) in self.missed if d.attempts[-1].sent_ts + retention > now]

    def missed_feeds(self, app_id: int, topic: str | None, site_id: str | None) -> list[dict[str, Any]]:
        self._expire_missed(self._get_state().now())
        return [
            entry
            for (delivery, entry) in self.missed
            if delivery.app_id == app_id
            and (topic is None or delivery.topic == topic)
            and (site_id is None or delivery.site_id in (None, site_id))
        ]
