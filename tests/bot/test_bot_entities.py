"""Entities named in questions and their match against listing values."""

from __future__ import annotations

import pytest

from mostrador.bot.entities import colors_in, extract_entities, places_in, quantity_in, value_mentioned
from mostrador.bot.normalize import fold


@pytest.mark.parametrize(
    ("text", "colors"),
    [
        ("tenés en negro o blanco?", ["black", "white"]),
        ("tem na cor preta?", ["black"]),
        ("vermelha e azul marinho", ["red", "navy"]),
        ("la quiero azul", ["blue"]),
        ("tem dourado?", ["gold"]),
        ("talle 40", []),
    ],
)
def test_colour_synonyms_in_both_languages(text: str, colors: list[str]) -> None:
    assert colors_in(fold(text)) == colors


@pytest.mark.parametrize(
    ("value", "question", "mentioned"),
    [
        ("128 GB", "tenes la de 128gb?", True),
        ("128 GB", "tenes la de 64gb?", False),
        ("40", "hay talle 40?", True),
        ("40", "necesito 40 unidades", False),
        ("M", "tem tamanho m?", True),
        ("M", "me interesa", False),
        ("Air Max 90", "es la air max 90?", True),
    ],
)
def test_listing_values_need_a_clear_mention(value: str, question: str, mentioned: bool) -> None:
    assert value_mentioned(value, fold(question)) is mentioned


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("necesito 4", 4),
        ("quero dois", 2),
        ("3 unidades", 3),
        ("precisava de uns 30", None),
        ("hay stock?", None),
    ],
)
def test_quantities(text: str, quantity: int | None) -> None:
    assert quantity_in(fold(text)) == quantity


def test_places_and_postcodes() -> None:
    assert places_in("Qual o frete para Recife? CEP 50030-230") == ["50030-230", "Recife"]
    assert places_in("¿Llega a Mar del Plata?") == ["Mar del Plata"]


def test_extract_matches_only_real_listing_values() -> None:
    values = {"COLOR": ["Rojo", "Azul"], "SIZE": ["40", "42"], "INTERNAL_MEMORY": ["128 GB"]}
    entities = extract_entities("¿Tenés el rojo en talle 42?", fold("¿tenes el rojo en talle 42?"), values)
    assert entities.colors == ["red"]
    assert entities.values == {"SIZE": ["42"]}
