"""Post-sale messaging (§8): conversations per pack, sending rules, moderation, unread, attachments."""

from __future__ import annotations

from typing import Any

from mostrador.sandbox.clock import iso_utc_ms
from mostrador.sandbox.errors import BadRequest, Forbidden, NotFound, RawError
from mostrador.sandbox.moderation import moderation_reason
from mostrador.sandbox.records import Attachment, Conversation, Message, Pack
from mostrador.sandbox.state import SandboxState

SELLER_MAX = 350
BUYER_MAX = 3500
MAX_ATTACHMENTS = 25
ATTACHMENT_MAX_BYTES = 25 * 1024 * 1024
ATTACHMENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "pdf": "application/pdf",
    "txt": "text/plain",
}


def blocked_send_error() -> RawError:
    """§8.3 documented 403 body for a blocked conversation."""
    return RawError(
        403,
        {"status_code": 403, "code": "forbidden", "message": "blocked_conversation_send_message_forbidden"},
    )


def resolve_pack(state: SandboxState, pack_or_order_id: int) -> Pack:
    """§8: the pack slot may carry an order id when the order has no pack."""
    pack = state.packs.get(pack_or_order_id)
    if pack is None and pack_or_order_id in state.orders:
        pack = state.packs[state.orders[pack_or_order_id].pack_id]
    if pack is None:
        raise NotFound(f"Pack {pack_or_order_id} not found", error="not_found")
    return pack


def conversation(state: SandboxState, pack: Pack) -> Conversation:
    convo = state.conversations.get(pack.id)
    if convo is None:
        convo = Conversation(
            pack_id=pack.id, seller_id=pack.seller_id, buyer_id=pack.buyer_id, status_ts=pack.created_ts
        )
        state.conversations[pack.id] = convo
    return convo


def participant_check(pack: Pack, seller_id: int, caller_id: int) -> None:
    if pack.seller_id != seller_id or caller_id not in (pack.seller_id, pack.buyer_id):
        raise Forbidden("access to the requested resource is forbidden", error="forbidden")


def thread(state: SandboxState, pack: Pack) -> list[Message]:
    """Newest first, like the paging sample of §8.1."""
    messages = (m for m in state.messages.values() if m.pack_id == pack.id)
    return sorted(messages, key=lambda m: m.created_ts, reverse=True)


def visible_to(message: Message, viewer_id: int) -> bool:
    """§8.1: the counterpart's moderated messages are hidden; your own are shown."""
    return message.from_id == viewer_id or message.status == "available"


def check_attachments(state: SandboxState, owner_id: int, ids: list[str]) -> None:
    if len(ids) > MAX_ATTACHMENTS:
        raise BadRequest(f"at most {MAX_ATTACHMENTS} attachments per message", error="bad_request")
    for attachment_id in ids:
        attachment = state.attachments.get(attachment_id)
        if attachment is None or attachment.owner_id != owner_id:
            raise BadRequest(f"attachment {attachment_id} not found", error="bad_request")


def post_message(
    state: SandboxState,
    pack: Pack,
    from_id: int,
    text: str,
    attachment_ids: list[str],
    client_id: int,
    option_id: str | None = None,
) -> Message:
    """Store a message after the §8.3 checks; moderation decides `status` (§8.1)."""
    convo = conversation(state, pack)
    is_seller = from_id == pack.seller_id
    limit = SELLER_MAX if is_seller else BUYER_MAX
    if not text.strip() and not attachment_ids:
        raise BadRequest("text is required", error="bad_request")
    if len(text) > limit:
        raise BadRequest(f"text exceeds {limit} characters", error="limit_exceeded")
    if is_seller and convo.status == "blocked":
        raise blocked_send_error()
    check_attachments(state, from_id, attachment_ids)
    now = state.now()
    reason = moderation_reason(text)
    first = not any(m.pack_id == pack.id for m in state.messages.values())
    message = Message(
        id=state.ids.hex_id(),
        pack_id=pack.id,
        seller_id=pack.seller_id,
        from_id=from_id,
        to_id=pack.buyer_id if is_seller else pack.seller_id,
        text=text,
        site_id=state.users[pack.seller_id].site_id,
        client_id=client_id,
        created_ts=now,
        status="moderated" if reason else "available",
        moderation_status="rejected" if reason else "clean",
        moderation_reason=reason,
        attachment_ids=list(attachment_ids),
        first_in_conversation=first,
        option_id=option_id,
    )
    state.messages[message.id] = message
    if (
        not is_seller
        and convo.status == "blocked"
        and convo.substatus in ("blocked_by_time", "blocked_by_refund")
    ):
        # §8.6: these blocks lift when the buyer writes again.
        convo.status, convo.substatus, convo.status_ts = "active", None, now
    state.messages_log.append(
        {
            "message_id": message.id,
            "pack_id": pack.id,
            "seller_id": pack.seller_id,
            "from_role": "seller" if is_seller else "buyer",
            "from_id": from_id,
            "to_id": message.to_id,
            "text": text,
            "status": message.status,
            "moderation_reason": reason,
            "option_id": option_id,
            "attachments": list(attachment_ids),
            "date_created": iso_utc_ms(now),
        }
    )
    return message


