"""Intent detection: a table per intent and language, multi-intent order, labelling rules, seller phrases."""

from __future__ import annotations

import pytest

from mostrador.bot import Bot, BotConfig, classify
from mostrador.bot.courtesy import strip_courtesy
from mostrador.bot.intents import builtin_lexicon
from mostrador.bot.model import ModelCache
from mostrador.bot.normalize import normalize

TABLE = [
    # (language, text, expected intent)
    ("es", "¿Te queda alguno todavía?", "availability"),
    ("pt", "Ainda tem disponível pra pronta entrega?", "availability"),
    ("es", "¿Lo tenés en bordó?", "variants"),
    ("pt", "Tem tamanho GG?", "variants"),
    ("es", "¿Me hacés un precio si llevo tres?", "price"),
    ("pt", "Quanto fica cada um?", "price"),
    ("es", "¿Puedo pagar en 6 cuotas sin interés?", "payment"),
    ("pt", "Dá pra pagar no pix?", "payment"),
    ("es", "¿Cuánto tarda el envío a Rosario?", "shipping"),
    ("pt", "Qual o prazo de entrega pra Curitiba?", "shipping"),
    ("es", "¿Puedo pasar a retirarlo por su local?", "pickup"),
    ("pt", "Vocês têm loja física pra retirar?", "pickup"),
    ("es", "¿Me hacen factura A?", "invoice"),
    ("pt", "Vocês emitem nota fiscal?", "invoice"),
    ("es", "¿Cuántos meses de garantía tiene?", "warranty"),
    ("pt", "Se der defeito vocês trocam?", "warranty"),
    ("es", "¿Es original o es réplica?", "authenticity"),
    ("pt", "O produto é lacrado?", "authenticity"),
    ("es", "¿Es compatible con el Samsung A54?", "product_details"),
    ("pt", "Acompanha carregador?", "product_details"),
    ("es", "Ya lo compré, ¿cuándo me lo mandan?", "order_status"),
    ("pt", "Já paguei e ainda não recebi o código de rastreio", "order_status"),
    ("es", "¿Me pasás tu número de WhatsApp?", "contact_request"),
    ("pt", "Me passa seu zap", "contact_request"),
    ("es", "¡Muchas gracias!", "greeting"),
    ("pt", "Valeu, vou comprar", "greeting"),
    ("es", "¿Venden también mochilas de camping?", "other"),
    ("pt", "Vocês vendem capinha de celular também?", "other"),
]


@pytest.mark.parametrize(("lang", "text", "intent"), TABLE, ids=[f"{r[2]}-{r[0]}" for r in TABLE])
def test_intent_per_language(lang: str, text: str, intent: str) -> None:
    intents, scores = classify(text, lang)  # type: ignore[arg-type]
    assert intent in intents, (intents, scores)
    assert 0.0 <= scores[intent] <= 1.0


def test_every_intent_and_both_languages_are_in_the_table() -> None:
    from mostrador.bot import INTENTS

    assert {(lang, intent) for lang, _, intent in TABLE} == {
        (lang, i) for lang in ("es", "pt") for i in INTENTS
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("¿Hay stock? ¿Hacen factura A?", ["availability", "invoice"]),
        ("¿Hacen factura A? ¿Hay stock?", ["invoice", "availability"]),
        ("Tem garantia? e o frete pra SP?", ["warranty", "shipping"]),
    ],
)
def test_several_intents_come_in_the_buyers_order(text: str, expected: list[str]) -> None:
    assert classify(text)[0] == expected


@pytest.mark.parametrize(
    ("lang", "text", "intent"),
    [
        ("es", "Buenas, hay disponible?", "availability"),
        ("pt", "tem esse ainda?", "availability"),
        ("pt", "valor?", "price"),
        ("pt", "frete?", "shipping"),
        ("pt", "serve no Onix 2019?", "product_details"),
        ("es", "¿cuotas?", "payment"),
        ("es", "¿Dónde queda su local?", "pickup"),
        ("es", "¿Aceptan cambio si no me gusta?", "warranty"),
    ],
)
def test_short_one_topic_questions_get_one_confident_intent(lang: str, text: str, intent: str) -> None:
    # A second intent needs a lexicon cue of its own: words shared by several intents ("hay", "tem",
    # "queda") no longer add a weak second label that would send an answerable question to an agent.
    intents, scores = classify(text, lang)  # type: ignore[arg-type]
    assert intents == [intent], (intents, scores)
    assert scores[intent] >= 0.85, scores


