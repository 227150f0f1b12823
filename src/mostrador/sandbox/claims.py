"""Claims (§9): the claim -> dispute -> closed state machine, players, actions, deadlines and histories."""

from __future__ import annotations

from typing import Any

from mostrador.sandbox.claim_files import file_meta
from mostrador.sandbox.claim_reasons import reason_for
from mostrador.sandbox.clock import iso_marketplace, iso_utc_seconds
from mostrador.sandbox.errors import SandboxError
from mostrador.sandbox.moderation import moderation_reason
from mostrador.sandbox.records import Claim, ClaimMessage, Order
from mostrador.sandbox.state import SandboxState

# Fixed id of the Mercado Libre mediator player (type `internal`, §9.1).
MEDIATOR_ID = 46622406
RESPONSE_WINDOW_S = 3 * 24 * 3600
ROLES = ("complainant", "respondent", "mediator")


class ClaimError(SandboxError):
    """§9.10 envelopes: `bad_request_error`, `forbidden_error`, `business_logic_error`."""


def not_found() -> ClaimError:
    return ClaimError("Resource not found", error="business_logic_error", status=404)


def forbidden() -> ClaimError:
    return ClaimError("You don't have permission to access the resource", error="forbidden_error", status=403)


def action_not_available(action: str, error: str = "bad_request_error") -> ClaimError:
    return ClaimError(f"Action {action} not available for player", error=error, status=400)


def open_claim(state: SandboxState, order: Order, reason_id: str, claim_type: str = "mediations") -> Claim:
    reason = reason_for(reason_id)
    if reason is None:
        raise ClaimError(f"reason {reason_id} not found", error="bad_request_error", status=400)
    if any(c.order_id == order.id and c.status == "opened" for c in state.claims.values()):
        raise ClaimError("The order already has an open claim", error="bad_request_error", status=400)
    now = state.now()
    shipment = state.shipments[order.shipment_id]
    claim = Claim(
        id=state.ids.claim_id(),
        order_id=order.id,
        pack_id=order.pack_id,
        buyer_id=order.buyer_id,
        seller_id=order.seller_id,
        site_id=order.site_id,
        reason_id=reason_id,
        type=claim_type,
        created_ts=now,
        updated_ts=now,
        fulfilled=shipment.status == "delivered",
        due_ts=now + RESPONSE_WINDOW_S,
    )
    claim.actions_history.append(history_entry("open_claim", "complainant", None, None, now))
    claim.status_history.append(
        {"stage": "claim", "status": "opened", "date": iso_marketplace(now), "change_by": "complainant"}
    )
    add_resolution(claim, "complainant", reason["expected"][0], "pending", now)
    state.claims[claim.id] = claim
    order.mediation_ids.append(claim.id)
    return claim


def history_entry(name: str, role: str, stage: str | None, status: str | None, ts: float) -> dict[str, Any]:
    """One `actions-history` element (§9.5)."""
    return {
        "action_name": name,
        "player_role": role,
        # The §9.5 sample shows "" for actions taken inside a claim and null for the opening.
        "action_reason_id": None if name == "open_claim" else "",
        "claim_stage": stage,
        "claim_status": status,
        "date_created": iso_marketplace(ts),
    }


def record(state: SandboxState, claim: Claim, action: str, role: str) -> None:
    """Log an action in the claim's history as it was taken: the stage and status before it (§9.5)."""
    now = state.now()
    claim.actions_history.append(history_entry(action, role, claim.stage, claim.status, now))
    claim.updated_ts = now


def _optional(action: str) -> dict[str, Any]:
    return {"action": action, "mandatory": False, "due_date": None}


def pending(claim: Claim, role: str, *resolutions: str) -> dict[str, Any] | None:
    """The player's pending expected resolution among `resolutions` (any when none given), if any."""
    for entry in claim.expected_resolutions:
        mine = entry["player_role"] == role and entry["status"] == "pending"
        if mine and (not resolutions or entry["expected_resolution"] in resolutions):
            return entry
    return None


def _sent(claim: Claim, evidence_type: str) -> bool:
    return any(e["type"] == evidence_type for e in claim.evidences)


