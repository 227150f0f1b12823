"""What the dashboards show instead of codes: why the bot handed a question to a person, a claim's
reason family, type and stage, who answered. The words are Spanish, marked `N_`, and come out in the
reader's language (mostrador.i18n) from the functions below; the codes stay as they are in the CSV."""

from __future__ import annotations

from mostrador import i18n
from mostrador.bot import decision
from mostrador.i18n import N_

DRAFT = "draft"  # the bot wrote an answer but did not send it: a person approved, edited or replaced it
MISSING_FACT = "missing_fact:"

HANDOFFS = {
    decision.REASON_LOW_CONFIDENCE: N_("el bot no entendió con seguridad la pregunta"),
    decision.REASON_ITEM_NOT_ACTIVE: N_("la publicación no está activa"),
    decision.REASON_COMPLAINT: N_("queja o reclamo del comprador"),
    decision.REASON_ORDER_MATTER: N_("pregunta sobre una compra ya hecha"),
    decision.REASON_OTHER: N_("no es una pregunta que el bot responda"),
    decision.REASON_OUT_OF_HOURS: N_("fuera del horario de atención"),
    decision.REASON_GUARD_BLOCKED: N_("la respuesta no cumplía las reglas de Mercado Libre"),
    decision.REASON_INTENT_DISABLED: N_("tema que el bot tiene desactivado"),
    decision.REASON_TOO_LONG: N_("la respuesta superaba el largo permitido"),
    DRAFT: N_("borrador del bot que aprobó o cambió una persona"),
}
# The facts an answer can lack (bot/answers.py): the words for "missing_fact:<fact>".
FACTS = {
    "item": N_("no se pudo leer la publicación"),
    "variants": N_("la publicación no tiene variantes para informar"),
    "price": N_("la publicación no tiene precio"),
    "payment": N_("faltan los medios de pago en la configuración"),
    "shipping": N_("falta información de envío"),
    "pickup": N_("falta información de retiro en persona"),
    "invoice": N_("falta la política de facturación"),
    "warranty": N_("falta la garantía"),
    "expiry": N_("faltan fechas de vencimiento o lote"),
    "authenticity": N_("falta la declaración de originalidad"),
    "condition": N_("no se sabe si el producto es nuevo o usado"),
}

CATEGORIES = {  # bot.claims.CATEGORIES
    "not_received": N_("no llegó"),
    "defective": N_("llegó dañado o con fallas"),
    "incomplete": N_("llegó incompleto"),
    "different": N_("distinto a lo publicado"),
    "not_working": N_("no funciona"),
    "repentant": N_("el comprador se arrepintió"),
    "cancellation": N_("cancelación"),
    "other": N_("otro motivo"),
}
CLAIM_TYPES = {  # §9.1
    "mediations": N_("mediación"),
    "return": N_("devolución"),
    "returns": N_("devolución"),
    "fulfillment": N_("Full"),
    "ml_case": N_("demora en la entrega"),
    "cancel_sale": N_("cancelación del vendedor"),
    "cancel_purchase": N_("cancelación del comprador"),
    "change": N_("cambio de producto"),
    "service": N_("servicio"),
}
CLAIM_STAGES = {  # §9.1
    "claim": N_("reclamo"),
    "dispute": N_("mediación de Mercado Libre"),
    "recontact": N_("nuevo contacto"),
    "stale": N_("con Mercado Libre"),
    "none": N_("sin etapa"),
}
AUTHORS = {"bot": N_("el bot"), "agent": N_("una persona"), "seller": N_("el vendedor en Mercado Libre")}
UNKNOWN = N_("sin dato")


def handoff(reason: str | None) -> str:
    """Why a question went to a person, in words (a reason this table does not know is shown as is)."""
    if not reason:
        return i18n.gettext(UNKNOWN)
    if reason.startswith(MISSING_FACT):
        fact = reason.removeprefix(MISSING_FACT)
        if fact in FACTS:
            return i18n.gettext(FACTS[fact])
        return i18n.gettext("falta un dato: %(fact)s") % {"fact": fact}
    return _known(HANDOFFS, reason)


def category(code: str | None) -> str:
    return _known(CATEGORIES, code)


def claim_type(code: str | None) -> str:
    return _known(CLAIM_TYPES, code)


def claim_stage(code: str | None) -> str:
    return _known(CLAIM_STAGES, code)


def _known(table: dict[str, str], code: str | None) -> str:
    """The code's words in the reader's language; a code the table does not know, as is."""
    if not code:
        return i18n.gettext(UNKNOWN)
    return i18n.gettext(table[code]) if code in table else code
