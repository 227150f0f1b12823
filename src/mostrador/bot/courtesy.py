"""Greetings and sign-offs around a question ("Hola! … Gracias") are removed before classification.

They carry no intent of their own unless nothing else is said: per the labelling rules in intents.md a
"Hola, ¿tenés stock?" is `availability` only, while a bare "¡Gracias!" is `greeting`.
"""

from __future__ import annotations

import re

_OPENERS = (
    r"buenos dias|buenas tardes|buenas noches|buen dia|hola+s?|holis|ola|oi+e?|opa|ei|hey|buenas|bom dia|"
    r"boa tarde|boa noite|boas|ola boa (?:tarde|noite)|que tal|como estas|como esta|como vai|tudo bem|"
    r"tudo bom|td bem|prezad[oa]s?|estimad[oa]s?|disculpa|disculpe|perdon|desculpa|desculpe|"
    r"com licenca|con permiso|(?:amig[oa]s?|vendedora?|senor|senora|senores|querid[oa]|caballero|jefe|"
    r"che|hermano|mano|moco|moca|ok|okay|okey|certo|entendi|ata|bom|bueno|dale|listo|perfeito|perfecto)"
    r"(?=\s*[,!.:])"
)
_CLOSERS = (
    r"gracias|muchas gracias|mil gracias|muchisimas gracias|obrigad[oa]|muito obrigad[oa]|agradeco|"
    r"desde ja agradeco|desde ya gracias|desde ya muchas gracias|grat[oa]|saludos|saludos cordiales|slds|"
    r"abraco|abracos|abrazo|abrazos|att|atte|atenciosamente|aguardo|aguardo retorno|aguardo resposta|"
    r"quedo atento|quedo atenta|quedo a la espera|espero respuesta|espero tu respuesta|bendiciones|"
    r"deus abencoe|bjs|beijos|valeu|vlw|por favor|porfavor|pf|obg|tmj|un saludo|muito obrigado mesmo|"
    r"bom dia|boa tarde|boa noite|buen dia|buenas tardes|buenas noches|buen finde|bom fim de semana"
)
_OPEN = re.compile(rf"^[\s¡¿]*(?:(?:{_OPENERS})\b[\s,.!?;:]*)+")
_CLOSE = re.compile(rf"(?:[\s,.!;:]*\b(?:{_CLOSERS}))+[\s,.!?;:]*$")
_ONLY_PUNCT = re.compile(r"^[\s,.!?;:¿¡()\-]*$")


def strip_courtesy(folded: str) -> tuple[str, bool]:
    """Return the text without leading greetings or trailing sign-offs, and whether any were found."""
    core = _OPEN.sub("", folded)
    core = _CLOSE.sub("", core)
    stripped = core != folded
    if _ONLY_PUNCT.match(core):
        return "", True
    return core.strip(" ,.;:"), stripped
