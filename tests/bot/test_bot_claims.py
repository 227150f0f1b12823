"""The first response to a claim: categories from Mercado Libre's reasons, rules in the bot settings,
templates that leave out what is unknown, and the guard that lets a tracking number through."""

from __future__ import annotations

import pytest

from mostrador.bot import BotConfig, BotConfigError
from mostrador.bot.claims import ClaimRule, category, render, rule_for
from mostrador.bot.guard import guard


@pytest.mark.parametrize(
    ("reason_id", "triage", "name", "expected"),
    [
        ("PNR9501", [], "not_received", "not_received"),
        ("PDD9944", ["defective"], "defective_item", "defective"),
        ("PDD9939", ["repentant"], "repentant_buyer", "repentant"),
        ("PDD9943", ["different"], "not_original", "different"),
        ("PDD1234", [], None, "different"),  # the family alone: different or defective
        ("PNR1", None, None, "not_received"),
        ("CS123", [], None, "cancellation"),
        ("XYZ", [], None, "other"),
        (None, None, None, "other"),
    ],
)
def test_the_category_comes_from_the_triage_then_the_name_then_the_family(
    reason_id: str | None, triage: list[str] | None, name: str | None, expected: str
) -> None:
    assert category(reason_id, triage, name) == expected


def test_the_product_defaults_cover_the_common_reasons_and_pass_the_guard() -> None:
    rules = BotConfig().claim_rules
    for claim_category in ("not_received", "defective", "different", "repentant"):
        assert rule_for(rules, claim_category) is not None, claim_category
    assert rule_for(rules, "cancellation") is None  # nothing to say automatically


def test_a_sentence_whose_variable_is_unknown_is_left_out() -> None:
    rule = rule_for(BotConfig().claim_rules, "not_received")
    assert rule is not None
    full = render(
        rule, "es", {"shipment_status": "en camino", "tracking_number": "MEL123456789AR", "carrier": "Correo"}
    )
    assert full is not None and "en camino" in full and "MEL123456789AR (Correo)" in full
    partial = render(rule, "es", {"shipment_status": "en camino"})
    assert (
        partial is not None and "en camino" in partial and "seguimiento" not in partial and "{" not in partial
    )


def test_rules_are_validated_when_the_settings_load() -> None:
    with pytest.raises(BotConfigError, match="unknown variable"):
        BotConfig.from_data(
            {"claim_rules": [{"id": "x", "when": ["other"], "text": {"es": "Hola {nombre}"}}]}
        )
    with pytest.raises(BotConfigError, match="unknown claim categories"):
        BotConfig.from_data({"claim_rules": [{"id": "x", "when": ["lost"], "text": {"es": "Hola"}}]})
    with pytest.raises(BotConfigError, match="Mercado Libre rules"):
        BotConfig.from_data(
            {"claim_rules": [{"id": "x", "when": ["other"], "text": {"es": "Escribime al 11 4567 8901"}}]}
        )
    with pytest.raises(BotConfigError, match="unique"):
        rule = {"id": "x", "when": ["other"], "text": {"es": "Hola"}}
        BotConfig.from_data({"claim_rules": [rule, rule]})
    kept = BotConfig.from_yaml(BotConfig().to_yaml())  # exported and imported with the rest
    assert [r.id for r in kept.claim_rules] == [r.id for r in BotConfig().claim_rules]


def test_a_tracking_number_read_from_mercado_libre_may_be_quoted() -> None:
    text = "Tu código de seguimiento es 41234567890123."
    assert not guard(text, limit=350).ok  # a long number looks like a phone
    assert guard(text, limit=350, allow=("41234567890123",)).ok
    assert not guard(text + " Llamame al 1145678901", limit=350, allow=("41234567890123",)).ok


def test_a_disabled_rule_is_not_used() -> None:
    rules = [ClaimRule(id="a", when=["other"], text={"es": "Hola"}, enabled=False)]
    assert rule_for(rules, "other") is None