def seller_actions(claim: Claim) -> list[dict[str, Any]]:
    """What the respondent may do now; §9.1: only one player holds the mandatory action."""
    if claim.status != "opened":
        return []
    if claim.stage == "dispute":
        return [_optional("send_message_to_mediator")]
    mandatory = claim.mandatory_holder == "respondent"
    actions = [
        {
            "action": "send_message_to_complainant",
            "mandatory": mandatory,
            "due_date": iso_marketplace(claim.due_ts) if mandatory else None,
        },
        _optional("refund"),
        _optional("open_dispute"),
    ]
    if claim.reason_id.startswith("PDD") and claim.returned is None:
        # §9.7: a return answers the buyer's wish for a return or a change; a partial refund needs
        # the buyer's `return_product` still pending.
        if pending(claim, "complainant", "return_product", "change_product"):
            actions.append(_optional("allow_return"))
        if pending(claim, "complainant", "return_product"):
            actions.append(_optional("allow_partial_refund"))
    if claim.reason_id.startswith("PNR"):
        # §9.1/§9.8: proof of a shipment made outside Mercado Envíos, or a promised shipping date
        # for a product that had not arrived; each can be sent once (evidence cannot be edited).
        if not _sent(claim, "shipping_evidence"):
            actions.append(_optional("add_shipping_evidence"))
        if not claim.fulfilled and not _sent(claim, "handling_shipping_evidence"):
            actions.append(_optional("send_potential_shipping"))
    return actions


def seller_may(claim: Claim, action: str, error: str = "bad_request_error") -> None:
    """Raise the §9.10 400 unless the respondent holds `action` now."""
    if action not in {a["action"] for a in seller_actions(claim)}:
        raise action_not_available(action, error)


def buyer_actions(claim: Claim) -> list[dict[str, Any]]:
    if claim.status != "opened":
        return []
    if claim.stage == "dispute":
        return [{"action": "send_message_to_mediator", "mandatory": False, "due_date": None}]
    mandatory = claim.mandatory_holder == "complainant"
    return [
        {
            "action": "send_message_to_respondent",
            "mandatory": mandatory,
            "due_date": iso_marketplace(claim.due_ts) if mandatory else None,
        },
        {"action": "open_dispute", "mandatory": False, "due_date": None},
    ]


def claim_view(claim: Claim) -> dict[str, Any]:
    """The §9.1 shape."""
    players: list[dict[str, Any]] = [
        {
            "role": "complainant",
            "type": "buyer",
            "user_id": claim.buyer_id,
            "available_actions": buyer_actions(claim),
        },
        {
            "role": "respondent",
            "type": "seller",
            "user_id": claim.seller_id,
            "available_actions": seller_actions(claim),
        },
    ]
    if claim.stage in ("dispute", "recontact"):
        players.append(
            {"role": "mediator", "type": "internal", "user_id": MEDIATOR_ID, "available_actions": []}
        )
    return {
        "id": claim.id,
        "resource_id": claim.order_id,
        "status": claim.status,
        "type": claim.type,
        "stage": claim.stage,
        "parent_id": None,
        "resource": "order",
        "reason_id": claim.reason_id,
        "fulfilled": claim.fulfilled,
        "quantity_type": "total",
        "claimed_quantity": 1,
        "claim_version": 2.0,
        "players": players,
        "resolution": claim.resolution,
        "site_id": claim.site_id,
        "date_created": iso_marketplace(claim.created_ts),
        "last_updated": iso_marketplace(claim.updated_ts),
        "related_entities": ["return"] if claim.returned is not None else [],
    }


def role_of(claim: Claim, user_id: int) -> str:
    if user_id == claim.seller_id:
        return "respondent"
    if user_id == claim.buyer_id:
        return "complainant"
    raise forbidden()


