"""The post-sale bot inside the messages channel: answers "where is my purchase" from the live shipment.

The decision is pure (`bot/postsale.py`); this module gives it the purchase as Mercado Libre shows it
now (§7: pack → order → shipment, read with the seller's token) and turns the decision into the same
records the claims channel's first responses make:

- `auto`: the reply is recorded through the outbox as the bot's (`conversations.outgoing.record`,
  target `<pack>:bot:<buyer message id>`, so one buyer message gets at most one bot reply however often
  it is ingested), and the ingest workflow delivers it;
- `draft`: the text is kept in the pack's state as `suggested_reply` and the thread goes to a person,
  who approves it from the reply form;
- a handoff: the thread goes to a person with the reason in words.

The bot only acts when the account turned it on (`post_sale: true` in the bot settings), and stays
silent once a person has taken the conversation over: its owner is an agent (a handoff, an agent's
reply, a takeover), or anyone but the bot — an agent, or the seller in Mercado Libre's own site — wrote
in it since it was last handed back to the bot (`conversations.ownership`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mostrador.accounts.seller_api import SellerAccount, SellerApi
from mostrador.bot.cache import account_config
from mostrador.bot.config import BotConfig
from mostrador.bot.normalize import Lang
from mostrador.bot.postsale import (
    REASON_COMPLAINT,
    REASON_DELIVERED,
    REASON_GUARD,
    REASON_INVOICE,
    REASON_NO_SHIPMENT,
    REASON_OTHER,
    REASON_SHIPMENT_PROBLEM,
    Shipping,
    decide,
    topic_of,
)
from mostrador.channels.base import Plan
from mostrador.channels.claims.first_response import PORTUGUESE_SITES
from mostrador.channels.sales import read_pack_sale
from mostrador.conversations import outgoing, ownership
from mostrador.conversations import service as conv
from mostrador.conversations.outgoing import ReplyPlan
from mostrador.i18n import N_
from mostrador.store import conversations as conversations_store
from mostrador.store import outbox as outbox_store
from mostrador.store.models import Account, Conversation

REASON_DRAFT = "post_sale_draft"
SUGGESTION_RULE = "estado del envío"  # shown to the agent as the rule that suggested the reply
HANDOFF_REASONS = {
    REASON_OTHER: "el comprador pide algo que el bot no responde",
    REASON_COMPLAINT: N_("el comprador está molesto o reclama"),
    REASON_INVOICE: N_("pide la factura y la configuración del bot no dice qué factura se emite"),
    REASON_NO_SHIPMENT: N_("pregunta por el envío y Mercado Libre no muestra uno"),
    REASON_DELIVERED: N_("pregunta por su compra y el envío figura entregado"),
    REASON_SHIPMENT_PROBLEM: N_("pregunta por el envío, que está demorado o con un problema"),
    REASON_GUARD: N_("la respuesta del bot no pasó las reglas de Mercado Libre"),
    REASON_DRAFT: "el bot sugiere una respuesta: revisala y enviala",
}


@dataclass(frozen=True)
class BuyerTurn:
    """The buyer's messages since the seller's side last wrote, oldest first, as Mercado Libre shows them."""

    message_ids: list[str]
    texts: list[str]

    @property
    def last_id(self) -> str:
        return self.message_ids[-1]


def language(site_id: str) -> Lang:
    """Brazil writes Portuguese, every other site Spanish (§1)."""
    return "pt" if site_id in PORTUGUESE_SITES else "es"


def _config(raw: dict[str, Any] | None) -> BotConfig | None:
    """The account's bot settings when its post-sale bot is on, else None."""
    config = account_config(raw)
    return config if config.post_sale else None


def is_on(account: SellerAccount) -> bool:
    return _config(account.bot_config) is not None


def asks_where(account: SellerAccount, turn: BuyerTurn) -> bool:
    """Whether the buyer's turn asks where the purchase is (then ingest reads the shipment)."""
    return topic_of(turn.texts, language(account.site_id))[0] == "where"


async def read_shipping(api: SellerApi, pack_id: str) -> Shipping:
    """The pack's shipment now (§7.3 pack → §7.1 order → §7.4 shipment); empty when none is shown."""
    sale = await read_pack_sale(api, pack_id)
    estimate = None
    if sale.estimated_delivery:
        try:
            estimate = datetime.fromisoformat(sale.estimated_delivery)
        except ValueError:
            estimate = None  # an unreadable date is left out, never guessed
    if estimate is not None and estimate.tzinfo is None:
        estimate = None
    return Shipping(
        status=sale.shipment_status,
        substatus=sale.shipment_substatus,
        tracking_number=sale.tracking_number,
        carrier=sale.carrier,
        estimated_delivery=estimate,
    )


