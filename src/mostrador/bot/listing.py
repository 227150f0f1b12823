"""Facts read from a Mercado Libre item JSON (mercadolibre-api.md §6.1), without guessing.

Every field is optional in practice (trimmed payloads, multiget with `attributes=`); a missing field is
None here, and the answer code hands off rather than assume a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mostrador.bot.entities import COLOR_ATTRIBUTE_IDS, color_of

# §6.1: only `active` items can be bought; paused/closed/under_review listings must not get sales answers.
ANSWERABLE_STATUS = "active"


@dataclass(frozen=True, slots=True)
class Variation:
    """One purchasable combination (e.g. Color=Rojo, Talle=40) with its own stock."""

    id: Any
    values: dict[str, str]  # attribute id -> value_name
    names: dict[str, str]  # attribute id -> attribute display name ("Talle", "Tamanho")
    available_quantity: int | None
    price: float | None

    def label(self) -> str:
        return "/".join(self.values.values())

    def color(self) -> str | None:
        for attribute_id, value in self.values.items():
            if attribute_id in COLOR_ATTRIBUTE_IDS:
                return color_of(value) or value
        return None


def _int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _float_or_none(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """The parts of an item the bot may quote."""

    id: str | None
    title: str | None
    status: str | None
    price: float | None
    currency_id: str | None
    available_quantity: int | None
    condition: str | None
    warranty_type: str | None
    warranty_time: str | None
    warranty_text: str | None
    free_shipping: bool | None
    shipping_mode: str | None
    logistic_type: str | None
    local_pick_up: bool | None
    attributes: dict[str, str] = field(default_factory=dict)  # id -> value_name
    attribute_names: dict[str, str] = field(default_factory=dict)
    variations: list[Variation] = field(default_factory=list)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> ItemFacts:
        """Read the §6.1 shape; unknown or malformed fields become None."""
        raw_shipping = item.get("shipping")
        shipping: Mapping[str, Any] = raw_shipping if isinstance(raw_shipping, Mapping) else {}
        sale_terms = {
            t.get("id"): t.get("value_name")
            for t in item.get("sale_terms") or []
            if isinstance(t, Mapping) and t.get("value_name")
        }
        attributes: dict[str, str] = {}
        names: dict[str, str] = {}
        for attribute in item.get("attributes") or []:
            if isinstance(attribute, Mapping) and attribute.get("id") and attribute.get("value_name"):
                attributes[str(attribute["id"])] = str(attribute["value_name"])
                names[str(attribute["id"])] = str(attribute.get("name") or attribute["id"])
        variations = []
        for raw in item.get("variations") or []:
            if not isinstance(raw, Mapping):
                continue
            combos = [c for c in raw.get("attribute_combinations") or [] if isinstance(c, Mapping)]
            variations.append(
                Variation(
                    id=raw.get("id"),
                    values={
                        str(c.get("id")): str(c.get("value_name")) for c in combos if c.get("value_name")
                    },
                    names={str(c.get("id")): str(c.get("name") or c.get("id")) for c in combos},
                    available_quantity=_int_or_none(raw.get("available_quantity")),
                    price=_float_or_none(raw.get("price")),
                )
            )
        return cls(
            id=item.get("id"),
            title=item.get("title"),
            status=item.get("status"),
            price=_float_or_none(item.get("price")),
            currency_id=item.get("currency_id"),
            available_quantity=_int_or_none(item.get("available_quantity")),
            condition=item.get("condition"),
            warranty_type=sale_terms.get("WARRANTY_TYPE"),
            warranty_time=sale_terms.get("WARRANTY_TIME"),
            warranty_text=item.get("warranty") or None,
            free_shipping=shipping.get("free_shipping")
            if isinstance(shipping.get("free_shipping"), bool)
            else None,
            shipping_mode=shipping.get("mode"),
            logistic_type=shipping.get("logistic_type"),
            local_pick_up=shipping.get("local_pick_up")
            if isinstance(shipping.get("local_pick_up"), bool)
            else None,
            attributes=attributes,
            attribute_names=names,
            variations=variations,
        )

    @property
    def is_active(self) -> bool:
        return self.status == ANSWERABLE_STATUS

    def attribute_values(self) -> dict[str, list[str]]:
        """Every value per attribute id across variations and item attributes (for entity matching)."""
        values: dict[str, list[str]] = {}
        for variation in self.variations:
            for attribute_id, value in variation.values.items():
                values.setdefault(attribute_id, [])
                if value not in values[attribute_id]:
                    values[attribute_id].append(value)
        for attribute_id, value in self.attributes.items():
            values.setdefault(attribute_id, [])
            if value not in values[attribute_id]:
                values[attribute_id].append(value)
        return values

    def variant_attribute_ids(self) -> list[str]:
        """Attribute ids that distinguish variations (e.g. COLOR, SIZE), in listing order."""
        ids: list[str] = []
        for variation in self.variations:
            for attribute_id in variation.values:
                if attribute_id not in ids:
                    ids.append(attribute_id)
        return ids

    def stock_problem(self) -> str | None:
        """Why stock cannot be stated, or None: missing numbers or item and variations disagreeing."""
        if self.available_quantity is None and not self.variations:
            return "missing_fact:stock"
        if any(v.available_quantity is None for v in self.variations):
            return "missing_fact:stock"
        if self.variations and self.available_quantity is not None:
            per_variation = sum(v.available_quantity or 0 for v in self.variations)
            if (per_variation == 0) != (self.available_quantity == 0):
                return "contradictory_fact:stock"
        return None

    def total_stock(self) -> int:
        if self.variations:
            return sum(v.available_quantity or 0 for v in self.variations)
        return self.available_quantity or 0
