"""Buyer questions in Spanish (Argentina, Mexico, Colombia, Chile) and Brazilian Portuguese, built from an
item's real facts and labelled with the intents they were built from.

A question is assembled from one to three clauses (each asking exactly one intent of
/work/shared/intents.md), an optional greeting and sign-off, and then roughened the way buyers type.
Everything draws from one seeded `random.Random`, so a seed always yields the same questions.
Post-sale messages and claim texts live in `sim_after_sale` and are re-exported here.
"""

from __future__ import annotations

import random
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mostrador.sandbox.sim_after_sale import (
    CLAIM_REASONS,
    BuyerMessage,
    ClaimReason,
    claim_message,
    post_sale_message,
)
from mostrador.sandbox.sim_noise import roughen
from mostrador.sandbox.sim_templates_es import (
    CITIES,
    CLOSERS,
    DIALECT_OF_SITE,
    FOLLOW_UPS,
    OPENERS,
    WEEKDAYS,
    Clauses,
    spanish_clauses,
)
from mostrador.sandbox.sim_templates_pt import (
    CITIES_BR,
    CLOSERS_PT,
    FOLLOW_UPS_PT,
    OPENERS_PT,
    WEEKDAYS_PT,
    portuguese_clauses,
)

__all__ = [
    "CLAIM_REASONS",
    "INTENTS",
    "BuyerMessage",
    "ClaimReason",
    "GeneratedQuestion",
    "ItemFacts",
    "QuestionGenerator",
    "claim_message",
    "language_of",
    "post_sale_message",
]

INTENTS: tuple[str, ...] = (
    "availability",
    "variants",
    "price",
    "payment",
    "shipping",
    "pickup",
    "invoice",
    "warranty",
    "authenticity",
    "product_details",
    "order_status",
    "contact_request",
    "greeting",
    "other",
)
# intents.md: `greeting` and `other` only stand alone; an order already made is its own conversation.
_COMBINABLE = tuple(i for i in INTENTS if i not in {"greeting", "other", "order_status"})
# Rough shape of real traffic: stock, variants, shipping and price dominate.
_SINGLE_WEIGHTS = (14, 14, 10, 7, 12, 5, 3, 5, 5, 9, 4, 3, 4, 5)
_OTHER_COLOURS = {
    "es": ("rojo", "verde", "violeta", "amarillo", "celeste"),
    "pt": ("vermelho", "verde", "roxo", "amarelo", "azul claro"),
}
_DEVICES = (
    "iPhone 13",
    "Samsung A54",
    "Moto G52",
    "Xiaomi Redmi Note 12",
    "PS5",
    "Lenovo IdeaPad 3",
    "Galaxy S23",
)
_SIZE_WORD = {"ar": "talle", "mx": "talla", "co": "talla", "cl": "talla", "br": "tamanho"}


@dataclass(frozen=True)
class GeneratedQuestion:
    """One buyer question and the intents it was built from; `features` names its noise and shape."""

    text: str
    lang: str
    intents: tuple[str, ...]
    site_id: str
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemFacts:
    """What a buyer can see on a listing, read from an item JSON (§6.1) or a `POST /items` body."""

    site_id: str
    price: float
    brand: str
    model: str
    colours: tuple[str, ...]
    sizes: tuple[str, ...]
    capacities: tuple[str, ...]

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> ItemFacts:
        attributes = {a.get("id"): a.get("value_name") for a in item.get("attributes") or []}
        colours: list[str] = []
        sizes: list[str] = []
        capacities: list[str] = []
        for variation in item.get("variations") or []:
            for combo in variation.get("attribute_combinations") or []:
                value = str(combo.get("value_name") or "")
                target = (
                    colours
                    if combo.get("id") == "COLOR"
                    else sizes
                    if combo.get("id") == "SIZE"
                    else capacities
                )
                if value and value not in target:
                    target.append(value)
        if not colours and attributes.get("COLOR"):
            colours.append(str(attributes["COLOR"]))
        return cls(
            site_id=str(item.get("site_id") or "MLA"),
            price=float(item.get("price") or 0),
            brand=str(attributes.get("BRAND") or ""),
            model=str(attributes.get("MODEL") or ""),
            colours=tuple(colours),
            sizes=tuple(sizes),
            capacities=tuple(capacities),
        )


