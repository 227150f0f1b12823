"""What a person can do in a question thread besides answering: delete a question (§5.5), block the
buyer from asking the seller again, and unblock them (§5.6).

Each goes out through the outbox like an answer — recorded once, posted once, and after an attempt
whose outcome is unknown looked up at Mercado Libre before it is tried again — and stays in the thread
as the agent's action. Whether the buyer is blocked is kept as the thread's `asker` state, with a
version that makes a double submit one action while letting a later block-unblock-block happen.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from mostrador.accounts.seller_api import SellerApi
from mostrador.channels.base import REFUSALS, ActionOffer, Posted, PostRefused
from mostrador.conversations import service as conv
from mostrador.conversations.outgoing import Outgoing, ReplyPlan, ReplyRefused
from mostrador.i18n import N_, gettext
from mostrador.meli import errors as meli_errors
from mostrador.store import conversations as conversations_store
from mostrador.store.db import transaction
from mostrador.store.models import Conversation
from mostrador.store.waiting import ACTION_PREFIX

STATE_KEY = "asker"
# A question nobody can delete any more (already gone, or Mercado Libre's to decide).
UNDELETABLE = frozenset({"DELETED", "BANNED"})


@dataclass(frozen=True)
class Spec:
    label: str
    confirm: str
    done: str  # the words it leaves in the thread


SPECS = {
    "delete_question": Spec(
        N_("Eliminar la pregunta"),
        N_("La pregunta desaparece de la publicación para todos. No se puede deshacer."),
        N_("Acción: pregunta eliminada."),
    ),
    "block_asker": Spec(
        N_("Bloquear al comprador"),
        N_("No podrá hacerte más preguntas en ninguna publicación de esta cuenta hasta que lo desbloquees."),
        N_("Acción: comprador bloqueado para preguntar."),
    ),
    "unblock_asker": Spec(
        N_("Desbloquear al comprador"),
        N_("Podrá volver a hacerte preguntas."),
        N_("Acción: comprador desbloqueado."),
    ),
}


def buyer_of(thread_key: str) -> str:
    """A question thread is one buyer on one item: `<item id>:<buyer id>`."""
    return thread_key.rpartition(":")[2]


def offers(state: dict[str, Any]) -> list[ActionOffer]:
    blocked = bool(state.get("blocked"))
    found = [_offer("unblock_asker" if blocked else "block_asker")]
    found.append(_offer("delete_question", fields=("question_id",)))
    return found


def _offer(name: str, fields: tuple[str, ...] = ()) -> ActionOffer:
    spec = SPECS[name]
    return ActionOffer(name=name, label=spec.label, confirm=spec.confirm, fields=fields)


def plan(
    s: Session, thread: Conversation, state: dict[str, Any], name: str, form: dict[str, str]
) -> tuple[ReplyPlan, str]:
    """Where the action goes and the words it leaves; `ReplyRefused` when it makes no sense now."""
    if name not in {o.name for o in offers(state)}:
        raise ReplyRefused(gettext("Mercado Libre no permite esa acción en esta conversación ahora."))
    buyer = buyer_of(thread.external_key)
    if not buyer.isdigit():
        raise ReplyRefused(gettext("No se sabe quién es el comprador de esta conversación."))
    params: dict[str, Any] = {"action": name, "buyer_id": int(buyer)}
    if name == "delete_question":
        question_id = (form.get("question_id") or "").strip()
        asked = conversations_store.message_by_external_id(s, thread.id, "in", question_id)
        if asked is None or not question_id.isdigit():
            raise ReplyRefused(gettext("Esa pregunta no pertenece a esta conversación."))
        if (asked.external_status or "").upper() in UNDELETABLE:
            raise ReplyRefused(gettext("Esa pregunta ya no está en la publicación."))
        params["question_id"] = int(question_id)
        target = f"{question_id}:delete"
    else:
        target = f"{thread.external_key}:{name}:{int(state.get('version') or 0)}"
    return ReplyPlan(target_id=target, external_id=f"{ACTION_PREFIX}{target}", params=params), SPECS[
        name
    ].done


async def post(api: SellerApi, reply: Outgoing) -> Posted:
    """Do the recorded action once; a question already gone or a buyer already unblocked is done."""
    name, buyer = reply.params["action"], reply.params["buyer_id"]
    meli = api.meli
    try:
        if name == "delete_question":
            await api.call(meli.delete_question, reply.params["question_id"])
        elif name == "block_asker":
            await api.call(meli.block_asker, api.seller_id, buyer)
        elif name == "unblock_asker":
            await api.call(meli.unblock_asker, api.seller_id, buyer)
        else:
            raise PostRefused("not_allowed", f"unknown question action {name!r}")
    except meli_errors.NotFound:
        if name == "block_asker":
            raise PostRefused("rejected", "Mercado Libre does not know this buyer") from None
    except REFUSALS as exc:
        raise PostRefused("rejected", str(exc)) from exc
    await asyncio.to_thread(_note_done, api, reply)
    return Posted()


async def find_done(api: SellerApi, reply: Outgoing) -> Posted | None:
    """After an attempt whose outcome is unknown: does Mercado Libre show the action done?"""
    name = reply.params["action"]
    if name == "delete_question":
        try:
            question = await api.call(api.meli.get_question, reply.params["question_id"])
        except meli_errors.NotFound:
            return Posted()
        return Posted() if (question.status or "").upper() == "DELETED" else None
    blocked = reply.params["buyer_id"] in await api.call(api.meli.blocked_askers, api.seller_id)
    if blocked == (name == "block_asker"):
        await asyncio.to_thread(_note_done, api, reply)
        return Posted()
    return None


def _note_done(api: SellerApi, reply: Outgoing) -> None:
    """Block and unblock change the thread's `asker` state (and its version, for the next one)."""
    name = reply.params["action"]
    if name not in ("block_asker", "unblock_asker"):
        return
    with transaction(api.ctx.sessions) as s:
        thread = s.get(Conversation, reply.conversation_id)
        if thread is None:
            return
        current = conv.state_of(thread, STATE_KEY)
        version = int(current.get("version") or 0) + 1
        blocked = name == "block_asker"
        summary = "Comprador bloqueado para preguntar" if blocked else "Comprador habilitado para preguntar"
        conv.record_state(s, thread, STATE_KEY, summary, {"blocked": blocked, "version": version})