def send_message(
    state: SandboxState, claim: Claim, sender_role: str, receiver_role: str, text: str, attachments: list[str]
) -> ClaimMessage:
    """§9.6: allowed only when the sender holds the matching `send_message_to_*` action."""
    action = f"send_message_to_{receiver_role}"
    available = seller_actions(claim) if sender_role == "respondent" else buyer_actions(claim)
    if receiver_role not in ROLES or action not in {a["action"] for a in available}:
        raise action_not_available(action)
    if not text.strip():
        raise ClaimError("message is required", error="bad_request_error", status=400)
    for filename in attachments:
        if filename not in claim.attachments:
            raise ClaimError(
                f"Attachment not found [claim: {claim.id} - fileName: {filename}]",
                error="business_logic_error",
                status=400,
            )
    now = state.now()
    message = ClaimMessage(
        sender_role=sender_role,
        receiver_role=receiver_role,
        text=text,
        stage=claim.stage,
        created_ts=now,
        hash=f"{claim.id}_{len(claim.messages)}_{state.ids.notification_id()}",
        attachments=list(attachments),
    )
    claim.messages.append(message)
    claim.actions_history.append(history_entry(action, sender_role, claim.stage, claim.status, now))
    if claim.stage == "claim" and claim.mandatory_holder is not None:
        # The mandatory reply passes to the player who just received a message.
        claim.mandatory_holder = receiver_role
        claim.due_ts = now + RESPONSE_WINDOW_S
    claim.updated_ts = now
    state.claim_messages_log.append(
        {
            "claim_id": claim.id,
            "sender_role": sender_role,
            "receiver_role": receiver_role,
            "text": text,
            "stage": claim.stage,
            "attachments": list(attachments),
            "status": "moderated" if moderation_reason(text) else "available",
            "date_created": iso_marketplace(now),
        }
    )
    return message


def open_dispute(state: SandboxState, claim: Claim, by_role: str) -> None:
    if claim.status != "opened" or claim.stage != "claim":
        raise action_not_available("open_dispute")
    now = state.now()
    claim.stage = "dispute"
    claim.mandatory_holder = "mediator"
    claim.due_ts = now + RESPONSE_WINDOW_S
    claim.updated_ts = now
    claim.actions_history.append(history_entry("open_dispute", by_role, "claim", "opened", now))
    claim.status_history.append(
        {"stage": "dispute", "status": "opened", "date": iso_marketplace(now), "change_by": by_role}
    )


def close(state: SandboxState, claim: Claim, reason: str, benefited: str, closed_by: str) -> None:
    if claim.status == "closed":
        raise action_not_available("close")
    now = state.now()
    claim.status = "closed"
    claim.updated_ts = now
    claim.resolution = {
        "reason": reason,
        "date_created": iso_marketplace(now),
        "benefited": [benefited],
        "closed_by": closed_by,
        "applied_coverage": False,
    }
    claim.status_history.append(
        {"stage": claim.stage, "status": "closed", "date": iso_marketplace(now), "change_by": closed_by}
    )
    claim.mandatory_holder = None
    for resolution in claim.expected_resolutions:
        if resolution["status"] == "pending":
            # The buyer got what was asked when the claim closes in their favour; an offer still
            # waiting for an answer lapses.
            won = resolution["player_role"] == "complainant" and benefited == "complainant"
            set_status(resolution, "accepted" if won else "rejected", now)


def set_status(resolution: dict[str, Any], status: str, ts: float) -> None:
    resolution["status"] = status
    resolution["last_updated"] = iso_marketplace(ts)