def mark_read(state: SandboxState, pack: Pack, reader_id: int) -> list[Message]:
    now = state.now()
    changed = []
    for message in thread(state, pack):
        if message.to_id == reader_id and message.read_ts is None and message.status == "available":
            message.read_ts = now
            changed.append(message)
    return changed


def message_view(state: SandboxState, message: Message) -> dict[str, Any]:
    """The §8.1 message object."""
    created = iso_utc_ms(message.created_ts)
    available = created if message.status == "available" else None
    attachments = [
        attachment_view(state.attachments[a]) for a in message.attachment_ids if a in state.attachments
    ]
    return {
        "id": message.id,
        "site_id": message.site_id,
        "client_id": message.client_id,
        "from": {"user_id": message.from_id},
        "to": {"user_id": message.to_id},
        "status": message.status,
        "subject": None,
        "text": message.text,
        "message_date": {
            "received": created,
            "available": available,
            "notified": available,
            "created": created,
            "read": iso_utc_ms(message.read_ts) if message.read_ts else None,
        },
        "message_moderation": {
            "status": message.moderation_status,
            "reason": message.moderation_reason,
            "source": "online",
            "moderation_date": created,
        },
        "message_attachments": attachments or None,
        "message_resources": [
            {"id": str(message.pack_id), "name": "packs"},
            {"id": str(message.seller_id), "name": "sellers"},
        ],
        "conversation_first_message": message.first_in_conversation,
    }


def attachment_view(attachment: Attachment) -> dict[str, Any]:
    return {
        "filename": attachment.id,
        "original_filename": attachment.original_filename,
        "type": attachment.content_type,
        "size": len(attachment.data),
        "potential_security_threat": False,
        "creation_date": iso_utc_ms(attachment.created_ts),
    }


def conversation_status_view(state: SandboxState, convo: Conversation) -> dict[str, Any]:
    claim_ids = [c.id for c in state.claims.values() if c.pack_id == convo.pack_id] or None
    return {
        "path": f"/packs/{convo.pack_id}/sellers/{convo.seller_id}",
        "status": convo.status,
        "substatus": convo.substatus,
        "status_date": iso_utc_ms(convo.status_ts),
        "status_update_allowed": False,
        "claim_ids": claim_ids,
        "shipping_id": state.packs[convo.pack_id].shipment_id,
    }


def store_attachment(state: SandboxState, owner_id: int, filename: str, data: bytes) -> Attachment:
    """§8.4: 25 MB, JPG/PNG/PDF/TXT; the id is `{user_id}_{uuid}.{ext}`."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ATTACHMENT_TYPES:
        raise BadRequest(
            "invalid_extension: only JPG, PNG, PDF and TXT files are accepted", error="bad_request"
        )
    if len(data) > ATTACHMENT_MAX_BYTES:
        raise BadRequest("invalid_size: files must be at most 25 MB", error="bad_request")
    if not data:
        raise BadRequest("the file is empty", error="bad_request")
    token = state.ids.notification_id()
    attachment = Attachment(
        id=f"{owner_id}_{token}.{extension}",
        owner_id=owner_id,
        original_filename=filename,
        content_type=ATTACHMENT_TYPES[extension],
        data=data,
        created_ts=state.now(),
    )
    state.attachments[attachment.id] = attachment
    return attachment


def unread(state: SandboxState, user_id: int, role: str, pack_id: int | None = None) -> dict[str, Any]:
    """§8.5: unread counts per conversation, at most 500 conversations."""
    counts: dict[int, int] = {}
    for message in state.messages.values():
        if message.to_id != user_id or message.read_ts is not None or message.status != "available":
            continue
        pack = state.packs[message.pack_id]
        if (role == "seller" and pack.seller_id != user_id) or (role == "buyer" and pack.buyer_id != user_id):
            continue
        if pack_id is not None and pack.id != pack_id:
            continue
        counts[pack.id] = counts.get(pack.id, 0) + 1
    results = [
        {"resource": f"/packs/{p}/sellers/{state.packs[p].seller_id}", "count": n}
        for p, n in list(counts.items())[:500]
    ]
    return {"user_id": user_id, "results": results}
