"""The first response to a claim, by what the buyer complains about: pure rules, plain data in, a text out.

Mercado Libre names a claim's reason with an id whose prefix says the family (§9.1: `PNR` product not
received, `PDD` different or defective, `CS` cancelled purchase) and, in the reason's settings, a triage
(`rules_engine_triage`, §9.4: repentant, defective, incomplete, different, not_working). `category`
turns those into one of a few categories; a seller's rules map categories to a template. Variables are
filled from the claim, its order and its shipment; a variable with no value leaves out the sentence
that uses it, never a hole in the text. Every rule is guard-checked when the configuration loads, and
the rendered text again when it is sent.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ClaimCategory = Literal[
    "not_received",
    "defective",
    "incomplete",
    "different",
    "not_working",
    "repentant",
    "cancellation",
    "other",
]
CATEGORIES: tuple[str, ...] = (
    "not_received",
    "defective",
    "incomplete",
    "different",
    "not_working",
    "repentant",
    "cancellation",
    "other",
)
# The variables a claim template may use; `render` fills them from what ingest read.
VARIABLES = (
    "claim_id",
    "order_id",
    "item_title",
    "reason",
    "due_date",
    "shipment_status",
    "tracking_number",
    "carrier",
    "return_policy",
)
_TRIAGE = {
    "repentant": "repentant",
    "defective": "defective",
    "incomplete": "incomplete",
    "different": "different",
    "not_working": "not_working",
}
_NAME_HINTS = (
    ("repent", "repentant"),
    ("not_original", "different"),
    ("different", "different"),
    ("defect", "defective"),
    ("damag", "defective"),
    ("incomplete", "incomplete"),
    ("missing", "incomplete"),
    ("not_working", "not_working"),
    ("not_received", "not_received"),
)


def category(reason_id: str | None, triage: list[str] | None = None, name: str | None = None) -> str:
    """The category of a claim's reason: its triage first, else its name, else its id's family."""
    for value in triage or []:
        if value in _TRIAGE:
            return _TRIAGE[value]
    lowered = (name or "").lower()
    for hint, found in _NAME_HINTS:
        if hint in lowered:
            return found
    prefix = re.match(r"[A-Z]+", reason_id or "")
    family = prefix.group(0) if prefix else ""
    if family == "PNR":
        return "not_received"
    if family == "CS":
        return "cancellation"
    if family == "PDD":
        return "different"
    return "other"


class ClaimRule(BaseModel):
    """One automatic first response: for claims in `when`, the text in the claim's language."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    when: list[str] = Field(min_length=1)
    text: dict[str, str] = Field(min_length=1)  # lang -> template
    enabled: bool = True

    @field_validator("when")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"unknown claim categories {', '.join(unknown)}; use {', '.join(CATEGORIES)}")
        return value

    @field_validator("text")
    @classmethod
    def _known_variables(cls, value: dict[str, str]) -> dict[str, str]:
        for lang, template in value.items():
            if lang not in ("es", "pt"):
                raise ValueError(f"claim rule text for unknown language {lang!r}; use es or pt")
            for _, field, _, _ in string.Formatter().parse(template):
                if field is not None and field not in VARIABLES:
                    raise ValueError(f"unknown variable {{{field}}}; use {', '.join(VARIABLES)}")
        return value


DEFAULT_CLAIM_RULES: list[dict[str, object]] = [
    {
        "id": "not_received",
        "when": ["not_received"],
        "text": {
            "es": "Hola, lamentamos que tu compra todavía no haya llegado. "
            "Estado del envío: {shipment_status}. Código de seguimiento: {tracking_number} ({carrier}). "
            "Lo estamos revisando y te escribimos apenas tengamos novedades.",
            "pt": "Olá, sentimos que sua compra ainda não chegou. Situação do envio: {shipment_status}. "
            "Código de rastreamento: {tracking_number} ({carrier}). Estamos verificando e escrevemos "
            "assim que tivermos novidades.",
        },
    },
    {
        "id": "defective_or_different",
        "when": ["defective", "different", "incomplete", "not_working"],
        "text": {
            "es": "Hola, lamentamos lo que pasó con {item_title}. Podés devolverlo sin costo y te enviamos "
            "otro igual o te devolvemos el dinero, como prefieras. Contanos qué opción elegís.",
            "pt": "Olá, sentimos muito pelo problema com {item_title}. Você pode devolvê-lo sem custo e "
            "enviamos outro igual ou devolvemos o dinheiro, como preferir. Conte qual opção escolhe.",
        },
    },
    {
        "id": "repentant",
        "when": ["repentant"],
        "text": {
            "es": "Hola, no hay problema. {return_policy} Contanos si querés avanzar con la devolución.",
            "pt": "Olá, sem problemas. {return_policy} Conte se quer seguir com a devolução.",
        },
    },
]
DEFAULT_RETURN_POLICY = {
    "es": "Podés devolver el producto sin uso y en su empaque dentro de los 30 días de recibido.",
    "pt": "Você pode devolver o produto sem uso e na embalagem em até 30 dias após o recebimento.",
}
SHIPMENT_STATUS_WORDS = {
    "es": {
        "pending": "pendiente",
        "handling": "en preparación",
        "ready_to_ship": "listo para despachar",
        "shipped": "en camino",
        "delivered": "entregado",
        "not_delivered": "no entregado",
        "cancelled": "cancelado",
    },
    "pt": {
        "pending": "pendente",
        "handling": "em preparação",
        "ready_to_ship": "pronto para envio",
        "shipped": "a caminho",
        "delivered": "entregue",
        "not_delivered": "não entregue",
        "cancelled": "cancelado",
    },
}


def rule_for(rules: list[ClaimRule], claim_category: str) -> ClaimRule | None:
    """The first enabled rule for the category, if any."""
    return next((r for r in rules if r.enabled and claim_category in r.when), None)


def render(rule: ClaimRule, lang: str, variables: Mapping[str, str | None]) -> str | None:
    """The rule's text in `lang` (else its first language) with the variables filled in.

    A sentence whose variable has no value is left out; a text left empty gives None.
    """
    return render_sentences(rule.text.get(lang) or next(iter(rule.text.values())), variables)


def render_sentences(template: str, variables: Mapping[str, str | None]) -> str | None:
    """A template with its variables filled, leaving out each sentence whose variable has no value."""
    kept = []
    for sentence in re.split(r"(?<=[.!?])\s+", template.strip()):
        fields = [f for _, f, _, _ in string.Formatter().parse(sentence) if f]
        if any(not (variables.get(f) or "").strip() for f in fields):
            continue
        kept.append(sentence.format(**{f: str(variables[f]).strip() for f in fields}))
    text = " ".join(kept).strip()
    return text or None


def shipment_words(status: str | None, lang: str) -> str | None:
    if not status:
        return None
    return SHIPMENT_STATUS_WORDS.get(lang, SHIPMENT_STATUS_WORDS["es"]).get(status, status.replace("_", " "))
