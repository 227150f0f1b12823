"""HTTP routes for post-sale messaging (§8) and the control actions that play the buyer."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import ConfigDict, Field

from mostrador.sandbox import action_guide
from mostrador.sandbox.bodies import ControlBody, JsonBody, StrictBody, fields
from mostrador.sandbox.caller import CallerDep, sandbox_state
from mostrador.sandbox.errors import BadRequest, Forbidden, NotFound, RawError
from mostrador.sandbox.messaging import (
    blocked_send_error,
    conversation,
    conversation_status_view,
    mark_read,
    message_view,
    participant_check,
    post_message,
    resolve_pack,
    store_attachment,
    thread,
    unread,
    visible_to,
)
from mostrador.sandbox.notifications import Notifier
from mostrador.sandbox.records import Message, Pack
from mostrador.sandbox.state import SandboxState

router = APIRouter()

# Time an action-guide send holds its per-pack lock (a concurrent send meanwhile gets 409, §8.7).
OPTION_SEND_S = 0.05


async def require_post_sale(
    tag: Annotated[str | None, Query(description="always post_sale (§8)", examples=["post_sale"])] = None,
) -> None:
    """§8: `tag=post_sale` is mandatory on every /messages call since 31/05/2022."""
    if tag != "post_sale":
        raise BadRequest("tag post_sale is required", error="bad_request")


PostSale = Annotated[None, Depends(require_post_sale)]


class UserRef(StrictBody):
    # §8.1: user ids appear as numbers or as strings.
    user_id: int | str


class NewMessage(StrictBody):
    """§8.3: `{"from": {"user_id"}, "to": {"user_id"}, "text", "attachments"?}`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"from": {"user_id": "415458330"}, "to": {"user_id": "1234567890"}, "text": "Hola"}]
        }
    )
    sender: UserRef | None = Field(None, alias="from")
    to: UserRef | None = None
    text: str = ""
    attachments: list[str] | None = None


