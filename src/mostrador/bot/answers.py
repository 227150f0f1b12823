"""Grounded answers: one function per intent, each quoting only facts from the item or the config.

When a fact is missing or contradictory the function returns `Unanswerable` with a reason code; the
engine then hands the whole question to an agent, because a public answer cannot be edited (§5.4) and a
half-answer is worse than a slightly later full one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from mostrador.bot.config import BotConfig
from mostrador.bot.entities import Entities, color_of
from mostrador.bot.listing import ItemFacts
from mostrador.bot.normalize import fold
from mostrador.bot.templates import render
from mostrador.bot.variants import in_stock_options, matches, named_attribute_ids, requested_label

_CURRENCY_SYMBOLS = {"ARS": "$", "BRL": "R$", "MXN": "$", "COP": "$", "CLP": "$", "UYU": "$U", "USD": "US$"}
_EXPIRY = re.compile(r"\b(validade|vencimiento|vence|venc\w*|caducidad|caduca|fabricacao|fabricacion|lote)\b")
_ORIGINAL = re.compile(
    r"\b(original\w*|replica|copia|trucho|falsificad\w*|pirata|generico|paralelo|genuin\w*|autentic\w*|"
    r"primeira linha|imitacion)\b"
)
_OFFER = re.compile(
    r"\b(descuento|desconto|rebaja|oferta|menor|barat\w*|faz por|te sirven|me lo dejas|me la dejas|aceptas|"
    r"aceita|por mayor|atacado|mayorista)\b"
)
# Question words -> item attribute ids that answer them (§6.1 `attributes`).
_DETAIL_ATTRIBUTES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"\b(marca|brand|fabricante)\b"), ("BRAND",)),
    (re.compile(r"\b(modelo|model)\b"), ("MODEL", "LINE")),
    (
        re.compile(r"\b(material|tela|tecido|feito de|hecho de|de que es)\b"),
        ("MATERIAL", "MAIN_MATERIAL", "FABRIC_TYPE"),
    ),
    (re.compile(r"\b(peso|pesa)\b"), ("WEIGHT", "PACKAGE_WEIGHT", "NET_WEIGHT")),
    (re.compile(r"\b(voltagem|voltaje|voltage|bivolt|110|220)\b"), ("VOLTAGE",)),
    (re.compile(r"\b(potencia|watts?)\b"), ("POWER", "MAX_POWER")),
    (re.compile(r"\b(capacidad|capacidade|litros)\b"), ("CAPACITY", "INTERNAL_MEMORY")),
    (re.compile(r"\b(memoria|almacenamiento|armazenamento|gb)\b"), ("INTERNAL_MEMORY", "RAM")),
    (re.compile(r"\b(largo|comprimento|longitud)\b"), ("LENGTH",)),
    (re.compile(r"\b(ancho|largura)\b"), ("WIDTH",)),
    (re.compile(r"\b(alto|altura)\b"), ("HEIGHT",)),
)


@dataclass(frozen=True, slots=True)
class Grounded:
    """An answer part and the facts it quotes (shown to agents: "stock of Rojo/40 = 3")."""

    intent: str
    text: str
    facts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Unanswerable:
    """Why this intent cannot be answered from facts (a handoff reason code and a human detail)."""

    intent: str
    reason: str
    detail: str


Outcome = Grounded | Unanswerable


@dataclass(frozen=True, slots=True)
class AnswerContext:
    """Everything an answer function may read."""

    facts: ItemFacts
    config: BotConfig
    lang: str
    core: str  # folded question without courtesy
    entities: Entities
    amounts: tuple[float, ...]
    description: str | None

    def say(self, key: str, **values: object) -> str:
        return render(self.config.template(self.lang, key), values)


def format_price(amount: float, currency_id: str | None) -> str:
    """ "$ 45.999" / "R$ 49,90" / MXN "$ 1,299.50": the separators each market uses."""
    symbol = _CURRENCY_SYMBOLS.get(currency_id or "", currency_id or "$")
    whole = int(amount)
    cents = round((amount - whole) * 100)
    thousands, decimal = (",", ".") if currency_id in {"MXN", "USD"} else (".", ",")
    text = f"{whole:,}".replace(",", thousands)
    if cents:
        text += f"{decimal}{cents:02d}"
    return f"{symbol} {text}"


def _stock_fact(facts: ItemFacts) -> dict[str, str]:
    if facts.variations:
        return {f"stock of {v.label()}": str(v.available_quantity) for v in facts.variations}
    return {"stock": str(facts.available_quantity)}


def _named_variant(ctx: AnswerContext, intent: str) -> Outcome:
    """The buyer named a colour/size: is that combination there and in stock? Offer what is."""
    facts, entities, lang = ctx.facts, ctx.entities, ctx.lang
    chosen = [v for v in facts.variations if matches(v, entities)]
    requested = requested_label(entities, facts, lang)
    named = named_attribute_ids(entities, facts)
    others = [i for i in facts.variant_attribute_ids() if i not in named]
    fact = _stock_fact(facts)
    available = [v for v in chosen if (v.available_quantity or 0) > 0]
    if available:
        rest = in_stock_options(facts, lang, keep=available, only=others) if others else ""
        label = f"{requested} ({rest})" if rest else requested
        key = "availability.variant_in_stock" if intent == "availability" else "variants.has"
        stock = sum(v.available_quantity or 0 for v in available)
        return Grounded(intent, ctx.say(key, variant=label, stock=stock, title=facts.title), fact)
    # Alternatives: same size (or other named values) in another colour first, else anything in stock.
    same_values = [
        v for v in facts.variations if entities.values and matches(v, Entities(values=entities.values))
    ]
    alternatives = in_stock_options(
        facts, lang, keep=same_values, only=[i for i in named if i not in entities.values]
    )
    alternatives = alternatives or in_stock_options(facts, lang)
    if not chosen:
        if not alternatives:
            return Grounded(intent, ctx.say("availability.out_of_stock", title=facts.title), fact)
        return Grounded(intent, ctx.say("variants.missing", requested=requested, variants=alternatives), fact)
    if alternatives:
        return Grounded(
            intent, ctx.say("availability.variant_out", variant=requested, alternatives=alternatives), fact
        )
    return Grounded(intent, ctx.say("availability.variant_out_none", variant=requested), fact)


def answer_availability(ctx: AnswerContext) -> Outcome:
    facts = ctx.facts
    problem = facts.stock_problem()
    if problem:
        return Unanswerable("availability", problem, "stock is missing or item and variations disagree")
    if facts.variations and ctx.entities.names_a_variant:
        return _named_variant(ctx, "availability")
    stock = facts.total_stock()
    fact = _stock_fact(facts)
    if stock <= 0:
        return Grounded("availability", ctx.say("availability.out_of_stock", title=facts.title), fact)
    wanted = ctx.entities.quantity
    if wanted is not None:
        key = "availability.quantity_ok" if wanted <= stock else "availability.quantity_short"
        return Grounded("availability", ctx.say(key, quantity=wanted, stock=stock, title=facts.title), fact)
    return Grounded("availability", ctx.say("availability.in_stock", stock=stock, title=facts.title), fact)


def answer_variants(ctx: AnswerContext) -> Outcome:
    facts, entities = ctx.facts, ctx.entities
    if facts.variations:
        problem = facts.stock_problem()
        if problem:
            return Unanswerable("variants", problem, "variation stock is missing or contradictory")
        if entities.names_a_variant:
            return _named_variant(ctx, "variants")
        options = in_stock_options(facts, ctx.lang)
        if not options:
            return Grounded(
                "variants", ctx.say("availability.out_of_stock", title=facts.title), _stock_fact(facts)
            )
        return Grounded("variants", ctx.say("variants.list", variants=options), _stock_fact(facts))
    # No variations: a single colour/size given as item attributes.
    color = facts.attributes.get("COLOR")
    if entities.colors and color:
        label = requested_label(entities, facts, ctx.lang)
        if color_of(color) in entities.colors:
            return Grounded("variants", ctx.say("variants.has", variant=label, stock=""), {"COLOR": color})
        return Grounded(
            "variants", ctx.say("variants.missing", requested=label, variants=color.lower()), {"COLOR": color}
        )
    return Unanswerable("variants", "missing_fact:variants", "the listing has no variations to quote")


def answer_price(ctx: AnswerContext) -> Outcome:
    facts = ctx.facts
    if facts.price is None:
        return Unanswerable("price", "missing_fact:price", "the item has no price")
    price = format_price(facts.price, facts.currency_id)
    key = "price.offer" if ctx.amounts or _OFFER.search(ctx.core) else "price.price"
    return Grounded("price", ctx.say(key, price=price, title=facts.title), {"price": price})


def answer_payment(ctx: AnswerContext) -> Outcome:
    text = ctx.config.facts.payment_methods.get(ctx.lang, "").strip()
    if not text:
        return Unanswerable(
            "payment", "missing_fact:payment", "no payment methods text in the account settings"
        )
    return Grounded("payment", ctx.say("payment.methods", payment=text), {"payment": text})


def answer_shipping(ctx: AnswerContext) -> Outcome:
    facts = ctx.facts
    notes = ctx.config.facts.shipping_notes.get(ctx.lang, "").strip()
    parts: list[str] = []
    if facts.free_shipping:
        parts.append(ctx.say("shipping.free", shipping_notes=notes))
    if facts.logistic_type == "fulfillment":
        parts.append(ctx.say("shipping.full", shipping_notes=notes))
    elif facts.shipping_mode in {"me2", "me1"} and facts.free_shipping is False:
        parts.append(ctx.say("shipping.calculated", shipping_notes=notes))
    if notes:
        parts.append(ctx.say("shipping.notes", shipping_notes=notes))
    if not parts:
        return Unanswerable(
            "shipping", "missing_fact:shipping", "shipping mode/free_shipping unknown and no notes"
        )
    fact = {
        "free_shipping": str(facts.free_shipping),
        "mode": str(facts.shipping_mode),
        "logistic_type": str(facts.logistic_type),
    }
    if ctx.entities.places:
        # Shown to agents only: the cost to a place is Mercado Libre's calculation, never ours.
        fact["destination asked"] = ", ".join(ctx.entities.places)
    return Grounded("shipping", " ".join(parts), fact)


def answer_pickup(ctx: AnswerContext) -> Outcome:
    listing, account = ctx.facts.local_pick_up, ctx.config.facts.pickup
    fact = {"local_pick_up": str(listing), "pickup_allowed": str(account.allowed)}
    if account.allowed is True and listing is False:
        return Unanswerable(
            "pickup", "contradictory_fact:pickup", "settings allow pickup but the listing does not"
        )
    if account.allowed is False or (account.allowed is None and listing is False):
        return Grounded("pickup", ctx.say("pickup.not_allowed"), fact)
    if account.allowed is True or listing is True:
        if account.area.strip():
            return Grounded("pickup", ctx.say("pickup.allowed", pickup=account.area.strip()), fact)
        return Grounded("pickup", ctx.say("pickup.allowed_no_area"), fact)
    return Unanswerable("pickup", "missing_fact:pickup", "pickup is not set in the listing nor the settings")


def answer_invoice(ctx: AnswerContext) -> Outcome:
    invoice = ctx.config.facts.invoice
    if invoice.issues is None:
        return Unanswerable(
            "invoice", "missing_fact:invoice", "invoice policy not set in the account settings"
        )
    if not invoice.issues:
        return Grounded("invoice", ctx.say("invoice.no"), {"invoice": "no"})
    kind = invoice.kind.strip() or ("factura" if ctx.lang == "es" else "nota fiscal")
    return Grounded("invoice", ctx.say("invoice.yes", invoice=kind), {"invoice": kind})


def answer_warranty(ctx: AnswerContext) -> Outcome:
    facts = ctx.facts
    if facts.warranty_type and facts.warranty_time:
        text = f"{facts.warranty_type.lower()}: {facts.warranty_time}"
    else:
        text = (facts.warranty_text or facts.warranty_type or "").strip()
    if not text:
        return Unanswerable("warranty", "missing_fact:warranty", "no sale_terms warranty nor warranty text")
    return Grounded("warranty", ctx.say("warranty.warranty", warranty=text), {"warranty": text})


def answer_authenticity(ctx: AnswerContext) -> Outcome:
    if _EXPIRY.search(ctx.core):
        return Unanswerable(
            "authenticity", "missing_fact:expiry", "expiry/batch dates are not in the listing"
        )
    if _ORIGINAL.search(ctx.core):
        text = ctx.config.facts.authenticity.get(ctx.lang, "").strip()
        if not text:
            return Unanswerable(
                "authenticity", "missing_fact:authenticity", "no authenticity statement in settings"
            )
        return Grounded(
            "authenticity", ctx.say("authenticity.original", authenticity=text), {"authenticity": text}
        )
    condition = ctx.facts.condition
    if condition == "new":
        return Grounded(
            "authenticity",
            ctx.say("authenticity.condition_new", condition=condition),
            {"condition": condition},
        )
    if condition == "used":
        return Grounded(
            "authenticity",
            ctx.say("authenticity.condition_used", condition=condition),
            {"condition": condition},
        )
    return Unanswerable("authenticity", "missing_fact:condition", "the item condition is not new/used")


def _description_sentence(description: str, pattern: re.Pattern[str]) -> str | None:
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", description):
        if sentence.strip() and pattern.search(fold(sentence)) and len(sentence) <= 300:
            return sentence.strip()
    return None


def answer_product_details(ctx: AnswerContext) -> Outcome:
    facts = ctx.facts
    parts: list[str] = []
    used: dict[str, str] = {}
    for pattern, attribute_ids in _DETAIL_ATTRIBUTES:
        if not pattern.search(ctx.core):
            continue
        attribute_id = next((a for a in attribute_ids if a in facts.attributes), None)
        if attribute_id:
            name = facts.attribute_names.get(attribute_id, attribute_id)
            parts.append(
                ctx.say("product_details.attribute", attribute=name, value=facts.attributes[attribute_id])
            )
            used[attribute_id] = facts.attributes[attribute_id]
        elif ctx.description and (sentence := _description_sentence(ctx.description, pattern)):
            parts.append(sentence if sentence.endswith((".", "!", "?")) else sentence + ".")
            used["description"] = sentence
    if not parts:
        return Unanswerable(
            "product_details", "missing_fact:product_details", "no attribute answers this question"
        )
    return Grounded("product_details", " ".join(parts), used)


def answer_contact_request(ctx: AnswerContext) -> Outcome:
    # §5.4 content rules: never share contact data; answer with the compliant policy line.
    return Grounded("contact_request", ctx.say("contact_request.policy"), {})


def answer_greeting(ctx: AnswerContext) -> Outcome:
    return Grounded("greeting", ctx.say("greeting.reply"), {})


# `order_status` and `other` have no answerer: the engine hands them to an agent before answering.
ANSWERERS: dict[str, Callable[[AnswerContext], Outcome]] = {
    "availability": answer_availability,
    "variants": answer_variants,
    "price": answer_price,
    "payment": answer_payment,
    "shipping": answer_shipping,
    "pickup": answer_pickup,
    "invoice": answer_invoice,
    "warranty": answer_warranty,
    "authenticity": answer_authenticity,
    "product_details": answer_product_details,
    "contact_request": answer_contact_request,
    "greeting": answer_greeting,
}
