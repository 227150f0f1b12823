"""The bookkeeping of every channel's send step (load, count the attempt, mark sent or failed): each
call is one transaction in a worker thread around `conversations.replies`."""

from __future__ import annotations

import asyncio
from typing import Any

from mostrador.bot import guard
from mostrador.context import AppContext
from mostrador.conversations import replies
from mostrador.store.db import transaction


async def load(ctx: AppContext, reply_id: int) -> replies.PendingReply:
    return await asyncio.to_thread(_in_transaction, ctx, replies.load, reply_id)


async def count_attempt(ctx: AppContext, reply_id: int) -> None:
    await asyncio.to_thread(_in_transaction, ctx, replies.count_attempt, reply_id)


async def fail(ctx: AppContext, reply_id: int, reason: str, detail: str) -> str:
    return str(await asyncio.to_thread(_in_transaction, ctx, replies.fail, reply_id, reason, detail))


async def mark_sent(
    ctx: AppContext, reply_id: int, remote_id: str | None = None, remote_status: str | None = None
) -> str:
    return str(
        await asyncio.to_thread(_in_transaction, ctx, replies.mark_sent, reply_id, remote_id, remote_status)
    )


async def refused_by_guard(ctx: AppContext, reply: replies.PendingReply, limit: int) -> str | None:
    """Record the refusal when the text breaks Mercado Libre's rules (returns "failed"); None if it may go."""
    checked = guard(reply.text, limit=limit)
    if checked.ok:
        return None
    detail = "; ".join(f"{v.kind}: {v.detail}" for v in checked.violations)
    return await fail(ctx, reply.reply_id, "guard_blocked", detail)


def _in_transaction(ctx: AppContext, operation: Any, *args: Any) -> Any:
    with transaction(ctx.sessions) as s:
        return operation(s, *args)
