"""The bot's first response to a claim, by what the buyer complains about (the seller's rules, bot/claims.py).

At most one per rule per claim (its outbox target is `<claim>:rule:<rule>`), only while the claim is
between buyer and seller (never to the mediator), never while a person has taken the claim over
(`conversations.ownership`), and never once anyone — a person in Mostrador, the seller in Mercado
Libre's own UI, or the bot — has written in the claim. In `auto` mode it is sent
through the outbox as the bot's; in `draft` mode it is kept as a suggestion in the reply form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from mostrador.bot.cache import account_config
from mostrador.bot.claims import DEFAULT_RETURN_POLICY, category, render, rule_for, shipment_words
from mostrador.channels.claims.reading import ClaimView, Sale
from mostrador.conversations import outgoing, ownership
from mostrador.conversations.outgoing import ReplyPlan
from mostrador.store import conversations as conversations_store
from mostrador.store.models import ClaimRecord, Conversation

# Mercado Libre's sites by language (§1): Brazil writes Portuguese, every other site Spanish.
PORTUGUESE_SITES = frozenset({"MLB"})


@dataclass(frozen=True)
class FirstResponse:
    """A rendered first response: which rule, its text, what posting it needs, and whether it is sent."""

    rule_id: str
    text: str
    plan: ReplyPlan
    send: bool  # auto mode; otherwise a suggestion for the agent's reply form


def claim_category(view: ClaimView, known: dict[str, Any]) -> str:
    """The claim's category, from its reason as read now or as recorded before."""
    reason = view.reason
    settings = (reason.settings or {}) if reason is not None else {}
    triage = settings.get("rules_engine_triage") or known.get("reason_triage") or []
    name = reason.name if reason is not None else known.get("reason_name")
    return category(view.claim.reason_id, list(triage), name)


def first_response(
    s: Session,
    thread: Conversation,
    record: ClaimRecord,
    view: ClaimView,
    sale: Sale,
    known: dict[str, Any],
    bot_config: dict[str, Any] | None,
    site_id: str,
) -> FirstResponse | None:
    """The first response the seller's rules give this claim now, if one is due."""
    claim = view.claim
    if not claim.is_open or record.auto_rule is not None:
        return None
    if not ownership.bot_may_speak(s, thread):
        return None  # a person took the claim over: no first response, not even a suggestion
    if not claim.can("respondent", "send_message_to_complainant"):
        return None  # in a dispute the seller writes to the mediator: a person does that
    if any(m.direction == "out" for m in conversations_store.messages_of(s, thread.id)):
        return None  # someone has written already: the conversation is theirs
    config = account_config(bot_config)
    rule = rule_for(config.claim_rules, claim_category(view, known))
    if rule is None:
        return None
    lang = "pt" if site_id in PORTUGUESE_SITES else "es"
    variables = {
        "claim_id": str(claim.id),
        "order_id": sale.order_id,
        "item_title": sale.title or None,
        "reason": (view.reason.detail if view.reason is not None else None) or known.get("reason_detail"),
        "shipment_status": shipment_words(sale.shipment_status, lang),
        "tracking_number": sale.tracking_number,
        "carrier": sale.carrier,
        "return_policy": config.facts.return_policy.get(lang) or DEFAULT_RETURN_POLICY[lang],
    }
    text = render(rule, lang, variables)
    if text is None:
        return None
    # Numbers read from Mercado Libre itself may be quoted although the guard would take them for phones.
    allow = [v for v in (sale.tracking_number, sale.order_id, str(claim.id)) if v]
    plan = ReplyPlan(
        target_id=f"{thread.external_key}:rule:{rule.id}",
        external_id=f"{outgoing.REPLY_PREFIX}rule-{rule.id}",
        params={"allow": allow, "rule": rule.id},
    )
    return FirstResponse(rule.id, text, plan, send=config.mode == "auto")
