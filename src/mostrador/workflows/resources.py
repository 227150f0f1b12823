"""The per-resource workflow: ingest (fetch, record, decide), then send the reply it recorded.

Thin by design: one step asks the resource's channel to ingest it, one step hands the recorded reply
to the outbox pipeline. Steps are at-least-once, so both are safe to repeat (upserts, one outbox entry
per target, a look at Mercado Libre before posting again).

When Mercado Libre stays down longer than the ingest step's retries (about 15 s), the workflow does
not just fail: it enqueues the same work again, delayed (`Settings.ingest_later_s`, growing), under a
derived workflow id; after the last of those, the reconciliation sweeps find the resource. An outage
costs minutes, never the question.
"""

from __future__ import annotations

from typing import Any

import dbos
from dbos import DBOS, SetEnqueueOptions, SetWorkflowID

from mostrador.accounts.seller_api import SellerApi
from mostrador.accounts.tokens import TokenRefreshFailed
from mostrador.channels.registry import channel_for
from mostrador.meli import errors as meli_errors
from mostrador.workflows import runtime
from mostrador.workflows.outbox import deliver_step
from mostrador.workflows.runtime import context
from mostrador.workflows.timing import timed


def _transient(exc: BaseException) -> bool:
    """Retry what may succeed later: network trouble, 429 and 5xx; never a 4xx."""
    return isinstance(
        exc,
        meli_errors.TransportError | meli_errors.RateLimited | meli_errors.ServerError | TokenRefreshFailed,
    )


@DBOS.step(
    retries_allowed=True, max_attempts=6, interval_seconds=0.5, backoff_rate=2.0, should_retry=_transient
)
async def ingest_step(topic: str, account_id: int, resource_id: str) -> dict[str, Any]:
    route = channel_for(topic)
    if route is None:
        return {"outcome": "skipped", "reply_id": None, "drive": None, "detail": f"no channel for {topic}"}
    ctx = context()
    api = await SellerApi.open(ctx, account_id)
    plan = await route.channel.ingest(ctx, api, topic, resource_id)
    return plan.to_dict()


# A channel asking to wait (a buyer's burst) bounds its waits in time itself (four windows); this is a
# backstop: past it the question stays recorded, unanswered, in the inbox for a person.
MAX_WAITS = 100


@DBOS.workflow(name="conversation_resource")
@timed
async def handle_resource(
    topic: str, account_id: int, resource_id: str, later: int = 0, waits: int = 0
) -> dict[str, Any]:
    try:
        plan = await ingest_step(topic, account_id, resource_id)
    except dbos.error.DBOSMaxStepRetriesExceeded as exc:
        delays = context().settings.ingest_later_s
        if later >= len(delays):
            raise  # the reconciliation sweeps take it from here
        await _ingest_later(topic, account_id, resource_id, later + 1, delays[later], waits)
        return {"outcome": "deferred", "reply_id": None, "drive": None, "detail": str(exc)[:300]}
    if plan.get("outcome") == "waiting" and waits < MAX_WAITS:
        # The channel waits (a buyer still asking): the same work again later, delayed on the queue
        # rather than sleeping here, so a waiting question holds no worker's slot.
        await _ingest_again(topic, account_id, resource_id, waits + 1, float(plan.get("wait_s") or 1.0))
        return plan
    if plan.get("outcome") == "reply_pending" and plan.get("reply_id"):
        # The entry was recorded with drive 1 for this workflow: no second workflow per answer.
        delivery = await deliver_step(plan["reply_id"], plan["drive"])
        plan["sent"] = delivery["status"]
    return plan


async def _ingest_later(
    topic: str, account_id: int, resource_id: str, later: int, delay_s: float, waits: int = 0
) -> None:
    """The same work again in `delay_s`, on the same partition, under an id derived from this one."""
    route = channel_for(topic)
    assert route is not None
    base = (DBOS.workflow_id or route.workflow_key(resource_id)).split("~later", 1)[0]
    with (
        SetWorkflowID(f"{base}~later{later}"),
        SetEnqueueOptions(
            queue_partition_key=route.partition_key(account_id, resource_id), delay_seconds=delay_s
        ),
    ):
        await runtime.queue().enqueue_async(handle_resource, topic, account_id, resource_id, later, waits)


async def _ingest_again(topic: str, account_id: int, resource_id: str, waits: int, delay_s: float) -> None:
    """The same work again in `delay_s` (at least half a second), under an id derived from this whole
    one (a chain of waits and outage deferrals never reuses an id)."""
    route = channel_for(topic)
    assert route is not None
    base = DBOS.workflow_id or route.workflow_key(resource_id)
    with (
        SetWorkflowID(f"{base}~w{waits}"),
        SetEnqueueOptions(
            queue_partition_key=route.partition_key(account_id, resource_id), delay_seconds=max(0.5, delay_s)
        ),
    ):
        await runtime.queue().enqueue_async(handle_resource, topic, account_id, resource_id, 0, waits)
