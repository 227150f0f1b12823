"""The post-sale bot's decision: what a buyer asks after buying, and the reply the shipment grounds.

Pure: the buyer's texts, the shipment as Mercado Libre shows it now (§7.4) and the account's language
go in; an answer (≤ 350 characters, §8.3, guard-checked) or a handoff with its reason comes out.

It answers where the purchase is and when it arrives (status in words, tracking number, carrier, the
estimated delivery date) — only while the shipment is on its normal way — and, when the seller said in
the bot settings which invoices they issue, a message that only asks for the invoice: which kind is
issued and where the buyer finds it once issued (Mercado Libre's fiscal documents are not read, so the
bot never says it was issued). Everything else goes to a person: the invoice when the seller said
nothing, a delivered shipment the buyer asks about, a late or troubled one, a complaint, and any other
request in the same message.

Why rules and not the question classifier (`classify.py`): that model was trained on pre-sale
questions; measured on the buyer simulator's post-sale messages it labels problems ("dice entregado
pero no recibí nada", "el seguimiento no se actualiza", "¿puedo cambiar la dirección?") `order_status`
just like "¿cuándo llega?", with full confidence, so it cannot tell what the bot may answer from what a
person must (docs/channels.md, "The post-sale bot", has the figures).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from mostrador.bot.claims import shipment_words
from mostrador.bot.compose import compose_answer
from mostrador.bot.courtesy import strip_courtesy
from mostrador.bot.guard import POST_SALE_MESSAGE_LIMIT, guard
from mostrador.bot.intents import builtin_lexicon
from mostrador.bot.normalize import Lang, normalize

Topic = Literal["where", "invoice", "other"]

REASON_OTHER = "post_sale_other"
REASON_COMPLAINT = "post_sale_complaint"
REASON_INVOICE = "post_sale_invoice"
REASON_NO_SHIPMENT = "post_sale_no_shipment"
REASON_DELIVERED = "post_sale_delivered"
REASON_SHIPMENT_PROBLEM = "post_sale_shipment_problem"
REASON_GUARD = "post_sale_guard"

# Shipment states (§7.4) in which "where is it / when does it arrive" has a plain answer.
ON_ITS_WAY = frozenset({"pending", "handling", "ready_to_ship", "shipped"})
# Substates that mean trouble on the way (§7.4): a person explains those.
TROUBLE_SUBSTATES = frozenset(
    {"delayed", "lost", "damaged", "returning_to_sender", "receiver_absent", "stolen", "claimed_me"}
)
# `logistic.type` values are how the seller ships, not who carries the parcel: never shown as carrier.
LOGISTIC_TYPES = frozenset(
    {"drop_off", "xd_drop_off", "cross_docking", "fulfillment", "self_service", "custom", "default"}
)
MONTHS = {
    "es": (
        "enero", "febrero", "marzo", "abril", "mayo", "junio",
        "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
    ),
    "pt": (
        "janeiro", "fevereiro", "março", "abril", "maio", "junho",
        "julho", "agosto", "setembro", "outubro", "novembro", "dezembro",
    ),
}  # fmt: skip
SENTENCES = {
    "es": {
        "status": "El envío de tu compra está {status}.",
        "tracking": "Código de seguimiento: {tracking}.",
        "tracking_carrier": "Código de seguimiento: {tracking} ({carrier}).",
        "estimate": "Entrega estimada: {date}.",
        "invoice": "Emitimos {kind}. La factura queda adjunta a tu compra: la vas a ver en el detalle de la "
        "compra en Mercado Libre apenas esté emitida.",
    },
    "pt": {
        "status": "O envio da sua compra está {status}.",
        "tracking": "Código de rastreamento: {tracking}.",
        "tracking_carrier": "Código de rastreamento: {tracking} ({carrier}).",
        "estimate": "Previsão de entrega: {date}.",
        "invoice": "Emitimos {kind}. A nota fica anexada à sua compra: você a verá no detalhe da compra no "
        "Mercado Livre assim que for emitida.",
    },
}

# Patterns run on the folded text (lower case, no accents, punctuation spaced out: `normalize.fold`).
_WHERE = re.compile(
    "|".join(
        (
            # Spanish
            r"\bdonde (esta|estan|anda|queda|quedo)\b",
            r"\bcuando\b.{0,30}\b(lleg\w*|recib\w*|entreg\w*|despach\w*|envi\w*|mand\w*|sale|salen)\b",
            r"\b(llega|llegaria|llegara|llegue)\b.{0,25}\b(hoy|manana|semana|lunes|martes|miercoles|jueves"
            r"|viernes|sabado|domingo|antes)\b",
            r"\bcuanto (falta|tarda|demora)\b",
            r"\b(numero|codigo|nro) de (seguimiento|rastreo|tracking|envio)\b",
            r"\b(seguimiento|tracking|rastreo)\b",
            r"\bya (lo |la |los |las )?(despacharon|despachaste|enviaron|enviaste|mandaron|mandaste|salio)\b",
            r"\b(estado|situacion) (de |del )?(mi |el |la )?(pedido|envio|compra|paquete)\b",
            r"\b(fecha|dia) (estimad[oa] |aproximad[oa] )?de (entrega|llegada)\b",
            r"\bestiman la entrega\b",
            r"\bpara (que|cuando) (dia|fecha)\b",
            r"\b(como|que) (va|viene|pasa|paso|onda|hay) con (mi|el|la) (pedido|envio|compra|paquete)\b",
            # Portuguese
            r"\bcade\b",
            r"\bonde (esta|anda|fica)\b",
            r"\bquando\b.{0,30}\b(cheg\w*|receb\w*|entreg\w*|envi\w*|despach\w*|post\w*|sai)\b",
            r"\b(chega|chegaria|chegue)\b.{0,25}\b(hoje|amanha|semana|segunda|terca|quarta|quinta|sexta"
            r"|sabado|domingo|antes)\b",
            r"\b(codigo|numero) de (rastreio|rastreamento|envio)\b",
            r"\brastrei\w*|\brastreamento\b",
            r"\bja (foi |foram )?(enviaram|enviou|enviado|enviada|postaram|postou|postado|postada"
            r"|despacharam|despachado|saiu)\b",
            r"\b(status|situacao) do (meu |o )?(pedido|envio|produto)\b",
            r"\b(previsao|prazo) de (entrega|chegada)\b",
        )
    )
)
# A problem or another request: these need a person even when the buyer also asks where the parcel is.
_TROUBLE = re.compile(
    "|".join(
        (
            r"\bno (me )?(llego|llegaron|llega nunca|recibi|lo recibi|la recibi|funciona|anda|sirve"
            r"|se actualiza|actualiza|avanza|se mueve)\b",
            r"\bnao (me )?(chegou|recebi|funciona|atualiza|anda|mexe|se mexe)\b",
            r"\b(dice|figura|aparece|marca|consta|esta|diz) (como )?entreg\w*\b",
            r"\b(cambi\w*|devol\w*|devuelv\w*|reembols\w*|cancel\w*|rot[oa]s?|romp\w*|danad\w*|golpead\w*"
            r"|falt(o|aron|ando)|incomplet\w*|equivocad\w*|error|defect\w*|reclam\w*|direccion|domicilio"
            r"|mude|demorad\w*|atrasad\w*|retras\w*|arrepent\w*|garantia|mediacion)\b",
            r"\b(troc\w*|devolv\w*|devoluc\w*|estorn\w*|quebr\w*|danific\w*|amass\w*|errad\w*|defeit\w*"
            r"|endereco|mudei|atras\w*|demor\w*|arrepend\w*)\b",
        )
    )
)
_INVOICE = re.compile(
    r"\b(factura\w*|facturacion|comprobante\w*|boleta|nota fiscal|notas fiscais|nota|nf|nfe|danfe|cfdi"
    r"|recibo|cupom fiscal|cuit|cnpj|cpf)\b"
)
_CLAUSE = re.compile(r"[^?!.]+[?!.]*")


@dataclass(frozen=True)
class Shipping:
    """The shipment as Mercado Libre shows it now (§7.4); None where it says nothing."""

    status: str | None
    substatus: str | None = None
    tracking_number: str | None = None
    carrier: str | None = None
    estimated_delivery: datetime | None = None  # aware, in the marketplace's offset


@dataclass(frozen=True)
class PostSaleDecision:
    """An answer (`text`, with the facts it quotes) or a handoff (`reason` code, `detail` for logs)."""

    action: Literal["answer", "handoff"]
    topic: Topic
    lang: Lang
    text: str = ""
    reason: str = ""
    detail: str = ""
    quoted: tuple[str, ...] = field(default=())  # Mercado Libre's own values the text quotes


def topic_of(texts: Sequence[str], lang: Lang = "es") -> tuple[Topic, str]:
    """What the buyer's messages (oldest first) ask, and the handoff reason when it is not `where`."""
    folded = " . ".join(normalize(t, lang=lang).folded for t in texts if t.strip())
    core, _ = strip_courtesy(folded)
    if builtin_lexicon().is_complaint(folded):
        return "other", REASON_COMPLAINT
    if _INVOICE.search(core):
        return "invoice", REASON_INVOICE
    if not core or _TROUBLE.search(core) or not _WHERE.search(core):
        return "other", REASON_OTHER
    for clause in _CLAUSE.findall(core):
        asked = "?" in clause
        rest, _ = strip_courtesy(clause.strip())
        if asked and rest.strip(" ?¿,") and not _WHERE.search(rest):
            return "other", REASON_OTHER  # another question beside "where is it": a person answers both
    return "where", ""


