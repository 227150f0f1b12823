"""Shared fixtures: recorded item JSON under tests/fixtures/bot/items and one bot per test session."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mostrador.bot import Bot, BotConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# A Wednesday at 15:00 in Buenos Aires: inside the usual opening hours.
WEDNESDAY_AFTERNOON = datetime(2025, 11, 12, 18, 0, tzinfo=UTC)


def load_item(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "bot" / "items" / f"{name}.json").read_text("utf-8"))
    return data


@pytest.fixture(scope="session")
def item_named() -> Callable[[str], dict[str, Any]]:
    """Load a recorded item by scenario name (a fresh copy each time, safe to modify)."""
    return load_item


@pytest.fixture
def afternoon() -> datetime:
    return WEDNESDAY_AFTERNOON


@pytest.fixture(scope="session")
def sneakers() -> dict[str, Any]:
    return load_item("sneakers_variations")


@pytest.fixture(scope="session")
def watch() -> dict[str, Any]:
    return load_item("watch_mlb_full")


@pytest.fixture(scope="session")
def full_config() -> BotConfig:
    """An account with every business fact filled in, answering automatically."""
    return BotConfig.from_data(
        {
            "mode": "auto",
            "facts": {
                "invoice": {"issues": True, "kind": "factura A y B"},
                "pickup": {"allowed": False},
                "payment_methods": {
                    "es": "Aceptamos todos los medios de Mercado Pago, con cuotas según tu banco.",
                    "pt": "Aceitamos todos os meios do Mercado Pago, inclusive Pix e parcelamento.",
                },
                "authenticity": {
                    "es": "Todos nuestros productos son originales.",
                    "pt": "Todos os produtos são originais.",
                },
            },
        }
    )


@pytest.fixture(scope="session")
def bot(full_config: BotConfig) -> Bot:
    return Bot(full_config)
