"""Why a send failed or a thread was handed to a person, in words an agent understands (never a code),
in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping

from mostrador.i18n import N_, gettext

# The failure codes of the send pipeline (`outbox.pipeline`), as shown in the inbox.
FAILURES = {
    "guard_blocked": N_("el texto no cumple las reglas de Mercado Libre"),
    "rejected": N_("Mercado Libre rechazó el envío"),
    "not_allowed": N_("Mercado Libre no admite mensajes ahí ahora"),
    "no_recipient": N_("no se sabe a quién enviarlo"),
    "account_unavailable": N_("la cuenta está desconectada o sin autorización"),
    "gave_up": N_("Mercado Libre no respondió durante demasiado tiempo"),
}
SEND_FAILED = "send_failed:"
FAILED = N_("el envío falló")


def failure_label(failure: str | None) -> str | None:
    if failure is None:
        return None
    return gettext(FAILURES.get(failure, FAILED))


def handoff_label(reason: str | None, channel_reasons: Mapping[str, str]) -> str | None:
    """The thread's handoff reason: the channel's own words, a send failure, or the code as a last resort."""
    if not reason:
        return None
    if reason in channel_reasons:
        return gettext(channel_reasons[reason])
    if reason.startswith(SEND_FAILED):
        return gettext("no se envió: %(why)s") % {"why": failure_label(reason.removeprefix(SEND_FAILED))}
    return reason
