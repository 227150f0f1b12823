"""The seller writes first on a sale (§8.7): the action guide, its options and their caps.

On a Mercado Envíos sale the seller may not open the post-sale conversation with a free message; they
pick a reason (an *option*) from the action guide, each with a cap of sends until the buyer answers.
Once the buyer has written, the conversation is open and messages go the ordinary way (§8.3).

A pack thread whose buyer never wrote carries `seller_starts: true` in its state, with the options read
last (`guide`, caps included). The inbox offers them as the thread's actions (the composer is closed
until the buyer writes); an option is sent once through the outbox like any reply (target
`<pack>:guide:<option>`) and Mercado Libre's refusal (cap used, buyer wrote meanwhile) is recorded as
the send's failure. The options are read again whenever a person opens such a thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from mostrador import i18n
from mostrador.accounts.seller_api import SellerApi
from mostrador.bot.guard import explain, guard
from mostrador.channels.base import REFUSALS, ActionOffer, Posted, PostRefused
from mostrador.channels.sales import MISSING
from mostrador.conversations import outgoing
from mostrador.conversations.outgoing import Outgoing, ReplyPlan, ReplyRefused
from mostrador.i18n import N_, gettext, ngettext
from mostrador.meli import errors as meli_errors
from mostrador.meli.models import ActionGuide, ConversationStatus, GuideCap
from mostrador.store import outbox as outbox_store
from mostrador.store.models import Conversation, OutboxStatus

SELLER_STARTS = "seller_starts"
GUIDE = "guide"
ACTION_PREFIX = "guide:"
# §8.6: the substatus of a Mercado Envíos sale the seller must open through the guide.
GUIDE_SUBSTATUSES = frozenset({"blocked_by_conversation_initiated_by_seller_limited"})
SELLER_LIMIT = 350  # §8.7 char_limit of the free-text options, as §8.3
# What each reason is called in the inbox (Mercado Libre's ids are not for people).
OPTION_LABELS = {
    "REQUEST_BILLING_INFO": N_("Pedir los datos de facturación"),
    "SEND_INVOICE_LINK": N_("Enviar el enlace de la factura"),
    "REQUEST_VARIANTS": N_("Confirmar color o talle"),
    "DELIVERY_PROMISE": N_("Avisar la franja de entrega"),
    "OTHER": N_("Otro motivo (texto libre)"),
}
# DELIVERY_PROMISE needs a date and hours per sale (numeric template variables): not offered yet.
OFFERED = ("REQUEST_BILLING_INFO", "SEND_INVOICE_LINK", "REQUEST_VARIANTS", "OTHER")


@dataclass(frozen=True)
class GuideOption:
    """One option as the inbox keeps it in the thread's state (JSON)."""

    id: str
    enabled: bool
    free_text: bool
    template_id: str | None
    cap: int | None
    char_limit: int | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def guide_options(guide: ActionGuide, caps: list[GuideCap] | None) -> list[dict[str, Any]]:
    """The guide's options with the caps read beside them (the caps resource is the fresher count)."""
    left = {c.option_id: c.cap_available for c in caps or []}
    found = []
    for o in guide.options:
        template = o.templates[0].id if o.templates else None
        found.append(
            GuideOption(
                o.id,
                bool(o.enabled and (o.actionable is not False)),
                o.free_text,
                None if o.free_text else template,
                left.get(o.id, o.cap_available),
                o.char_limit,
            ).to_dict()
        )
    return found


async def read_guide(api: SellerApi, pack_id: str) -> list[dict[str, Any]]:
    """The options for this sale now; empty when Mercado Libre offers no guide here (an excepted case,
    a conversation already open, a sale of another kind)."""
    try:
        guide = await api.call(api.meli.get_action_guide, pack_id)
    except MISSING:
        return []  # read, and none offered (an excepted pack, a conversation already open …)
    try:
        caps = await api.call(api.meli.get_action_guide_caps, pack_id)
    except MISSING:
        caps = None
    return guide_options(guide, caps)


def must_start(
    status: ConversationStatus | None, buyer_wrote: bool, guide: list[dict[str, Any]] | None
) -> bool:
    """Whether the seller can only write through the guide: the buyer never wrote, the conversation is
    not blocked for another reason (§8.6), and Mercado Libre offers a guide for the sale."""
    if buyer_wrote or not guide:
        return False
    return status is None or not status.is_blocked or status.substatus in GUIDE_SUBSTATUSES


# ---- the inbox: options as actions -------------------------------------------------------------------
def refusal(state: dict[str, Any]) -> str | None:
    if not state.get(SELLER_STARTS):
        return None
    return gettext(
        "El comprador todavía no escribió: en las ventas con Mercado Envíos, Mercado Libre solo deja "
        "iniciar la conversación eligiendo un motivo (abajo). Cuando el comprador responda, se escribe libre."
    )