def _target(thread: Conversation, turn: BuyerTurn) -> str:
    return f"{thread.external_key}:bot:{turn.last_id}"


def answered(s: Session, thread: Conversation, turn: BuyerTurn | None) -> bool:
    """Whether the bot already recorded its reply to this turn (a repeated ingest finds it)."""
    if turn is None:
        return False
    return (
        outbox_store.entry_for_target(s, thread.account_id, thread.channel, _target(thread, turn)) is not None
    )


def person_wrote(s: Session, thread: Conversation) -> bool:
    """Whether anyone but the bot — an agent, the seller in Mercado Libre's own site — wrote in the thread
    since it was last handed back to the bot (what a person wrote before that no longer silences it)."""
    since = thread.bot_resumed_at
    return any(
        m.direction == "out" and m.author != "bot" and (since is None or m.created_at > since)
        for m in conversations_store.messages_of(s, thread.id)
    )


def respond(
    s: Session,
    account: Account,
    thread: Conversation,
    turn: BuyerTurn,
    buyer: str,
    shipping: Shipping | None,
    state: dict[str, Any],
    lease_until: datetime,
    now: datetime,
) -> Plan | None:
    """The bot's move on the buyer's new turn, recorded in the caller's transaction; None when the bot
    stays out (off, a person took over, the thread is blocked, or it answered this turn already).

    `state` is the pack's state about to be recorded: a draft is added to it as `suggested_reply`.
    """
    config = _config(account.bot_config)
    if config is None or thread.owner == "agent" or not ownership.bot_may_speak(s, thread):
        return None  # off, or a person has the conversation (a handoff, a takeover)
    if person_wrote(s, thread) or answered(s, thread, turn):
        return None
    if state.get("status") == "blocked" or not buyer or buyer == "unknown":
        return None  # Mercado Libre refuses replies now: the channel's ordinary handoff says why
    lang = language(account.site_id)
    decision = decide(
        turn.texts,
        shipping,
        lang,
        now,
        greeting=config.greeting.get(lang, "") if config.use_greeting else "",
        sign_off=config.sign_off.get(lang, "") if config.use_sign_off else "",
        # The kinds of invoice the seller said they issue (nothing said, or "no": a person answers).
        invoice=config.facts.invoice.kind if config.facts.invoice.issues else "",
    )
    if decision.action == "handoff":
        conv.hand_off(s, thread, decision.reason)
        return Plan("handed_off", detail=f"post-sale bot: {decision.detail}")
    if config.mode != "auto":
        state["suggested_reply"] = {
            "rule": SUGGESTION_RULE,
            "text": decision.text,
            "message": turn.last_id,  # the buyer message it answers: kept while that turn waits
            "allow": list(decision.quoted),  # Mercado Libre's own values it quotes (tracking number)
        }
        conv.hand_off(s, thread, REASON_DRAFT)
        return Plan("drafted", detail="post-sale bot: suggestion for a person to approve")
    plan = ReplyPlan(
        target_id=_target(thread, turn),
        external_id=f"{outgoing.REPLY_PREFIX}bot-{turn.last_id}",
        # Numbers read from Mercado Libre itself may be quoted although the guard takes them for phones.
        params={"to_user_id": buyer, "allow": list(decision.quoted)},
    )
    entry, _new = outgoing.record(s, thread, plan, decision.text, "bot", lease_until)
    return Plan("reply_pending", reply_id=entry.id, drive=entry.drive, detail="post-sale bot answer")


def kept_suggestion(previous: dict[str, Any], turn: BuyerTurn | None) -> dict[str, Any] | None:
    """A draft stays in the pack's state while it still answers the buyer's latest turn."""
    suggestion = previous.get("suggested_reply")
    if not isinstance(suggestion, dict) or turn is None:
        return None
    return suggestion if suggestion.get("message") in turn.message_ids else None


def buyer_turn(
    messages: Sequence[Any], seller_id: int, new: Collection[str] | None = None
) -> BuyerTurn | None:
    """The buyer's messages after the seller's side last wrote (`messages` oldest first), if any; with
    `new`, only those never recorded before (an earlier one was decided when it was new)."""
    trailing: list[Any] = []
    for m in reversed(messages):
        if m.sender_id == seller_id:
            break
        if new is None or m.id in new:
            trailing.append(m)
    if not trailing:
        return None
    trailing.reverse()
    return BuyerTurn([m.id for m in trailing], [m.text or "" for m in trailing])
