"""Variables in a reply (`{price}`, `{tracking_number}` …), filled from the live listing or order at
the moment the reply is sent — so a template written last month quotes today's price.

A variable the channel does not know, or one with no value in this conversation (an order not shipped
yet has no tracking number), refuses the reply with words saying which; nothing is sent with a hole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from mostrador.conversations.outgoing import ReplyRefused
from mostrador.i18n import gettext

VARIABLE = re.compile(r"\{([a-z_]{1,40})\}")


def variables_in(text: str) -> list[str]:
    """The variables a text names, in order, each once."""
    return list(dict.fromkeys(VARIABLE.findall(text)))


def unknown_variables(text: str, known: Mapping[str, str]) -> list[str]:
    return [name for name in variables_in(text) if name not in known]


def fill(text: str, values: Mapping[str, str | None], known: Mapping[str, str]) -> str:
    """`text` with every variable replaced; `ReplyRefused` naming an unknown or empty one."""
    unknown = unknown_variables(text, known)
    if unknown:
        names = ", ".join(f"{{{n}}}" for n in known) or gettext("ninguna")
        raise ReplyRefused(
            gettext("No existe la variable %(name)s acá. Se pueden usar: %(names)s.")
            % {"name": f"{{{unknown[0]}}}", "names": names}
        )
    missing = [n for n in variables_in(text) if not values.get(n)]
    if missing:
        said = ", ".join(f"{{{n}}} ({gettext(known[n])})" for n in missing)
        raise ReplyRefused(
            gettext("No hay dato para %(names)s en esta conversación; escribilo a mano.") % {"names": said}
        )
    return VARIABLE.sub(lambda m: str(values[m.group(1)]), text)
