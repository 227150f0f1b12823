"""Messages the seller sends on a sale's events (paid, shipped, delivered): pure rules, data in, text out.

Mercado Libre lets a seller open the post-sale conversation of a Mercado Envíos sale only through the
action guide (§8.7): one of a few reasons (`options`), each with a cap of sends until the buyer answers.
A rule names the event, the reason it is sent under and — for the free-text reasons (`OTHER`,
`SEND_INVOICE_LINK`) — the text per language; template reasons send Mercado Libre's own text. Once the
buyer has written, the conversation is open and a free-text rule goes as an ordinary message (§8.3).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mostrador.bot.claims import render_sentences

OrderEvent = Literal["paid", "shipped", "delivered"]
EVENTS: tuple[str, ...] = ("paid", "shipped", "delivered")
# §8.7 option ids; the free-text ones carry our text (350 characters), the others a template of theirs.
GuideOptionId = Literal[
    "REQUEST_BILLING_INFO", "REQUEST_VARIANTS", "SEND_INVOICE_LINK", "DELIVERY_PROMISE", "OTHER"
]
FREE_TEXT_OPTIONS = frozenset({"OTHER", "SEND_INVOICE_LINK"})
TEMPLATE_OPTIONS = frozenset({"REQUEST_BILLING_INFO", "REQUEST_VARIANTS"})  # DELIVERY_PROMISE needs times
VARIABLES = ("buyer", "order_id", "item_title", "shipment_status", "tracking_number", "carrier")
# The shipment statuses (§7.4) at or past each event; an order `paid` is the paid event.
SHIPPED = frozenset({"shipped", "delivered"})  # `not_delivered`: it left, but "it's on its way" is wrong
DELIVERED = frozenset({"delivered"})
CANCELLED = frozenset({"cancelled", "invalid", "pending_cancel"})  # §7.1 order statuses


class OrderMessageRule(BaseModel):
    """On `event`, write to the buyer under the guide's `option` (with `text` for free-text options)."""

    model_config = ConfigDict(extra="forbid")
    # Short: it is part of the send's ids (`<pack>:event:<id>`, 64 characters at most).
    id: str = Field(pattern=r"^[a-z0-9_]{1,24}$")
    event: OrderEvent
    option: GuideOptionId = "OTHER"
    text: dict[str, str] = Field(default_factory=dict)  # lang -> template (free-text options)
    enabled: bool = True

    @field_validator("text")
    @classmethod
    def _known_variables(cls, value: dict[str, str]) -> dict[str, str]:
        for lang, template in value.items():
            if lang not in ("es", "pt"):
                raise ValueError(f"order message text for unknown language {lang!r}; use es or pt")
            for _, name, _, _ in string.Formatter().parse(template):
                if name is not None and name not in VARIABLES:
                    raise ValueError(f"unknown variable {{{name}}}; use {', '.join(VARIABLES)}")
        return value

    @model_validator(mode="after")
    def _text_fits_option(self) -> OrderMessageRule:
        if self.option in FREE_TEXT_OPTIONS and not self.text:
            raise ValueError(f"option {self.option} sends the seller's text: give `text` per language")
        if self.option not in FREE_TEXT_OPTIONS and self.text:
            raise ValueError(f"option {self.option} sends Mercado Libre's own template: leave `text` out")
        if self.option == "DELIVERY_PROMISE":
            raise ValueError("DELIVERY_PROMISE needs a delivery window per sale: send it from the inbox")
        if self.option == "OTHER" and self.event == "delivered":
            # §8.7: since 20/01/2025 OTHER is unavailable once the shipment is delivered.
            raise ValueError("Mercado Libre does not offer OTHER once the shipment is delivered")
        return self


def check_rules(rules: list[OrderMessageRule]) -> list[OrderMessageRule]:
    """Unique ids, and each option used once: its cap is one send until the buyer answers (§8.7)."""
    ids = [r.id for r in rules]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"order message ids must be unique: {', '.join(repeated)}")
    options = [r.option for r in rules if r.enabled]
    twice = sorted({o for o in options if options.count(o) > 1})
    if twice:
        raise ValueError(
            f"option(s) {', '.join(twice)} used by several rules: Mercado Libre allows one send per option "
            "until the buyer answers"
        )
    return rules


def events_reached(order_status: str | None, shipment_status: str | None) -> set[str]:
    """The events a sale has gone through, from the order's and the shipment's status now."""
    reached: set[str] = set()
    if order_status in CANCELLED:
        return reached  # a cancelled sale has no event to write about
    if order_status == "paid" or shipment_status in SHIPPED:
        reached.add("paid")
    if shipment_status in SHIPPED:
        reached.add("shipped")
    if shipment_status in DELIVERED:
        reached.add("delivered")
    return reached


def due_rules(rules: list[OrderMessageRule], reached: set[str]) -> list[OrderMessageRule]:
    """The enabled rules whose event has happened, in the order of the events."""
    return sorted((r for r in rules if r.enabled and r.event in reached), key=lambda r: EVENTS.index(r.event))


def render(rule: OrderMessageRule, lang: str, variables: Mapping[str, str | None]) -> str | None:
    """The rule's text with the sale's values; a sentence whose value is unknown is left out."""
    if not rule.text:
        return None
    return render_sentences(rule.text.get(lang) or next(iter(rule.text.values())), variables)
