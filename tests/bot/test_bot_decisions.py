"""Grounded answers, handoffs, composition, modes and business hours, on recorded item JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from mostrador.bot import Bot, BotConfig

ItemLoader = Callable[[str], dict[str, Any]]


def test_variation_in_stock_is_confirmed(bot: Bot, sneakers: dict[str, Any], afternoon: datetime) -> None:
    d = bot.decide("Hola! ¿Tenés el rojo en talle 40?", item=sneakers, now=afternoon)
    assert d.action == "answer" and d.mode == "auto" and d.lang == "es"
    assert "rojo talle 40" in d.text.lower()
    assert d.facts["stock of Rojo/40"] == "3"


def test_sold_out_variation_offers_the_same_size_in_other_colours(
    bot: Bot, sneakers: dict[str, Any], afternoon: datetime
) -> None:
    d = bot.decide("¿Tenés stock del negro en talle 42?", item=sneakers, now=afternoon)
    assert d.action == "answer"
    assert "Negro talle 42 está agotado; tenemos azul y blanco." in d.text


def test_colour_synonyms_across_languages(bot: Bot, sneakers: dict[str, Any], afternoon: datetime) -> None:
    d = bot.decide("Tem na cor vermelha?", item=sneakers, now=afternoon)
    assert d.action == "answer" and d.lang == "pt"
    assert "Sim, temos vermelho (talle 40)." in d.text


def test_colour_the_listing_does_not_have(bot: Bot, sneakers: dict[str, Any], afternoon: datetime) -> None:
    d = bot.decide("¿Lo tenés en verde?", item=sneakers, now=afternoon)
    assert "No lo tenemos en verde; está disponible en rojo, azul y blanco; talle 40 y 42." in d.text


def test_variant_list_only_names_what_is_in_stock(
    bot: Bot, sneakers: dict[str, Any], afternoon: datetime
) -> None:
    d = bot.decide("¿En qué colores viene?", item=sneakers, now=afternoon)
    assert "rojo, azul y blanco" in d.text and "negro" not in d.text.lower()


def test_quantity_against_stock(bot: Bot, watch: dict[str, Any], afternoon: datetime) -> None:
    enough = bot.decide("Preciso de 5 unidades, tem estoque?", item=watch, now=afternoon)
    short = bot.decide("Preciso de 20 unidades, tem estoque?", item=watch, now=afternoon)
    assert "Sim, temos as 5 unidades." in enough.text
    assert "No momento temos 8 unidades disponíveis." in short.text


def test_several_intents_are_one_answer_in_the_buyers_order(
    bot: Bot, sneakers: dict[str, Any], afternoon: datetime
) -> None:
    d = bot.decide("Hola, ¿tiene garantía? ¿Cuánto sale? Gracias", item=sneakers, now=afternoon)
    assert [intent for intent, _ in d.parts] == ["warranty", "price"]
    assert d.text == "¡Hola! Tiene garantía del vendedor: 30 días. El precio es $ 45.999. ¡Saludos!"
    assert d.text.count("¡Hola!") == 1 and "\n" not in d.text


def test_shipping_from_the_listing(
    bot: Bot, sneakers: dict[str, Any], watch: dict[str, Any], afternoon: datetime
) -> None:
    free = bot.decide("¿El envío es gratis?", item=sneakers, now=afternoon)
    full = bot.decide("Qual o frete para SP?", item=watch, now=afternoon)
    assert "El envío es gratis." in free.text
    assert "Mercado Envios Full" in full.text and "grátis" not in full.text


def test_business_facts_come_from_the_config(bot: Bot, sneakers: dict[str, Any], afternoon: datetime) -> None:
    assert "Sí, emitimos factura A y B." in bot.decide("¿Hacen factura A?", item=sneakers, now=afternoon).text
    assert (
        "No tenemos retiro en persona" in bot.decide("¿Se puede retirar?", item=sneakers, now=afternoon).text
    )


def test_price_in_brazilian_format(bot: Bot, watch: dict[str, Any], afternoon: datetime) -> None:
    assert "O valor é R$ 129,90." in bot.decide("Qual o valor?", item=watch, now=afternoon).text


def test_contact_request_gets_the_compliant_reply(
    bot: Bot, sneakers: dict[str, Any], afternoon: datetime
) -> None:
    d = bot.decide("¿Me pasás tu WhatsApp?", item=sneakers, now=afternoon)
    assert d.action == "answer"
    assert "no podemos compartir datos de contacto" in d.text


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("¿Hacen factura A?", "missing_fact:invoice"),
        ("¿Tiene garantía?", "missing_fact:warranty"),
        ("¿Cuánto sale?", "missing_fact:price"),
        ("¿Hacen envíos a Salta?", "missing_fact:shipping"),
        ("¿Aceptan cuotas sin interés?", "missing_fact:payment"),
        ("¿Es original?", "missing_fact:authenticity"),
        ("¿Qué fecha de vencimiento tiene?", "missing_fact:expiry"),
        ("¿Se puede retirar en persona?", "missing_fact:pickup"),
    ],
)
def test_missing_facts_hand_off_instead_of_inventing(
    item_named: ItemLoader, afternoon: datetime, question: str, reason: str
) -> None:
    bot = Bot(BotConfig(mode="auto"))
    d = bot.decide(question, item=item_named("sneakers_missing_facts"), now=afternoon)
    assert (d.action, d.reason, d.text) == ("handoff", reason, "")


def test_contradictory_stock_hands_off(bot: Bot, item_named: ItemLoader, afternoon: datetime) -> None:
    d = bot.decide("¿Hay stock?", item=item_named("sneakers_contradictory_stock"), now=afternoon)
    assert (d.action, d.reason) == ("handoff", "contradictory_fact:stock")


@pytest.mark.parametrize("status", ["paused", "closed", "under_review"])
def test_inactive_item_hands_off(bot: Bot, item_named: ItemLoader, afternoon: datetime, status: str) -> None:
    item = item_named("sneakers_paused") | {"status": status}
    d = bot.decide("¿Hay stock?", item=item, now=afternoon)
    assert (d.action, d.reason) == ("handoff", "item_not_active")


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("Ya compré ayer, ¿cuándo lo despachan?", "order_matter"),
        ("Vendedor ladrão, isso é golpe", "complaint"),
        ("¿Venden repuestos para lavarropas?", "other"),
    ],
)
def test_agent_matters_hand_off(
    bot: Bot, sneakers: dict[str, Any], afternoon: datetime, question: str, reason: str
) -> None:
    assert bot.decide(question, item=sneakers, now=afternoon).reason == reason


def test_low_confidence_hands_off(sneakers: dict[str, Any], afternoon: datetime) -> None:
    strict = Bot(BotConfig(confidence_threshold=1.0))
    d = strict.decide("y eso que onda", item=sneakers, now=afternoon)
    assert (d.action, d.reason) == ("handoff", "low_confidence")


def test_disabled_intent_hands_off(sneakers: dict[str, Any], afternoon: datetime) -> None:
    config = BotConfig(enabled_intents=["availability", "variants"])
    d = Bot(config).decide("¿Cuánto sale?", item=sneakers, now=afternoon)
    assert d.reason == "intent_disabled:price"


def test_draft_mode_is_reported(sneakers: dict[str, Any], afternoon: datetime) -> None:
    d = Bot(BotConfig(mode="draft")).decide("¿Cuánto sale?", item=sneakers, now=afternoon)
    assert (d.action, d.mode) == ("answer", "draft")


def test_templates_with_contact_data_in_item_values_are_blocked(
    sneakers: dict[str, Any], afternoon: datetime
) -> None:
    config = BotConfig(templates={"es": {"price.price": "{title} cuesta {price}."}})
    item = sneakers | {"title": "Zapatillas - consultas al 11 4567 8901"}
    d = Bot(config).decide("¿Cuánto sale?", item=item, now=afternoon)
    assert (d.action, d.reason) == ("handoff", "guard_blocked")
    assert d.violations and d.violations[0].kind == "phone"


def test_answer_is_capped_at_2000_characters(sneakers: dict[str, Any], afternoon: datetime) -> None:
    long_payment = ("Aceptamos Mercado Pago. " * 83).strip()  # 1,991 characters
    config = BotConfig(facts={"payment_methods": {"es": long_payment}})
    d = Bot(config).decide("¿Aceptan tarjeta de crédito?", item=sneakers, now=afternoon)
    # The sign-off is dropped first to stay within Mercado Libre's 2,000 characters.
    assert d.action == "answer" and d.text == "¡Hola! " + long_payment and len(d.text) <= 2000
    too_long = BotConfig(facts={"payment_methods": {"es": long_payment}, "invoice": {"issues": True}})
    both = Bot(too_long).decide("¿Aceptan tarjeta de crédito? ¿Hacen factura?", item=sneakers, now=afternoon)
    assert (both.action, both.reason) == ("handoff", "too_long")


def _hours_config(behaviour: str) -> BotConfig:
    return BotConfig.from_data(
        {
            "out_of_hours": behaviour,
            "business_hours": {
                "timezone": "America/Argentina/Buenos_Aires",
                "weekly": {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
                "holidays": ["2025-12-25"],
            },
        }
    )


@pytest.mark.parametrize(
    ("behaviour", "action", "note"),
    [("answer", "answer", False), ("answer_with_note", "answer", True), ("handoff", "handoff", False)],
)
def test_out_of_hours_behaviour(sneakers: dict[str, Any], behaviour: str, action: str, note: bool) -> None:
    bot = Bot(_hours_config(behaviour))
    saturday_night = datetime.fromisoformat("2025-11-15T23:30:00-03:00")
    d = bot.decide("¿Cuánto sale?", item=sneakers, now=saturday_night)
    assert d.out_of_hours and d.action == action
    assert ("fuera de nuestro horario" in d.text) is note
    if action == "handoff":
        assert d.reason == "out_of_hours"


def test_inside_hours_and_holidays(sneakers: dict[str, Any], afternoon: datetime) -> None:
    hours = _hours_config("handoff").business_hours
    assert hours is not None
    assert hours.is_open(afternoon)
    assert not hours.is_open(datetime.fromisoformat("2025-12-25T12:00:00-03:00"))
    with pytest.raises(ValueError, match="timezone-aware"):
        hours.is_open(datetime(2025, 11, 12, 12, 0))


def test_description_sentence_answers_a_detail(bot: Bot, watch: dict[str, Any], afternoon: datetime) -> None:
    description = "Relógio clássico.\nPeso: 95 g com a pulseira.\nGarantia do fabricante."
    d = bot.decide("Qual o peso?", item=watch, description=description, now=afternoon)
    assert d.action == "answer" and "Peso: 95 g com a pulseira." in d.text
    assert bot.decide("Qual o material?", item=watch, now=afternoon).text.count("Aço inoxidável") == 1


def test_no_item_hands_off(bot: Bot, afternoon: datetime) -> None:
    assert bot.decide("¿Hay stock?", item=None, now=afternoon).reason == "missing_fact:item"


def test_listing_site_decides_the_language_of_neutral_text(
    bot: Bot, watch: dict[str, Any], sneakers: dict[str, Any], afternoon: datetime
) -> None:
    # "Ok!" carries no language evidence: an MLB listing answers in Portuguese, an MLA one in Spanish.
    assert bot.decide("Ok!", item=watch, now=afternoon).text == "Olá! Obrigado pela mensagem! Abraços!"
    assert bot.decide("Ok!", item=sneakers, now=afternoon).text == "¡Hola! ¡Gracias por tu mensaje! ¡Saludos!"


def test_a_burst_s_later_question_is_not_greeted_again_and_keeps_the_variant_named_before(
    bot: Bot, sneakers: dict[str, Any], afternoon: datetime
) -> None:
    first = bot.decide("Hola! ¿Tenés el negro?", item=sneakers, now=afternoon)
    assert first.action == "answer" and first.text.startswith("¡Hola!")
    alone = bot.decide("¿Y en talle 42?", item=sneakers, now=afternoon)
    then = bot.decide("¿Y en talle 42?", item=sneakers, now=afternoon, earlier=["Hola! ¿Tenés el negro?"])
    assert then.action == "answer" and not then.text.startswith("¡Hola!")
    # Alone, "42" is any colour; after "el negro", it is the black pair in 42, which is sold out.
    assert "negro talle 42" in then.text.lower() and "agotado" in then.text
    assert "negro talle 42" not in alone.text.lower()
    # A variant named in the question itself wins over the burst's.
    own = bot.decide("¿Y el rojo en 40?", item=sneakers, now=afternoon, earlier=["¿Tenés el negro?"])
    assert "rojo talle 40" in own.text.lower()
