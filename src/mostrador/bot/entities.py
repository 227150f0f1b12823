"""Entities in a question (colours, sizes, capacities, models, quantities, places) and their match
against the values a listing actually has (`variations[].attribute_combinations`, `attributes`)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from mostrador.bot.normalize import fold

# Canonical colour -> folded spellings in es, pt and the English value names some listings use.
COLOR_SYNONYMS: dict[str, tuple[str, ...]] = {
    "black": ("negro", "negra", "negros", "negras", "preto", "preta", "pretos", "pretas", "black"),
    "white": ("blanco", "blanca", "blancos", "blancas", "branco", "branca", "brancos", "brancas", "white"),
    "red": ("rojo", "roja", "rojos", "rojas", "vermelho", "vermelha", "vermelhos", "vermelhas", "red"),
    "blue": ("azul", "azules", "azuis", "blue"),
    "light_blue": ("celeste", "celestes", "azul claro", "azul-claro", "azul bebe"),
    "navy": ("azul marino", "azul marinho", "navy"),
    "green": ("verde", "verdes", "green"),
    "yellow": ("amarillo", "amarilla", "amarillos", "amarelo", "amarela", "amarelos", "yellow"),
    "grey": ("gris", "grises", "cinza", "cinzas", "cinzento", "grafito", "grafite", "grey", "gray"),
    "pink": ("rosa", "rosas", "rosado", "rosada", "pink", "fucsia"),
    "brown": ("marron", "marrones", "marrom", "cafe", "chocolate", "castano", "brown"),
    "beige": ("beige", "bege", "crema", "creme", "nude", "arena", "areia"),
    "gold": ("dorado", "dorada", "dourado", "dourada", "oro", "ouro", "gold"),
    "silver": ("plateado", "plateada", "prateado", "prateada", "plata", "prata", "silver"),
    "purple": ("violeta", "morado", "morada", "roxo", "roxa", "lila", "lilas", "purpura", "purple"),
    "orange": ("naranja", "naranjas", "laranja", "laranjas", "orange"),
    "wine": ("bordo", "bordeaux", "vinho", "vino", "burgundy"),
}
COLOR_ATTRIBUTE_IDS = frozenset({"COLOR", "MAIN_COLOR", "PRIMARY_COLOR", "SECONDARY_COLOR"})

_SIZE_CONTEXT = (
    r"(?:talles?|tallas?|tamanhos?|tam|numeros?|numeracao|nro|n|size|en|el|la|na|no|o|a|de|do|da|um|una|uno)"
)
_UNIT_GAP = re.compile(r"(\d)\s+(gb|tb|mb|ml|l|lts?|kg|g|gr|cm|mm|m|v|w|mah|pol|pulgadas)\b")
_NUMBER_WORDS = {
    "un": 1,
    "una": 1,
    "uno": 1,
    "um": 1,
    "uma": 1,
    "dos": 2,
    "dois": 2,
    "duas": 2,
    "tres": 3,
    "cuatro": 4,
    "quatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "sete": 7,
    "ocho": 8,
    "oito": 8,
    "nueve": 9,
    "nove": 9,
    "diez": 10,
    "dez": 10,
    "doce": 12,
    "doze": 12,
    "veinte": 20,
    "vinte": 20,
}
_QUANTITY = re.compile(
    r"\b(?:necesito|preciso|quiero|quero|llevo|levo|compro|comprar|llevar|levar|pido|pedir|son|serian|seriam)"
    r"\s+(?:unos?\s+|umas?\s+|uns\s+)?(\d+|[a-z]+)\b"
    r"|\b(\d+|[a-z]+)\s+(?:unidades|unidad|uds|u|pares|pecas|piezas|cajas|caixas|potes|frascos|kits)\b"
)
_POSTCODE = re.compile(r"\b(?:cep|cp|codigo postal)\s*:?\s*([\d.\-]{4,10})|\b(\d{5}-\d{3})\b")
_CAPITALISED = r"[A-ZÁÉÍÓÚÂÊÔÃÕÇ][\wáéíóúâêôãõç]+"
_PLACE = re.compile(
    rf"\b(?:a|para|pra|en|em|hasta|ate|hacia)\s+"
    rf"({_CAPITALISED}(?:\s+(?:(?:de|del|da|do|dos|das|la|los)\s+)?{_CAPITALISED}){{0,3}})"
)


def compact(folded: str) -> str:
    """Join numbers to their units so "128 gb" and "128gb" compare equal."""
    return _UNIT_GAP.sub(r"\1\2", folded)


_SPELLING_TO_COLOR = {
    spelling: color for color, spellings in COLOR_SYNONYMS.items() for spelling in spellings
}
# Longest spellings first so "azul marino" wins over "azul".
_COLOR_WORDS = re.compile(
    r"\b(" + "|".join(re.escape(s) for s in sorted(_SPELLING_TO_COLOR, key=len, reverse=True)) + r")\b"
)


def colors_in(folded: str) -> list[str]:
    """Canonical colours mentioned in a folded text, in order of appearance."""
    return list(dict.fromkeys(_SPELLING_TO_COLOR[m.group(1)] for m in _COLOR_WORDS.finditer(folded)))


def color_of(value_name: str) -> str | None:
    """Canonical colour of a listing value ("Negro Mate" -> black), or None."""
    colors = colors_in(fold(value_name))
    return colors[0] if colors else None


@functools.lru_cache(maxsize=4096)
def _listing_value(value_name: str) -> str:
    return compact(fold(value_name))


def value_mentioned(value_name: str, folded_question: str) -> bool:
    """True when a non-colour listing value (size, capacity, model) is named in the question."""
    value = _listing_value(value_name)
    question = compact(folded_question)
    if not value:
        return False
    if value.isdigit() or len(value) <= 2:
        # "40" or "M" alone is too ambiguous: require a size word or article before it ("talle 40", "la M").
        return re.search(rf"\b{_SIZE_CONTEXT}\s+{re.escape(value)}\b", question) is not None
    return re.search(rf"(?<![a-z0-9]){re.escape(value)}(?![a-z0-9])", question) is not None


def quantity_in(folded: str) -> int | None:
    """Units the buyer wants ("necesito 4", "3 unidades", "quero dois"), if stated."""
    for match in _QUANTITY.finditer(folded):
        word = match.group(1) or match.group(2)
        number = int(word) if word.isdigit() else _NUMBER_WORDS.get(word)
        if number and 0 < number < 10000:
            return number
    return None


def places_in(raw: str) -> list[str]:
    """Postcodes and capitalised place names after a preposition ("a Córdoba", "CEP 01310-100")."""
    places = [m.group(1) or m.group(2) for m in _POSTCODE.finditer(fold(raw))]
    places += [m.group(1) for m in _PLACE.finditer(raw)]
    return list(dict.fromkeys(p for p in places if p))


@dataclass(frozen=True, slots=True)
class Entities:
    """What the question names; colours are canonical ids, `values` are raw listing values it matched."""

    colors: list[str] = field(default_factory=list)
    values: dict[str, list[str]] = field(default_factory=dict)  # attribute id -> matched listing values
    quantity: int | None = None
    places: list[str] = field(default_factory=list)

    @property
    def names_a_variant(self) -> bool:
        return bool(self.colors or self.values)


def extract_entities(raw: str, folded: str, attribute_values: dict[str, list[str]]) -> Entities:
    """Find entities, matching sizes/capacities/models against the listing's own values."""
    matched: dict[str, list[str]] = {}
    for attribute_id, values in attribute_values.items():
        if attribute_id in COLOR_ATTRIBUTE_IDS:
            continue
        hits = [v for v in values if value_mentioned(v, folded)]
        if hits:
            matched[attribute_id] = hits
    return Entities(colors_in(folded), matched, quantity_in(folded), places_in(raw))
