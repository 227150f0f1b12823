"""The Mercado Libre text-rule guard: contact data in any spelling, length limits; property tests."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mostrador.bot import Bot, BotConfig, BotConfigError, guard
from mostrador.bot.guard import POST_SALE_MESSAGE_LIMIT

BLOCKED = [
    ("escribime a ventas@tienda.com", "email"),
    ("ventas arroba tienda punto com", "email"),
    ("contato (at) loja (dot) com (dot) br", "email"),
    ("llamame al 11 4567-8901", "phone"),
    ("(011) 4567 8901", "phone"),
    ("+55 11 98765 4321", "phone"),
    ("mi número es once cuatro cinco seis siete ocho nueve cero uno", "phone"),
    ("meu número: nove nove oito sete seis cinco quatro três dois", "phone"),
    ("1 1 4 5 6 7 8 9 0 1", "phone"),
    ("entrá a www.mitienda.com.ar", "url"),
    ("https://loja.example/produto", "url"),
    ("mitienda punto com", "url"),
    ("seguinos en @mitienda_oficial", "social"),
    ("hablame al wpp", "social"),
    ("me chama no zap", "social"),
    ("buscanos en insta", "social"),
    ("w h a t s a p p", "social"),
    ("w.h.a.t.s.a.p.p", "social"),
    ("whats\u200bapp", "social"),
    ("wһatsaрр", "social"),  # Cyrillic һ and р
    ("pasame tu celular", "social"),
]
ALLOWED = [
    "Sí, tenemos stock del rojo en talle 40.",
    "El precio es $ 45.999 y el envío es gratis.",
    "O valor é R$ 1.299,90 e o CEP 01310-100 tem frete grátis.",
    "Funda para celular Samsung A54, material silicona.",
    "Publicación MLA1400123456, garantía de 30 días.",
    "Por políticas de Mercado Libre no podemos compartir datos de contacto; podés escribirnos por acá.",
    "Creme para face e corpo, 200 ml.",
]


@pytest.mark.parametrize(("text", "kind"), BLOCKED)
def test_contact_data_is_blocked_in_any_spelling(text: str, kind: str) -> None:
    result = guard(text)
    assert not result.ok
    assert kind in {v.kind for v in result.violations}, result.violations


@pytest.mark.parametrize("text", ALLOWED)
def test_ordinary_answers_pass(text: str) -> None:
    result = guard(text)
    assert result.ok, result.violations
    assert result.text == text


def test_blocked_text_is_redacted_for_display() -> None:
    result = guard("escribime a ventas@tienda.com y listo")
    assert "ventas@tienda.com" not in result.text


def test_length_limits_per_channel() -> None:
    assert guard("a" * 2000).ok
    too_long = guard("palabra " * 300)
    assert not too_long.ok and too_long.violations[0].kind == "length"
    assert len(too_long.text) <= 2000
    assert not guard("x" * (POST_SALE_MESSAGE_LIMIT + 1), limit=POST_SALE_MESSAGE_LIMIT).ok


# --- property tests -------------------------------------------------------------------------------
DIGIT_WORDS = {
    "es": ["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"],
    "pt": ["zero", "um", "dois", "três", "quatro", "cinco", "seis", "sete", "oito", "nove"],
}
SAFE_WORDS = st.sampled_from(["hola", "gracias", "talle", "rojo", "envío", "garantía", "frete", "cor", "ok"])


@st.composite
def phones(draw: st.DrawFn) -> str:
    digits = draw(st.lists(st.integers(0, 9), min_size=8, max_size=12))
    style = draw(st.sampled_from(["plain", "spaced", "dashed", "dotted", "words", "mixed"]))
    if style == "words":
        lang = draw(st.sampled_from(["es", "pt"]))
        return " ".join(DIGIT_WORDS[lang][d] for d in digits)
    if style == "mixed":
        return " ".join(DIGIT_WORDS["es"][d] if i % 2 else str(d) for i, d in enumerate(digits))
    separator = {"plain": "", "spaced": " ", "dashed": "-", "dotted": "."}[style]
    return separator.join(str(d) for d in digits)


NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=10)


@st.composite
def emails(draw: st.DrawFn) -> str:
    at = draw(st.sampled_from(["@", " @ ", " arroba ", "(at)", " [at] "]))
    dot = draw(st.sampled_from([".", " punto ", " ponto ", "(dot)", " . "]))
    tld = draw(st.sampled_from(["com", "com.ar", "net", "com.br"]))
    return f"{draw(NAMES)}{at}{draw(NAMES)}{dot}{tld}"


@st.composite
def urls(draw: st.DrawFn) -> str:
    name = draw(NAMES)
    return draw(
        st.sampled_from([f"www.{name}.com", f"https://{name}.com.ar/x", f"{name} punto com", f"{name}.store"])
    )


@st.composite
def handles(draw: st.DrawFn) -> str:
    name = draw(NAMES)
    return draw(
        st.sampled_from(
            [
                f"@{name}",
                f"insta {name}",
                f"whatsapp {name}",
                "w h a t s a p p",
                "wpp",
                "zap",
                "telegram",
                f"ig @{name}",
            ]
        )
    )


def obfuscate(text: str, how: str) -> str:
    if how == "zero_width":
        return "\u200b".join(text)
    if how == "upper":
        return text.upper()
    return text


CONTACTS = st.one_of(phones(), emails(), urls(), handles())


@settings(max_examples=300, deadline=None)
@given(
    contact=CONTACTS,
    before=SAFE_WORDS,
    after=SAFE_WORDS,
    how=st.sampled_from(["none", "zero_width", "upper"]),
)
def test_guard_never_lets_contact_data_through(contact: str, before: str, after: str, how: str) -> None:
    text = f"{before} {obfuscate(contact, how)} {after}"
    result = guard(text)
    assert not result.ok, text


# --- composed answers never carry contact data ----------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(contact=CONTACTS, how=st.sampled_from(["none", "zero_width", "upper"]))
def test_templates_with_contact_data_are_rejected_on_load(contact: str, how: str) -> None:
    with pytest.raises(BotConfigError, match="would break Mercado Libre rules"):
        BotConfig.from_data(
            {"templates": {"es": {"price.price": f"Sale {{price}} {obfuscate(contact, how)}"}}}
        )


@settings(max_examples=60, deadline=None)
@given(
    contact=CONTACTS,
    question=st.sampled_from(
        ["¿Cuánto sale?", "¿Tenés stock?", "¿En qué colores viene?", "Tem na cor azul?"]
    ),
)
def test_contact_data_in_listing_values_never_reaches_an_answer(contact: str, question: str) -> None:
    item = {
        "id": "MLA1",
        "status": "active",
        "title": f"Zapatillas {contact}",
        "price": 1000,
        "currency_id": "ARS",
        "available_quantity": 4,
        "condition": "new",
        "variations": [
            {
                "id": 1,
                "available_quantity": 4,
                "attribute_combinations": [{"id": "COLOR", "name": "Color", "value_name": f"Azul {contact}"}],
            },
        ],
    }
    decision = _title_bot().decide(question, item=item, now=datetime(2025, 11, 12, 18, 0, tzinfo=UTC))
    if decision.action == "answer":
        assert guard(decision.text).ok
        assert contact.lower() not in decision.text.lower()
    else:
        assert decision.reason in {"guard_blocked", "low_confidence"}


@functools.cache
def _title_bot() -> Bot:
    config = BotConfig(
        confidence_threshold=0.0,
        templates={"es": {"price.price": "{title} cuesta {price}.", "availability.in_stock": "Hay {title}."}},
    )
    return Bot(config)
