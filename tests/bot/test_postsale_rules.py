"""The post-sale bot's rules (bot/postsale.py): what it answers, in which words, and what it hands off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from mostrador.bot import Bot, BotConfig
from mostrador.bot.guard import guard
from mostrador.bot.postsale import Shipping, decide, topic_of
from mostrador.sandbox.sim_after_sale import _POST_SALE

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
ART = timezone(timedelta(hours=-3))
ON_ITS_WAY = Shipping(
    "shipped", None, "SB40000123", "MEL Distribution", datetime(2026, 12, 1, 18, tzinfo=ART)
)
# The buyer simulator's post-sale messages (written independently of these rules' authoring, but read
# before the rules were written: a sanity check, not a held-out figure). Answerable: delivery dates and
# the plain request for the tracking number; everything else needs a person.
ANSWERABLE = {"¿Me pasan el número de seguimiento?", "Podem me passar o código de rastreio?"}


def _simulator() -> list[tuple[str, str, str]]:
    return [
        (lang, text, "where" if topic == "delivery_date" or text in ANSWERABLE else topic)
        for lang, topics in _POST_SALE.items()
        for topic, texts in topics.items()
        for text in texts
    ]


@pytest.mark.parametrize(("lang", "text", "expected"), _simulator())
def test_the_simulator_s_post_sale_messages(lang: str, text: str, expected: str) -> None:
    topic, reason = topic_of([text], lang)  # type: ignore[arg-type]
    if expected == "where":
        assert topic == "where"
    elif expected == "invoice":
        assert (topic, reason) == ("invoice", "post_sale_invoice")
    else:
        assert topic == "other"


def test_the_question_classifier_cannot_tell_an_answerable_message_from_a_problem() -> None:
    """Why rules: the pre-sale classifier calls problems `order_status` like plain delivery questions."""
    bot = Bot(BotConfig())
    would_answer = [
        text
        for lang, text, expected in _simulator()
        if expected != "where"
        and set(bot.classify(text, default_lang=lang).intents) <= {"order_status", "shipping"}  # type: ignore[arg-type]
    ]
    assert "Hola, dice entregado pero no recibí nada." in would_answer
    assert len(would_answer) >= 5  # measured: 7 of 28 messages that need a person
    assert all(topic_of([t])[0] != "where" for t in would_answer)


@pytest.mark.parametrize(
    ("text", "lang", "topic"),
    [
        ("¿Dónde está mi compra?", "es", "where"),
        ("hola cuanto falta para que llegue", "es", "where"),
        ("Quiero saber el estado de mi pedido", "es", "where"),
        ("Cadê meu pedido??", "pt", "where"),
        ("Qual o prazo de entrega?", "pt", "where"),
        ("¿Cuándo llega? ¿Y viene con cargador?", "es", "other"),  # a second question: a person answers both
        ("¿Cuándo llega? Necesito cambiar la dirección", "es", "other"),
        ("Son unos estafadores, ¿dónde está mi compra?", "es", "other"),
        ("¿Dónde está mi pedido? Y mandame la factura", "es", "invoice"),
        ("Hola", "es", "other"),
        ("", "es", "other"),
    ],
)
def test_topics(text: str, lang: str, topic: str) -> None:
    assert topic_of([text], lang)[0] == topic  # type: ignore[arg-type]


def test_several_messages_of_one_turn_are_read_together() -> None:
    assert topic_of(["Hola!", "¿cuándo llega?"])[0] == "where"
    assert topic_of(["¿cuándo llega?", "Ah, y llegó roto el otro"])[0] == "other"


def test_a_shipment_on_its_way_is_answered_with_its_facts_in_spanish() -> None:
    d = decide(["¿Cuándo llega?"], ON_ITS_WAY, "es", NOW, "¡Hola!", "¡Saludos!")
    assert d.action == "answer"
    assert d.text == (
        "¡Hola! El envío de tu compra está en camino. Código de seguimiento: SB40000123 (MEL Distribution). "
        "Entrega estimada: 1 de diciembre. ¡Saludos!"
    )
    assert d.quoted == ("SB40000123",) and guard(d.text, 350, allow=d.quoted).ok


def test_portuguese_and_what_is_left_out_when_unknown() -> None:
    waiting = Shipping("ready_to_ship", "ready_to_print", None, "cross_docking", None)
    d = decide(["Quando chega?"], waiting, "pt", NOW, "Olá!")
    assert d.action == "answer" and d.text == "Olá! O envio da sua compra está pronto para envio."


@pytest.mark.parametrize(
    ("shipping", "reason"),
    [
        (None, "post_sale_no_shipment"),
        (Shipping(None), "post_sale_no_shipment"),
        (Shipping("delivered", None, "SB1"), "post_sale_delivered"),
        (Shipping("cancelled"), "post_sale_shipment_problem"),
        (Shipping("shipped", "delayed", "SB1"), "post_sale_shipment_problem"),
        (
            Shipping("shipped", None, "SB1", None, datetime(2026, 11, 27, 18, tzinfo=ART)),
            "post_sale_shipment_problem",
        ),
    ],
)
def test_what_a_person_must_explain_is_handed_off(shipping: Shipping | None, reason: str) -> None:
    d = decide(["¿Dónde está mi pedido?"], shipping, "es", NOW)
    assert (d.action, d.reason, d.text) == ("handoff", reason, "")


def test_the_invoice_is_never_claimed() -> None:
    d = decide(["¿Ya emitieron la factura?"], ON_ITS_WAY, "es", NOW)
    assert (d.action, d.reason) == ("handoff", "post_sale_invoice")


def test_a_reply_longer_than_350_characters_is_not_sent() -> None:
    long_carrier = Shipping("shipped", None, "SB1234", "x" * 400, None)
    d = decide(["¿Cuándo llega?"], long_carrier, "es", NOW)
    assert (d.action, d.reason) == ("handoff", "post_sale_guard")


def test_the_invoice_is_answered_from_what_the_seller_issues_and_never_claimed_as_issued() -> None:
    d = decide(["Hola! ¿Me mandan la factura A?"], ON_ITS_WAY, "es", NOW, invoice="factura A y B")
    assert d.action == "answer" and d.topic == "invoice"
    assert "factura A y B" in d.text and "apenas esté emitida" in d.text and "ya" not in d.text.split()
    pt = decide(["Vocês enviam a nota fiscal?"], ON_ITS_WAY, "pt", NOW, invoice="nota fiscal eletrônica")
    assert pt.action == "answer" and pt.text.startswith("Emitimos nota fiscal eletrônica.")
    # Something else in the same message, or nothing said about invoices: a person answers.
    mixed = decide(
        ["¿Dónde está mi pedido? Y mandame la factura"], ON_ITS_WAY, "es", NOW, invoice="factura A"
    )
    assert (mixed.action, mixed.reason) == ("handoff", "post_sale_invoice")
    assert decide(["¿Me mandan la factura?"], ON_ITS_WAY, "es", NOW).action == "handoff"


@pytest.mark.parametrize(
    "text",
    [
        "Me mandaron mal la factura y el producto vino roto, quiero devolverlo",
        "Hola, necesito la factura y cancelar la compra",
        "La factura salió con el CUIT mal, corríjanla por favor",
        "Olá, a nota fiscal veio com o CPF errado",
    ],
)
def test_an_invoice_message_with_anything_else_goes_to_a_person(text: str) -> None:
    lang = "pt" if text.startswith("Olá") else "es"
    d = decide([text], ON_ITS_WAY, lang, NOW, invoice="Factura A y B")
    assert d.action == "handoff", d.text
