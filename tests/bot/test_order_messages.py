"""Order messages (bot/order_messages.py): what a seller may configure under Mercado Libre's seller-initiated
rules (§8.7), which events a sale reached, and the text filled from the sale."""

from __future__ import annotations

import pytest

from mostrador.bot.config import BotConfig
from mostrador.bot.errors import BotConfigError
from mostrador.bot.order_messages import due_rules, events_reached, render


def config(*rules: dict[str, object]) -> BotConfig:
    return BotConfig.from_data({"order_messages": list(rules)})


def test_a_valid_set_of_rules_loads_and_each_event_is_reached_in_order() -> None:
    loaded = config(
        {"id": "gracias", "event": "paid", "option": "REQUEST_BILLING_INFO"},
        {"id": "sale", "event": "shipped", "option": "OTHER", "text": {"es": "Salió: {tracking_number}."}},
        {"id": "factura", "event": "delivered", "option": "SEND_INVOICE_LINK", "text": {"es": "Tu factura."}},
    ).order_messages
    assert events_reached("paid", None) == {"paid"}
    assert events_reached("paid", "shipped") == {"paid", "shipped"}
    assert events_reached("paid", "delivered") == {"paid", "shipped", "delivered"}
    assert events_reached("payment_required", "pending") == set()
    assert [r.id for r in due_rules(loaded, {"delivered", "paid", "shipped"})] == [
        "gracias",
        "sale",
        "factura",
    ]


@pytest.mark.parametrize(
    ("rules", "said"),
    [
        ([{"id": "a", "event": "paid", "option": "OTHER"}], "give `text`"),
        (
            [{"id": "a", "event": "paid", "option": "REQUEST_BILLING_INFO", "text": {"es": "x"}}],
            "leave `text` out",
        ),
        (
            [{"id": "a", "event": "delivered", "option": "OTHER", "text": {"es": "x"}}],
            "once the shipment is delivered",
        ),
        ([{"id": "a", "event": "paid", "option": "DELIVERY_PROMISE"}], "delivery window"),
        (
            [{"id": "a", "event": "paid", "option": "OTHER", "text": {"es": "Hola {nombre}"}}],
            "unknown variable",
        ),
        (
            [{"id": "a", "event": "paid", "option": "OTHER", "text": {"es": "Llamame al 11 4444 5555"}}],
            "Mercado Libre",
        ),
        (
            [
                {"id": "a", "event": "paid", "option": "OTHER", "text": {"es": "Gracias."}},
                {"id": "b", "event": "shipped", "option": "OTHER", "text": {"es": "Salió."}},
            ],
            "one send per option",
        ),
        ([{"id": "a", "event": "refunded", "option": "OTHER", "text": {"es": "x"}}], "event"),
    ],
)
def test_rules_mercado_libre_would_refuse_are_refused_when_loaded(
    rules: list[dict[str, object]], said: str
) -> None:
    with pytest.raises(BotConfigError, match=said):
        config(*rules)


def test_a_sentence_whose_value_is_unknown_is_left_out() -> None:
    [rule] = config(
        {
            "id": "a",
            "event": "shipped",
            "option": "OTHER",
            "text": {"es": "¡Hola {buyer}! Ya salió. Seguimiento: {tracking_number}."},
        }
    ).order_messages
    assert render(rule, "es", {"buyer": "ANA", "tracking_number": None}) == "¡Hola ANA! Ya salió."
    assert (
        render(rule, "pt", {"buyer": "ANA", "tracking_number": "X1"})
        == "¡Hola ANA! Ya salió. Seguimiento: X1."
    )
