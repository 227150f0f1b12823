"""Pre-sale questions: one conversation per buyer per item, one public answer per question (§5).

Ingest re-fetches the question and the live item with the seller's own token (the notification is
only a pointer), records both, lets the bot decide, and records the reply before anything is sent.
Send re-checks that the question is still unanswered before posting again after a failed attempt.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from mostrador.accounts.tokens import call_with_token
from mostrador.bot import guard
from mostrador.channels import agent_replies
from mostrador.channels.base import Plan
from mostrador.context import AppContext
from mostrador.conversations import service as conv
from mostrador.meli import errors as meli_errors
from mostrador.meli.models import Item, Question
from mostrador.store import conversations as conversations_store
from mostrador.store import operations as operations_store
from mostrador.store import outbox as outbox_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Message, Reply, utcnow

ANSWER_LIMIT = 2000  # §5.4


class QuestionsChannel:
    topic = "questions"
    name = "questions"

    def workflow_key(self, resource_id: str) -> str:
        return f"question:{resource_id}"

    def partition_key(self, account_id: int, resource_id: str) -> str:
        return f"question:{resource_id}"

    async def ingest(self, ctx: AppContext, account_id: int, resource_id: str) -> Plan:
        try:
            question = await call_with_token(
                ctx, account_id, lambda t: ctx.meli.get_question(int(resource_id), t)
            )
        except meli_errors.NotFound:
            return Plan("skipped", detail="question not found (deleted or banned)")
        account = await asyncio.to_thread(_account, ctx, account_id)
        if question.seller_id != account.meli_user_id or not question.item_id:
            return Plan("skipped", detail="question is not addressed to this account")
        item_id = question.item_id
        item: Item | None = None
        if question.is_unanswered or not await asyncio.to_thread(_thread_exists, ctx, account_id, question):
            # The live listing grounds the bot; an answered question in a known thread needs no item read
            # (one call fewer per answer notification, which matters inside Mercado Libre's budgets).
            item = await call_with_token(ctx, account_id, lambda t: ctx.meli.get_item(item_id, t))
        decision = None
        if question.is_unanswered and item is not None:
            item_json = item.model_dump(mode="json", by_alias=True)
            # In a thread: a first use may train the intent model, which must not block the event loop.
            decision = await asyncio.to_thread(
                _decide, ctx, account.bot_config, question.text, item_json, datetime.now(UTC)
            )
        return await asyncio.to_thread(_record, ctx, account_id, question, item, decision)

    async def send(self, ctx: AppContext, reply_id: int) -> str:
        reply, account = await asyncio.to_thread(_reply_and_account, ctx, reply_id)
        if reply.status in ("sent", "superseded", "failed"):
            return reply.status
        question_id = int(reply.target_id)

        async def fetch_question() -> Question:
            return await call_with_token(ctx, account.id, lambda t: ctx.meli.get_question(question_id, t))

        if reply.attempts > 0:
            # A previous attempt may have reached Mercado Libre before we crashed: look before posting.
            current = await fetch_question()
            if not current.is_unanswered:
                return await asyncio.to_thread(_settle_from_remote, ctx, reply_id, current)
        checked = guard(reply.text, limit=ANSWER_LIMIT)
        if not checked.ok:
            return await agent_replies.fail(ctx, reply_id, "guard_blocked", _violations(checked))
        await agent_replies.count_attempt(ctx, reply_id)
        try:
            # A 401 was refused before anything happened, so retrying it after a refresh is safe.
            await call_with_token(ctx, account.id, lambda t: ctx.meli.post_answer(question_id, reply.text, t))
        except meli_errors.BadRequest as exc:
            current = await fetch_question()
            if not current.is_unanswered:
                return await asyncio.to_thread(_settle_from_remote, ctx, reply_id, current)
            return await agent_replies.fail(ctx, reply_id, "rejected", str(exc))
        return await agent_replies.mark_sent(ctx, reply_id)


# ---- synchronous parts -------------------------------------------------------------------------
def _decide(ctx: AppContext, config: Any, text: str, item: dict[str, Any], now: datetime) -> Any:
    return ctx.bots.for_config(config).decide(text, item=item, now=now)


def _account(ctx: AppContext, account_id: int) -> Account:
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        if acc is None:
            raise LookupError(f"unknown account {account_id}")
        s.expunge(acc)
        return acc


def _thread_key(question: Question) -> conv.ThreadKey:
    return conv.ThreadKey("questions", f"{question.item_id}:{question.asker_id or 'unknown'}")


def _thread_exists(ctx: AppContext, account_id: int, question: Question) -> bool:
    with transaction(ctx.sessions) as s:
        key = _thread_key(question)
        return conversations_store.conversation_exists(s, account_id, key.channel, key.external_key)


def _thread_for(s: Any, account: Account, question: Question, item: Item | None) -> Any:
    buyer = str(question.asker_id or "unknown")
    subject = item.title or "" if item is not None else ""
    return conv.open_thread(
        s,
        account,
        _thread_key(question),
        buyer,
        f"Comprador {buyer}",
        subject=subject,
        item_id=question.item_id,
    )


def _record(
    ctx: AppContext, account_id: int, question: Question, item: Item | None, decision: Any | None
) -> Plan:
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        assert account is not None
        thread = _thread_for(s, account, question, item)
        asked_at = question.date_created or utcnow()
        inbound = conv.record_inbound(
            s, thread, str(question.id), question.text, asked_at, external_status=question.status
        )
        if not question.is_unanswered:
            _record_remote_answer(s, thread, question)
            return Plan("recorded", detail=f"question is {question.status}")
        existing = outbox_store.reply_for(s, account_id, "questions", str(question.id))
        if existing is not None:
            return Plan("reply_pending" if existing.status == "pending" else "recorded", reply_id=existing.id)
        assert decision is not None
        meta = {
            "intents": decision.intents,
            "scores": decision.scores,
            "lang": decision.lang,
            "reason": decision.reason,
            "reason_detail": getattr(decision, "reason_detail", None),
            "facts": decision.facts,
        }
        inbound.meta = meta
        if decision.action != "answer":
            conv.hand_off(s, thread, decision.reason or "bot_handoff")
            return Plan("handed_off", detail=decision.reason or "")
        if decision.mode == "draft":
            conv.record_outbound(s, thread, f"answer:{question.id}", decision.text, "bot", "draft", meta=meta)
            conv.hand_off(s, thread, "draft_awaiting_approval")
            return Plan("drafted")
        outbound = conv.record_outbound(
            s, thread, f"answer:{question.id}", decision.text, "bot", "pending_send", meta=meta
        )
        reply = outbox_store.claim_reply(
            s, account_id, "questions", str(question.id), decision.text, outbound.id
        )
        return Plan("reply_pending", reply_id=reply.id)


def _record_remote_answer(s: Any, thread: Any, question: Question) -> None:
    """The question was answered (by us earlier, or in Mercado Libre's own UI): show it."""
    if question.answer is None:
        return
    mine = outbox_store.reply_for(s, thread.account_id, "questions", str(question.id))
    author = "seller"
    if (
        mine is not None
        and mine.status in ("sent", "pending")
        and (mine.text == (question.answer.text or ""))
    ):
        author = "bot" if mine.message_id and _author_of(s, mine.message_id) == "bot" else "agent"
    conv.record_outbound(
        s,
        thread,
        f"answer:{question.id}",
        question.answer.text or "",
        author,
        "sent",
        sent_at=question.answer.date_created,
    )


def _author_of(s: Any, message_id: int) -> str:
    msg = s.get(Message, message_id)
    return msg.author if msg is not None else "seller"


def _reply_and_account(ctx: AppContext, reply_id: int) -> tuple[Reply, Account]:
    with transaction(ctx.sessions) as s:
        reply = s.get(Reply, reply_id)
        if reply is None:
            raise LookupError(f"unknown reply {reply_id}")
        account = s.get(Account, reply.account_id)
        assert account is not None
        s.expunge_all()
        return reply, account


def _settle_from_remote(ctx: AppContext, reply_id: int, current: Question) -> str:
    """Already answered remotely: ours if the text matches (a crash after posting), else superseded."""
    with transaction(ctx.sessions) as s:
        reply = s.get(Reply, reply_id)
        assert reply is not None
        remote_text = current.answer.text if current.answer else None
        status = "sent" if remote_text == reply.text else "superseded"
        reply.status = status
        reply.sent_at = utcnow() if status == "sent" else None
        _update_outbound(s, reply, status)
        return status


def _update_outbound(s: Any, reply: Reply, status: str) -> Any:
    if reply.message_id is None:
        return None
    msg = s.get(Message, reply.message_id)
    if msg is not None:
        msg.status = status
        if status == "sent":
            msg.sent_at = utcnow()
        operations_store.add_event(
            s, msg.conversation.workspace_id, "message", msg.conversation_id, {"status": status}
        )
    return msg


def _violations(result: Any) -> str:
    return ", ".join(f"{v.kind}" for v in result.violations)
