"""Brazilian Portuguese question clauses per intent, same contract as `sim_templates_es`.

Each clause asks about exactly one intent; slots are filled from the item's real facts.
"""

from __future__ import annotations

from mostrador.sandbox.sim_templates_es import Clauses

_CLAUSES: Clauses = {
    "availability": (
        "Tem unidade sobrando pra vender?",
        "Ainda sobrou alguma unidade desse?",
        "Vocês ainda estão com esse produto parado aí pra vender?",
        "Esse anúncio segue ativo pra compra agora?",
        "Quantas unidades você tem?",
        "Tem {qty} unidades?",
        "Ainda dá pra comprar ou já esgotou tudo?",
        "Se eu fechar agora, tem a unidade separada aí?",
        "Vai chegar mais estoque?",
        "Sobrou algum?",
    ),
    "variants": (
        "Existe a opção {colour} desse mesmo modelo?",
        "{if_colours}Quais cores tem?",
        "Tem {size}?",
        "Tem {size} na cor {colour}?",
        "{if_sizes}Me passa a grade de numeração que vocês trabalham?",
        "{if_colours}Além da cor da foto, quais outras opções existem?",
        "Quais opções tem?",
        "Tem a versão de {capacity}?",
        "O de {capacity} tem na cor {colour}?",
        "Tem em {colour}?",
        "{if_sizes}Quais numerações tem?",
    ),
    "price": (
        "Faz por {offer}?",
        "Pagando tudo de uma vez, quanto sai no total?",
        "Tem desconto para {qty} unidades?",
        "Qual o preço no atacado?",
        "Consegue fazer um precinho melhor?",
        "Aceita {offer}?",
        "Esse valor do anúncio vale pra uma peça só ou pro kit?",
        "Consegue melhorar um pouquinho esse valor pra mim?",
    ),
    "payment": (
        "Dá pra fazer o pagamento por pix direto no app?",
        "Até quantas prestações sem juros no cartão?",
        "Dá pra parcelar em {cuotas}x sem juros?",
        "Aceita boleto?",
        "Posso pagar no cartão de débito?",
        "Posso usar o saldo da minha conta do Mercado Pago?",
        "Tem como dividir o pagamento entre dois cartões diferentes?",
    ),
    "shipping": (
        "Quanto fica pra mandar até {city}?",
        "Comprando agora de manhã, já sai na coleta de hoje?",
        "Quantos dias demora para chegar em {city}?",
        "A entrega sai sem custo ou cobra à parte?",
        "Entrega em {city}?",
        "Fechando o pedido hoje, será que chega antes de {weekday}?",
        "Qual empresa faz a entrega de vocês?",
        "Vocês mandam com plástico bolha? É pra presente.",
        "É Full?",
    ),
    "pickup": (
        "Dá pra eu mesmo ir aí pegar e economizar a entrega?",
        "Vocês atendem num ponto físico aberto ao público?",
        "Vocês atendem o público em algum endereço?",
        "Vocês despacham de qual cidade?",
        "Consigo passar aí no depósito e levar na mão?",
        "Tem loja em {city}?",
        "Qual o endereço para retirada?",
    ),
    "invoice": (
        "Vocês mandam a NF-e com o CPF do comprador?",
        "O documento fiscal vai dentro do pacote?",
        "Vocês emitem NF no CNPJ?",
        "A NF vem junto com o produto ou por e-mail?",
        "Consigo a nota em nome da minha empresa com CNPJ?",
    ),
    "warranty": (
        "Quanto tempo de cobertura se der problema?",
        "Qual o prazo de garantia?",
        "Quem cobre defeito, o fabricante ou a loja?",
        "Caso fique apertado, rola fazer a troca por outro?",
        "Se eu me arrepender, consigo devolver e receber de volta?",
        "Se chegar quebrado, como funciona a troca?",
        "{if_sizes}Posso trocar o tamanho?",
    ),
    "authenticity": (
        "É da marca verdadeira ou é paralelo?",
        "É novo ou usado?",
        "Chega com o selo da fábrica intacto?",
        "Isso é cópia ou é da marca mesmo?",
        "É original da marca {brand}?",
        "Dá pra confiar que é legítimo e não falsificado?",
        "A embalagem vem fechada, sem ter sido aberta?",
        "É produto de linha oficial ou paralelo?",
    ),
    "product_details": (
        "É feito de que tipo de material?",
        "Qual a altura, largura e profundidade dele?",
        "Na caixa vem a fonte pra ligar na tomada?",
        "Encaixa certinho no meu {device}?",
        "Me descreve tudo que vem no pacote?",
        "O modelo é {model}?",
        "Qual o peso dele em quilos?",
        "Aguenta chuva ou água de piscina?",
        "{if_sizes}Costuma calçar justo ou é melhor pegar um número maior?",
        "Com uma carga completa aguenta quantas horas de uso?",
        "Funciona tanto em 110 quanto em 220?",
        "Funciona com {device}?",
    ),
    "order_status": (
        "Fiz o pedido semana passada, tem previsão de entrega?",
        "Paguei anteontem e até agora o pedido não saiu daí.",
        "Meu pedido já saiu?",
        "Comprei faz {qty} dias e nada de chegar.",
        "Comprei na cor {colour} mas queria outra, dá pra trocar o pedido?",
        "Já paguei, pode mandar o código de rastreio?",
        "Onde está meu pedido?",
    ),
    "contact_request": (
        "Tem algum número pra eu chamar fora daqui?",
        "Tem WhatsApp?",
        "Me passa seu telefone?",
        "Qual o email de vocês?",
        "Vocês têm alguma rede social pra eu ver mais fotos e conversar?",
        "Posso te ligar?",
    ),
    "greeting": (
        "Valeu demais pela ajuda!",
        "Agradeço por ter respondido tão rápido.",
        "Curti muito, já já fecho o pedido.",
        "Show, valeu!",
        "Beleza, obrigado.",
        "Perfeito, amanhã eu compro.",
        "Valeu pela atenção!",
        "Atendimento nota dez, muito grato.",
    ),
    "other": (
        "Além desse, trabalham com mais coisas da {brand}?",
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
    "shipping": ("E pra {city}?", "E pra minha casa leva uns quantos dias?", "E o frete?"),
    "price": ("E se eu levar {qty}?", "E à vista quanto fica?"),
    "availability": ("E quantos ainda tem?", "E desse tem estoque?"),
    "warranty": ("E se parar de funcionar, cobre quanto tempo?",),
}


def portuguese_clauses() -> Clauses:
    return dict(_CLAUSES)