def test_a_secondary_intent_without_its_cue_is_dropped_but_kept_with_it() -> None:
    from mostrador.bot.classify import choose_intents
    from mostrador.bot.intents import INTENTS

    scores = dict.fromkeys(INTENTS, 0.01) | {"availability": 0.99, "variants": 0.82}
    assert choose_intents(scores, cues=["availability"]) == ["availability"]
    assert choose_intents(scores, cues=["availability", "variants"]) == ["availability", "variants"]
    assert choose_intents(scores) == ["availability", "variants"]


def test_greeting_is_only_chosen_when_nothing_else_is_asked() -> None:
    assert classify("Hola, ¿tenés stock?")[0] == ["availability"]
    assert classify("¡Hola!")[0] == ["greeting"]


def test_seller_phrases_teach_new_wording_and_models_are_cached_per_phrase_set() -> None:
    cache = ModelCache()
    plain = Bot(BotConfig()).classify("¿agarrás cripto?")
    taught_config = BotConfig(extra_phrases={"payment": ["agarrás cripto?", "agarran dólares cripto?"]})
    taught = Bot(taught_config, models=cache).classify("¿agarrás cripto?")
    assert plain.intents != ["payment"]
    assert taught.intents == ["payment"]
    assert len(cache) == 1
    # Same phrases, different templates: the model is reused, not retrained.
    Bot(taught_config.model_copy(update={"mode": "auto"}), models=cache)
    assert len(cache) == 1


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("pt", "tem?"),
        ("pt", "Tem"),
        ("pt", "tem ai?"),
        ("pt", "Tem?!"),
        ("es", "hay?"),
        ("es", "¿Hay?"),
        ("es", "tenés?"),
        ("es", "¿Tiene?"),
    ],
)
def test_a_bare_have_verb_asks_for_stock_not_for_a_variant(lang: str, text: str) -> None:
    # "tem?" shares every word feature with "tem na cor preta?". Since round 4's real questions ("Tem 220",
    # "tem cinza claro?") made "^tem … ?" mostly a variant question, the lexicon's bare-have-verb cue is
    # what tells them apart: stock must win, and surely enough for the bot to answer it.
    intents, scores = classify(text, lang)  # type: ignore[arg-type]
    assert intents == ["availability"], scores
    assert scores["availability"] == max(scores.values()) and scores["availability"] >= 0.9, scores


# Round 4's shipping and authenticity cues name a destination, a wait or genuineness; the same words about
# the product itself must not fire them ("interior" of a bag, "200 mg", "rs" laughter, a charge time).
WRONG_CUES = [
    ("pt", "o interior é forrado?", "shipping"),
    ("es", "¿tiene bolsillo interior?", "shipping"),
    ("pt", "é de 500 mg?", "shipping"),
    ("pt", "quantos mg?", "shipping"),
    ("es", "¿abren a las 9 am?", "shipping"),
    ("pt", "é bonito mesmo rs", "shipping"),
    ("pt", "em quanto tempo carrega a bateria?", "shipping"),
    ("pt", "quantos dias de teste grátis?", "shipping"),
    ("pt", "moro em apartamento pequeno, cabe?", "shipping"),
    ("pt", "aqui em casa tenho 3 cachorros, serve pra todos?", "shipping"),
    ("pt", "sou de menor posso comprar?", "shipping"),
    ("pt", "a foto é verdadeira?", "authenticity"),
    ("es", "¿el color verdadero es el de la foto?", "authenticity"),
]
RIGHT_CUES = [
    ("pt", "Montes claros mg", "shipping"),
    ("pt", "curitiba pr", "shipping"),
    ("pt", "entrega pro interior?", "shipping"),
    ("pt", "moro no interior de sp", "shipping"),
    ("pt", "sou de jandaia goias", "shipping"),
    ("pt", "em quanto tempo?", "shipping"),
    ("pt", "em quanto tempo recebo?", "shipping"),
    ("pt", "é couro verdadeiro?", "authenticity"),
    ("pt", "é prata legítima?", "authenticity"),
    ("es", "¿es plata de ley?", "authenticity"),
]


@pytest.mark.parametrize(("lang", "text", "intent"), WRONG_CUES + RIGHT_CUES)
def test_destination_wait_and_genuineness_cues_fire_only_where_meant(
    lang: str, text: str, intent: str
) -> None:
    hits = builtin_lexicon().hits(strip_courtesy(normalize(text, lang=lang).folded)[0])  # type: ignore[arg-type]
    assert (intent in hits) == ((lang, text, intent) in RIGHT_CUES), hits


