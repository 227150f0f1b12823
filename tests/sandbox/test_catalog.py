"""The demo catalogue: every listing is a complete, consistent `POST /items` body in the site's language."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from mostrador.sandbox.catalog import UnknownSiteError, demo_listings, site_price

SITES = ("MLA", "MLM", "MLB", "MLC", "MCO")
CURRENCIES = {"MLA": "ARS", "MLM": "MXN", "MLB": "BRL", "MLC": "CLP", "MCO": "COP"}
# Fields the sandbox's item creation requires, plus what the bot and the simulator read.
REQUIRED = (
    "title",
    "category_id",
    "price",
    "currency_id",
    "available_quantity",
    "buying_mode",
    "listing_type_id",
    "condition",
    "sale_terms",
    "attributes",
    "shipping",
    "description",
    "variations",
)


def _texts(listing: dict) -> str:
    return " ".join([listing["title"], listing["description"]["plain_text"]])


@pytest.mark.parametrize("site_id", SITES)
def test_every_listing_is_a_complete_body_in_the_site_currency(site_id: str) -> None:
    listings = demo_listings(site_id)
    assert 18 <= len(listings) <= 24
    for listing in listings:
        missing = [key for key in REQUIRED if key not in listing]
        assert not missing, (listing["title"], missing)
        assert listing["site_id"] == site_id
        assert listing["currency_id"] == CURRENCIES[site_id]
        assert listing["price"] > 0
        assert re.fullmatch(rf"{site_id}\d+", listing["category_id"])
        assert 10 <= len(listing["title"]) <= 60
        assert listing["description"]["plain_text"].strip()
        assert {"BRAND", "MODEL"} <= {a["id"] for a in listing["attributes"]}


@pytest.mark.parametrize("site_id", SITES)
def test_variation_stock_adds_up_and_some_combinations_are_sold_out(site_id: str) -> None:
    listings = demo_listings(site_id)
    sold_out = 0
    for listing in listings:
        variations = listing["variations"]
        if not variations:
            assert listing["available_quantity"] > 0
            continue
        assert sum(v["available_quantity"] for v in variations) == listing["available_quantity"]
        combos = [tuple((c["id"], c["value_name"]) for c in v["attribute_combinations"]) for v in variations]
        assert len(set(combos)) == len(combos), listing["title"]
        assert all(v["price"] == listing["price"] for v in variations)
        sold_out += sum(1 for v in variations if v["available_quantity"] == 0)
    assert sold_out >= 5


def test_clothing_has_colour_by_size_and_electronics_have_capacities() -> None:
    listings = demo_listings("MLA")
    axes = Counter(
        frozenset(c["id"] for c in listing["variations"][0]["attribute_combinations"])
        for listing in listings
        if listing["variations"]
    )
    assert axes[frozenset({"COLOR", "SIZE"})] >= 5
    assert axes[frozenset({"COLOR", "INTERNAL_MEMORY"})] == 1
    assert axes[frozenset({"CAPACITY"})] == 1
    assert sum(1 for listing in listings if not listing["variations"]) >= 2


def test_shipping_mix_conditions_and_warranties() -> None:
    listings = demo_listings("MLM")
    shipping = Counter(
        (s["free_shipping"], s["logistic_type"], s["local_pick_up"])
        for s in (x["shipping"] for x in listings)
    )
    assert shipping[(True, "cross_docking", False)] >= 3
    assert shipping[(False, "drop_off", False)] >= 3
    assert shipping[(True, "fulfillment", False)] >= 3
    assert sum(n for (_, _, pickup), n in shipping.items() if pickup) >= 2
    assert all(x["shipping"]["mode"] == "me2" for x in listings)
    assert [x["condition"] for x in listings].count("used") == 1
    for listing in listings:
        terms = {t["id"]: t["value_name"] for t in listing["sale_terms"]}
        if terms["WARRANTY_TYPE"] == "Sin garantía":
            assert "WARRANTY_TIME" not in terms
        else:
            assert re.fullmatch(r"\d+ (días|meses)", terms["WARRANTY_TIME"])


def test_languages_follow_the_site() -> None:
    brazil = demo_listings("MLB")
    argentina = demo_listings("MLA")
    assert all(re.search(r"\b(y|con|para el)\b", _texts(x)) is None for x in brazil)
    assert all(re.search(r"\b(com|não|em|vem)\b", _texts(x)) is None for x in argentina)
    assert any("ç" in _texts(x) or "ã" in _texts(x) for x in brazil)
    assert {t["value_name"] for x in brazil for t in x["sale_terms"] if t["id"] == "WARRANTY_TYPE"} <= {
        "Garantia do vendedor",
        "Garantia de fábrica",
        "Sem garantia",
    }
    assert {c["name"] for x in brazil for v in x["variations"] for c in v["attribute_combinations"]} >= {
        "Cor",
        "Tamanho",
    }
    assert {c["name"] for x in argentina for v in x["variations"] for c in v["attribute_combinations"]} >= {
        "Color",
        "Talle",
    }


def test_local_words_and_sizes_differ_between_spanish_sites() -> None:
    mexico = demo_listings("MLM")
    argentina = demo_listings("MLA")
    assert any(x["title"].startswith("Tenis") for x in mexico)
    assert any(x["title"].startswith("Zapatillas") for x in argentina)
    mexican_sizes = {
        c["value_name"]
        for x in mexico
        for v in x["variations"]
        for c in v["attribute_combinations"]
        if c["name"] == "Talla"
    }
    assert {"26", "27"} <= mexican_sizes


def test_catalogue_is_deterministic_and_prices_look_like_shop_prices() -> None:
    assert demo_listings("MLB") == demo_listings("MLB")
    assert site_price(48, "MLA") == 55199
    assert site_price(48, "MLB") == 263.9
    assert site_price(9, "MLM") == 159
    assert isinstance(demo_listings("MLA")[0]["price"], int)


def test_unknown_site_is_a_typed_error() -> None:
    with pytest.raises(UnknownSiteError, match="MLX"):
        demo_listings("MLX")
