"""BotConfig: YAML round trip, clear errors for unknown variables and rule-breaking texts."""

from __future__ import annotations

import json

import pytest

from mostrador.bot import BotConfig, BotConfigError

FULL_YAML = """
mode: auto
confidence_threshold: 0.7
enabled_intents: [availability, variants, price, shipping, greeting, contact_request]
extra_phrases:
  availability: ["¿lo tenés para ya?"]
templates:
  es:
    price.price: "Sale {price}, precio final."
greeting: {es: "¡Buenas!", pt: "Oi!"}
use_sign_off: false
facts:
  invoice: {issues: true, kind: factura A}
  pickup: {allowed: true, area: "Palermo, CABA"}
  payment_methods: {es: "Todos los medios de Mercado Pago."}
business_hours:
  timezone: America/Sao_Paulo
  weekly: {mon: ["09:00-18:00"], sat: ["09:00-13:00"]}
  holidays: ["2025-12-25"]
out_of_hours: answer_with_note
"""


def test_yaml_round_trip_and_json_column() -> None:
    config = BotConfig.from_yaml(FULL_YAML)
    assert config.mode == "auto" and config.facts.pickup.area == "Palermo, CABA"
    assert BotConfig.from_yaml(config.to_yaml()) == config
    stored = json.dumps(config.model_dump(mode="json"))
    assert BotConfig.from_data(json.loads(stored)) == config


def test_defaults_are_safe() -> None:
    config = BotConfig()
    assert config.mode == "draft"
    assert config.facts.invoice.issues is None  # unknown, so invoice questions hand off


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("templates: {es: {price.price: 'Sale {precio}'}}", "unknown variable(s) precio"),
        ("templates: {es: {price.cheap: 'Barato'}}", "unknown template key 'price.cheap'"),
        ("templates: {es: {invoice.yes: 'Sí {stock'}}", "unbalanced braces"),
        ("templates: {fr: {price.price: '{price}'}}", "unknown language 'fr'"),
        (
            "templates: {es: {greeting.reply: 'Escribinos al 11 4567 8901'}}",
            "would break Mercado Libre rules",
        ),
        (
            "facts: {pickup: {allowed: true, area: 'Av. Siempreviva 742, whatsapp 1145678901'}}",
            "facts.pickup.area",
        ),
        ("sign_off: {es: 'Seguinos en @mitienda'}", "sign_off.es"),
        ("enabled_intents: [availability, haggling]", "unknown intent id(s) haggling"),
        ("extra_phrases: {haggling: ['¿me lo dejás?']}", "unknown intent id(s) haggling"),
        ("business_hours: {timezone: Mars/Olympus}", "unknown IANA time zone"),
        ("business_hours: {weekly: {mon: ['18:00-09:00']}}", "ends before it starts"),
        ("business_hours: {weekly: {funday: ['09:00-18:00']}}", "unknown weekday"),
        ("mode: yolo", "mode"),
        ("confidence_threshold: 2", "confidence_threshold"),
        ("colour: red", "colour"),
        ("mode: [auto", "not valid YAML"),
    ],
)
def test_bad_configs_are_rejected_with_a_clear_error(yaml_text: str, message: str) -> None:
    with pytest.raises(BotConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        BotConfig.from_yaml(yaml_text)
