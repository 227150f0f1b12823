"""What the bot's codes mean, in the agent's words: handoff reasons and intents, never a raw code.

The bot speaks in codes (docs/bot.md, "Handoff reason codes"); the inbox shows them as a person would
say them, in the reader's language (mostrador.i18n). A code nobody taught this module is shown as a
generic sentence (and the test of this module fails for every code the bot can produce that has no words
here).
"""

from __future__ import annotations

from mostrador.i18n import N_, gettext

INTENTS = {
    "availability": N_("stock"),
    "variants": N_("variantes (color, talle)"),
    "price": N_("precio"),
    "payment": N_("formas de pago"),
    "shipping": N_("envío"),
    "pickup": N_("retiro en persona"),
    "invoice": N_("factura"),
    "warranty": N_("garantía"),
    "authenticity": N_("originalidad"),
    "product_details": N_("características del producto"),
    "order_status": N_("una compra ya hecha"),
    "contact_request": N_("pide datos de contacto"),
    "greeting": N_("saludo"),
    "other": N_("otro tema"),
}
# What a fact is about, for `missing_fact:<fact>` and `contradictory_fact:<fact>`.
FACTS = {
    "stock": N_("el stock"),
    "price": N_("el precio"),
    "shipping": N_("el envío"),
    "payment": N_("las formas de pago"),
    "pickup": N_("el retiro en persona"),
    "invoice": N_("la factura"),
    "warranty": N_("la garantía"),
    "authenticity": N_("si es original"),
    "expiry": N_("el vencimiento"),
    "condition": N_("el estado del producto"),
    "variants": N_("las variantes"),
    "product_details": N_("las características del producto"),
    "item": N_("la publicación"),
}
REASONS = {
    "complaint": N_("el comprador se queja o acusa: mejor que responda una persona"),
    "item_not_active": N_("la publicación no está activa (pausada, cerrada o en revisión)"),
    "order_matter": N_("pregunta por una compra ya hecha"),
    "other": N_("pregunta algo que el bot no sabe responder"),
    "low_confidence": N_("el bot no está seguro de qué pregunta"),
    "out_of_hours": N_("fuera del horario de atención: lo responde una persona"),
    "too_long": N_("la respuesta del bot superaba el límite de Mercado Libre"),
    "guard_blocked": N_("la respuesta del bot no pasaba las reglas de Mercado Libre"),
    "bot_handoff": N_("el bot se la pasó a una persona"),
    "draft_awaiting_approval": N_("borrador del bot para aprobar"),
}
FALLBACK = N_("el bot se la pasó a una persona")


def reason_words(code: str | None) -> str | None:
    """A handoff reason as a sentence an agent understands (None: no reason)."""
    if not code:
        return None
    if code in REASONS:
        return gettext(REASONS[code])
    kind, _, what = code.partition(":")
    if kind == "missing_fact" and what in FACTS:
        return gettext("falta un dato de la cuenta: %(fact)s") % {"fact": gettext(FACTS[what])}
    if kind == "contradictory_fact" and what in FACTS:
        return gettext("los datos de %(fact)s no coinciden") % {"fact": gettext(FACTS[what])}
    if kind == "intent_disabled" and what in INTENTS:
        return gettext("el bot no responde sobre %(intent)s (desactivado en su configuración)") % {
            "intent": gettext(INTENTS[what])
        }
    return gettext(FALLBACK)


def intent_words(intent: str) -> str:
    """An intent in the reader's language."""
    return gettext(INTENTS.get(intent, INTENTS["other"]))
