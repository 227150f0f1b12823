"""The demo catalogue: realistic listing bodies for `POST /items`, in the language and currency of each site.

Data only and deterministic: the same site always yields the same listings, so demos, tests and
benchmarks see the same shop. Shapes follow the item resource of mercadolibre-api.md §6.1.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

from mostrador.sandbox.sim_products import Localized, Product, demo_products


class UnknownSiteError(ValueError):
    """The demo catalogue has no prices or language for this site."""


# §1.1: site -> (currency, language, price per US dollar, rounding step of a shop price).
SITE_MARKETS: dict[str, tuple[str, str, float, float]] = {
    "MLA": ("ARS", "es", 1150.0, 100.0),
    "MLM": ("MXN", "es", 18.0, 10.0),
    "MLB": ("BRL", "pt", 5.5, 1.0),
    "MLC": ("CLP", "es", 930.0, 1000.0),
    "MCO": ("COP", "es", 4000.0, 1000.0),
}

COLOUR_NAMES: dict[str, tuple[str, str]] = {
    "black": ("Negro", "Preto"),
    "white": ("Blanco", "Branco"),
    "grey": ("Gris", "Cinza"),
    "red": ("Rojo", "Vermelho"),
    "blue": ("Azul", "Azul"),
    "navy": ("Azul marino", "Azul-marinho"),
    "green": ("Verde", "Verde"),
    "pink": ("Rosa", "Rosa"),
    "beige": ("Beige", "Bege"),
    "brown": ("Marrón", "Marrom"),
}

# Size systems differ per country: Argentine and Brazilian shoe numbers, Mexican centimetres,
# Brazilian P/M/G/GG letters for apparel.
SIZE_SYSTEMS: dict[str, dict[str, tuple[str, ...]]] = {
    "shoes": {
        "MLA": ("39", "40", "41", "42", "43"),
        "MLM": ("25", "26", "27", "28", "29"),
        "MLB": ("38", "39", "40", "41", "42"),
        "default": ("39", "40", "41", "42", "43"),
    },
    "shoes_women": {
        "MLA": ("35", "36", "37", "38", "39"),
        "MLM": ("22", "23", "24", "25", "26"),
        "MLB": ("34", "35", "36", "37", "38"),
        "default": ("35", "36", "37", "38", "39"),
    },
    "apparel": {"MLB": ("P", "M", "G", "GG"), "default": ("S", "M", "L", "XL")},
    "waist": {"MLM": ("28", "30", "32", "34"), "default": ("38", "40", "42", "44", "46")},
    "bed": {
        "MLA": ("1 plaza", "2 plazas", "Queen", "King"),
        "MLB": ("Solteiro", "Casal", "Queen", "King"),
        "MLM": ("Individual", "Matrimonial", "Queen", "King"),
        "default": ("Sencilla", "Doble", "Queen", "King"),
    },
}

SIZE_LABEL: dict[str, str] = {"MLA": "Talle", "MLB": "Tamanho", "default": "Talla"}
CAPACITY_LABEL: dict[str, tuple[str, str]] = {
    "INTERNAL_MEMORY": ("Memoria interna", "Memória interna"),
    "MEMORY_CONFIG": ("Memoria y almacenamiento", "Memória e armazenamento"),
    "CAPACITY": ("Capacidad", "Capacidade"),
}

# §6.1 shipping: mode me2 with cross_docking / drop_off / fulfillment, and local pick-up.
SHIPPING_PROFILES: dict[str, dict[str, Any]] = {
    "free_cross_docking": {
        "mode": "me2",
        "free_shipping": True,
        "logistic_type": "cross_docking",
        "local_pick_up": False,
    },
    "paid_me2": {"mode": "me2", "free_shipping": False, "logistic_type": "drop_off", "local_pick_up": False},
    "fulfillment": {
        "mode": "me2",
        "free_shipping": True,
        "logistic_type": "fulfillment",
        "local_pick_up": False,
    },
    "pickup": {"mode": "me2", "free_shipping": False, "logistic_type": "drop_off", "local_pick_up": True},
}

WARRANTY_TYPES: dict[str, tuple[str, str]] = {
    "seller": ("Garantía del vendedor", "Garantia do vendedor"),
    "factory": ("Garantía de fábrica", "Garantia de fábrica"),
    "none": ("Sin garantía", "Sem garantia"),
}
TIME_UNITS: dict[str, tuple[str, str]] = {"days": ("días", "dias"), "months": ("meses", "meses")}

# Stock per variation cycles through this pattern; the zeros are the sold-out combinations.
STOCK_PATTERN = (12, 0, 7, 25, 3, 0, 18, 1, 40, 9)


def site_language(site_id: str) -> str:
    """`es` or `pt` for a site the catalogue knows."""
    return _market(site_id)[1]


def site_currency(site_id: str) -> str:
    return _market(site_id)[0]


def demo_listings(site_id: str = "MLA") -> list[dict[str, Any]]:
    """About twenty `POST /items` bodies for `site_id`, deterministic and in the site's language."""
    return [listing_body(product, site_id) for product in demo_products()]


