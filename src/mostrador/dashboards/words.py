"""What the dashboards show instead of codes: why the bot handed a question to a person, a claim's
reason family, type and stage, who answered."""

from __future__ import annotations

from mostrador.bot import decision

DRAFT = "draft"  # the bot wrote an answer but did not send it: a person approved, edited or replaced it
MISSING_FACT = "missing_fact:"

HANDOFFS = {
    decision.REASON_LOW_CONFIDENCE: "el bot no entendió con seguridad la pregunta",
    decision.REASON_ITEM_NOT_ACTIVE: "la publicación no está activa",
    decision.REASON_COMPLAINT: "queja o reclamo del comprador",
    decision.REASON_ORDER_MATTER: "pregunta sobre una compra ya hecha",
    decision.REASON_OTHER: "no es una pregunta que el bot responda",
    decision.REASON_OUT_OF_HOURS: "fuera del horario de atención",
    decision.REASON_GUARD_BLOCKED: "la respuesta no cumplía las reglas de Mercado Libre",
    decision.REASON_INTENT_DISABLED: "tema que el bot tiene desactivado",
    decision.REASON_TOO_LONG: "la respuesta superaba el largo permitido",
    DRAFT: "borrador del bot que aprobó o cambió una persona",
}
# The facts an answer can lack (bot/answers.py): the words for "missing_fact:<fact>".
FACTS = {
    "item": "no se pudo leer la publicación",
    "variants": "la publicación no tiene variantes para informar",
    "price": "la publicación no tiene precio",
    "payment": "faltan los medios de pago en la configuración",
    "shipping": "falta información de envío",
    "pickup": "falta información de retiro en persona",
    "invoice": "falta la política de facturación",
    "warranty": "falta la garantía",
    "expiry": "faltan fechas de vencimiento o lote",
    "authenticity": "falta la declaración de originalidad",
    "condition": "no se sabe si el producto es nuevo o usado",
}

CATEGORIES = {  # bot.claims.CATEGORIES
    "not_received": "no llegó",
    "defective": "llegó dañado o con fallas",
    "incomplete": "llegó incompleto",
    "different": "distinto a lo publicado",
    "not_working": "no funciona",
    "repentant": "el comprador se arrepintió",
    "cancellation": "cancelación",
    "other": "otro motivo",
}
CLAIM_TYPES = {  # §9.1
    "mediations": "mediación",
    "return": "devolución",
    "returns": "devolución",
    "fulfillment": "Full",
    "ml_case": "demora en la entrega",
    "cancel_sale": "cancelación del vendedor",
    "cancel_purchase": "cancelación del comprador",
    "change": "cambio de producto",
    "service": "servicio",
}
CLAIM_STAGES = {  # §9.1
    "claim": "reclamo",
    "dispute": "mediación de Mercado Libre",
    "recontact": "nuevo contacto",
    "stale": "con Mercado Libre",
    "none": "sin etapa",
}
AUTHORS = {"bot": "el bot", "agent": "una persona", "seller": "el vendedor en Mercado Libre"}
UNKNOWN = "sin dato"


def handoff(reason: str | None) -> str:
    """Why a question went to a person, in words (a reason this table does not know is shown as is)."""
    if not reason:
        return UNKNOWN
    if reason.startswith(MISSING_FACT):
        fact = reason.removeprefix(MISSING_FACT)
        return FACTS.get(fact, f"falta un dato: {fact}")
    return HANDOFFS.get(reason, reason)


def category(code: str | None) -> str:
    return CATEGORIES.get(code or "", code or UNKNOWN)


def claim_type(code: str | None) -> str:
    return CLAIM_TYPES.get(code or "", code or UNKNOWN)


def claim_stage(code: str | None) -> str:
    return CLAIM_STAGES.get(code or "", code or UNKNOWN)
