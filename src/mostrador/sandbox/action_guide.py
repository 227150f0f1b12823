"""Seller-initiated contact through the action guide (§8.7): options, caps, templates and the send lock."""

from __future__ import annotations

from typing import Any

from mostrador.sandbox.errors import RawError
from mostrador.sandbox.messaging import SELLER_MAX, conversation, thread
from mostrador.sandbox.records import Pack
from mostrador.sandbox.state import SandboxState

CAP_PER_OPTION = 1
OPTION_IDS = ("REQUEST_VARIANTS", "REQUEST_BILLING_INFO", "SEND_INVOICE_LINK", "DELIVERY_PROMISE", "OTHER")
FREE_TEXT = {"SEND_INVOICE_LINK", "OTHER"}
TEMPLATES = {
    "REQUEST_VARIANTS": (
        "¡Hola! ¿Nos confirmás el color y el talle que preferís para tu compra?",
        "Olá! Pode confirmar a cor e o tamanho que prefere para a sua compra?",
    ),
    "REQUEST_BILLING_INFO": (
        "¡Hola! Necesitamos tus datos de facturación para emitir la factura.",
        "Olá! Precisamos dos seus dados de faturamento para emitir a nota fiscal.",
    ),
    "DELIVERY_PROMISE": (
        "¡Hola! Entregaremos tu compra hoy entre las 14 y las 18 hs.",
        "Olá! Entregaremos sua compra hoje entre 14 e 18 h.",
    ),
}


def _error(status: int, code: str, message: str) -> RawError:
    # §8.7: the action guide answers with `status_code` instead of the §10 envelope.
    return RawError(status, {"status_code": status, "code": code, "message": message})


def _enabled(state: SandboxState, pack: Pack, option_id: str) -> bool:
    shipment = state.shipments[pack.shipment_id]
    if option_id == "REQUEST_VARIANTS":
        return shipment.logistic_type in ("cross_docking", "drop_off", "xd_drop_off")
    if option_id == "DELIVERY_PROMISE":
        return shipment.logistic_type == "self_service"
    if option_id == "OTHER":
        # Since 20/01/2025 OTHER is unavailable once the shipment is delivered.
        return shipment.status != "delivered"
    return True


def caps(state: SandboxState, pack: Pack) -> list[dict[str, Any]]:
    used = conversation(state, pack).caps_used
    return [{"option_id": o, "cap_available": max(0, CAP_PER_OPTION - used.get(o, 0))} for o in OPTION_IDS]


def options(state: SandboxState, pack: Pack) -> dict[str, Any]:
    remaining = {c["option_id"]: c["cap_available"] for c in caps(state, pack)}
    result = []
    for option_id in OPTION_IDS:
        free = option_id in FREE_TEXT
        template: dict[str, Any] = {"id": f"TEMPLATE___{option_id}___1", "vars": None}
        if option_id == "DELIVERY_PROMISE":
            # §8.7 sample: the delivery promise template carries per-site texts and two numeric vars.
            spanish, portuguese = TEMPLATES[option_id]
            template["texts"] = {
                site: {"html": portuguese if site == "mlb" else spanish}
                for site in ("mla", "mlb", "mlc", "mco", "mlu")
            }
            template["vars"] = [
                {"id": f"TEMPLATE___DELIVERY_PROMISE___1___VAR___{var}", "type": "NUMBER"}
                for var in ("INIT", "LIMIT")
            ]
        result.append(
            {
                "id": option_id,
                "internal_description": option_id.replace("_", " ").capitalize(),
                "enabled": _enabled(state, pack, option_id),
                "type": "free_text" if free else "template",
                "templates": None if free else [template],
                "actionable": True,
                "char_limit": SELLER_MAX if free else None,
                "child_options": [] if option_id == "DELIVERY_PROMISE" else None,
                "cap_available": remaining[option_id],
            }
        )
    return {"options": result}


def option_text(state: SandboxState, pack: Pack, body: dict[str, Any]) -> tuple[str, str]:
    """Validate an option send (§8.7 errors) and return (option_id, text)."""
    option_id = body.get("option_id")
    if option_id not in OPTION_IDS or not _enabled(state, pack, str(option_id)):
        raise _error(404, "not_found", f"option {option_id} not found")
    option_id = str(option_id)
    if any(m.from_id == pack.buyer_id for m in thread(state, pack)):
        raise _error(403, "forbidden", "blocked_by_conversation_use_message_api")
    convo = conversation(state, pack)
    if convo.status == "blocked":
        raise _error(403, "forbidden", "blocked_conversation_send_message_forbidden")
    if convo.caps_used.get(option_id, 0) >= CAP_PER_OPTION:
        raise _error(403, "forbidden", f"no permission to execute {option_id} again")
    if option_id in FREE_TEXT:
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _error(400, "bad_request", "text is required")
        if len(text) > SELLER_MAX:
            raise _error(400, "limit_exceeded", f"text exceeds {SELLER_MAX} characters")
        return option_id, text
    if body.get("template_id") != f"TEMPLATE___{option_id}___1":
        raise _error(400, "bad_request", "invalid template_id")
    spanish, portuguese = TEMPLATES[option_id]
    return option_id, portuguese if state.users[pack.seller_id].site_id == "MLB" else spanish


def conflict() -> RawError:
    """§8.7: 409 while another option is being sent for the same sale."""
    return _error(409, "conflict", "another option is being sent for this pack")


def action_view(message_view: dict[str, Any]) -> dict[str, Any]:
    """The created-message shape of §8.7 (docs_action_guide_message_sent.json)."""
    return {
        "id": message_view["id"],
        "to": message_view["to"],
        "status": message_view["status"],
        "text": message_view["text"],
        "message_date": message_view["message_date"],
        "message_moderation": message_view["message_moderation"],
    }
