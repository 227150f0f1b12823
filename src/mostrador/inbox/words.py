"""What the bot's codes mean, in the agent's words: handoff reasons and intents, never a raw code.

The bot speaks in codes (docs/bot.md, "Handoff reason codes"); the inbox shows them as a person would
say them. A code nobody taught this module is shown as a generic sentence (and the test of this
module fails for every code the bot can produce that has no words here).
"""

from __future__ import annotations

INTENTS = {
    "availability": "stock",
    "variants": "variantes (color, talle)",
    "price": "precio",
    "payment": "formas de pago",
    "shipping": "envío",
    "pickup": "retiro en persona",
    "invoice": "factura",
    "warranty": "garantía",
    "authenticity": "originalidad",
    "product_details": "características del producto",
    "order_status": "una compra ya hecha",
    "contact_request": "pide datos de contacto",
    "greeting": "saludo",
    "other": "otro tema",
}
# What a fact is about, for `missing_fact:<fact>` and `contradictory_fact:<fact>`.
FACTS = {
    "stock": "el stock",
    "price": "el precio",
    "shipping": "el envío",
    "payment": "las formas de pago",
    "pickup": "el retiro en persona",
    "invoice": "la factura",
    "warranty": "la garantía",
    "authenticity": "si es original",
    "expiry": "el vencimiento",
    "condition": "el estado del producto",
    "variants": "las variantes",
    "product_details": "las características del producto",
    "item": "la publicación",
}
REASONS = {
    "complaint": "el comprador se queja o acusa: mejor que responda una persona",
    "item_not_active": "la publicación no está activa (pausada, cerrada o en revisión)",
    "order_matter": "pregunta por una compra ya hecha",
    "other": "pregunta algo que el bot no sabe responder",
    "low_confidence": "el bot no está seguro de qué pregunta",
    "out_of_hours": "fuera del horario de atención: lo responde una persona",
    "too_long": "la respuesta del bot superaba el límite de Mercado Libre",
    "guard_blocked": "la respuesta del bot no pasaba las reglas de Mercado Libre",
    "bot_handoff": "el bot se la pasó a una persona",
    "draft_awaiting_approval": "borrador del bot para aprobar",
}
FALLBACK = "el bot se la pasó a una persona"


def reason_words(code: str | None) -> str | None:
    """A handoff reason as a sentence an agent understands (None: no reason)."""
    if not code:
        return None
    if code in REASONS:
        return REASONS[code]
    kind, _, what = code.partition(":")
    if kind == "missing_fact" and what in FACTS:
        return f"falta un dato de la cuenta: {FACTS[what]}"
    if kind == "contradictory_fact" and what in FACTS:
        return f"los datos de {FACTS[what]} no coinciden"
    if kind == "intent_disabled" and what in INTENTS:
        return f"el bot no responde sobre {INTENTS[what]} (desactivado en su configuración)"
    return FALLBACK


def intent_words(intent: str) -> str:
    return INTENTS.get(intent, "otro tema")
