"""Which variations a question refers to, and how to name them in the buyer's language."""

from __future__ import annotations

from collections.abc import Sequence

from mostrador.bot.entities import COLOR_ATTRIBUTE_IDS, Entities
from mostrador.bot.listing import ItemFacts, Variation

COLOR_WORDS: dict[str, dict[str, str]] = {
    "es": {
        "black": "negro",
        "white": "blanco",
        "red": "rojo",
        "blue": "azul",
        "light_blue": "celeste",
        "navy": "azul marino",
        "green": "verde",
        "yellow": "amarillo",
        "grey": "gris",
        "pink": "rosa",
        "brown": "marrón",
        "beige": "beige",
        "gold": "dorado",
        "silver": "plateado",
        "purple": "violeta",
        "orange": "naranja",
        "wine": "bordó",
    },
    "pt": {
        "black": "preto",
        "white": "branco",
        "red": "vermelho",
        "blue": "azul",
        "light_blue": "azul claro",
        "navy": "azul marinho",
        "green": "verde",
        "yellow": "amarelo",
        "grey": "cinza",
        "pink": "rosa",
        "brown": "marrom",
        "beige": "bege",
        "gold": "dourado",
        "silver": "prateado",
        "purple": "roxo",
        "orange": "laranja",
        "wine": "vinho",
    },
}
_AND = {"es": "y", "pt": "e"}


def join_words(words: Sequence[str], lang: str) -> str:
    """ "a, b y c" / "a, b e c"."""
    words = list(dict.fromkeys(words))
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {_AND[lang]} " + words[-1]


def value_label(attribute_id: str, name: str, value: str) -> str:
    """Colours lower-cased ("rojo"); other attributes with their name ("talle 40")."""
    if attribute_id in COLOR_ATTRIBUTE_IDS:
        return value.lower()
    return f"{name.lower()} {value}"


def variation_label(variation: Variation, only: Sequence[str] | None = None) -> str:
    ids = [i for i in variation.values if only is None or i in only]
    return " ".join(value_label(i, variation.names.get(i, i), variation.values[i]) for i in ids)


def matches(variation: Variation, entities: Entities) -> bool:
    """True when the variation has every colour and value the buyer named."""
    if entities.colors and variation.color() not in entities.colors:
        return False
    return all(
        variation.values.get(attribute_id) in values for attribute_id, values in entities.values.items()
    )


def requested_label(entities: Entities, facts: ItemFacts, lang: str) -> str:
    """How to say back what the buyer asked for ("rojo talle 40")."""
    words = [COLOR_WORDS[lang].get(color, color) for color in entities.colors]
    for attribute_id, values in entities.values.items():
        name = facts.attribute_names.get(attribute_id) or next(
            (v.names[attribute_id] for v in facts.variations if attribute_id in v.names), attribute_id
        )
        words.append(value_label(attribute_id, name, "/".join(values)))
    return " ".join(words)


def named_attribute_ids(entities: Entities, facts: ItemFacts) -> list[str]:
    """Variation attributes the buyer pinned down (colour if a colour was named, plus matched values)."""
    ids = list(entities.values)
    if entities.colors:
        ids += [i for i in facts.variant_attribute_ids() if i in COLOR_ATTRIBUTE_IDS]
    return ids


def in_stock_options(
    facts: ItemFacts, lang: str, keep: Sequence[Variation] | None = None, only: Sequence[str] | None = None
) -> str:
    """In-stock options per distinguishing attribute ("rojo, azul y blanco; talle 40 y 42")."""
    pool = [v for v in (keep if keep is not None else facts.variations) if (v.available_quantity or 0) > 0]
    groups = []
    for attribute_id in facts.variant_attribute_ids():
        if only is not None and attribute_id not in only:
            continue
        values = [
            v.values[attribute_id].lower() if attribute_id in COLOR_ATTRIBUTE_IDS else v.values[attribute_id]
            for v in pool
            if attribute_id in v.values
        ]
        if not values:
            continue
        if attribute_id in COLOR_ATTRIBUTE_IDS:
            groups.append(join_words(values, lang))
        else:
            name = next(v.names[attribute_id] for v in pool if attribute_id in v.names).lower()
            groups.append(f"{name} {join_words(values, lang)}")
    return "; ".join(groups)
