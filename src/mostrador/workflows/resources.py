"""The per-resource workflow: ingest (fetch, record, decide) then send the planned reply.

Thin by design: each step calls one channel method. Steps are at-least-once, so the channel makes
both safe to repeat (upserts, reply recorded once, re-check before posting again).
"""

from __future__ import annotations

from typing import Any

from dbos import DBOS

from mostrador.accounts.tokens import TokenRefreshFailed
from mostrador.channels.registry import channel_for
from mostrador.meli import errors as meli_errors
from mostrador.workflows.runtime import context


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
    channel = channel_for(topic)
    if channel is None:
        return {"outcome": "skipped", "reply_id": None, "detail": f"no channel for {topic}"}
    plan = await channel.ingest(context(), account_id, resource_id)
    return plan.to_dict()


@DBOS.step(
    retries_allowed=True, max_attempts=6, interval_seconds=0.5, backoff_rate=2.0, should_retry=_transient
)
async def send_step(topic: str, reply_id: int) -> str:
    channel = channel_for(topic)
    if channel is None:
        return "skipped"
    return await channel.send(context(), reply_id)


@DBOS.workflow(name="conversation_resource")
async def handle_resource(topic: str, account_id: int, resource_id: str) -> dict[str, Any]:
    plan = await ingest_step(topic, account_id, resource_id)
    if plan.get("reply_id") and plan.get("outcome") == "reply_pending":
        plan["sent"] = await send_step(topic, plan["reply_id"])
    return plan


@DBOS.workflow(name="send_reply")
async def send_reply(topic: str, reply_id: int) -> str:
    """Used when an agent approves or writes a reply in the inbox."""
    return await send_step(topic, reply_id)
