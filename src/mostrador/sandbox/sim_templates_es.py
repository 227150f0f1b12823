"""Spanish question clauses per intent: a neutral base plus Argentine (voseo), Mexican, Colombian and
Chilean usage.

Each clause asks about exactly one intent of /work/shared/intents.md, so a question assembled from
clauses carries exact labels. Slots: {colour} {size} {capacity} {city} {qty} {offer} {brand} {model}
{cuotas} {device} {weekday}. Markers {if_colours} {if_sizes} {if_capacities} render empty and keep a
clause for items with those variations. A clause whose slot the item cannot fill is skipped.
"""

from __future__ import annotations

Clauses = dict[str, tuple[str, ...]]

_BASE: Clauses = {
    "availability": (
        "¿Está disponible?",
        "¿Hay stock?",
        "¿Todavía tienen?",
        "¿Les queda alguno?",
        "¿Hay disponibilidad?",
        "¿Cuántas unidades tienen?",
        "¿Hay {qty} unidades disponibles?",
        "¿Sigue publicado porque lo quiero ya?",
        "¿Lo tienen para entrega inmediata?",
        "¿Queda stock o hay que esperar reposición?",
    ),
    "variants": (
        "{if_colours}¿En qué colores viene?",
        "{if_colours}¿Qué colores hay?",
        "¿Viene en {colour}?",
        "¿Hay en {colour}?",
        "¿Hay {size}?",
        "¿Viene en {colour} y {size}?",
        "{if_capacities}¿Qué capacidades hay?",
        "¿Está la versión de {capacity}?",
        "¿El de {capacity} está en {colour}?",
        "{if_colours}¿Qué otros colores tienen?",
        "¿Qué opciones hay para elegir?",
    ),
    "price": (
        "¿Cuál es el precio final?",
        "¿Hacen descuento por cantidad?",
        "¿Precio por mayor?",
        "¿Me lo dejan en {offer}?",
        "¿Si llevo {qty} me hacen precio?",
        "¿El precio es por unidad o por el par?",
        "¿Aceptan {offer}?",
        "¿Es el precio final o cambia?",
        "¿Hay alguna oferta esta semana?",
    ),
    "payment": (
        "¿Aceptan tarjeta de crédito?",
        "¿Puedo pagar en efectivo?",
        "¿Se puede pagar con transferencia?",
        "¿Tiene {cuotas} cuotas sin interés?",
        "¿Aceptan Mercado Pago?",
        "¿Puedo pagar con débito?",
        "¿Cuántas cuotas tienen?",
        "¿Se puede pagar con dos tarjetas?",
    ),
    "shipping": (
        "¿Hacen envíos a {city}?",
        "¿Cuánto cuesta el envío a {city}?",
        "¿En cuántos días llega a {city}?",
        "¿El envío es gratis?",
        "¿Si compro hoy llega el {weekday}?",
        "¿Con qué correo lo mandan?",
        "¿Envían el mismo día?",
        "¿Lo mandan bien embalado?",
        "¿Es envío Full?",
    ),
    "pickup": (
        "¿Se puede retirar en persona?",
        "¿Tienen local a la calle?",
        "¿Dónde están ubicados?",
        "¿Puedo pasar a buscarlo?",
        "¿En qué zona están?",
        "¿Tienen tienda física en {city}?",
        "¿Hasta qué hora se puede retirar?",
    ),
    "invoice": (
        "¿Hacen factura?",
        "¿Dan factura con los datos de mi empresa?",
        "¿Entregan comprobante de compra?",
        "¿Emiten factura electrónica?",
        "¿La factura viene en la caja?",
    ),
    "warranty": (
        "¿Tiene garantía?",
        "¿Cuánto tiempo de garantía tiene?",
        "¿La garantía es de fábrica?",
        "¿Si no me queda lo puedo cambiar?",
        "¿Aceptan devoluciones?",
        "¿Qué pasa si viene fallado?",
    ),
    "authenticity": (
        "¿Es original?",
        "¿Es nuevo o usado?",
        "¿Viene sellado?",
        "¿Es réplica?",
        "¿Es original de la marca {brand}?",
        "¿Viene en caja cerrada?",
        "¿Es importado original o imitación?",
        "¿Está sin uso?",
    ),
    "product_details": (
        "¿De qué material es?",
        "¿Qué medidas tiene?",
        "¿Trae cargador?",
        "¿Sirve para {device}?",
        "¿Qué incluye la caja?",
        "¿El modelo es {model}?",
        "¿Cuánto pesa?",
        "¿Es a prueba de agua?",
        "{if_sizes}¿Horma normal o chica?",
        "¿Cuánto dura la batería?",
        "{if_sizes}¿Se puede lavar en lavarropas?",
        "¿Es compatible con {device}?",
        "¿Qué voltaje usa?",
    ),
    "order_status": (
        "Ya compré, ¿cuándo lo despachan?",
        "Hice la compra ayer y todavía no lo enviaron.",
        "¿Ya salió mi pedido?",
        "Compré hace {qty} días y no me llega nada.",
        "Compré en {colour} pero lo quería en otro color, ¿se puede cambiar el pedido?",
        "Ya lo pagué, ¿me pasan el número de seguimiento?",
        "¿Por dónde viene mi paquete?",
    ),
    "contact_request": (
        "¿Me pasan un número de teléfono?",
        "¿Tienen WhatsApp?",
        "¿Me dan un mail para consultar?",
        "¿Tienen Instagram?",
        "¿Puedo llamarlos por teléfono?",
        "Pasame tu cel así hablamos mejor.",
    ),
    "greeting": (
        "Gracias!",
        "Muchas gracias por responder.",
        "Perfecto, ahora lo compro.",
        "Excelente, gracias.",
        "Buenísimo, mañana hago la compra.",
        "Ok, muchas gracias, saludos.",
        "Genial, gracias por la info.",
        "Muy amables, gracias.",
    ),
    "other": (
        "¿Tienen otros modelos de {brand}?",
        "¿Venden también fundas?",
        "¿Tienen más productos de esta marca?",
        "¿Reparan equipos?",
        "La publicación tiene una foto que no corresponde.",
        "¿Consiguen repuestos de otra marca?",
        "¿Hacen ventas a otros países?",
    ),
}

