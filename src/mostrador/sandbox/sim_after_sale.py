"""What buyers write after paying: post-sale messages (§8) and claims with their reason ids (§9).

Reason ids follow §9.1: `PNR` product not received, `PDD` product different or defective, with the PDD
ids seen on real MLM claims. PDD9939 is read as the repentant buyer of the §9.4 reasons sample (DOC)
rather than §9.1's "different" (INT); PNR9501 is the not-received id the sandbox knows. Texts are
written per language and drawn from a seeded RNG.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

POST_SALE_TOPICS = ("delivery_date", "invoice", "wrong_size", "thanks", "tracking", "address_change")


@dataclass(frozen=True)
class BuyerMessage:
    """A post-sale message from the buyer and the topic it was written for."""

    text: str
    lang: str
    topic: str


@dataclass(frozen=True)
class ClaimReason:
    """A claim reason as the claims API names it (§9.4) and the kind of problem behind it."""

    reason_id: str
    kind: str
    expected_resolution: str


CLAIM_REASONS: tuple[ClaimReason, ...] = (
    ClaimReason("PNR9501", "not_received", "product"),
    ClaimReason("PDD9939", "repentant", "return_product"),
    ClaimReason("PDD9943", "not_original", "return_product"),
    ClaimReason("PDD9944", "defective", "change_product"),
    ClaimReason("PDD9946", "other", "return_product"),
)

_POST_SALE: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "delivery_date": (
            "Hola! ¿Cuándo llega mi compra?",
            "Buenas, ¿para qué día estiman la entrega?",
            "Hola, compré ayer, ¿sabés si llega esta semana?",
            "¿Me podrían decir cuándo despachan?",
        ),
        "invoice": (
            "Hola, ¿me pueden enviar la factura por favor?",
            "Necesito la factura A, te paso los datos.",
            "Buenas, no me llegó la factura de la compra.",
            "¿Me mandan el comprobante? Gracias.",
        ),
        "wrong_size": (
            "Hola, me quedó chico, ¿lo puedo cambiar por un número más?",
            "Me llegó otro talle del que pedí, ¿cómo hacemos el cambio?",
            "Buenas, pedí talle M y me queda grande, ¿tienen S?",
        ),
        "thanks": (
            "Llegó perfecto, muchas gracias!",
            "Todo excelente, gracias por la rapidez.",
            "Recibido, muy conforme. Saludos!",
        ),
        "tracking": (
            "¿Me pasan el número de seguimiento?",
            "El seguimiento no se actualiza hace tres días.",
            "Hola, dice entregado pero no recibí nada.",
        ),
        "address_change": (
            "¿Puedo cambiar la dirección de entrega?",
            "Me mudé, ¿se puede mandar a otra dirección?",
        ),
    },
    "pt": {
        "delivery_date": (
            "Olá! Quando chega meu pedido?",
            "Boa tarde, qual a previsão de entrega?",
            "Oi, comprei ontem, chega essa semana?",
            "Vocês já enviaram?",
        ),
        "invoice": (
            "Olá, podem me enviar a nota fiscal por favor?",
            "Preciso da nota no CNPJ, posso passar os dados?",
            "Não recebi a nota fiscal da compra.",
            "Me mandam a NF? Obrigado.",
        ),
        "wrong_size": (
            "Oi, ficou pequeno, posso trocar por um número maior?",
            "Veio um tamanho diferente do que pedi, como faço a troca?",
            "Pedi M e ficou grande, vocês têm P?",
        ),
        "thanks": (
            "Chegou certinho, muito obrigado!",
            "Tudo ótimo, obrigada pela rapidez.",
            "Recebido, gostei muito. Abraço!",
        ),
        "tracking": (
            "Podem me passar o código de rastreio?",
            "O rastreio não atualiza faz três dias.",
            "Consta entregue mas não recebi nada.",
        ),
        "address_change": (
            "Posso mudar o endereço de entrega?",
            "Me mudei, dá pra enviar para outro endereço?",
        ),
    },
}

_CLAIM_TEXTS: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "not_received": (
            "No me llegó el producto y ya pasó la fecha de entrega.",
            "El envío figura entregado pero no recibí nada.",
        ),
        "repentant": (
            "Llegó bien pero me arrepentí, no lo voy a usar.",
            "Al final no lo necesito, quiero devolverlo.",
        ),
        "not_original": (
            "El producto no es original, la caja está mal impresa.",
            "Es una copia, no es la marca.",
        ),
        "defective": ("Vino fallado, no enciende.", "Llegó roto, la caja estaba golpeada."),
        "other": ("Falta una pieza en el paquete.", "Vino incompleto, no trae el cargador."),
        "follow_up": (
            "¿Me pueden responder? Hace días que espero.",
            "Adjunto fotos del problema.",
            "Quiero la devolución del dinero.",
            "Prefiero que me lo cambien por uno nuevo.",
        ),
    },
    "pt": {
        "not_received": (
            "Não recebi o produto e o prazo de entrega já passou.",
            "Consta como entregue mas não recebi nada.",
        ),
        "repentant": (
            "Chegou certo, mas me arrependi e quero devolver.",
            "No fim não vou usar, quero devolver.",
        ),
        "not_original": (
            "O produto não é original, a caixa está mal impressa.",
            "É réplica, não é da marca.",
        ),
        "defective": ("Veio com defeito, não liga.", "Chegou quebrado, a caixa estava amassada."),
        "other": ("Faltou uma peça no pacote.", "Veio incompleto, sem o carregador."),
        "follow_up": (
            "Podem me responder? Estou esperando faz dias.",
            "Segue foto do problema.",
            "Quero o reembolso.",
            "Prefiro a troca por um novo.",
        ),
    },
}


def post_sale_message(rng: random.Random, lang: str, topic: str | None = None) -> BuyerMessage:
    """A buyer's post-sale message in `lang` (`es` or `pt`), about `topic` or a random one."""
    chosen = topic or rng.choice(POST_SALE_TOPICS)
    return BuyerMessage(rng.choice(_POST_SALE[lang][chosen]), lang, chosen)


def claim_message(rng: random.Random, lang: str, reason: ClaimReason, *, opening: bool) -> str:
    """The buyer's first claim message for `reason`, or a later follow-up when `opening` is false."""
    key = reason.kind if opening else "follow_up"
    return rng.choice(_CLAIM_TEXTS[lang][key])
