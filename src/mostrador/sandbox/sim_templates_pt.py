"""Brazilian Portuguese question clauses per intent, same contract as `sim_templates_es`.

Each clause asks about exactly one intent; slots are filled from the item's real facts.
"""

from __future__ import annotations

from mostrador.sandbox.sim_templates_es import Clauses

_CLAUSES: Clauses = {
    "availability": (
        "Tem disponível?",
        "Ainda tem?",
        "Tem em estoque?",
        "Está disponível?",
        "Quantas unidades você tem?",
        "Tem {qty} unidades?",
        "Ainda está à venda?",
        "Tem pronta entrega?",
        "Vai chegar mais estoque?",
        "Sobrou algum?",
    ),
    "variants": (
        "Tem na cor {colour}?",
        "{if_colours}Quais cores tem?",
        "Tem {size}?",
        "Tem {size} na cor {colour}?",
        "{if_sizes}Quais tamanhos estão disponíveis?",
        "{if_colours}Vem em outras cores?",
        "Quais opções tem?",
        "Tem a versão de {capacity}?",
        "O de {capacity} tem na cor {colour}?",
        "Tem em {colour}?",
        "{if_sizes}Quais numerações tem?",
    ),
    "price": (
        "Faz por {offer}?",
        "Qual o valor à vista?",
        "Tem desconto para {qty} unidades?",
        "Qual o preço no atacado?",
        "Consegue fazer um precinho melhor?",
        "Aceita {offer}?",
        "O preço é por unidade?",
        "Faz um desconto?",
    ),
    "payment": (
        "Aceita pix?",
        "Parcela em quantas vezes?",
        "Dá pra parcelar em {cuotas}x sem juros?",
        "Aceita boleto?",
        "Posso pagar no cartão de débito?",
        "Aceita Mercado Pago?",
        "Dá pra pagar com dois cartões?",
    ),
    "shipping": (
        "Qual o frete para {city}?",
        "Envia hoje?",
        "Quantos dias demora para chegar em {city}?",
        "O frete é grátis?",
        "Entrega em {city}?",
        "Se eu comprar hoje chega até {weekday}?",
        "Envia pelos Correios ou transportadora?",
        "Vem bem embalado?",
        "É Full?",
    ),
    "pickup": (
        "Posso retirar?",
        "Onde fica a loja?",
        "Vocês têm loja física?",
        "De onde vocês são?",
        "Posso buscar pessoalmente?",
        "Tem loja em {city}?",
        "Qual o endereço para retirada?",
    ),
    "invoice": (
        "Emite nota fiscal?",
        "Vem com nota fiscal?",
        "Vocês emitem NF no CNPJ?",
        "Manda a nota junto?",
        "A nota fiscal sai no meu nome?",
    ),
    "warranty": (
        "Tem garantia?",
        "Qual o prazo de garantia?",
        "A garantia é de fábrica?",
        "Se não servir posso trocar?",
        "Aceita devolução?",
        "E se vier com defeito?",
        "{if_sizes}Posso trocar o tamanho?",
    ),
    "authenticity": (
        "É original?",
        "É novo ou usado?",
        "É lacrado?",
        "É réplica?",
        "É original da marca {brand}?",
        "É genuíno?",
        "Vem na caixa lacrada?",
        "É primeira linha?",
    ),
    "product_details": (
        "Qual o material?",
        "Quais as medidas?",
        "Acompanha carregador?",
        "Serve no {device}?",
        "O que vem na caixa?",
        "O modelo é {model}?",
        "Quanto pesa?",
        "Pode molhar?",
        "{if_sizes}A forma é normal ou pequena?",
        "Quanto dura a bateria?",
        "É bivolt?",
        "Funciona com {device}?",
    ),
    "order_status": (
        "Já comprei, quando chega?",
        "Comprei ontem e ainda não enviaram.",
        "Meu pedido já saiu?",
        "Comprei faz {qty} dias e nada de chegar.",
        "Comprei na cor {colour} mas queria outra, dá pra trocar o pedido?",
        "Já paguei, pode mandar o código de rastreio?",
        "Onde está meu pedido?",
    ),
    "contact_request": (
        "Qual o contato particular?",
        "Tem WhatsApp?",
        "Me passa seu telefone?",
        "Qual o email de vocês?",
        "Tem Instagram?",
        "Posso te ligar?",
    ),
    "greeting": (
        "Obrigado!",
        "Obrigada pela resposta.",
        "Gostei, vou comprar.",
        "Show, valeu!",
        "Beleza, obrigado.",
        "Perfeito, amanhã eu compro.",
        "Valeu pela atenção!",
        "Ótimo atendimento, obrigado.",
    ),
    "other": (
        "Vocês têm outros modelos da {brand}?",
        "Vende capinha também?",
        "Tem mais produtos dessa marca?",
        "Vocês consertam aparelho?",
        "A foto do anúncio está errada.",
        "Vende para fora do Brasil?",
        "Tem alguma coisa parecida mais barata?",
    ),
}

CITIES_BR = (
    "São Paulo",
    "Rio de Janeiro",
    "BH",
    "Curitiba",
    "Recife",
    "Porto Alegre",
    "Salvador",
    "Manaus",
    "Goiânia",
    "interior de SP",
    "Florianópolis",
)
WEEKDAYS_PT = ("segunda", "terça", "quarta", "quinta", "sexta", "sábado")
OPENERS_PT = ("Olá", "Oi", "Boa tarde", "Bom dia", "Boa noite", "Oi, tudo bem?", "Olá, uma dúvida:", "Opa")
CLOSERS_PT = ("Obrigado", "Obrigada", "Aguardo", "Valeu", "Grato", "Abraço")
FOLLOW_UPS_PT: Clauses = {
    "variants": ("E na cor {colour}?", "E no {size}?", "E o de {capacity}?", "{if_colours}E em outra cor?"),
    "shipping": ("E pra {city}?", "E quanto tempo demora?", "E o frete?"),
    "price": ("E se eu levar {qty}?", "E à vista quanto fica?"),
    "availability": ("E quantos ainda tem?", "E desse tem estoque?"),
    "warranty": ("E a garantia?",),
}


def portuguese_clauses() -> Clauses:
    return dict(_CLAUSES)
