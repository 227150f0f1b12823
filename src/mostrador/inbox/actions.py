"""What an agent does in the inbox: answer a question, approve or edit a bot draft.

The text passes the same guard as the bot's (no contact data, 2,000 characters, §5.4); the reply is
recorded before a workflow sends it, exactly like the bot's.
"""

from __future__ import annotations

from dbos import SetEnqueueOptions, SetWorkflowID

from mostrador.bot import guard
from mostrador.context import AppContext
from mostrador.conversations import service as conv
from mostrador.store import repositories as repo
from mostrador.store.db import transaction
from mostrador.workflows import runtime
from mostrador.workflows.conversations import send_reply

ANSWER_LIMIT = 2000


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
        thread = repo.conversation_in_workspace(s, workspace_id, conversation_id)
        if thread is None or thread.channel != "questions":
            raise ReplyRejected("Conversación desconocida.")
        asked = [m for m in thread.messages if m.direction == "in" and m.external_id == question_id]
        if not asked:
            raise ReplyRejected("Esa pregunta no pertenece a esta conversación.")
        existing = repo.reply_for(s, thread.account_id, "questions", question_id)
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
            reply_id = repo.claim_reply(s, thread.account_id, "questions", question_id, text, out.id).id
        thread.owner = "agent"
        return reply_id, out.id


async def send_now(reply_id: int, question_id: str, message_id: int) -> None:
    """Enqueue the send on the question's partition; the id makes a double click harmless."""
    with (
        SetWorkflowID(f"reply:{reply_id}:{message_id}"),
        SetEnqueueOptions(queue_partition_key=f"question:{question_id}"),
    ):
        await runtime.queue().enqueue_async(send_reply, "questions", reply_id)
