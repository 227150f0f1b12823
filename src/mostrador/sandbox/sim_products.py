"""The demo shop's products, written once in Spanish and Portuguese and rendered per site by `catalog`.

Kept apart from the renderer so the data reads like a product sheet. Texts are `Localized`: `es` and
`pt`, plus optional per-site overrides (`MLM`, `MLC`, `MCO`) where the everyday word differs
("zapatillas" in Argentina, "tenis" in Mexico).
"""

from __future__ import annotations

from dataclasses import dataclass, field

Localized = dict[str, str]


@dataclass(frozen=True)
class Product:
    """One product of the demo shop; `axes` name the variation axes (colour, size system, capacity…)."""

    key: str
    title: Localized
    category: str  # numeric part of the site's category id
    price_usd: float
    brand: str
    model: str
    description: Localized
    shipping: str  # free_cross_docking | paid_me2 | fulfillment | pickup
    warranty: tuple[str, int, str]  # (seller | factory | none, amount, days | months)
    colours: tuple[str, ...] = ()
    sizes: str | None = None  # a key of SIZE_SYSTEMS
    capacities: tuple[str, ...] = ()
    capacity_attribute: str = "INTERNAL_MEMORY"
    material: Localized | None = None
    gender: Localized | None = None
    condition: str = "new"
    listing_type: str = "gold_special"
    extra: tuple[tuple[str, Localized, Localized], ...] = field(default=())


def L(es: str, pt: str, **sites: str) -> Localized:
    """A localized text: Spanish, Portuguese, and per-site Spanish overrides."""
    return {"es": es, "pt": pt, **sites}