def decide(
    texts: Sequence[str],
    shipping: Shipping | None,
    lang: Lang,
    now: datetime,
    greeting: str = "",
    sign_off: str = "",
    invoice: str = "",
) -> PostSaleDecision:
    """Answer "where is my purchase / when does it arrive" from `shipping`, or the invoice from the
    seller's `invoice` (the kinds they issue, "" when unknown), or hand off with a reason."""
    topic, reason = topic_of(texts, lang)

    def handoff(code: str, detail: str) -> PostSaleDecision:
        return PostSaleDecision("handoff", topic, lang, reason=code, detail=detail)

    if topic == "invoice" and invoice.strip() and _only_invoice(texts, lang):
        sentence = SENTENCES[lang]["invoice"].format(kind=invoice.strip())
        return _answer(topic, lang, [sentence], (), greeting, sign_off, handoff)
    if topic != "where":
        return handoff(reason, f"the buyer's message is about {topic}")
    if shipping is None or not shipping.status:
        return handoff(REASON_NO_SHIPMENT, "Mercado Libre shows no shipment for this sale")
    if shipping.status == "delivered":
        return handoff(REASON_DELIVERED, "the shipment is delivered and the buyer asks where it is")
    if shipping.status not in ON_ITS_WAY or (shipping.substatus or "") in TROUBLE_SUBSTATES:
        return handoff(REASON_SHIPMENT_PROBLEM, f"shipment {shipping.status}/{shipping.substatus or '-'}")
    estimate = shipping.estimated_delivery
    if estimate is not None and estimate.date() < now.astimezone(estimate.tzinfo).date():
        return handoff(REASON_SHIPMENT_PROBLEM, f"estimated delivery {estimate.date()} has passed")

    words = SENTENCES[lang]
    parts = [words["status"].format(status=shipment_words(shipping.status, lang))]
    quoted: tuple[str, ...] = ()
    if shipping.tracking_number:
        quoted = (shipping.tracking_number,)
        carrier = shipping.carrier if shipping.carrier not in LOGISTIC_TYPES else None
        key = "tracking_carrier" if carrier else "tracking"
        parts.append(words[key].format(tracking=shipping.tracking_number, carrier=carrier))
    if estimate is not None:
        day = f"{estimate.day} de {MONTHS[lang][estimate.month - 1]}"
        parts.append(words["estimate"].format(date=day))
    return _answer(topic, lang, parts, quoted, greeting, sign_off, handoff)


