"""Why a send failed or a thread was handed to a person, in words an agent understands (never a code)."""

from __future__ import annotations

from collections.abc import Mapping

# The failure codes of the send pipeline (`outbox.pipeline`), as shown in the inbox.
FAILURES = {
    "guard_blocked": "el texto no cumple las reglas de Mercado Libre",
    "rejected": "Mercado Libre rechazó el envío",
    "not_allowed": "Mercado Libre no admite mensajes ahí ahora",
    "no_recipient": "no se sabe a quién enviarlo",
    "account_unavailable": "la cuenta está desconectada o sin autorización",
    "gave_up": "Mercado Libre no respondió durante demasiado tiempo",
}
SEND_FAILED = "send_failed:"


def failure_label(failure: str | None) -> str | None:
    if failure is None:
        return None
    return FAILURES.get(failure, "el envío falló")


def handoff_label(reason: str | None, channel_reasons: Mapping[str, str]) -> str | None:
    """The thread's handoff reason: the channel's own words, a send failure, or the code as a last resort."""
    if not reason:
        return None
    if reason in channel_reasons:
        return channel_reasons[reason]
    if reason.startswith(SEND_FAILED):
        return f"no se envió: {failure_label(reason.removeprefix(SEND_FAILED))}"
    return reason