def listing_body(product: Product, site_id: str) -> dict[str, Any]:
    """Render one product as a `POST /items` body for one site."""
    currency, lang, _, _ = _market(site_id)
    price = site_price(product.price_usd, site_id)
    variations = _variations(product, site_id, price)
    body: dict[str, Any] = {
        "site_id": site_id,
        "title": _text(product.title, site_id),
        "category_id": f"{site_id}{product.category}",
        "price": price,
        "currency_id": currency,
        "available_quantity": sum(v["available_quantity"] for v in variations) if variations else 15,
        "buying_mode": "buy_it_now",
        "listing_type_id": product.listing_type,
        "condition": product.condition,
        "sale_terms": _sale_terms(product, lang),
        "attributes": _attributes(product, site_id),
        "variations": variations,
        "shipping": dict(SHIPPING_PROFILES[product.shipping]),
        "description": {"plain_text": _text(product.description, site_id)},
        "status": "active",
    }
    return body


def site_price(price_usd: float, site_id: str) -> float | int:
    """A shop-looking price in the site currency: 45999 ARS, 899 MXN, 259.90 BRL (cents only where used)."""
    _, _, rate, step = _market(site_id)
    rounded = max(round(price_usd * rate / step) * step, step)
    if step < 10:
        return round(rounded - 0.1, 2)
    return int(rounded) - 1


def _market(site_id: str) -> tuple[str, str, float, float]:
    try:
        return SITE_MARKETS[site_id]
    except KeyError:
        raise UnknownSiteError(
            f"no demo catalogue for site {site_id!r}; known: {sorted(SITE_MARKETS)}"
        ) from None


def _text(localized: Localized, site_id: str) -> str:
    if site_id in localized:
        return localized[site_id]
    return localized[site_language(site_id)]


def _pick(table: dict[str, Any], site_id: str) -> Any:
    return table.get(site_id, table["default"])


def _colour(key: str, lang: str) -> str:
    es, pt = COLOUR_NAMES[key]
    return pt if lang == "pt" else es


def _variations(product: Product, site_id: str, price: float | int) -> list[dict[str, Any]]:
    """Cartesian product of the product's axes, with a stock per combination (some sold out)."""
    lang = site_language(site_id)
    axes: list[list[dict[str, Any]]] = []
    if product.colours:
        name = "Cor" if lang == "pt" else "Color"
        axes.append([{"id": "COLOR", "name": name, "value_name": _colour(c, lang)} for c in product.colours])
    if product.sizes:
        label = _pick(SIZE_LABEL, site_id)
        values = _pick(SIZE_SYSTEMS[product.sizes], site_id)
        axes.append([{"id": "SIZE", "name": label, "value_name": v} for v in values])
    if product.capacities:
        es, pt = CAPACITY_LABEL[product.capacity_attribute]
        label = pt if lang == "pt" else es
        axes.append(
            [{"id": product.capacity_attribute, "name": label, "value_name": v} for v in product.capacities]
        )
    if not axes:
        return []
    offset = random.Random(product.key).randrange(len(STOCK_PATTERN))
    variations = []
    for index, combination in enumerate(itertools.product(*axes)):
        stock = STOCK_PATTERN[(offset + index) % len(STOCK_PATTERN)]
        variations.append(
            {
                "price": price,
                "attribute_combinations": [dict(part) for part in combination],
                "available_quantity": stock,
                "sold_quantity": 0,
                "seller_custom_field": _sku(product, index),
            }
        )
    return variations


def _sku(product: Product, index: int) -> str:
    return f"{product.key.upper()}-{index + 1:02d}"


def _sale_terms(product: Product, lang: str) -> list[dict[str, str]]:
    """§6.1: structured warranty in `sale_terms` (WARRANTY_TYPE, WARRANTY_TIME)."""
    kind, amount, unit = product.warranty
    es, pt = WARRANTY_TYPES[kind]
    terms = [{"id": "WARRANTY_TYPE", "value_name": pt if lang == "pt" else es}]
    if kind != "none":
        unit_es, unit_pt = TIME_UNITS[unit]
        terms.append(
            {"id": "WARRANTY_TIME", "value_name": f"{amount} {unit_pt if lang == 'pt' else unit_es}"}
        )
    return terms


def _attributes(product: Product, site_id: str) -> list[dict[str, Any]]:
    lang = site_language(site_id)

    def attr(attr_id: str, name: Localized | str, value: Localized | str) -> dict[str, Any]:
        name_text = name if isinstance(name, str) else _text(name, site_id)
        value_text = value if isinstance(value, str) else _text(value, site_id)
        return {"id": attr_id, "name": name_text, "value_id": None, "value_name": value_text}

    attributes = [
        attr("BRAND", "Marca", product.brand),
        attr("MODEL", "Modelo", product.model),
        attr(
            "ITEM_CONDITION",
            {"es": "Condición del ítem", "pt": "Condição do item"},
            _condition_name(product.condition, lang),
        ),
    ]
    if product.material:
        attributes.append(attr("MATERIAL", "Material", product.material))
    if product.gender:
        attributes.append(attr("GENDER", {"es": "Género", "pt": "Gênero"}, product.gender))
    attributes.extend(attr(attr_id, name, value) for attr_id, name, value in product.extra)
    attributes.append(attr("SELLER_SKU", "SKU", product.key.upper()))
    return attributes


def _condition_name(condition: str, lang: str) -> str:
    names = {"new": ("Nuevo", "Novo"), "used": ("Usado", "Usado")}[condition]
    return names[1] if lang == "pt" else names[0]