def _only_invoice(texts: Sequence[str], lang: Lang) -> bool:
    """The buyer's turn asks for the invoice and nothing else: once the invoice words and the words of a
    plain request ("¿me mandan la …?") are taken out, nothing is left. A correction, a return, a
    cancellation, a tax id — any other word — leaves something, and a person answers."""
    folded = " . ".join(normalize(t, lang=lang).folded for t in texts if t.strip())
    rest, _ = strip_courtesy(folded)
    if not _INVOICE.search(rest):
        return False
    words = _INVOICE.sub(" ", rest).replace("?", " ").replace("¿", " ")
    return all(w in _REQUEST_WORDS for w in re.findall(r"[a-z]+", words))


# A plain request for a document, in Spanish and Portuguese (folded: lower case, no accents).
_REQUEST_TEXT = (
    "me nos la el lo los las una un de del al a y e o por favor mi su tu tambien ya "
    "mandan manda mandas mandame mandenme envian envia envias enviame envienme pasan pasas pasame "
    "pueden podes podrias podrian puede necesito quiero queria hacen emiten dan tienen van "
    "con esta estan compra pedido "
    "voces voce vcs vc enviam mandam preciso quero gostaria poderiam podem pode emitem tem da do "
    "minha meu sua seu com"
)
_REQUEST_WORDS = frozenset(_REQUEST_TEXT.split())


def _answer(
    topic: Topic,
    lang: Lang,
    parts: list[str],
    quoted: tuple[str, ...],
    greeting: str,
    sign_off: str,
    handoff: Any,
) -> PostSaleDecision:
    """The reply from its sentences, within 350 characters and the guard, or a handoff."""
    text = compose_answer(parts, greeting, sign_off, limit=POST_SALE_MESSAGE_LIMIT)
    if text is None:
        return handoff(REASON_GUARD, "the answer would exceed 350 characters")
    checked = guard(text, POST_SALE_MESSAGE_LIMIT, allow=quoted)
    if not checked.ok:
        kinds = ", ".join(sorted({v.kind for v in checked.violations}))
        return handoff(REASON_GUARD, f"the answer contained {kinds}")
    return PostSaleDecision("answer", topic, lang, text=text, quoted=quoted)