def language_of(site_id: str) -> str:
    """Brazil asks in Portuguese, every other site in Spanish."""
    return "pt" if site_id == "MLB" else "es"


class QuestionGenerator:
    """Seeded source of labelled buyer questions about concrete items."""

    def __init__(
        self,
        seed: int,
        *,
        multi_intent_share: float = 0.3,
        noise_level: float = 0.35,
        follow_up_share: float = 0.1,
    ) -> None:
        self._rng = random.Random(seed)
        self.multi_intent_share = multi_intent_share
        self.noise_level = noise_level
        self.follow_up_share = follow_up_share

    def question(
        self,
        item: Mapping[str, Any],
        *,
        intents: Sequence[str] | None = None,
        noise_level: float | None = None,
    ) -> GeneratedQuestion:
        """A question about `item`; `intents` forces the labels (each gets one clause)."""
        facts = ItemFacts.from_item(item)
        dialect = _dialect(facts.site_id)
        clauses = portuguese_clauses() if dialect == "br" else spanish_clauses(dialect)
        chosen = list(intents) if intents is not None else self._pick_intents(facts, dialect, clauses)
        unknown = [i for i in chosen if i not in INTENTS]
        if unknown or not chosen:
            raise ValueError(f"unknown or empty intents: {chosen!r}")
        parts = [self._clause(clauses[intent], facts, dialect) for intent in chosen]
        features = ["multi_intent"] if len(chosen) > 1 else []
        text = self._join(parts, dialect)
        if chosen != ["greeting"]:
            text = self._dress(text, dialect)
        level = self.noise_level if noise_level is None else noise_level
        text, noise = roughen(text, language_of(facts.site_id), self._rng, level)
        ordered = tuple(i for i in INTENTS if i in chosen)
        return GeneratedQuestion(
            text, language_of(facts.site_id), ordered, facts.site_id, (*features, *noise)
        )

    def follow_up(self, item: Mapping[str, Any], *, noise_level: float | None = None) -> GeneratedQuestion:
        """A short question that leans on an earlier one ("¿y en negro?", "E pra Recife?")."""
        facts = ItemFacts.from_item(item)
        dialect = _dialect(facts.site_id)
        table = FOLLOW_UPS_PT if dialect == "br" else FOLLOW_UPS
        options = [i for i, clauses in table.items() if self._fillable(clauses, facts)]
        intent = self._rng.choice(options)
        text = self._clause(table[intent], facts, dialect)
        level = self.noise_level if noise_level is None else noise_level
        text, noise = roughen(text, language_of(facts.site_id), self._rng, level)
        return GeneratedQuestion(
            text, language_of(facts.site_id), (intent,), facts.site_id, ("follow_up", *noise)
        )

    def next_question(self, item: Mapping[str, Any], *, asked_before: bool) -> GeneratedQuestion:
        """What a buyer asks next: sometimes a follow-up when they already asked about this item."""
        if asked_before and self._rng.random() < self.follow_up_share:
            return self.follow_up(item)
        return self.question(item)

    def _pick_intents(self, facts: ItemFacts, dialect: str, clauses: Clauses) -> list[str]:
        usable = [i for i in INTENTS if self._fillable(clauses[i], facts)]
        if self._rng.random() < self.multi_intent_share:
            pool = [i for i in _COMBINABLE if i in usable]
            count = 2 if self._rng.random() < 0.75 else 3
            picked = set(self._rng.sample(pool, count))
            return [i for i in INTENTS if i in picked]
        weights = [w for i, w in zip(INTENTS, _SINGLE_WEIGHTS, strict=True) if i in usable]
        return [self._rng.choices(usable, weights=weights)[0]]

    def _fillable(self, clauses: Sequence[str], facts: ItemFacts) -> bool:
        return any(set(_slots(c)) <= _available_slots(facts) for c in clauses)

    def _clause(self, clauses: Sequence[str], facts: ItemFacts, dialect: str) -> str:
        available = _available_slots(facts)
        template = self._rng.choice([c for c in clauses if set(_slots(c)) <= available])
        values = {slot: self._slot_value(slot, facts, dialect) for slot in _slots(template)}
        return template.format(**values)

    def _slot_value(self, slot: str, facts: ItemFacts, dialect: str) -> str:
        rng = self._rng
        lang = "pt" if dialect == "br" else "es"
        if slot.startswith("if_"):
            return ""
        if slot == "colour":
            if rng.random() < 0.25:
                return rng.choice(_OTHER_COLOURS[lang])
            return rng.choice(facts.colours).lower()
        if slot == "size":
            size = rng.choice(facts.sizes)
            return f"{_SIZE_WORD[dialect]} {size}" if len(size) <= 3 else size.lower()
        if slot == "capacity":
            return rng.choice(facts.capacities).split(" /")[0]
        if slot == "city":
            return rng.choice(CITIES_BR if dialect == "br" else CITIES[dialect])
        if slot == "qty":
            return str(rng.randint(2, 12))
        if slot == "offer":
            return _money(facts.price * rng.choice((0.75, 0.8, 0.85, 0.9)), dialect, rng)
        if slot == "cuotas":
            return str(rng.choice((3, 6, 12) if lang == "es" else (3, 6, 10, 12)))
        if slot == "device":
            return rng.choice(_DEVICES)
        if slot == "weekday":
            return rng.choice(WEEKDAYS_PT if dialect == "br" else WEEKDAYS)
        return facts.brand if slot == "brand" else facts.model

    def _join(self, parts: list[str], dialect: str) -> str:
        if len(parts) == 1:
            return parts[0]
        extra = " Outra dúvida: " if dialect == "br" else " Otra consulta: "
        text = parts[0]
        for part in parts[1:]:
            plain = " " if text.endswith(("?", "!", ".")) else ". "
            text += self._rng.choice((plain, plain, extra)) + part
        return text

    def _dress(self, text: str, dialect: str) -> str:
        openers, closers = (OPENERS_PT, CLOSERS_PT) if dialect == "br" else (OPENERS, CLOSERS)
        if self._rng.random() < 0.55:
            opener = self._rng.choice(openers)
            glue = " " if opener.endswith(("?", "!", ":")) else self._rng.choice((" ", ", "))
            head = 2 if text.startswith(("¿", "¡")) else 1
            text = f"{opener}{glue}{text[:head].lower()}{text[head:]}"
        if self._rng.random() < 0.3:
            text = f"{text} {self._rng.choice(closers)}"
        return text


