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
        "¿Esto sigue a la venta o ya lo sacaron?",
        "Antes de ofertar quería confirmar: ¿hay stock real?",
        "¿Les siguen entrando de estos o era el último lote?",
        "¿Queda alguna unidad en el depósito de ustedes?",
        "¿Lo que muestra la foto se puede llevar hoy?",
        "¿Cuántas unidades podría comprar como máximo?",
        "¿Hay {qty} unidades disponibles?",
        "¿Sigue publicado porque lo quiero ya?",
        "¿Está en mano o hay que esperar a que les llegue?",
        "¿Queda stock o hay que esperar reposición?",
    ),
    "variants": (
        "{if_colours}¿En qué colores viene?",
        "{if_colours}¿Me decís la lista de colores que se pueden elegir?",
        "¿Existe la opción {colour} de este mismo modelo?",
        "¿Se fabrica también en {colour}?",
        "Busco el {size}, ¿figura entre las opciones?",
        "¿Lo consiguen en {colour} y en {size}?",
        "{if_capacities}¿Qué capacidades hay?",
        "¿Se consigue la edición con {capacity}?",
        "¿El de {capacity} está en {colour}?",
        "{if_colours}¿Qué otros colores tienen?",
        "¿Qué opciones hay para elegir?",
    ),
    "price": (
        "¿El número publicado incluye todo o hay algún recargo?",
        "Si les compro varias unidades, ¿baja el precio de cada una?",
        "¿Manejan lista para revendedores?",
        "Si les ofrezco {offer}, ¿aceptan?",
        "Me interesan {qty}, ¿cuánto me cobrarían por todas juntas?",
        "¿Lo que dice la publicación es el valor de uno solo o de dos?",
        "¿Aceptan {offer}?",
        "¿Es el precio final o cambia?",
        "¿Hay alguna oferta esta semana?",
    ),
    "payment": (
        "¿Toman Visa o Master para pagar?",
        "¿Se puede abonar con billetes al momento de la entrega o en un Rapipago?",
        "¿Acepta depósito bancario desde mi homebanking?",
        "¿Sale en {cuotas} pagos sin recargo con tarjeta bancaria?",
        "¿El pago se puede hacer con el saldo que tengo en Mercado Pago?",
        "¿Toman tarjeta de débito de cualquier banco?",
        "¿Cuántas cuotas tienen?",
        "¿Puedo dividir el pago entre dos tarjetas distintas?",
    ),
    "shipping": (
        "Vivo en {city}, ¿me lo pueden hacer llegar hasta allá?",
        "¿Cuánto cuesta el envío a {city}?",
        "¿En cuántos días llega a {city}?",
        "¿El despacho me sale sin cargo?",
        "¿Si compro hoy llega el {weekday}?",
        "¿Qué empresa de paquetería usan para los envíos?",
        "¿Envían el mismo día?",
        "¿Lo despachan protegido con plástico burbuja? Es para regalo.",
        "¿Lo despacha el centro de Mercado Libre con entrega rápida?",
    ),
    "pickup": (
        "¿Hay opción de ir a buscarlo uno mismo?",
        "¿Atienden al público en algún negocio?",
        "¿Por qué barrio queda el depósito de ustedes?",
        "¿Me acerco yo y lo retiro así me ahorro el envío?",
        "¿Por qué zona de la ciudad trabajan?",
        "¿Hay algún showroom en {city} para verlo en persona?",
        "¿Hasta qué hora se puede retirar?",
    ),
    "invoice": (
        "¿Entregan comprobante fiscal con mis datos?",
        "¿Dan factura con los datos de mi empresa?",
        "¿Entregan comprobante de compra?",
        "¿Me llega la factura electrónica por mail con el CUIT?",
        "¿La factura viene en la caja?",
    ),
    "warranty": (
        "¿Cubren fallas después de la compra?",
        "¿Por cuántos meses cubren desperfectos?",
        "¿La cobertura la da el fabricante o ustedes?",
        "¿Hay devolución si al probármelo no me gusta?",
        "Si me arrepiento, ¿me devuelven la plata?",
        "¿Qué pasa si viene fallado?",
    ),
    "authenticity": (
        "¿Es de la marca verdadera o una copia?",
        "¿Está a estrenar o tiene uso previo?",
        "¿Tiene el precinto original puesto?",
        "¿Es imitación o de la línea oficial?",
        "¿Es original de la marca {brand}?",
        "¿Llega con el empaque sin abrir?",
        "¿Es importado original o imitación?",
        "¿Nunca lo usaron o es de exhibición?",
    ),
    "product_details": (
        "¿Con qué tela o materia prima está hecho?",
        "¿Cuánto mide de alto y de ancho?",
        "¿En la caja viene el transformador para enchufarlo?",
        "¿Lo puedo usar con mi {device}?",
        "¿Me detallás todo lo que trae el paquete?",
        "¿El modelo es {model}?",
        "¿Qué peso tiene en kilos?",
        "¿Aguanta si se moja con la lluvia?",
        "{if_sizes}¿Horma normal o chica?",
        "¿La pila rinde todo el día o hay que enchufarlo seguido?",
        "{if_sizes}¿Lo puedo meter en el lavarropas sin que se arruine?",
        "¿Funciona bien si lo uso con un {device}?",
        "¿Funciona con 220 o necesita transformador?",
    ),
    "order_status": (
        "Lo acabo de comprar recién, ¿en qué momento lo mandan?",
        "Hice la compra ayer y todavía no lo enviaron.",
        "¿Ya salió mi pedido?",
        "Compré hace {qty} días y no me llega nada.",
        "Compré en {colour} pero lo quería en otro color, ¿se puede cambiar el pedido?",
        "Mi pago ya se acreditó, ¿con qué código lo rastreo?",
        "¿Por dónde viene mi paquete?",
    ),
    "contact_request": (
        "¿Me pasan un número de teléfono?",
        "¿Tienen WhatsApp?",
        "¿Me dan un mail para consultar?",
        "¿Tienen alguna red social donde ver más fotos y escribirles?",
        "¿Puedo llamarlos por teléfono?",
        "Pasame tu cel así hablamos mejor.",
    ),
    "greeting": (
        "Mil gracias, sos un genio!",
        "Te agradezco la rapidez para contestar.",
        "Perfecto, ahora lo compro.",
        "Excelente, gracias.",
        "Buenísimo, mañana hago la compra.",
        "Ok, muchas gracias, saludos.",
        "Joya, con eso ya me quedo tranquilo.",
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
            "¿Te queda mercadería de este?",
            "¿Te sobró alguno o se agotaron con la oferta?",
            "¿Lo tenés en mano para despachar ya?",
            "¿Seguís teniendo?",
            "Che, ¿lo tenés ya?",
        ),
        "variants": (
            "¿Me lo conseguís en {colour} o solo en los de la foto?",
            "¿Entre los talles está el {size}?",
            "¿Tenés {size} en {colour}?",
            "{if_sizes}¿Me pasás la numeración completa que manejás?",
            "{if_sizes}¿Del más chico al más grande, qué números tenés?",
            "¿Está la variante con {capacity} o solo la otra?",
        ),
        "price": (
            "¿Te sirven {offer}?",
            "Tengo {offer} justos, ¿cerramos ahí?",
            "Llevándome {qty}, ¿me mejorás el número?",
            "¿Hasta dónde podés bajarlo?",
            "¿Hacés algo de descuento?",
        ),
        "payment": (
            "¿Me lo financiás en {cuotas} pagos?",
            "¿Te lo puedo pagar con plata en mano?",
            "¿Hay precio especial pagando con billetes?",
            "¿Con la billetera de Mercado Pago lo puedo financiar?",
        ),
        "shipping": (
            "¿Hacés envíos a {city}?",
            "¿Qué costo tendría mandarlo hasta {city}?",
            "¿Me lo mandás a {city}?",
            "¿Lo recibo a tiempo para el {weekday}?",
            "Si lo compro ahora, ¿sale en el correo de esta tarde?",
        ),
        "pickup": (
            "¿Se puede retirar por tu local?",
            "¿Desde qué ciudad despachás vos?",
            "¿Hay punto de retiro cerca del centro?",
            "¿Tenés local en capital?",
        ),
        "invoice": (
            "¿Me emitís comprobante tipo A para mi monotributo?",
            "¿Das factura B?",
            "¿Me hacés factura A a nombre de la empresa?",
        ),
        "warranty": (
            "{if_sizes}Si el número no me calza, ¿me lo reemplazás?",
            "{if_sizes}Si no me calza bien, ¿lo puedo devolver por otro número?",
            "¿Viene con respaldo oficial del fabricante?",
            "¿Qué cobertura tengo si deja de andar al mes?",
        ),
        "authenticity": (
            "¿Es original o es trucho?",
            "¿Viene a estrenar, sin marcas de uso?",
            "¿Me jurás que es legítimo y no trucho?",
        ),
        "product_details": (
            "¿De qué tamaño es el paquete cerrado?",
            "¿Me pasás las medidas?",
            "¿Viene con el cargador?",
            "¿Cuánto mide de ancho?",
        ),
        "order_status": (
            "Ya te compré, ¿cuándo me lo mandás?",
            "Te compré el {weekday}, ¿ya lo despachaste?",
        ),
        "contact_request": (
            "¿Hay algún numerito para escribirte por fuera?",
            "¿Tenés un número para hablar por whatsapp?",
            "¿Me pasás tu mail?",
        ),
        "greeting": ("Buenísimo, gracias!", "Dale, ahora te compro.", "Re amable, se agradece un montón!"),
        "other": (
            "¿Vendés algún otro producto aparte de este?",
            "¿Vendés también accesorios?",
            "¿Tenés algo parecido más barato?",
        ),
    },
    # Mexico: tú, "talla", "meses sin intereses", OXXO, CFDI.
    "mx": {
        "availability": (
            "¿Lo tienes listo para mandarlo hoy mismo?",
            "¿Sigue en venta este artículo, amigo?",
            "¿Cuentan con piezas en almacén ahorita?",
            "¿Me confirmas que hay piezas en almacén?",
        ),
        "variants": (
            "¿Se consigue en color {colour} este mismo?",
            "¿Tienes {size}?",
            "¿Hay {size} en {colour}?",
            "{if_sizes}¿Qué tallas tienes?",
            "{if_sizes}¿Me compartes la guía de tallas que tienen?",
        ),
        "price": (
            "Te ofrezco {offer}, ¿te animas?",
            "¿Me haces descuento si compro {qty}?",
            "¿Cuánto cuesta por mayoreo?",
            "¿Es negociable el precio?",
        ),
        "payment": (
            "¿Aceptas pago en OXXO?",
            "¿Lo puedo diferir a meses con mi tarjeta sin recargo?",
            "¿Se puede pagar a {cuotas} meses?",
            "¿Puedo pagar con tarjeta de departamental?",
        ),
        "shipping": (
            "¿Me lo puedes mandar a {city}?",
            "¿Cuántos días hábiles demora la paquetería hasta {city}?",
            "¿Hacen envíos a toda la república?",
            "¿Llega por paquetería?",
        ),
        "pickup": (
            "¿Dónde se encuentran?",
            "¿Se puede ir por él directamente a su bodega?",
            "¿Tienen sucursal en {city}?",
        ),
        "invoice": (
            "¿Me pueden hacer la factura a nombre de mi negocio?",
            "¿Me puedes dar factura CFDI?",
            "¿La factura la emiten con mi RFC y uso de CFDI?",
        ),
        "warranty": ("¿Cuenta con garantía?", "{if_sizes}En caso de que la talla no me ajuste, ¿hay cambio?"),
        "authenticity": (
            "¿Es original o es clon?",
            "¿Es nuevo de paquete?",
            "¿Trae el empaque con el sello original intacto?",
        ),
        "product_details": (
            "¿Qué accesorios vienen junto con el equipo?",
            "¿Me das las medidas?",
            "{if_sizes}¿Calzan justo o conviene pedir un número más?",
        ),
        "order_status": ("Ya lo compré, ¿cuándo me lo envías?", "Ya pagué, ¿me mandas la guía?"),
        "contact_request": ("¿Me das tu número?", "¿Tienes WhatsApp para mandarte mensaje?"),
        "greeting": (
            "Muchas gracias, ahorita lo compro.",
            "Órale, muy amable, ahí lo checo!",
            "Va, te lo agradezco mucho, carnal.",
        ),
        "other": ("¿Tienes más modelos?", "¿Vendes también por mayoreo otros artículos?"),
    },
    # Colombia: usted, "talla", contraentrega, "me regala".
    "co": {
        "availability": ("¿Sí tiene disponible?", "¿Aún lo tiene a la venta, don?", "¿Tiene unidades?"),
        "variants": ("¿Lo tiene en {colour}?", "¿Tiene {size}?", "¿Me regala en {colour} {size}?"),
        "price": (
            "¿En cuánto queda el precio final con todo incluido?",
            "¿Me lo deja en {offer}?",
            "¿Qué monto total me hace por {qty} piezas?",
        ),
        "payment": ("¿Manejan pago contraentrega?", "¿Puedo pagar por PSE?", "¿Se puede pagar en efecty?"),
        "shipping": (
            "¿Hace envíos a {city}?",
            "¿Cuántos días se toma la paquetería hasta {city}?",
            "¿El envío a {city} cuánto vale?",
        ),
        "pickup": ("¿La dirección del negocio para ir en persona?", "¿Lo puedo recoger en {city}?"),
        "invoice": ("¿Me puede dar factura electrónica?", "¿Facturan a nombre de empresa con NIT?"),
        "warranty": ("¿Por cuántos meses cubren desperfectos?", "¿Si sale malo me lo cambian?"),
        "authenticity": ("¿Es original o es réplica?", "¿Está a estrenar o ya tuvo dueño?"),
        "product_details": ("¿Qué viene adentro del empaque además del equipo?", "¿Me regala las medidas?"),
        "order_status": (
            "Ya hice la orden el martes, ¿para cuándo la envían?",
            "Ya pagué y no me ha llegado la guía.",
        ),
        "contact_request": ("¿Me regala un número de WhatsApp?", "¿Tiene un celular para comunicarme?"),
        "greeting": ("Muchas gracias, muy amable.", "Listo, gracias!"),
        "other": ("¿Tiene más referencias?", "¿Venden también al por mayor otras cosas?"),
    },
    # Chile: tú, "talla", "despacho", "boleta", "po".
    "cl": {
        "availability": (
            "¿Te quedan piezas de este para venta?",
            "¿Les queda stock todavía po, o ya se vendió todo?",
            "¿Esto se puede comprar todavía o lo dejaron de vender?",
        ),
        "variants": (
            "¿Se consigue en color {colour} este mismo?",
            "Busco el {size}, ¿figura entre las opciones?",
            "¿Tienes {size}?",
        ),
        "price": ("Te ofrezco {offer}, ¿te animas?", "¿Harías precio por {qty}?"),
        "payment": ("¿Aceptan Webpay?", "¿Se puede pagar en {cuotas} cuotas?"),
        "shipping": (
            "¿Hacen despacho a regiones?",
            "¿Cuánto sale el despacho a {city}?",
            "¿Cuántos días le toma al envío llegar a {city}?",
        ),
        "pickup": ("¿Se puede retirar en la tienda?", "¿Desde qué comuna despachan ustedes?"),
        "invoice": (
            "¿Emiten documento tributario con la compra?",
            "¿Me pueden hacer factura con RUT de empresa?",
        ),
        "warranty": (
            "¿Cubren fallas después de la compra?",
            "{if_sizes}¿Y si la talla me queda apretada, lo cambian por otra?",
            "{if_sizes}¿Aceptan cambio si la talla no me sirve?",
        ),
        "authenticity": ("¿Es de la marca verdadera o una copia?", "¿Es nuevo o de segunda mano?"),
        "product_details": ("¿Cuánto mide de alto y de ancho?", "¿Viene con cargador?"),
        "order_status": (
            "Lo acabo de comprar recién, ¿en qué momento lo mandan?",
            "Hice la compra, ¿me envían el seguimiento?",
        ),
        "contact_request": ("¿Me das tu número?", "¿Tienes WhatsApp?"),
        "greeting": ("Se agradece harto po!", "Bacán, muy buena onda, gracias po."),
        "other": ("¿Tienes otros modelos?", "¿Consiguen piezas sueltas de otros equipos?"),
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
    "variants": (
        "¿Y en {colour}?",
        "¿Y en {size}?",
        "¿Y el de {capacity}?",
        "{if_colours}¿Y de los otros tonos cuál me recomendás?",
    ),
    "shipping": ("¿Y a {city}?", "¿Y cuánto tarda?", "¿Y el envío?"),
    "price": ("¿Y si llevo {qty}?", "¿Y en efectivo cuánto sería el precio?"),
    "availability": ("¿Y de esos cuántos podría llevarme?", "¿Y de ese modelo te queda mercadería?"),
    "warranty": ("¿Y si se rompe al poco tiempo, qué cobertura tiene?",),
}
DIALECT_OF_SITE = {"MLA": "ar", "MLM": "mx", "MCO": "co", "MLC": "cl"}


def spanish_clauses(dialect: str) -> Clauses:
    """The base clauses merged with one dialect's own (`ar`, `mx`, `co`, `cl`)."""
    extra = _DIALECT[dialect]
    return {intent: clauses + extra.get(intent, ()) for intent, clauses in _BASE.items()}
