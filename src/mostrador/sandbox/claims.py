"""Claims (§9): the claim -> dispute -> closed state machine, players, actions, deadlines and histories."""

from __future__ import annotations

from typing import Any

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


def action_not_available(action: str) -> ClaimError:
    return ClaimError(f"Action {action} not available for player", error="bad_request_error", status=400)


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
    claim.actions_history.append(_action("open_claim", "complainant", None, None, now))
    claim.status_history.append(
        {"stage": "claim", "status": "opened", "date": iso_marketplace(now), "change_by": "complainant"}
    )
    claim.expected_resolutions.append(
        {
            "player_role": "complainant",
            "user_id": order.buyer_id,
            "expected_resolution": reason["expected"][0],
            "details": [],
            "date_created": iso_marketplace(now),
            "last_updated": iso_marketplace(now),
            "status": "pending",
        }
    )
    state.claims[claim.id] = claim
    order.mediation_ids.append(claim.id)
    return claim


def _action(name: str, role: str, stage: str | None, status: str | None, ts: float) -> dict[str, Any]:
    return {
        "action_name": name,
        "player_role": role,
        # The §9.5 sample shows "" for actions taken inside a claim and null for the opening.
        "action_reason_id": None if name == "open_claim" else "",
        "claim_stage": stage,
        "claim_status": status,
        "date_created": iso_marketplace(ts),
    }


def seller_actions(claim: Claim) -> list[dict[str, Any]]:
    """What the respondent may do now; §9.1: only one player holds the mandatory action."""
    if claim.status != "opened":
        return []
    due = iso_marketplace(claim.due_ts)
    if claim.stage == "dispute":
        return [{"action": "send_message_to_mediator", "mandatory": False, "due_date": None}]
    mandatory = claim.mandatory_holder == "respondent"
    actions = [
        {
            "action": "send_message_to_complainant",
            "mandatory": mandatory,
            "due_date": due if mandatory else None,
        },
        {"action": "refund", "mandatory": False, "due_date": None},
        {"action": "open_dispute", "mandatory": False, "due_date": None},
    ]
    if claim.reason_id.startswith("PDD"):
        actions += [
            {"action": "allow_return", "mandatory": False, "due_date": None},
            {"action": "allow_partial_refund", "mandatory": False, "due_date": None},
        ]
    return actions


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
        "related_entities": [],
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
    claim.actions_history.append(_action(action, sender_role, claim.stage, claim.status, now))
    if claim.stage == "claim":
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
    claim.actions_history.append(_action("open_dispute", by_role, "claim", "opened", now))
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
    for resolution in claim.expected_resolutions:
        if resolution["status"] == "pending":
            resolution["status"] = "accepted" if benefited == "complainant" else "rejected"
            resolution["last_updated"] = iso_marketplace(now)


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
    attachment = claim.attachments[filename]
    return {
        "filename": filename,
        "original_filename": attachment.original_filename,
        "size": len(attachment.data),
        "date_created": iso_marketplace(attachment.created_ts),
        "type": attachment.content_type,
    }


def detail_view(claim: Claim) -> dict[str, Any]:
    """`/detail`: who must act next and until when."""
    responsible = {"respondent": "seller", "complainant": "buyer", "mediator": "mediator"}[
        claim.mandatory_holder
    ]
    if claim.status == "closed":
        title, description = "Reclamo cerrado", "El reclamo está cerrado."
    elif claim.stage == "dispute":
        title, description = "Reclamo en mediación con Mercado Libre", "Intervinimos para ayudar."
    else:
        title, description = "Reclamo abierto", "Respondé al comprador para resolverlo."
    return {
        "due_date": iso_marketplace(claim.due_ts) if claim.status == "opened" else None,
        "action_responsible": responsible,
        "title": title,
        "description": description,
        "problem": f"Nos dijiste: {(reason_for(claim.reason_id) or {}).get('detail', '')}",
    }
