"""Answer templates per intent case and language, the variables each may use, and their rendering.

Sellers override any key per language in their `BotConfig`; a key or variable the bot does not know is
rejected when the configuration loads, never discovered when a buyer is waiting.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from mostrador.bot.errors import BotConfigError

# key -> variables it may use
TEMPLATE_VARIABLES: dict[str, frozenset[str]] = {
    "availability.in_stock": frozenset({"stock", "title"}),
    "availability.quantity_ok": frozenset({"stock", "quantity", "title"}),
    "availability.quantity_short": frozenset({"stock", "quantity", "title"}),
    "availability.out_of_stock": frozenset({"title"}),
    "availability.variant_in_stock": frozenset({"variant", "stock", "title"}),
    "availability.variant_out": frozenset({"variant", "alternatives", "title"}),
    "availability.variant_out_none": frozenset({"variant", "title"}),
    "variants.list": frozenset({"variants", "colors", "sizes", "title"}),
    "variants.has": frozenset({"variant", "stock", "title"}),
    "variants.missing": frozenset({"requested", "variants", "colors", "sizes", "title"}),
    "price.price": frozenset({"price", "title"}),
    "price.offer": frozenset({"price", "title"}),
    "payment.methods": frozenset({"payment"}),
    "shipping.free": frozenset({"shipping_notes"}),
    "shipping.full": frozenset({"shipping_notes"}),
    "shipping.calculated": frozenset({"shipping_notes"}),
    "shipping.notes": frozenset({"shipping_notes"}),
    "pickup.allowed": frozenset({"pickup"}),
    "pickup.allowed_no_area": frozenset(),
    "pickup.not_allowed": frozenset(),
    "invoice.yes": frozenset({"invoice"}),
    "invoice.no": frozenset(),
    "warranty.warranty": frozenset({"warranty"}),
    "authenticity.condition_new": frozenset({"condition"}),
    "authenticity.condition_used": frozenset({"condition"}),
    "authenticity.original": frozenset({"authenticity"}),
    "product_details.attribute": frozenset({"attribute", "value"}),
    "contact_request.policy": frozenset(),
    "greeting.reply": frozenset(),
    "out_of_hours.note": frozenset(),
}

DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    "es": {
        "availability.in_stock": "Sí, tenemos stock disponible.",
        "availability.quantity_ok": "Sí, tenemos las {quantity} unidades que necesitás.",
        "availability.quantity_short": "Por ahora tenemos {stock} unidades disponibles.",
        "availability.out_of_stock": "Por el momento no tenemos stock.",
        "availability.variant_in_stock": "Sí, tenemos {variant}.",
        "availability.variant_out": "{variant} está agotado; tenemos {alternatives}.",
        "availability.variant_out_none": "{variant} está agotado por el momento.",
        "variants.list": "Lo tenemos en {variants}.",
        "variants.has": "Sí, lo tenemos en {variant}.",
        "variants.missing": "No lo tenemos en {requested}; está disponible en {variants}.",
        "price.price": "El precio es {price}.",
        "price.offer": "El precio es el publicado: {price}.",
        "payment.methods": "{payment}",
        "shipping.free": "El envío es gratis.",
        "shipping.full": (
            "El envío es por Mercado Envíos Full y el plazo lo ves en la publicación con tu código postal."
        ),
        "shipping.calculated": (
            "El costo y el plazo de envío los calcula Mercado Libre con tu código postal, en la publicación."
        ),
        "shipping.notes": "{shipping_notes}",
        "pickup.allowed": "Sí, se puede retirar en {pickup}.",
        "pickup.allowed_no_area": (
            "Sí, se puede retirar; coordinamos el retiro por la mensajería de la compra."
        ),
        "pickup.not_allowed": "No tenemos retiro en persona; hacemos envíos por Mercado Libre.",
        "invoice.yes": "Sí, emitimos {invoice}.",
        "invoice.no": "No emitimos factura.",
        "warranty.warranty": "Tiene {warranty}.",
        "authenticity.condition_new": "Es un producto nuevo.",
        "authenticity.condition_used": "Es un producto usado.",
        "authenticity.original": "{authenticity}",
        "product_details.attribute": "{attribute}: {value}.",
        "contact_request.policy": "Por políticas de Mercado Libre no podemos compartir datos de contacto; "
        "podés escribirnos por acá.",
        "greeting.reply": "¡Gracias por tu mensaje!",
        "out_of_hours.note": "Te respondemos fuera de nuestro horario de atención.",
    },
    "pt": {
        "availability.in_stock": "Sim, temos em estoque.",
        "availability.quantity_ok": "Sim, temos as {quantity} unidades.",
        "availability.quantity_short": "No momento temos {stock} unidades disponíveis.",
        "availability.out_of_stock": "No momento estamos sem estoque.",
        "availability.variant_in_stock": "Sim, temos {variant}.",
        "availability.variant_out": "{variant} está esgotado; temos {alternatives}.",
        "availability.variant_out_none": "{variant} está esgotado no momento.",
        "variants.list": "Temos nas opções {variants}.",
        "variants.has": "Sim, temos {variant}.",
        "variants.missing": "Não temos {requested}; as opções disponíveis são {variants}.",
        "price.price": "O valor é {price}.",
        "price.offer": "O valor é o do anúncio: {price}.",
        "payment.methods": "{payment}",
        "shipping.free": "O frete é grátis.",
        "shipping.full": "O envio é pelo Mercado Envios Full e o prazo aparece no anúncio com o seu CEP.",
        "shipping.calculated": (
            "O valor e o prazo do frete são calculados pelo Mercado Livre com o seu CEP, no anúncio."
        ),
        "shipping.notes": "{shipping_notes}",
        "pickup.allowed": "Sim, é possível retirar em {pickup}.",
        "pickup.allowed_no_area": (
            "Sim, é possível retirar; combinamos a retirada pelas mensagens da compra."
        ),
        "pickup.not_allowed": "Não temos retirada no local; enviamos pelo Mercado Livre.",
        "invoice.yes": "Sim, emitimos {invoice}.",
        "invoice.no": "Não emitimos nota fiscal.",
        "warranty.warranty": "Tem {warranty}.",
        "authenticity.condition_new": "É um produto novo.",
        "authenticity.condition_used": "É um produto usado.",
        "authenticity.original": "{authenticity}",
        "product_details.attribute": "{attribute}: {value}.",
        "contact_request.policy": (
            "Pelas políticas do Mercado Livre não podemos compartilhar dados de contato; "
            "pode falar com a gente por aqui."
        ),
        "greeting.reply": "Obrigado pela mensagem!",
        "out_of_hours.note": "Respondemos fora do nosso horário de atendimento.",
    },
}


def template_variables(template: str) -> set[str]:
    """Names of the `{variables}` in a template; raises BotConfigError on broken braces."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as error:
        raise BotConfigError(f"template {template!r} has unbalanced braces: {error}") from error


def check_template(key: str, template: str) -> None:
    """Reject unknown keys and variables the key does not provide."""
    if key not in TEMPLATE_VARIABLES:
        raise BotConfigError(
            f"unknown template key {key!r}; known keys: {', '.join(sorted(TEMPLATE_VARIABLES))}"
        )
    unknown = template_variables(template) - TEMPLATE_VARIABLES[key]
    if unknown:
        allowed = ", ".join(sorted(TEMPLATE_VARIABLES[key])) or "none"
        raise BotConfigError(
            f"template {key!r} uses unknown variable(s) {', '.join(sorted(unknown))}; allowed: {allowed}"
        )


def render(template: str, values: Mapping[str, object]) -> str:
    """Fill a checked template."""
    return template.format_map({k: "" if v is None else v for k, v in values.items()})
