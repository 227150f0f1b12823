"""Normalisation and language detection on the spellings buyers really use."""

from __future__ import annotations

import pytest

from mostrador.bot.courtesy import strip_courtesy
from mostrador.bot.normalize import detect_language, find_amounts, fold, normalize


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("¿Tenés STOCK???", "¿tenes stock?"),
        ("holaaaa, buenísimooo!!!", "hola, buenisimo!"),
        ("Dispo\u200bnível", "disponivel"),
        ("Envío  a   Córdoba", "envio a cordoba"),
    ],
)
def test_fold_removes_accents_case_repeats_and_invisible_characters(raw: str, folded: str) -> None:
    assert fold(raw) == folded


@pytest.mark.parametrize(
    ("raw", "lang", "expected"),
    [
        ("vc tem na cor preta? blz", "pt", "voce tem na cor preta ? beleza"),
        ("tem q ser hj", "pt", "tem que ser hoje"),
        ("pq n tem?", "pt", "porque nao tem ?"),
        ("q talles tenes x favor", "es", "que talles tenes por favor"),
        ("xq no me pasas tu wpp", "es", "porque no me pasas tu whatsapp"),
        ("mto obg", "pt", "muito obrigado"),
        ("tb tenes en azul?", "es", "tambien tenes en azul ?"),
        ("vem c/ caixa e s/ pilha?", "pt", "vem com caixa e sem pilha ?"),
        ("precio c/u?", "es", "precio cada uno ?"),
        ("frete p/ bahia, vlr?", "pt", "frete para bahia , valor ?"),
        ("kd meu pedido, qnts dias?", "pt", "cade meu pedido , quantos dias ?"),
        ("envio 1/2 kg", "es", "envio 1/2 kg"),
    ],
)
def test_abbreviations_are_expanded_per_language(raw: str, lang: str, expected: str) -> None:
    assert normalize(raw, lang=lang).folded == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "amounts"),
    [
        ("Te sirven $18.000?", (18000.0,)),
        ("faz por R$ 100,00?", (100.0,)),
        ("te doy 18k", (18000.0,)),
        ("te ofrezco 20 lucas", (20000.0,)),
        ("R$ 1.234,50 à vista", (1234.5,)),
        ("talle 40", ()),
    ],
)
def test_money_amounts_are_read_in_local_formats(raw: str, amounts: tuple[float, ...]) -> None:
    assert find_amounts(fold(raw)) == amounts


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("¿Tenés stock en negro?", "es"),
        ("Hola, hacen envíos a Mendoza?", "es"),
        ("¿Cuánto sale el envío?", "es"),
        ("Você tem na cor preta?", "pt"),
        ("Qual o frete para SP?", "pt"),
        ("Vocês emitem nota fiscal?", "pt"),
        ("Tá disponível?", "pt"),
        ("Não tem em azul?", "pt"),
    ],
)
def test_language_detection(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_language_detection_falls_back_to_the_account_default_on_no_evidence() -> None:
    assert detect_language("ok", default="pt") == "pt"
    assert detect_language("ok", default="es") == "es"


@pytest.mark.parametrize(
    ("text", "core"),
    [
        ("Hola! Todavía la tenés? Gracias", "todavia la tenes ?"),
        ("Boa tarde, tem garantia? Obrigado", "tem garantia ?"),
        ("Buenas tardes amigo, hacen factura? Saludos", "hacen factura ?"),
        ("Muchas gracias!", ""),
        ("Olá, boa noite!", ""),
    ],
)
def test_greetings_and_sign_offs_are_stripped(text: str, core: str) -> None:
    assert strip_courtesy(normalize(text).folded)[0] == core


def test_vocative_words_are_only_stripped_when_used_as_a_greeting() -> None:
    assert strip_courtesy("vendedor burro")[0] == "vendedor burro"
    assert strip_courtesy("amigo, tem estoque ?")[0] == "tem estoque ?"