def add_resolution(
    claim: Claim,
    role: str,
    resolution: str,
    status: str,
    ts: float,
    details: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Append an expected resolution (§9.7) in the GET shape."""
    entry = {
        "player_role": role,
        "user_id": claim.buyer_id if role == "complainant" else claim.seller_id,
        "expected_resolution": resolution,
        "details": details or [],
        "date_created": iso_marketplace(ts),
        "last_updated": iso_marketplace(ts),
        "status": status,
    }
    claim.expected_resolutions.append(entry)
    return entry


def set_due(state: SandboxState, claim: Claim, due_in_s: float) -> None:
    """Move the deadline of whoever must act now (control API); a past one is missed at the next tick."""
    if turn(claim) is None:
        raise ClaimError("nobody must act on this claim now", error="bad_request_error", status=400)
    claim.due_ts = state.now() + due_in_s
    claim.updated_ts = state.now()


def expire_deadlines(state: SandboxState) -> list[Claim]:
    """A seller who misses the mandatory reply sees the claim escalated to a dispute (§9.1 `due_date`)."""
    changed = []
    for claim in state.claims.values():
        if (
            claim.status == "opened"
            and claim.stage == "claim"
            and claim.mandatory_holder == "respondent"
            and claim.due_ts <= state.now()
        ):
            open_dispute(state, claim, "mediator")
            changed.append(claim)
    return changed


def message_view(message: ClaimMessage, claim: Claim) -> dict[str, Any]:
    created = iso_marketplace(message.created_ts)
    reason = moderation_reason(message.text)
    return {
        "sender_role": message.sender_role,
        "receiver_role": message.receiver_role,
        "message": message.text,
        "translated_message": None,
        "date_created": created,
        "last_updated": created,
        "message_date": created,
        "date_read": iso_utc_seconds(message.read_ts) if message.read_ts else None,
        "attachments": [attachment_meta(claim, name) for name in message.attachments],
        "status": "moderated" if reason else "available",
        "stage": message.stage,
        "message_moderation": {
            "status": "rejected" if reason else "clean",
            "reason": reason or "",
            "source": "online",
            "date_moderated": created,
        },
        "repeated": False,
        "hash": message.hash,
    }


def mark_read(state: SandboxState, claim: Claim, reader_role: str) -> None:
    """Reading the claim's messages marks those addressed to the reader (§9.6 `date_read`)."""
    for message in claim.messages:
        if message.receiver_role == reader_role and message.read_ts is None:
            message.read_ts = state.now()


def attachment_meta(claim: Claim, filename: str) -> dict[str, Any]:
    return file_meta(claim.attachments, filename)


INCENTIVE_WINDOW_S = 48 * 3600


def affects_reputation(claim: Claim) -> bool:
    """Whether the claim counts against the seller (§9.3); in the sandbox an answer from the seller
    keeps it out of the reputation (the seller's `claims` metric uses the same rule, §3.2)."""
    return not any(m.sender_role == "respondent" for m in claim.messages)


def reputation_view(claim: Claim, now: float) -> dict[str, Any]:
    """`…/affects-reputation` (§9.3): the incentive lasts the first 48 hours of an open claim."""
    in_window = now - claim.created_ts < INCENTIVE_WINDOW_S
    return {
        "affects_reputation": "affected" if affects_reputation(claim) else "not_affected",
        "has_incentive": in_window and claim.status == "opened",
        "due_date": iso_marketplace(claim.created_ts + INCENTIVE_WINDOW_S) if in_window else None,
    }


RESPONSIBLE = {"respondent": "seller", "complainant": "buyer", "mediator": "mediator"}


def turn(claim: Claim) -> str | None:
    """The role whose move it is: the player holding the mandatory action, the mediator in a dispute,
    nobody on a closed claim or while a return travels (§9.1: one player at a time)."""
    if claim.status != "opened":
        return None
    if claim.stage == "dispute":
        return "mediator"
    return claim.mandatory_holder


def _headline(claim: Claim) -> tuple[str, str]:
    returned = claim.returned
    if claim.status == "closed":
        return "Reclamo cerrado", "El reclamo está cerrado."
    if claim.stage == "dispute":
        return "Reclamo en mediación con Mercado Libre", "Intervinimos para ayudar."
    if returned is not None and returned.status == "shipped":
        return "Devolución en camino", "El producto está volviendo a tu domicilio."
    if returned is not None:
        return "Devolución aceptada", "El comprador tiene que despachar el producto."
    if pending(claim, "respondent", "partial_refund"):
        return "Ofreciste un reembolso parcial", "Esperamos la respuesta del comprador."
    if claim.mandatory_holder == "complainant":
        return "Esperando al comprador", "Le respondiste; ahora le toca al comprador."
    return "Reclamo abierto", "Respondé al comprador para resolverlo."


def detail_view(claim: Claim) -> dict[str, Any]:
    """`/detail`: who must act next and until when, the same player `available_actions` shows
    holding the mandatory action (or the mediator in a dispute)."""
    role = turn(claim)
    title, description = _headline(claim)
    return {
        "due_date": iso_marketplace(claim.due_ts) if role is not None else None,
        "action_responsible": RESPONSIBLE[role] if role is not None else None,
        "title": title,
        "description": description,
        "problem": f"Nos dijiste: {(reason_for(claim.reason_id) or {}).get('detail', '')}",
    }