@pytest.mark.parametrize(
    ("lang", "text"),
    [("pt", "o interior é forrado?"), ("pt", "tem bolso interior?"), ("pt", "a foto é verdadeira?")],
)
def test_a_product_word_shared_with_a_round_4_cue_stays_a_product_question(lang: str, text: str) -> None:
    intents, scores = classify(text, lang)  # type: ignore[arg-type]
    assert intents == ["product_details"], scores


@pytest.mark.parametrize(
    ("lang", "text", "not_intent"),
    [
        ("pt", "funciona no cabo usb do celular? gasta muita bateria do telefone?", "contact_request"),
        ("pt", "da pra ligar direto numa bateria de carro?", "contact_request"),
        ("pt", "ja tentei entrar em contato com o mercado livre e nada, cade meu pedido?", "contact_request"),
        ("pt", "essa merda nao funciona", "product_details"),
    ],
)
def test_words_shared_with_another_intent_do_not_add_it(lang: str, text: str, not_intent: str) -> None:
    intents, scores = classify(text, lang)  # type: ignore[arg-type]
    assert not_intent not in intents, (intents, scores)


def test_a_remark_keeps_other_unless_a_specific_intent_is_clearly_present() -> None:
    from mostrador.bot.classify import EXCLUSIVE_TOP_THRESHOLD, choose_intents
    from mostrador.bot.intents import INTENTS

    weak = dict.fromkeys(INTENTS, 0.01) | {"other": 0.95, "product_details": EXCLUSIVE_TOP_THRESHOLD - 0.05}
    strong = weak | {"product_details": EXCLUSIVE_TOP_THRESHOLD + 0.05}
    assert choose_intents(weak, cues=["product_details"]) == ["other"]
    assert choose_intents(strong, cues=["product_details"]) == ["product_details"]


def test_training_phrases_can_carry_two_intents_but_never_with_other() -> None:
    from mostrador.bot.errors import TrainingDataError
    from mostrador.bot.intents import phrases_from_mapping

    [phrase] = phrases_from_mapping({"price+shipping": ["quanto fica com frete pro cep 01310-100?"]}, "pt")
    assert phrase.intents == {"price", "shipping"}
    with pytest.raises(TrainingDataError, match="haggling"):
        phrases_from_mapping({"price+haggling": ["x"]}, "pt")
    with pytest.raises(TrainingDataError, match="never combined"):
        phrases_from_mapping({"other+price": ["x"]}, "pt")


def test_price_and_shipping_in_one_sentence_get_both() -> None:
    assert set(classify("quanto fica com o frete pro cep 88010-000?", "pt")[0]) == {"price", "shipping"}


def test_a_hostile_statement_with_no_question_is_other_whatever_the_model_read() -> None:
    """intents.md: statements with no question are social (`greeting`), complaints are `other`; a complaint
    cue turns a statement the model read as social talk or a remark on the product into `other`."""
    from mostrador.bot.classify import complaint_remark

    assert complaint_remark(["greeting"], "vou te processar", True) == ["other"]
    assert complaint_remark(["product_details"], "a tampa é uma porcaria", True) == ["other"]
    # a question keeps its intents, and so does a complaint about a purchase
    assert complaint_remark(["product_details"], "essa porcaria serve no 110v?", True) == ["product_details"]
    assert complaint_remark(["order_status"], "comprei e nada, que absurdo", True) == ["order_status"]
    assert complaint_remark(["greeting"], "ok, vou pensar", False) == ["greeting"]
    for text in ("vou quebrar tudo aí, seus vigaristas", "que creme nojento"):
        assert classify(text, "pt")[0] == ["other"], text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Quanto fica o frete pra Belo Horizonte?", ["shipping"]),
        ("qual o valor do envio pro cep 01310-100?", ["shipping"]),
        ("¿Cuánto sale el envío a Mendoza?", ["shipping"]),
    ],
)
def test_the_cost_of_shipping_is_shipping_not_price(text: str, expected: list[str]) -> None:
    assert classify(text)[0] == expected


def test_price_stays_beside_shipping_when_a_price_cue_remains() -> None:
    from mostrador.bot.classify import shipping_cost_is_shipping
    from mostrador.bot.intents import builtin_lexicon

    class _Model:  # only the lexicon is read
        lexicon = builtin_lexicon()

    both = ["price", "shipping"]
    assert shipping_cost_is_shipping(both, "quanto fica o frete para manaus", _Model()) == ["shipping"]  # type: ignore[arg-type]
    assert shipping_cost_is_shipping(both, "faz por 100 com o frete", _Model()) == both  # type: ignore[arg-type]
    assert shipping_cost_is_shipping(both, "qual o preco do kit e o valor do frete", _Model()) == both  # type: ignore[arg-type]
