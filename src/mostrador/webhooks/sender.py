"""One signed attempt of one delivery, and what it leaves behind: an attempt in the log, and the
delivery `succeeded`, `failed` or waiting for its next try.

The attempt resolves the endpoint's host and connects to the address it checked (`addresses`), sends
the stored body with fresh Standard Webhooks headers (same `webhook-id` every time), follows no
redirect, and counts only a 2xx as delivered. A refused address ends the delivery at once; anything
else (a status outside 2xx, a time-out, a connection error) is tried again after the next delay of
`webhooks_retry_delays_s`, and when those are spent the delivery ends `failed` ("gave_up"). A failed
delivery recovered by a person (`endpoints.recover`) starts a new budget, under a new workflow run: an
attempt made for an earlier run (its workflow re-run by DBOS after a crash that fell after the failure
was recorded) finds the delivery owned by another run and sends nothing.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import httpx

from mostrador.context import AppContext
from mostrador.store import webhooks as store
from mostrador.store.db import transaction
from mostrador.store.models import WebhookDelivery, utcnow
from mostrador.webhooks import addresses, signing

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"


@dataclass(frozen=True)
class Outcome:
    """What the workflow needs: stop, or wait `retry_in` seconds and try again. JSON-serialisable
    (DBOS records it as the step's result)."""

    status: str  # pending | succeeded | failed
    attempt: int
    retry_in: float | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class _Plan:
    url: str
    secret: str
    msg_id: str
    body: str
    number: int


async def attempt(ctx: AppContext, delivery_id: int, run: int | None = None) -> Outcome:
    """Try the delivery once (if it is still pending and, when `run` is given, that workflow run still
    owns it: `WebhookDelivery.runs`) and record the result."""
    plan = await asyncio.to_thread(_load, ctx, delivery_id, run)
    if isinstance(plan, Outcome):
        return plan
    settings = ctx.settings
    started, clock = utcnow(), time.monotonic()
    code: int | None = None
    try:
        target = addresses.parse(plan.url)
        address = await addresses.resolve(target, settings.webhooks_allow_private_addresses)
        code = await _post(target, address, plan, settings.webhooks_timeout_s)
        error = None if 200 <= code < 300 else f"HTTP {code}"
    except addresses.AddressRefused as exc:
        return await asyncio.to_thread(
            _settle, ctx, delivery_id, plan.number, started, clock, None, str(exc), "address_refused"
        )
    except (httpx.HTTPError, ConnectionError, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return await asyncio.to_thread(_settle, ctx, delivery_id, plan.number, started, clock, code, error, None)


async def _post(target: addresses.Target, address: str, plan: _Plan, timeout_s: float) -> int:
    default_port = 443 if target.scheme == "https" else 80
    named = addresses.in_url(target.host)
    shown_host = named if target.port == default_port else f"{named}:{target.port}"
    url = f"{target.scheme}://{addresses.in_url(address)}:{target.port}{target.path}"
    headers = {**signing.headers(plan.secret, plan.msg_id, utcnow(), plan.body), "host": shown_host}
    # SNI carries host names only (RFC 6066 §3): none for an address written in the URL.
    named_host = not addresses.is_address(target.host)
    extensions = {"sni_hostname": target.host} if target.scheme == "https" and named_host else {}
    async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False, trust_env=False) as client:
        response = await client.post(url, content=plan.body.encode(), headers=headers, extensions=extensions)
        return response.status_code


# ---- synchronous parts --------------------------------------------------------------------------------
def _load(ctx: AppContext, delivery_id: int, run: int | None) -> _Plan | Outcome:
    with transaction(ctx.sessions) as s:
        found = store.delivery_with(s, delivery_id)
        if found is None:  # its endpoint was deleted
            return Outcome(FAILED, 0, detail="gone")
        delivery, message, endpoint = found
        if delivery.status != PENDING:
            return Outcome(delivery.status, delivery.attempts, detail="already settled")
        if run is not None and delivery.runs != run:  # recovered or taken over: a newer run sends it
            return Outcome(delivery.status, delivery.attempts, detail="another run owns it")
        if not endpoint.enabled:
            _finish(delivery, FAILED, "endpoint_disabled", "el endpoint está desactivado")
            return Outcome(FAILED, delivery.attempts, detail="endpoint_disabled")
        return _Plan(
            endpoint.url,
            ctx.cipher.decrypt(endpoint.secret_enc),
            message.msg_id,
            message.body,
            delivery.attempts + 1,
        )


def _settle(
    ctx: AppContext,
    delivery_id: int,
    number: int,
    started: datetime,
    clock: float,
    code: int | None,
    error: str | None,
    refusal: str | None,
) -> Outcome:
    delays = ctx.settings.webhooks_retry_delays_s
    with transaction(ctx.sessions) as s:
        found = store.delivery_with(s, delivery_id)
        if found is None:
            return Outcome(FAILED, number, detail="gone")
        delivery = found[0]
        if delivery.status != PENDING:  # settled meanwhile (another run of this step)
            return Outcome(delivery.status, delivery.attempts, detail="already settled")
        number = delivery.attempts + 1
        store.add_attempt(
            s,
            {
                "delivery_id": delivery_id,
                "number": number,
                "at": started,
                "status_code": code,
                "error": error[:500] if error else None,
                "duration_ms": int((time.monotonic() - clock) * 1000),
            },
        )
        delivery.attempts, delivery.last_status_code = number, code
        delivery.last_error = error[:500] if error else None
        if error is None:
            _finish(delivery, SUCCEEDED, None, None)
            return Outcome(SUCCEEDED, number)
        if refusal is not None:
            _finish(delivery, FAILED, refusal, error)
            return Outcome(FAILED, number, detail=refusal)
        spent = number - delivery.budget_from  # tries since it was made, or since it was recovered
        if spent > len(delays):
            _finish(delivery, FAILED, "gave_up", f"sin éxito tras {spent} intentos: {error}")
            return Outcome(FAILED, number, detail="gave_up")
        wait = float(delays[spent - 1])
        delivery.next_attempt_at = utcnow() + timedelta(seconds=wait)
        return Outcome(PENDING, number, retry_in=wait, detail=error)


def _finish(delivery: WebhookDelivery, status: str, failure: str | None, error: str | None) -> None:
    delivery.status, delivery.failure, delivery.next_attempt_at = status, failure, None
    delivery.finished_at = utcnow()
    if error is not None:
        delivery.last_error = error[:500]