_DIALECT: dict[str, Clauses] = {
    # Argentina: voseo, "talle", "lucas", Córdoba/Rosario.
    "ar": {
        "availability": (
            "¿Tenés stock?",
            "¿Te queda alguno?",
            "¿Lo tenés disponible?",
            "¿Seguís teniendo?",
            "Che, ¿lo tenés ya?",
        ),
        "variants": (
            "¿Lo tenés en {colour}?",
            "¿Tenés en {size}?",
            "¿Tenés {size} en {colour}?",
            "{if_sizes}¿Qué talles te quedan?",
            "{if_sizes}¿Qué talles hay?",
            "¿Lo tenés de {capacity}?",
        ),
        "price": (
            "¿Te sirven {offer}?",
            "¿Me lo dejás en {offer}?",
            "¿Hacés precio si llevo {qty}?",
            "¿Cuánto me lo dejás?",
            "¿Hacés algo de descuento?",
        ),
        "payment": (
            "¿Lo puedo pagar en {cuotas} cuotas?",
            "¿Aceptás efectivo?",
            "¿Hacés descuento en efectivo?",
            "¿Se puede pagar con Mercado Pago en cuotas?",
        ),
        "shipping": (
            "¿Hacés envíos a {city}?",
            "¿Cuánto sale el envío a {city}?",
            "¿Me lo mandás a {city}?",
            "¿Llega antes del {weekday}?",
            "¿Despachás hoy?",
        ),
        "pickup": (
            "¿Se puede retirar por tu local?",
            "¿De dónde sos?",
            "¿Dónde lo puedo pasar a buscar?",
            "¿Tenés local en capital?",
        ),
        "invoice": ("¿Hacés factura A?", "¿Das factura B?", "¿Me hacés factura A a nombre de la empresa?"),
        "warranty": (
            "{if_sizes}¿Si no me va el talle lo puedo cambiar?",
            "{if_sizes}¿Hacen cambio de talle?",
            "¿Tiene garantía oficial?",
            "¿Me lo cambiás si falla?",
        ),
        "authenticity": ("¿Es original o es trucho?", "¿Es nuevo sin uso?", "¿Es original posta?"),
        "product_details": (
            "¿Qué medidas tiene la caja?",
            "¿Me pasás las medidas?",
            "¿Viene con el cargador?",
            "¿Cuánto mide de ancho?",
        ),
        "order_status": (
            "Ya te compré, ¿cuándo me lo mandás?",
            "Te compré el {weekday}, ¿ya lo despachaste?",
        ),
        "contact_request": (
            "¿Me pasás tu WhatsApp?",
            "¿Tenés un número para hablar por whatsapp?",
            "¿Me pasás tu mail?",
        ),
        "greeting": ("Buenísimo, gracias!", "Dale, ahora te compro.", "Genial, mil gracias!"),
        "other": ("¿Tenés otros modelos?", "¿Vendés también accesorios?", "¿Tenés algo parecido más barato?"),
    },
    # Mexico: tú, "talla", "meses sin intereses", OXXO, CFDI.
    "mx": {
        "availability": (
            "¿Lo tienes disponible?",
            "¿Todavía lo tienes?",
            "¿Sí hay existencia?",
            "¿Tienes en existencia?",
        ),
        "variants": (
            "¿Lo tienes en {colour}?",
            "¿Tienes {size}?",
            "¿Hay {size} en {colour}?",
            "{if_sizes}¿Qué tallas tienes?",
            "{if_sizes}¿Qué tallas manejan?",
        ),
        "price": (
            "¿Me lo dejas en {offer}?",
            "¿Me haces descuento si compro {qty}?",
            "¿Cuánto cuesta por mayoreo?",
            "¿Es negociable el precio?",
        ),
        "payment": (
            "¿Aceptas pago en OXXO?",
            "¿Tiene meses sin intereses?",
            "¿Se puede pagar a {cuotas} meses?",
            "¿Puedo pagar con tarjeta de departamental?",
        ),
        "shipping": (
            "¿Me lo puedes mandar a {city}?",
            "¿Cuánto tarda en llegar a {city}?",
            "¿Hacen envíos a toda la república?",
            "¿Llega por paquetería?",
        ),
        "pickup": ("¿Dónde se encuentran?", "¿Puedo recogerlo en persona?", "¿Tienen sucursal en {city}?"),
        "invoice": ("¿Facturan?", "¿Me puedes dar factura CFDI?", "¿Dan factura con RFC?"),
        "warranty": ("¿Cuenta con garantía?", "{if_sizes}¿Si no me queda la talla lo puedo cambiar?"),
        "authenticity": ("¿Es original o es clon?", "¿Es nuevo de paquete?", "¿Viene sellado de fábrica?"),
        "product_details": ("¿Qué incluye?", "¿Me das las medidas?", "{if_sizes}¿Horma grande o chica?"),
        "order_status": ("Ya lo compré, ¿cuándo me lo envías?", "Ya pagué, ¿me mandas la guía?"),
        "contact_request": ("¿Me das tu número?", "¿Tienes WhatsApp para mandarte mensaje?"),
        "greeting": ("Muchas gracias, ahorita lo compro.", "Órale, gracias!", "Va, muchas gracias."),
        "other": ("¿Tienes más modelos?", "¿Vendes también por mayoreo otros artículos?"),
    },
    # Colombia: usted, "talla", contraentrega, "me regala".
    "co": {
        "availability": ("¿Sí tiene disponible?", "¿Todavía lo tiene?", "¿Tiene unidades?"),
        "variants": ("¿Lo tiene en {colour}?", "¿Tiene {size}?", "¿Me regala en {colour} {size}?"),
        "price": ("¿Cuánto vale?", "¿Me lo deja en {offer}?", "¿Cuánto me cobra por {qty}?"),
        "payment": ("¿Manejan pago contraentrega?", "¿Puedo pagar por PSE?", "¿Se puede pagar en efecty?"),
        "shipping": (
            "¿Hace envíos a {city}?",
            "¿Cuánto demora el envío a {city}?",
            "¿El envío a {city} cuánto vale?",
        ),
        "pickup": ("¿Dónde queda el local?", "¿Lo puedo recoger en {city}?"),
        "invoice": ("¿Me puede dar factura electrónica?", "¿Facturan a nombre de empresa con NIT?"),
        "warranty": ("¿Cuánto tiempo de garantía tiene?", "¿Si sale malo me lo cambian?"),
        "authenticity": ("¿Es original o es réplica?", "¿Es nuevo?"),
        "product_details": ("¿Qué trae la caja?", "¿Me regala las medidas?"),
        "order_status": ("Ya hice el pedido, ¿cuándo lo despachan?", "Ya pagué y no me ha llegado la guía."),
        "contact_request": ("¿Me regala un número de WhatsApp?", "¿Tiene un celular para comunicarme?"),
        "greeting": ("Muchas gracias, muy amable.", "Listo, gracias!"),
        "other": ("¿Tiene más referencias?", "¿Venden también al por mayor otras cosas?"),
    },
    # Chile: tú, "talla", "despacho", "boleta", "po".
    "cl": {
        "availability": ("¿Tienes stock?", "¿Queda alguno po?", "¿Está disponible todavía?"),
        "variants": ("¿Lo tienes en {colour}?", "¿Hay {size}?", "¿Tienes {size}?"),
        "price": ("¿Me lo dejas en {offer}?", "¿Harías precio por {qty}?"),
        "payment": ("¿Aceptan Webpay?", "¿Se puede pagar en {cuotas} cuotas?"),
        "shipping": (
            "¿Hacen despacho a regiones?",
            "¿Cuánto sale el despacho a {city}?",
            "¿Cuánto se demora en llegar a {city}?",
        ),
        "pickup": ("¿Se puede retirar en la tienda?", "¿En qué comuna están?"),
        "invoice": ("¿Dan boleta o factura?", "¿Me pueden hacer factura con RUT de empresa?"),
        "warranty": (
            "¿Tiene garantía?",
            "{if_sizes}¿Si me queda chico lo puedo cambiar?",
            "{if_sizes}¿Hacen cambio de talla?",
        ),
        "authenticity": ("¿Es original?", "¿Es nuevo o de segunda mano?"),
        "product_details": ("¿Qué medidas tiene?", "¿Viene con cargador?"),
        "order_status": ("Ya compré, ¿cuándo lo despachan?", "Hice la compra, ¿me envían el seguimiento?"),
        "contact_request": ("¿Me das tu número?", "¿Tienes WhatsApp?"),
        "greeting": ("Gracias po!", "Bacán, gracias."),
        "other": ("¿Tienes otros modelos?", "¿Venden repuestos?"),
    },
}