def _dialect(site_id: str) -> str:
    return "br" if site_id == "MLB" else DIALECT_OF_SITE.get(site_id, "mx")


def _slots(template: str) -> tuple[str, ...]:
    """Slot names in order of appearance: the order values are drawn in must not depend on hashing."""
    return tuple(dict.fromkeys(name for _, name, _, _ in string.Formatter().parse(template) if name))


def _available_slots(facts: ItemFacts) -> set[str]:
    slots = {"city", "qty", "offer", "cuotas", "device", "weekday"}
    optional = {
        "colour": facts.colours,
        "size": facts.sizes,
        "capacity": facts.capacities,
        "brand": facts.brand,
        "model": facts.model,
    }
    markers = {"if_colours": facts.colours, "if_sizes": facts.sizes, "if_capacities": facts.capacities}
    return slots | {name for name, value in (optional | markers).items() if value}


def _money(amount: float, dialect: str, rng: random.Random) -> str:
    """A round counter-offer written the local way: "$18.000", "18 lucas", "R$ 220", "$850"."""
    step = 1000 if amount >= 20000 else 100 if amount >= 2000 else 10
    value = max(int(round(amount / step) * step), step)
    dotted = f"{value:,}".replace(",", ".")
    if dialect == "br":
        return rng.choice((f"R$ {dotted}", f"{value} reais", f"{value}"))
    if dialect == "ar" and value >= 1000 and value % 1000 == 0:
        return rng.choice((f"${dotted}", f"{value // 1000} lucas", f"{value}"))
    return rng.choice((f"${dotted}", f"{value}"))