def demo_products() -> tuple[Product, ...]:
    """Twenty products: clothing and shoes with colour x size, electronics with capacities, home goods."""
    return (
        Product(
            key="sneaker-run",
            title=L(
                "Zapatillas Running Hombre Livianas Urbanas",
                "Tênis Corrida Masculino Leve Academia",
                MLM="Tenis Para Correr Hombre Ligeros Urbanos",
                MCO="Tenis Running Hombre Livianos",
            ),
            category="109027",
            price_usd=48,
            brand="Nexo Sport",
            model="Velox 2",
            description=L(
                "Zapatilla liviana con capellada de malla respirable y suela de goma.\n"
                "Horma normal: pedí tu talle habitual.",
                "Tênis leve com cabedal em tela respirável e solado de borracha.\n"
                "Forma normal: peça seu número de sempre.",
            ),
            shipping="free_cross_docking",
            warranty=("seller", 30, "days"),
            colours=("black", "white", "grey", "red"),
            sizes="shoes",
            material=L("Malla", "Tela"),
            gender=L("Hombre", "Masculino"),
        ),
        Product(
            key="tshirt-basic",
            title=L(
                "Remera Lisa Algodón Peinado Hombre Cuello Redondo",
                "Camiseta Básica Algodão Masculina Gola Redonda",
                MLM="Playera Lisa Algodón Hombre Cuello Redondo",
                MLC="Polera Lisa Algodón Hombre Cuello Redondo",
                MCO="Camiseta Lisa Algodón Hombre Cuello Redondo",
            ),
            category="414192",
            price_usd=9,
            brand="Trama",
            model="Básica 24/1",
            description=L(
                "Remera 100% algodón peinado 24/1, costuras reforzadas.\nLavar del revés con agua fría.",
                "Camiseta 100% algodão penteado, costuras reforçadas.\nLavar do avesso em água fria.",
            ),
            shipping="paid_me2",
            warranty=("none", 0, "days"),
            colours=("white", "black", "navy", "green"),
            sizes="apparel",
            material=L("Algodón", "Algodão"),
            gender=L("Hombre", "Masculino"),
        ),
        Product(
            key="jeans-slim",
            title=L(
                "Jean Chupín Elastizado Hombre Tiro Medio",
                "Calça Jeans Skinny Masculina Com Elastano",
                MLM="Pantalón De Mezclilla Slim Hombre Elástico",
                MCO="Jean Slim Hombre Elastizado Tiro Medio",
            ),
            category="417372",
            price_usd=32,
            brand="Dakota Denim",
            model="Slim 505",
            description=L(
                "Jean de denim 12 oz con 2% de elastano. Corte chupín, tiro medio, cinco bolsillos.",
                "Calça jeans 12 oz com 2% de elastano. Modelagem skinny, cintura média, cinco bolsos.",
            ),
            shipping="free_cross_docking",
            warranty=("seller", 30, "days"),
            colours=("blue", "black"),
            sizes="waist",
            material=L("Denim", "Jeans"),
            gender=L("Hombre", "Masculino"),
        ),
        Product(
            key="hoodie",
            title=L(
                "Buzo Canguro Con Capucha Frisa Unisex",
                "Moletom Canguru Com Capuz Flanelado Unissex",
                MLM="Sudadera Con Capucha Afelpada Unisex",
                MLC="Polerón Canguro Con Capucha Unisex",
                MCO="Buzo Con Capota Perchado Unisex",
            ),
            category="417380",
            price_usd=27,
            brand="Trama",
            model="Frisa Invierno",
            description=L(
                "Buzo de frisa invisible, capucha con cordón y bolsillo canguro.",
                "Moletom flanelado por dentro, capuz com cordão e bolso canguru.",
            ),
            shipping="fulfillment",
            warranty=("seller", 30, "days"),
            colours=("grey", "black", "beige"),
            sizes="apparel",
            material=L("Algodón y poliéster", "Algodão e poliéster"),
            gender=L("Sin género", "Sem gênero"),
        ),
        Product(
            key="boots-leather",
            title=L(
                "Botas Mujer Cuero Caña Corta Taco Bajo",
                "Bota Feminina Couro Cano Curto Salto Baixo",
                MLM="Botas Para Mujer De Piel Media Caña Tacón Bajo",
            ),
            category="414674",
            price_usd=75,
            brand="Lupe",
            model="Andes",
            description=L(
                "Bota de cuero vacuno con cierre lateral y suela de goma antideslizante.",
                "Bota de couro bovino com zíper lateral e solado de borracha antiderrapante.",
            ),
            shipping="pickup",
            warranty=("seller", 60, "days"),
            colours=("black", "brown"),
            sizes="shoes_women",
            material=L("Cuero", "Couro"),
            gender=L("Mujer", "Feminino"),
            listing_type="gold_pro",
        ),
        Product(
            key="leggings",
            title=L(
                "Calza Deportiva Mujer Tiro Alto Supplex",
                "Legging Fitness Feminina Cintura Alta Suplex",
                MLM="Leggings Deportivos Mujer Tiro Alto",
                MCO="Licra Deportiva Mujer Tiro Alto",
            ),
            category="433009",
            price_usd=15,
            brand="Flexa",
            model="Power",
            description=L(
                "Calza de supplex que no transparenta, tiro alto con faja.",
                "Legging de suplex que não fica transparente, cintura alta com cós largo.",
            ),
            shipping="paid_me2",
            warranty=("none", 0, "days"),
            colours=("black", "navy", "pink"),
            sizes="apparel",
            material=L("Supplex", "Suplex"),
            gender=L("Mujer", "Feminino"),
        ),
        Product(
            key="smartphone",
            title=L(
                "Celular Smartphone 6.5 Pulgadas Dual Sim 8gb Ram",
                "Smartphone 6.5 Polegadas Dual Chip 8gb Ram",
                MLM="Celular Smartphone 6.5 Pulgadas Dual Sim 8gb Ram Liberado",
            ),
            category="1055",
            price_usd=260,
            brand="Kora",
            model="K7 Pro",
            description=L(
                "Pantalla de 6,5 pulgadas, cámara de 50 MP, batería de 5000 mAh.\n"
                "Incluye cargador y funda de silicona. Liberado para todas las compañías.",
                "Tela de 6,5 polegadas, câmera de 50 MP, bateria de 5000 mAh.\n"
                "Acompanha carregador e capinha de silicone. Desbloqueado para todas as operadoras.",
            ),
            shipping="fulfillment",
            warranty=("factory", 12, "months"),
            colours=("black", "blue"),
            capacities=("128 GB", "256 GB"),
            listing_type="gold_pro",
        ),
        Product(
            key="headphones-bt",
            title=L(
                "Auriculares Inalámbricos Bluetooth Vincha Cancelación Ruido",
                "Fone De Ouvido Bluetooth Headphone Cancelamento Ruído",
                MLM="Audífonos Inalámbricos Bluetooth Diadema Cancelación Ruido",
            ),
            category="3697",
            price_usd=55,
            brand="Sonar",
            model="Q30",
            description=L(
                "Auriculares over-ear con cancelación activa de ruido, 40 horas de batería y cable "
                "auxiliar incluido.",
                "Headphone over-ear com cancelamento ativo de ruído, 40 horas de bateria e cabo "
                "auxiliar incluso.",
            ),
            shipping="free_cross_docking",
            warranty=("factory", 6, "months"),
            colours=("black", "white", "blue"),
        ),
        Product(
            key="notebook",
            title=L(
                "Notebook 15.6 Pulgadas Intel Core I5 Windows 11",
                "Notebook 15.6 Polegadas Intel Core I5 Windows 11",
                MLM="Laptop 15.6 Pulgadas Intel Core I5 Windows 11",
                MCO="Portátil 15.6 Pulgadas Intel Core I5",
            ),
            category="1652",
            price_usd=640,
            brand="Altura",
            model="A15 Slim",
            description=L(
                "Procesador Intel Core i5 de 12ª generación, pantalla Full HD, teclado numérico.\n"
                "Trae cargador original. No incluye mouse.",
                "Processador Intel Core i5 de 12ª geração, tela Full HD, teclado numérico.\n"
                "Vem com carregador original. Não acompanha mouse.",
            ),
            shipping="free_cross_docking",
            warranty=("factory", 12, "months"),
            capacities=("8 GB RAM / 256 GB SSD", "16 GB RAM / 512 GB SSD"),
            capacity_attribute="MEMORY_CONFIG",
            listing_type="gold_pro",
        ),
        Product(
            key="smartwatch",
            title=L(
                "Reloj Inteligente Smartwatch Deportivo Sumergible",
                "Relógio Smartwatch Esportivo À Prova D'água",
            ),
            category="417704",
            price_usd=39,
            brand="Pulso",
            model="Fit 3",
            description=L(
                "Monitor de ritmo cardíaco y sueño, notificaciones, resistente al agua IP68.",
                "Monitor de batimentos e sono, notificações, resistente à água IP68.",
            ),
            shipping="paid_me2",
            warranty=("seller", 3, "months"),
            colours=("black", "pink", "grey"),
        ),
        Product(
            key="charger-usbc",
            title=L("Cargador Rápido Usb-c 20w Con Cable", "Carregador Turbo Usb-c 20w Com Cabo"),
            category="373341",
            price_usd=12,
            brand="Voltix",
            model="PD20",
            description=L(
                "Cargador de pared USB-C Power Delivery 20 W con cable de 1 metro.",
                "Carregador de parede USB-C Power Delivery 20 W com cabo de 1 metro.",
            ),
            shipping="pickup",
            warranty=("seller", 3, "months"),
            extra=(("COLOR", L("Color", "Cor"), L("Blanco", "Branco")),),
        ),
        Product(
            key="ssd-external",
            title=L(
                "Disco Sólido Externo Ssd Portátil Usb 3.2", "Ssd Externo Portátil Usb 3.2 Alta Velocidade"
            ),
            category="1672",
            price_usd=85,
            brand="Datta",
            model="Go X",
            description=L(
                "SSD portátil de hasta 1050 MB/s, carcasa de aluminio, cable USB-C a USB-A incluido.",
                "SSD portátil de até 1050 MB/s, carcaça de alumínio, cabo USB-C para USB-A incluso.",
            ),
            shipping="fulfillment",
            warranty=("factory", 36, "months"),
            capacities=("1 TB", "2 TB"),
            capacity_attribute="CAPACITY",
        ),
        Product(
            key="console-used",
            title=L(
                "Consola De Videojuegos Portátil Usada Con Dos Joysticks",
                "Console De Videogame Portátil Usado Com Dois Controles",
            ),
            category="438578",
            price_usd=190,
            brand="Arcadia",
            model="Switchy Lite",
            description=L(
                "Consola usada en muy buen estado, funciona perfecto. Se entrega con caja y cargador.",
                "Console usado em ótimo estado, funcionando perfeitamente. Acompanha caixa e carregador.",
            ),
            shipping="pickup",
            warranty=("seller", 3, "months"),
            condition="used",
            listing_type="gold_special",
            extra=(("COLOR", L("Color", "Cor"), L("Gris", "Cinza")),),
        ),
        Product(
            key="sheets-cotton",
            title=L(
                "Juego De Sábanas Algodón 180 Hilos",
                "Jogo De Lençol Algodão 180 Fios",
                MLM="Juego De Sábanas Algodón 180 Hilos Matrimonial Y King",
            ),
            category="436298",
            price_usd=30,
            brand="Casa Nube",
            model="Clásico 180",
            description=L(
                "Juego de sábanas de algodón 180 hilos: sábana ajustable, sábana plana y dos fundas.",
                "Jogo de lençol de algodão 180 fios: lençol com elástico, lençol de cima e duas fronhas.",
            ),
            shipping="paid_me2",
            warranty=("none", 0, "days"),
            colours=("white", "beige", "grey"),
            sizes="bed",
            material=L("Algodón", "Algodão"),
        ),
        Product(
            key="pan-set",
            title=L("Set Batería De Cocina Antiadherente 5 Piezas", "Jogo De Panelas Antiaderente 5 Peças"),
            category="436380",
            price_usd=70,
            brand="Cocina Viva",
            model="Ceramic 5",
            description=L(
                "Cinco piezas de aluminio con recubrimiento cerámico. Aptas para inducción.",
                "Cinco peças de alumínio com revestimento cerâmico. Compatíveis com indução.",
            ),
            shipping="free_cross_docking",
            warranty=("factory", 6, "months"),
            material=L("Aluminio", "Alumínio"),
            extra=(("COLOR", L("Color", "Cor"), L("Gris", "Cinza")),),
        ),
        Product(
            key="espresso-maker",
            title=L(
                "Cafetera Espresso Automática 15 Bar Con Espumador",
                "Cafeteira Espresso Automática 15 Bar Com Vaporizador",
            ),
            category="1578",
            price_usd=120,
            brand="Moka Lab",
            model="Barista 15",
            description=L(
                "Bomba de 15 bar, depósito de 1,2 litros y vaporizador para leche. 220 V.",
                "Bomba de 15 bar, reservatório de 1,2 litro e vaporizador de leite. 127 V ou 220 V.",
            ),
            shipping="fulfillment",
            warranty=("factory", 12, "months"),
            colours=("black", "red", "white"),
            listing_type="gold_pro",
        ),
        Product(
            key="desk-lamp",
            title=L(
                "Lámpara De Escritorio Led Flexible Regulable", "Luminária De Mesa Led Articulada Dimerizável"
            ),
            category="436315",
            price_usd=18,
            brand="Lumo",
            model="Flex",
            description=L(
                "Lámpara LED de 7 W, brazo flexible, tres tonos de luz y puerto USB.",
                "Luminária LED de 7 W, haste articulada, três tons de luz e porta USB.",
            ),
            shipping="pickup",
            warranty=("seller", 6, "months"),
            colours=("black", "white"),
        ),
        Product(
            key="office-chair",
            title=L(
                "Silla De Escritorio Ergonómica Malla Con Apoyabrazos",
                "Cadeira De Escritório Ergonômica Tela Com Braços",
            ),
            category="435280",
            price_usd=110,
            brand="Ergo Home",
            model="Mesh 200",
            description=L(
                "Respaldo de malla, soporte lumbar, altura regulable. Se entrega desarmada.",
                "Encosto em tela, apoio lombar, altura regulável. Enviada desmontada.",
            ),
            shipping="free_cross_docking",
            warranty=("seller", 90, "days"),
            colours=("black", "grey"),
        ),
        Product(
            key="towel-set",
            title=L(
                "Juego De Toallas Y Toallón Algodón 500 Gramos",
                "Jogo De Toalhas De Banho Algodão 500 Gramas",
                MLM="Juego De Toallas De Baño Algodón 500 Gramos",
            ),
            category="436294",
            price_usd=22,
            brand="Casa Nube",
            model="Spa 500",
            description=L(
                "Una toalla y un toallón de algodón 500 g/m², suaves y absorbentes.",
                "Uma toalha de rosto e uma de banho de algodão 500 g/m², macias e absorventes.",
            ),
            shipping="paid_me2",
            warranty=("none", 0, "days"),
            colours=("white", "grey", "blue", "beige"),
            material=L("Algodón", "Algodão"),
        ),
        Product(
            key="backpack",
            title=L(
                "Mochila Urbana Porta Notebook 15.6 Impermeable",
                "Mochila Executiva Para Notebook 15.6 Impermeável",
            ),
            category="26538",
            price_usd=29,
            brand="Ruta",
            model="Urban 25L",
            description=L(
                "Mochila de 25 litros con compartimiento acolchado para notebook y puerto USB externo.",
                "Mochila de 25 litros com compartimento acolchoado para notebook e saída USB.",
            ),
            shipping="free_cross_docking",
            warranty=("seller", 30, "days"),
            colours=("black", "grey", "navy"),
            material=L("Poliéster", "Poliéster"),
        ),
    )