CITIES: dict[str, tuple[str, ...]] = {
    "ar": (
        "Córdoba",
        "Rosario",
        "Mendoza",
        "Mar del Plata",
        "La Plata",
        "Neuquén",
        "Salta",
        "Tucumán",
        "Ushuaia",
    ),
    "mx": ("Guadalajara", "Monterrey", "Puebla", "Querétaro", "Mérida", "Tijuana", "León", "la CDMX"),
    "co": ("Medellín", "Cali", "Barranquilla", "Bucaramanga", "Pereira", "Cartagena"),
    "cl": ("Valparaíso", "Concepción", "Temuco", "Antofagasta", "Puerto Montt", "La Serena"),
}

WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado")
OPENERS = (
    "Hola",
    "Hola!",
    "Buenas",
    "Buen día",
    "Buenas tardes",
    "Hola, qué tal?",
    "Buenas noches",
    "Hola, consulta:",
)
CLOSERS = ("Gracias", "Saludos", "Muchas gracias!", "Gracias de antemano", "Espero respuesta", "Slds")
FOLLOW_UPS: Clauses = {
    "variants": ("¿Y en {colour}?", "¿Y en {size}?", "¿Y el de {capacity}?", "{if_colours}¿Y en otro color?"),
    "shipping": ("¿Y a {city}?", "¿Y cuánto tarda?", "¿Y el envío?"),
    "price": ("¿Y si llevo {qty}?", "¿Y en efectivo cuánto sería el precio?"),
    "availability": ("¿Y cuántos te quedan?", "¿Y hay stock de ese?"),
    "warranty": ("¿Y la garantía?",),
}
DIALECT_OF_SITE = {"MLA": "ar", "MLM": "mx", "MCO": "co", "MLC": "cl"}


def spanish_clauses(dialect: str) -> Clauses:
    """The base clauses merged with one dialect's own (`ar`, `mx`, `co`, `cl`)."""
    extra = _DIALECT[dialect]
    return {intent: clauses + extra.get(intent, ()) for intent, clauses in _BASE.items()}