def offers(state: dict[str, Any]) -> list[ActionOffer]:
    if not state.get(SELLER_STARTS):
        return []
    found = []
    for option in state.get(GUIDE) or []:
        if option.get("id") not in OFFERED or not option.get("enabled"):
            continue
        cap = option.get("cap")
        if cap is not None and cap <= 0:
            continue
        left = (
            ""
            if cap is None
            else " "
            + ngettext(
                "Mercado Libre permite %(num)s envío más con este motivo.",
                "Mercado Libre permite %(num)s envíos más con este motivo.",
                cap,
            )
            % {"num": cap}
        )
        what = (
            gettext("Escribí el mensaje (hasta 350 caracteres, sin datos de contacto).")
            if option.get("free_text")
            else gettext("Mercado Libre envía su propio texto para este motivo.")
        )
        found.append(
            ActionOffer(
                name=f"{ACTION_PREFIX}{option['id']}",
                label=OPTION_LABELS.get(option["id"], option["id"]),
                confirm=f"{what}{left} " + gettext("Cuando el comprador responda, se le escribe libremente."),
                fields=("text",) if option.get("free_text") else (),
            )
        )
    return found


def plan(
    s: Session, thread: Conversation, state: dict[str, Any], name: str, form: dict[str, str]
) -> tuple[ReplyPlan, str]:
    """An agent's choice of option: where it goes and the words it leaves in the thread."""
    option_id = name.removeprefix(ACTION_PREFIX)
    if option_in_use(s, thread, option_id, f"{thread.external_key}:guide:{option_id}"):
        raise ReplyRefused(
            gettext("Ese motivo ya se está enviando (o se envió) en esta venta: mirá la conversación.")
        )
    option = next((o for o in state.get(GUIDE) or [] if o.get("id") == option_id), None)
    if not state.get(SELLER_STARTS):
        raise ReplyRefused(gettext("El comprador ya escribió: respondé con un mensaje normal."))
    if option is None or option_id not in OFFERED or not option.get("enabled"):
        raise ReplyRefused(gettext("Mercado Libre no ofrece ese motivo para esta venta."))
    if option.get("cap") is not None and option["cap"] <= 0:
        raise ReplyRefused(gettext("Ya se usó ese motivo: hay que esperar a que el comprador responda."))
    text = " ".join((form.get("text") or "").split()) if option.get("free_text") else ""
    return guide_plan(thread, option_id, option, text, f"{thread.external_key}:guide:{option_id}")


def guide_plan(
    thread: Conversation,
    option_id: str,
    option: dict[str, Any],
    text: str,
    target_id: str,
    allow: tuple[str, ...] = (),
) -> tuple[ReplyPlan, str]:
    """The outbox plan of one option send (an agent's or an order message's); `allow`: values read from
    Mercado Libre the text may quote (a tracking number the guard would take for a phone)."""
    params: dict[str, Any] = {"guide_option": option_id, "allow": list(allow)}
    if option.get("free_text"):
        limit = min(SELLER_LIMIT, option.get("char_limit") or SELLER_LIMIT)
        if not text:
            raise ReplyRefused(gettext("Escribí el mensaje para este motivo."))
        checked = guard(text, limit=limit, allow=allow)
        if not checked.ok:
            raise ReplyRefused(explain(checked, limit, i18n.current()))
        shown = text
    else:
        params["template_id"] = option.get("template_id")
        shown = f"[{OPTION_LABELS.get(option_id, option_id)}: texto de Mercado Libre]"
    # `replaces`: a text Mercado Libre refused (moderated, the lock) may be written again; a sent one
    # never is (conversations.outgoing).
    plan = ReplyPlan(
        target_id=target_id, external_id=f"{outgoing.REPLY_PREFIX}{target_id}", params=params, replaces=True
    )
    return plan, shown


def option_in_use(s: Session, thread: Conversation, option_id: str, target_id: str) -> bool:
    """Another send of this option in the sale (the bot's order message and an agent's choice have
    different targets) is waiting or went: the cap is one send until the buyer answers (§8.7)."""
    return any(
        e.target_id != target_id
        and (e.params or {}).get("guide_option") == option_id
        and e.status in (OutboxStatus.PENDING, OutboxStatus.SENT)
        for e in outbox_store.entries_of(s, [thread.id])
    )


async def post(api: SellerApi, reply: Outgoing) -> Posted:
    option_id = str(reply.params["guide_option"])
    template_id = reply.params.get("template_id")
    try:
        sent = await api.call(
            api.meli.send_action_guide_option,
            reply.conversation_key,
            option_id,
            template_id=template_id,
            text=None if template_id else reply.text,
        )
    except meli_errors.Conflict as exc:
        # §8.7: another option is being sent for this sale right now (a lock): nothing went; try again.
        raise meli_errors.RateLimited(f"action guide busy: {exc}", retry_after=2.0, status=409) from exc
    except REFUSALS as exc:
        raise PostRefused("rejected", str(exc)) from exc
    found = sent.message_moderation
    verdict = {"status": found.status, "reason": found.reason} if found is not None else None
    # A template's words are Mercado Libre's: the thread shows what the buyer got, not our placeholder.
    return Posted(sent.id, sent.status, verdict, text=sent.text if template_id and sent.text else None)


async def template_spent(api: SellerApi, reply: Outgoing) -> bool:
    """Whether the template option of this send went (its cap is spent). Its words are Mercado Libre's
    own, so the cap tells, not the text: spent means it went — ours, or the same template sent from
    Mercado Libre's site, the same words either way."""
    caps = await api.call(api.meli.get_action_guide_caps, reply.conversation_key)
    left = next((c.cap_available for c in caps if c.option_id == reply.params["guide_option"]), None)
    return left is not None and left <= 0
