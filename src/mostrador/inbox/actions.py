"""What an agent does in the inbox: answer a question, approve or edit a bot draft, write in a
post-sale chat or a claim.

The text passes the same guard as the bot's (no contact data; 2,000 characters for answers, §5.4;
350 for post-sale and claim messages, §8.3); the reply is recorded before a workflow sends it, exactly
like the bot's.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from dbos import SetEnqueueOptions, SetWorkflowID

from mostrador.bot import guard
from mostrador.channels import claims as claims_channel
from mostrador.context import AppContext
from mostrador.conversations import replies
from mostrador.conversations import service as conv
from mostrador.store import conversations as conversations_store
from mostrador.store import outbox as outbox_store
from mostrador.store.db import transaction
from mostrador.workflows import runtime
from mostrador.workflows.resources import send_reply

ANSWER_LIMIT = 2000
POST_SALE_LIMIT = 350  # §8.3; claims use the same (§9.6 documents none)
REPLY_KEY = re.compile(r"[0-9a-f]{16}")
# Which notification topic's channel sends each conversation channel's replies.
SEND_TOPICS = {"messages": "messages", "claims": "post_purchase"}
BLOCKED_LABELS = {
    "blocked_by_mediation": "hay una mediación abierta",
    "blocked_by_buyer": "el comprador bloqueó los mensajes",
    "blocked_by_time": "pasaron 30 días sin mensajes",
    "blocked_by_fulfillment": "la venta Full todavía no se entregó",
    "blocked_by_payment": "la venta todavía no está pagada",
}


class ReplyRejected(ValueError):
    """The reply cannot be sent as written."""


def record_agent_answer(
    ctx: AppContext, workspace_id: int, agent_id: int, conversation_id: int, question_id: str, text: str
) -> tuple[int, int]:
    """Record an agent's (or an approved draft's) answer; returns (reply id, message id)."""
    text = " ".join(text.split())
    if not text:
        raise ReplyRejected("La respuesta está vacía.")
    checked = guard(text, limit=ANSWER_LIMIT)
    if not checked.ok:
        reasons = "; ".join(f"{v.kind}: {v.detail}" for v in checked.violations)
        raise ReplyRejected(f"La respuesta no cumple las reglas de Mercado Libre ({reasons}).")
    with transaction(ctx.sessions) as s:
        thread = conversations_store.conversation_in_workspace(s, workspace_id, conversation_id)
        if thread is None or thread.channel != "questions":
            raise ReplyRejected("Conversación desconocida.")
        asked = [m for m in thread.messages if m.direction == "in" and m.external_id == question_id]
        if not asked:
            raise ReplyRejected("Esa pregunta no pertenece a esta conversación.")
        existing = outbox_store.reply_for(s, thread.account_id, "questions", question_id)
        if existing is not None and existing.status in ("sent", "pending"):
            raise ReplyRejected("Esa pregunta ya tiene una respuesta enviada o en camino.")
        out = conv.record_outbound(
            s, thread, f"answer:{question_id}", text, "agent", "pending_send", agent_id=agent_id
        )
        if existing is not None:  # a failed or superseded earlier try: reuse the row for the new text
            existing.text, existing.status, existing.message_id, existing.attempts = (
                text,
                "pending",
                out.id,
                0,
            )
            reply_id = existing.id
        else:
            reply_id = outbox_store.claim_reply(
                s, thread.account_id, "questions", question_id, text, out.id
            ).id
        thread.owner = "agent"
        return reply_id, out.id


@dataclass(frozen=True)
class RecordedReply:
    """An agent's post-sale reply, recorded and ready for the send workflow."""

    reply_id: int
    message_id: int
    topic: str
    partition_key: str


def new_reply_key() -> str:
    """Put in each reply form: a double submit of the same form records (and sends) one reply."""
    return secrets.token_hex(8)


def _rules_explained(text: str, limit: int) -> str | None:
    checked = guard(text, limit=limit)
    if checked.ok:
        return None
    reasons = "; ".join(f"{v.kind}: {v.detail}" for v in checked.violations)
    return f"El mensaje no cumple las reglas de Mercado Libre ({reasons})."


def record_agent_reply(
    ctx: AppContext,
    workspace_id: int,
    agent_id: int,
    conversation_id: int,
    text: str,
    reply_key: str,
) -> RecordedReply:
    """Record an agent's message in a post-sale chat or a claim; the send workflow posts it once."""
    text = text.strip()
    if not text:
        raise ReplyRejected("El mensaje está vacío.")
    explained = _rules_explained(text, POST_SALE_LIMIT)
    if explained:
        raise ReplyRejected(explained)
    if not REPLY_KEY.fullmatch(reply_key or ""):
        reply_key = new_reply_key()
    with transaction(ctx.sessions) as s:
        thread = conversations_store.conversation_in_workspace(s, workspace_id, conversation_id)
        if thread is None or thread.channel not in SEND_TOPICS:
            raise ReplyRejected("Conversación desconocida.")
        if thread.channel == "messages":
            state = conv.state_of(thread, "pack")
            if state.get("status") == "blocked":
                why = BLOCKED_LABELS.get(state.get("substatus") or "", state.get("substatus") or "sin motivo")
                raise ReplyRejected(f"Mercado Libre no deja escribir en esta conversación ahora: {why}.")
            buyer = conversations_store.contact_external_id(
                s, thread.account_id, "messages", thread.contact_id
            )
            meta = {"to_user_id": buyer}
            partition = f"pack:{thread.external_key}"
        else:
            if conv.state_of(thread, claims_channel.STATE_KEY).get("status") == "closed":
                raise ReplyRejected("El reclamo está cerrado: ya no admite mensajes.")
            meta = {}
            partition = claims_channel.partition_key(thread.external_key)
        reply, out = replies.record_agent_reply(s, thread, reply_key, text, agent_id, meta)
        return RecordedReply(reply.id, out.id, SEND_TOPICS[thread.channel], partition)


async def send_reply_now(recorded: RecordedReply) -> None:
    """Enqueue the send on the thread's partition; the id makes a double click harmless."""
    with (
        SetWorkflowID(f"reply:{recorded.reply_id}:{recorded.message_id}"),
        SetEnqueueOptions(queue_partition_key=recorded.partition_key),
    ):
        await runtime.queue().enqueue_async(send_reply, recorded.topic, recorded.reply_id)


async def send_now(reply_id: int, question_id: str, message_id: int) -> None:
    """Enqueue the send on the question's partition; the id makes a double click harmless."""
    with (
        SetWorkflowID(f"reply:{reply_id}:{message_id}"),
        SetEnqueueOptions(queue_partition_key=f"question:{question_id}"),
    ):
        await runtime.queue().enqueue_async(send_reply, "questions", reply_id)