class GuideOption(StrictBody):
    """§8.7: `{"option_id", "template_id"}` or `{"option_id", "text"}`."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"option_id": "OTHER", "text": "Hola, ¿nos confirmás la dirección?"}]}
    )
    option_id: str | None = None
    template_id: str | None = None
    text: str | None = None


MESSAGE_BODY = JsonBody(NewMessage)
OPTION_BODY = JsonBody(GuideOption)


def _notifier(request: Request) -> Notifier:
    notifier: Notifier = request.app.state.notifier
    return notifier


def _notify(request: Request, message: Message, action: str, user_id: int) -> None:
    # §4.2: `messages` carries the bare message id as resource and the addressee as user_id.
    _notifier(request).publish("messages", message.id, user_id, actions=[action])


def _read(request: Request, state: SandboxState, pack: Pack, reader_id: int) -> None:
    for message in mark_read(state, pack, reader_id):
        _notify(request, message, "read", message.from_id)


def _flag(raw: str | None, default: bool) -> bool:
    return default if raw is None else raw.lower() not in ("false", "0", "no")


@router.get("/messages/packs/{pack_id}/sellers/{seller_id}")
async def read_conversation(
    pack_id: int,
    seller_id: int,
    request: Request,
    caller: CallerDep,
    _: PostSale,
    limit: int = 10,
    offset: int = 0,
) -> dict[str, Any]:
    state = sandbox_state(request)
    pack = resolve_pack(state, pack_id)
    participant_check(pack, seller_id, caller.user.id)
    if _flag(request.query_params.get("mark_as_read"), True):
        _read(request, state, pack, caller.user.id)
    visible = [m for m in thread(state, pack) if visible_to(m, caller.user.id)]
    return {
        "paging": {"limit": limit, "offset": offset, "total": len(visible)},
        "conversation_status": conversation_status_view(state, conversation(state, pack)),
        "messages": [message_view(state, m) for m in visible[offset : offset + limit]],
        "seller_max_message_length": 350,
        "buyer_max_message_length": 3500,
    }


@router.post(
    "/messages/packs/{pack_id}/sellers/{seller_id}", status_code=201, openapi_extra=MESSAGE_BODY.openapi
)
async def send_message(
    pack_id: int,
    seller_id: int,
    request: Request,
    caller: CallerDep,
    _: PostSale,
    new: Annotated[NewMessage, Depends(MESSAGE_BODY)],
) -> dict[str, Any]:
    body = fields(new)
    state = sandbox_state(request)
    pack = resolve_pack(state, pack_id)
    participant_check(pack, seller_id, caller.user.id)
    if caller.user.id != pack.seller_id:
        raise Forbidden("only the seller writes through this resource", error="forbidden")
    to_id = str((body.get("to") or {}).get("user_id", ""))
    if to_id != str(pack.buyer_id):
        raise BadRequest(f"user {to_id} does not belong to pack {pack.id}", error="bad_request")
    attachments = body.get("attachments") or []
    if "attachments" in body and body["attachments"] == []:
        raise BadRequest("attachments must be omitted when empty", error="bad_request")
    if conversation(state, pack).status == "blocked":
        raise blocked_send_error()
    if not any(m.from_id == pack.buyer_id for m in thread(state, pack)):
        # §8.7: on ME2 sales the seller opens the conversation only through the action guide.
        raise RawError(
            403,
            {"status_code": 403, "code": "forbidden", "message": "blocked_by_conversation_started_by_seller"},
        )
    message = post_message(state, pack, caller.user.id, body.get("text", ""), attachments, caller.app.id)
    if message.status == "available":
        _notify(request, message, "created", message.to_id)
    return message_view(state, message)


@router.get("/messages/unread")
async def unread_all(
    request: Request, caller: CallerDep, _: PostSale, role: str | None = None
) -> dict[str, Any]:
    if role not in ("seller", "buyer"):
        raise BadRequest("role is required: seller or buyer", error="bad_request")
    return unread(sandbox_state(request), caller.user.id, role)


@router.get("/messages/unread/packs/{pack_id}/sellers/{seller_id}")
async def unread_one(
    pack_id: int, seller_id: int, request: Request, caller: CallerDep, _: PostSale
) -> dict[str, Any]:
    state = sandbox_state(request)
    pack = resolve_pack(state, pack_id)
    participant_check(pack, seller_id, caller.user.id)
    role = "seller" if caller.user.id == pack.seller_id else "buyer"
    return unread(state, caller.user.id, role, pack.id)


@router.post("/messages/attachments")
async def upload_attachment(
    request: Request, caller: CallerDep, _: PostSale, file: UploadFile
) -> dict[str, Any]:
    data = await file.read()
    attachment = store_attachment(sandbox_state(request), caller.user.id, file.filename or "file", data)
    return {"id": attachment.id}


@router.get("/messages/attachments/{attachment_id}", response_model=None)
async def download_attachment(
    attachment_id: str, request: Request, caller: CallerDep, _: PostSale
) -> Response:
    state = sandbox_state(request)
    attachment = state.attachments.get(attachment_id)
    if attachment is None:
        raise NotFound(f"attachment {attachment_id} not found")
    allowed = attachment.owner_id == caller.user.id or any(
        attachment_id in m.attachment_ids and caller.user.id in (m.from_id, m.to_id)
        for m in state.messages.values()
    )
    if not allowed:
        raise Forbidden("access to the requested resource is forbidden")
    return Response(
        attachment.data,
        media_type=attachment.content_type,
        headers={"content-disposition": f'attachment; filename="{attachment.original_filename}"'},
    )


def _guide_pack(request: Request, pack_id: int, caller_id: int) -> Pack:
    pack = resolve_pack(sandbox_state(request), pack_id)
    if pack.seller_id != caller_id:
        raise RawError(403, {"status_code": 403, "code": "forbidden", "message": "no access to the pack"})
    return pack


@router.get("/messages/action_guide/packs/{pack_id}")
async def guide_options(pack_id: int, request: Request, caller: CallerDep, _: PostSale) -> dict[str, Any]:
    return action_guide.options(sandbox_state(request), _guide_pack(request, pack_id, caller.user.id))


@router.get("/messages/action_guide/packs/{pack_id}/caps_available", response_model=None)
async def guide_caps(pack_id: int, request: Request, caller: CallerDep, _: PostSale) -> JSONResponse:
    return JSONResponse(
        action_guide.caps(sandbox_state(request), _guide_pack(request, pack_id, caller.user.id))
    )


@router.post(
    "/messages/action_guide/packs/{pack_id}/option", status_code=201, openapi_extra=OPTION_BODY.openapi
)
async def guide_send(
    pack_id: int,
    request: Request,
    caller: CallerDep,
    _: PostSale,
    option: Annotated[GuideOption, Depends(OPTION_BODY)],
) -> dict[str, Any]:
    state = sandbox_state(request)
    pack = _guide_pack(request, pack_id, caller.user.id)
    locks: set[int] = request.app.state.action_guide_locks
    if pack.id in locks:
        raise action_guide.conflict()
    locks.add(pack.id)
    try:
        option_id, text = action_guide.option_text(state, pack, fields(option))
        await asyncio.sleep(OPTION_SEND_S)
        message = post_message(state, pack, caller.user.id, text, [], caller.app.id, option_id=option_id)
        convo = conversation(state, pack)
        convo.caps_used[option_id] = convo.caps_used.get(option_id, 0) + 1
    finally:
        locks.discard(pack.id)
    if message.status == "available":
        _notify(request, message, "created", message.to_id)
    return action_guide.action_view(message_view(state, message))


@router.get("/messages/{message_id}")
async def message_by_id(message_id: str, request: Request, caller: CallerDep, _: PostSale) -> dict[str, Any]:
    """§8.2: the wrapper shape `{paging: null, conversation_status: null, messages: [...]}`."""
    state = sandbox_state(request)
    message = state.messages.get(message_id)
    if message is None or not visible_to(message, caller.user.id):
        raise NotFound(f"The message with id: {message_id} could not be retrieved from storage")
    if caller.user.id not in (message.from_id, message.to_id):
        raise Forbidden("access to the requested resource is forbidden")
    if _flag(request.query_params.get("mark_as_read"), True) and message.to_id == caller.user.id:
        _read(request, state, state.packs[message.pack_id], caller.user.id)
    return {"paging": None, "conversation_status": None, "messages": [message_view(state, message)]}


class BuyerMessage(ControlBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "¿Cuándo llega?"}]})
    text: str
    attachments: list[str] = Field(default_factory=list)


class ConversationChange(ControlBody):
    status: str = Field(pattern="^(active|blocked)$")
    substatus: str | None = None


BUYER_MESSAGE_BODY = JsonBody(BuyerMessage)
CONVERSATION_BODY = JsonBody(ConversationChange)


@router.post(
    "/_sandbox/packs/{pack_id}/buyer_messages", status_code=201, openapi_extra=BUYER_MESSAGE_BODY.openapi
)
async def buyer_writes(
    pack_id: int, new: Annotated[BuyerMessage, Depends(BUYER_MESSAGE_BODY)], request: Request
) -> dict[str, Any]:
    state = sandbox_state(request)
    pack = resolve_pack(state, pack_id)
    message = post_message(state, pack, pack.buyer_id, new.text, new.attachments, state.internal_app.id)
    if message.status == "available":
        _notify(request, message, "created", pack.seller_id)
    return message_view(state, message)


@router.post("/_sandbox/packs/{pack_id}/buyer_read")
async def buyer_reads(pack_id: int, request: Request) -> dict[str, Any]:
    state = sandbox_state(request)
    pack = resolve_pack(state, pack_id)
    before = sum(1 for m in thread(state, pack) if m.read_ts is not None)
    _read(request, state, pack, pack.buyer_id)
    return {"read": sum(1 for m in thread(state, pack) if m.read_ts is not None) - before}


@router.post("/_sandbox/packs/{pack_id}/conversation", openapi_extra=CONVERSATION_BODY.openapi)
async def change_conversation(
    pack_id: int, change: Annotated[ConversationChange, Depends(CONVERSATION_BODY)], request: Request
) -> dict[str, Any]:
    """Block or reopen a thread (§8.6 substatuses such as `blocked_by_buyer`, `blocked_by_mediation`)."""
    state = sandbox_state(request)
    convo = conversation(state, resolve_pack(state, pack_id))
    convo.status = change.status
    convo.substatus = change.substatus if change.status == "blocked" else None
    convo.status_ts = state.now()
    return conversation_status_view(state, convo)


@router.post("/_sandbox/attachments", status_code=201)
async def buyer_attachment(request: Request, file: UploadFile, pack_id: int) -> dict[str, Any]:
    """Upload a file as the pack's buyer, to attach it to a buyer message."""
    state = sandbox_state(request)
    pack = resolve_pack(state, pack_id)
    attachment = store_attachment(state, pack.buyer_id, file.filename or "file", await file.read())
    return {"id": attachment.id}
