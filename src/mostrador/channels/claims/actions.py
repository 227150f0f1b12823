"""What a seller can do in a claim besides writing (§9.7, §9.8): open a dispute, refund, allow a return,
offer a partial refund, send shipping evidence.

Each action goes out through the outbox like a message — recorded first (once per action per claim),
posted once, and after an attempt whose outcome is unknown looked for in the claim's action history
before it is tried again — and it shows in the claim's conversation as the agent's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mostrador.accounts.seller_api import SellerApi
from mostrador.channels.base import REFUSALS, ActionOffer, Posted, PostRefused
from mostrador.conversations import outgoing
from mostrador.conversations.outgoing import Outgoing, ReplyPlan, ReplyRefused
from mostrador.i18n import N_, gettext
from mostrador.meli.models import ShippingEvidence
from mostrador.store.waiting import ACTION_PREFIX

SHIPPING_METHODS = {
    "mail": N_("Correo o transporte"),
    "entrusted": N_("Encomienda (agencia)"),
    "personal_delivery": N_("Entrega en mano"),
    "email": N_("Por e-mail (producto digital)"),
}


@dataclass(frozen=True)
class ActionSpec:
    """One kind of action: the seller's `available_actions` entry that allows it (§9.1), its words, and
    the action-history names that show it was done (§9.5)."""

    name: str
    allowed_by: tuple[str, ...]
    label: str
    confirm: str
    done_as: tuple[str, ...]
    fields: tuple[str, ...] = ()


SPECS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        ActionSpec(
            "refund",
            ("refund",),
            N_("Devolver el dinero"),
            N_("Mercado Libre devuelve el total al comprador y el reclamo se cierra. No se puede deshacer."),
            ("refund", "payment_refunded"),
        ),
        ActionSpec(
            "allow_return",
            ("allow_return", "allow_return_label"),
            N_("Aceptar la devolución"),
            N_(
                "El comprador recibe una etiqueta para devolver el producto; el dinero se le devuelve cuando "
                "el envío de vuelta sale o llega."
            ),
            ("allow_return", "generate_return"),
        ),
        ActionSpec(
            "partial_refund",
            ("allow_partial_refund",),
            N_("Ofrecer un reembolso parcial"),
            N_("El comprador se queda con el producto y recibe el porcentaje elegido, si lo acepta."),
            ("allow_partial_refund", "partial_refund"),
            fields=("percentage",),
        ),
        ActionSpec(
            "shipping_evidence",
            ("add_shipping_evidence", "send_potential_shipping"),
            N_("Enviar prueba de envío"),
            N_("Mercado Libre la suma al reclamo; no se puede editar después."),
            ("add_shipping_evidence", "shipping_evidence", "send_potential_shipping"),
            fields=("shipping_method", "shipping_company_name", "tracking_number", "date_shipped"),
        ),
        ActionSpec(
            "open_dispute",
            ("open_dispute",),
            N_("Pedir la mediación de Mercado Libre"),
            N_("Mercado Libre interviene y decide; desde ahí solo se le escribe al mediador."),
            ("open_dispute",),
        ),
    )
}


def offers(state: dict[str, Any]) -> list[ActionOffer]:
    """The actions the claim allows the seller now, with their due dates (from its recorded facts)."""
    if state.get("status") != "opened":
        return []
    allowed = {a.get("action"): a for a in state.get("actions") or [] if isinstance(a, dict)}
    found = []
    for spec in SPECS.values():
        entry = next((allowed[name] for name in spec.allowed_by if name in allowed), None)
        if entry is None:
            continue
        due = entry.get("due_date")
        found.append(
            ActionOffer(
                name=spec.name,
                label=spec.label,
                confirm=spec.confirm,
                mandatory=bool(entry.get("mandatory")),
                due_date=datetime.fromisoformat(due) if isinstance(due, str) else None,
                fields=spec.fields,
                choices=_choices(spec, state),
            )
        )
    return found


def _choices(spec: ActionSpec, state: dict[str, Any]) -> dict[str, list[str]]:
    if spec.name == "partial_refund":
        percentages = state.get("partial_refund_offers") or [50]
        return {"percentage": [str(p).removesuffix(".0") for p in percentages]}
    if spec.name == "shipping_evidence":
        return {"shipping_method": list(SHIPPING_METHODS)}
    return {}


def plan(thread_key: str, state: dict[str, Any], name: str, form: dict[str, str]) -> tuple[ReplyPlan, str]:
    """Where an action goes and the words it leaves in the conversation; `ReplyRefused` if not allowed."""
    offer = next((o for o in offers(state) if o.name == name), None)
    if offer is None:
        raise ReplyRefused(gettext("Mercado Libre no permite esa acción en este reclamo ahora."))
    params: dict[str, Any] = {"action": name}
    text = f"Acción: {offer.label.lower()}."
    if name == "partial_refund":
        percentage = (form.get("percentage") or "").strip()
        if percentage not in offer.choices.get("percentage", []):
            raise ReplyRefused(gettext("Elegí uno de los porcentajes que ofrece Mercado Libre."))
        params["percentage"] = float(percentage)
        text = f"Acción: reembolso parcial del {percentage} %."
    elif name == "shipping_evidence":
        evidence = {k: (form.get(k) or "").strip() or None for k in SPECS[name].fields}
        try:
            checked = ShippingEvidence.model_validate({k: v for k, v in evidence.items() if v})
        except ValueError as exc:
            raise ReplyRefused(
                gettext("Faltan datos de la prueba de envío: %(error)s") % {"error": exc}
            ) from exc
        params["evidence"] = checked.model_dump(mode="json", exclude_none=True)
        text = f"Acción: prueba de envío ({SHIPPING_METHODS.get(str(evidence['shipping_method']), '')})."
    target = f"{thread_key}:action:{name}"
    return ReplyPlan(target_id=target, external_id=f"{ACTION_PREFIX}{name}", params=params), text


async def post(api: SellerApi, reply: Outgoing) -> Posted:
    """Perform the recorded action once."""
    claim_id, name = reply.conversation_key, reply.params["action"]
    meli = api.meli
    try:
        if name == "refund":
            await api.call(meli.refund_claim, claim_id)
        elif name == "allow_return":
            await api.call(meli.allow_claim_return, claim_id)
        elif name == "partial_refund":
            await api.call(meli.offer_partial_refund, claim_id, reply.params["percentage"])
        elif name == "shipping_evidence":
            evidence = ShippingEvidence.model_validate(reply.params["evidence"])
            await api.call(meli.send_shipping_evidence, claim_id, evidence)
        elif name == "open_dispute":
            await api.call(meli.open_claim_dispute, claim_id)
        else:
            raise PostRefused("not_allowed", f"unknown claim action {name!r}")
    except REFUSALS as exc:
        raise PostRefused("rejected", str(exc)) from exc
    return Posted()


async def find_done(api: SellerApi, reply: Outgoing) -> Posted | None:
    """After an attempt whose outcome is unknown: does the claim's history show the action, by us, since
    shortly before it was recorded?"""
    spec = SPECS.get(str(reply.params.get("action")))
    if spec is None:
        return None
    history = await api.call(api.meli.get_claim_actions_history, reply.conversation_key)
    earliest = reply.created_at - outgoing.CLOCK_SLACK
    for entry in history:
        when = entry.date_created or datetime.min.replace(tzinfo=UTC)
        if entry.action_name in spec.done_as and entry.player_role == "respondent" and when >= earliest:
            return Posted()
    return None
