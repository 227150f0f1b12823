"""The REST API's routes under /api/v1 (docs/api.md): thin edges over the inbox's own services.

Reads go through the inbox's read models (`inbox.api_views`); every write — an answer, a message, a
claim's action — through `inbox.actions` and `inbox.composing`, recorded in the one outbox and sent by
its pipeline, exactly as an agent's reply from the inbox (the guard, the channel's rules, one send).
"""

from __future__ import annotations

import hashlib
from datetime import date
from enum import IntEnum
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from mostrador.accounts.tokens import AccountUnavailable, TokenRefreshFailed
from mostrador.channels.registry import CHANNELS, CLAIM_CHANNEL_NAME, QUESTION_CHANNEL_NAME
from mostrador.conversations.outgoing import Outgoing
from mostrador.dashboards.filters import PRESETS, UnknownAccount
from mostrador.inbox import actions, api_views, composing, views
from mostrador.meli import errors as meli_errors
from mostrador.store.conversations import TextFilter, ThreadFilter
from mostrador.users.api_keys import KeyHolder
from mostrador.web import dashboards as dashboard_pages
from mostrador.web.api import paging, schemas, trail
from mostrador.web.api.access import Reader, Writer
from mostrador.web.api.problems import NOT_FOUND, PREFIX, READS, WRITES, ApiProblem
from mostrador.web.deps import get_ctx
from mostrador.web.inbox import _schedule as schedule_send  # the inbox's one way to enqueue a send

router = APIRouter(prefix=PREFIX)
ChannelName = Annotated[
    str | None, Query(pattern=f"^({'|'.join(c.name for c in CHANNELS)})$", description="Only this channel's.")
]
ThreadStatus = Literal["waiting", "answered", "closed"]
ConversationId = Annotated[int, Path(ge=1, le=paging.MAX_ID)]
AccountId = Annotated[int | None, Query(ge=1, le=paging.MAX_ID, description="Only this account's.")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        description="The same key again within a conversation records (and sends) the message once.",
    ),
]
QUESTIONS_PATH = f"/{QUESTION_CHANNEL_NAME}"
CLAIMS_PATH = f"/{CLAIM_CHANNEL_NAME}"


# ---- reads ----------------------------------------------------------------------------------------
@router.get("/accounts", tags=["accounts"], responses=READS)
async def list_accounts(
    request: Request, key: Reader, limit: paging.Limit = paging.DEFAULT_LIMIT, cursor: paging.Cursor = None
) -> schemas.Page[schemas.Account]:
    """The workspace's connected Mercado Libre seller accounts."""
    after = paging.decode(cursor)
    rows = await run_in_threadpool(api_views.accounts, get_ctx(request), key.workspace_id)
    page = [a for a in rows if a.id > after][:limit]
    more = page[-1].id if len(page) == limit else None
    return schemas.Page(data=[schemas.Account.of(a) for a in page], next_cursor=paging.encode(more))


@router.get("/conversations", tags=["conversations"], responses=READS)
async def list_conversations(
    request: Request,
    key: Reader,
    channel: ChannelName = None,
    account_id: AccountId = None,
    status: ThreadStatus | None = None,
    owner: Literal["bot", "agent"] | None = None,
    item_id: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Words in a message, subject or buyer.")
    ] = None,
    limit: paging.Limit = paging.DEFAULT_LIMIT,
    cursor: paging.Cursor = None,
) -> schemas.Page[schemas.Conversation]:
    """Every thread of the workspace — question threads, post-sale chats, claims — in id order."""
    f = ThreadFilter(
        channel=channel,
        account_id=account_id,
        item_id=item_id.strip().upper() if item_id and item_id.strip() else None,
        status=status,
        owner=owner,
        search=q.strip() if q and q.strip() else None,
    )
    return await _threads(request, key, f, limit, cursor)


@router.get(CLAIMS_PATH, tags=[CLAIM_CHANNEL_NAME], responses=READS)
async def list_claims(
    request: Request,
    key: Reader,
    account_id: AccountId = None,
    status: ThreadStatus | None = None,
    limit: paging.Limit = paging.DEFAULT_LIMIT,
    cursor: paging.Cursor = None,
) -> schemas.Page[schemas.Conversation]:
    """Claims and mediations, each with its facts (`state`), deadline (`due_date`) and the `actions`
    Mercado Libre offers now."""
    f = ThreadFilter(channel=CLAIM_CHANNEL_NAME, account_id=account_id, status=status)
    return await _threads(request, key, f, limit, cursor)


async def _threads(
    request: Request, key: KeyHolder, f: ThreadFilter, limit: int, cursor: str | None
) -> schemas.Page[schemas.Conversation]:
    found = await run_in_threadpool(
        api_views.threads, get_ctx(request), key.workspace_id, f, paging.decode(cursor), limit
    )
    return schemas.Page(
        data=[schemas.Conversation.of(t) for t in found.rows], next_cursor=paging.encode(found.after)
    )


@router.get("/conversations/{conversation_id}", tags=["conversations"], responses=READS)
async def get_conversation(
    request: Request, key: Reader, conversation_id: ConversationId
) -> schemas.Conversation:
    """One thread, with its state and the actions offered now."""
    found = await run_in_threadpool(views.thread, get_ctx(request), key.workspace_id, conversation_id)
    if found is None:
        raise ApiProblem(404, NOT_FOUND, kind="not-found")
    return schemas.Conversation.of(found[0])


@router.get("/conversations/{conversation_id}/messages", tags=["conversations"], responses=READS)
async def list_messages(
    request: Request,
    key: Reader,
    conversation_id: ConversationId,
    limit: paging.Limit = paging.DEFAULT_LIMIT,
    cursor: paging.Cursor = None,
) -> schemas.Page[schemas.Message]:
    """A thread's messages both ways, in id order, each outgoing one with where its send stands."""
    found = await run_in_threadpool(
        api_views.messages, get_ctx(request), key.workspace_id, conversation_id, paging.decode(cursor), limit
    )
    if found is None:
        raise ApiProblem(404, NOT_FOUND, kind="not-found")
    return schemas.Page(
        data=[schemas.Message.of(m) for m in found.rows], next_cursor=paging.encode(found.after)
    )


@router.get(QUESTIONS_PATH, tags=[QUESTION_CHANNEL_NAME], responses=READS)
async def list_questions(
    request: Request,
    key: Reader,
    account_id: AccountId = None,
    conversation_id: Annotated[int | None, Query(ge=1, le=paging.MAX_ID)] = None,
    item_id: Annotated[str | None, Query(max_length=40)] = None,
    status: Literal["waiting", "answered"] | None = None,
    limit: paging.Limit = paging.DEFAULT_LIMIT,
    cursor: paging.Cursor = None,
) -> schemas.Page[schemas.Question]:
    """Buyers' questions on listings with their answers (one public answer each), in id order."""
    f = TextFilter(
        channel=QUESTION_CHANNEL_NAME,
        account_id=account_id,
        conversation_id=conversation_id,
        item_id=item_id.strip().upper() if item_id and item_id.strip() else None,
        status=status,
    )
    found = await run_in_threadpool(
        api_views.buyer_texts, get_ctx(request), key.workspace_id, f, paging.decode(cursor), limit
    )
    return schemas.Page(
        data=[schemas.Question.of(q) for q in found.rows], next_cursor=paging.encode(found.after)
    )


class Days(IntEnum):
    """The dashboards' presets: the last 7, 30, 90 or 365 days."""

    WEEK = 7
    MONTH = 30
    QUARTER = 90
    YEAR = 365


assert tuple(Days) == PRESETS, "the API's `days` are the dashboards' presets"
BOARDS = {path.rsplit("/", 1)[-1]: path for path in dashboard_pages.BUILDERS}


@router.get("/dashboards/{board}", tags=["dashboards"], responses=READS)
async def get_dashboard(
    request: Request,
    key: Reader,
    board: Annotated[str, Path(pattern=f"^({'|'.join(BOARDS)})$", description=", ".join(BOARDS))],
    account_id: AccountId = None,
    days: Annotated[Days | None, Query(description="The last days to count (default 30).")] = None,
    start: Annotated[date | None, Query(alias="from", description="A custom range's first day.")] = None,
    end: Annotated[date | None, Query(alias="to", description="A custom range's last day.")] = None,
    group_by: Annotated[str | None, Query(max_length=40)] = None,
) -> schemas.Dashboard:
    """A dashboard's figures and tables (the numbers of the Dashboards pages and their CSVs)."""
    params = {
        name: str(value)
        for name, value in {
            "account": account_id,
            "days": int(days) if days is not None else None,
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
            "group_by": group_by,
        }.items()
        if value is not None
    }
    try:
        built = await dashboard_pages.BUILDERS[BOARDS[board]](
            get_ctx(request), key.workspace_id, params, False
        )
    except UnknownAccount as exc:
        raise ApiProblem(404, NOT_FOUND, kind="not-found") from exc
    return schemas.Dashboard.of(board, built)


# ---- writes: the inbox's services, the one outbox -----------------------------------------------------
@router.post(
    f"{QUESTIONS_PATH}/{{question_id}}/answer",
    tags=[QUESTION_CHANNEL_NAME],
    status_code=202,
    responses=WRITES,
)
async def answer_question(
    request: Request,
    key: Writer,
    question_id: Annotated[str, Path(pattern=r"^[0-9]{1,20}$", description="Mercado Libre's question id.")],
    body: schemas.NewText,
) -> schemas.Accepted:
    """Answer a buyer's question (or replace a failed or unsent answer): the guard and Mercado Libre's
    rules apply as in the inbox, and the answer is posted once. Answering again with the same text
    changes nothing; with another text after the answer was sent, 409."""
    ctx = get_ctx(request)
    conversation_id = await run_in_threadpool(
        api_views.thread_of_text, ctx, key.workspace_id, QUESTION_CHANNEL_NAME, question_id
    )
    found = (
        await run_in_threadpool(views.thread, ctx, key.workspace_id, conversation_id)
        if conversation_id is not None
        else None
    )
    if conversation_id is None or found is None:
        raise ApiProblem(404, NOT_FOUND, kind="not-found")
    asked = next((q for q in found[0].questions if q.question_id == question_id), None)
    if asked is None:
        raise ApiProblem(404, NOT_FOUND, kind="not-found")
    if asked.answer_status in ("sent", "superseded") and asked.answer is not None:
        if " ".join(body.text.split()) == asked.answer:
            return schemas.Accepted(conversation_id=conversation_id, sends=[])
        raise ApiProblem(409, "This question is already answered.", kind="already-answered")
    return await _reply(request, key, conversation_id, body.text, question_id, "")


@router.post(
    "/conversations/{conversation_id}/messages", tags=["conversations"], status_code=202, responses=WRITES
)
async def send_message(
    request: Request,
    key: Writer,
    conversation_id: ConversationId,
    body: schemas.NewText,
    idempotency_key: IdempotencyKey = None,
) -> schemas.Accepted:
    """Write in a chat thread (a post-sale chat, a claim: to the buyer, or to the mediator in a dispute),
    as an agent does in the inbox; posted once. Question threads take answers (`/answer`) instead."""
    found = await run_in_threadpool(views.thread, get_ctx(request), key.workspace_id, conversation_id)
    if found is None:
        raise ApiProblem(404, NOT_FOUND, kind="not-found")
    thread = found[0]
    if thread.layout != "chat":
        raise ApiProblem(409, "This thread takes answers to its questions, not messages.", kind="not-a-chat")
    if thread.reply_refusal:
        raise ApiProblem(409, thread.reply_refusal, kind="reply-not-allowed")
    reply_key = ""
    if idempotency_key:
        reply_key = hashlib.sha256(f"{key.key_id}:{idempotency_key}".encode()).hexdigest()[:16]
    return await _reply(request, key, conversation_id, body.text, None, reply_key)


@router.post(
    "/conversations/{conversation_id}/actions", tags=[CLAIM_CHANNEL_NAME], status_code=202, responses=WRITES
)
async def take_action(
    request: Request, key: Writer, conversation_id: ConversationId, body: schemas.NewAction
) -> schemas.Accepted:
    """Do one of the thread's offered `actions` (a claim's refund, return, dispute …), sent once through
    the outbox. Calling it here is the confirmation."""
    ctx = get_ctx(request)
    found = await run_in_threadpool(views.thread, ctx, key.workspace_id, conversation_id)
    if found is None:
        raise ApiProblem(404, NOT_FOUND, kind="not-found")
    offered = [a.name for a in found[0].actions]
    if body.action not in offered:
        raise ApiProblem(
            409, f"Not offered now; offered: {', '.join(offered) or 'none'}.", kind="action-not-offered"
        )
    try:
        recorded = await run_in_threadpool(
            actions.act, ctx, key.workspace_id, None, conversation_id, body.action, dict(body.fields)
        )
    except actions.ConversationNotFound as exc:
        raise ApiProblem(404, NOT_FOUND, kind="not-found") from exc
    except actions.ReplyRefused as exc:
        raise ApiProblem(422, str(exc), kind="refused") from exc
    if recorded is not None:
        detail = {"action": body.action}
        await trail.note(request, key, "conversation.action", f"conversation:{conversation_id}", detail)
    return await _accepted(conversation_id, [recorded] if recorded is not None else [])


async def _reply(
    request: Request, key: KeyHolder, conversation_id: int, text: str, in_reply_to: str | None, reply_key: str
) -> schemas.Accepted:
    """The inbox's path for an agent's reply: variables filled, guard and channel rules, outbox."""
    ctx = get_ctx(request)
    try:
        filled = await composing.fill_variables(ctx, key.workspace_id, conversation_id, text)
        recorded = await run_in_threadpool(
            actions.reply,
            ctx,
            key.workspace_id,
            None,
            conversation_id,
            filled.text,
            in_reply_to=in_reply_to,
            reply_key=reply_key,
            allow=filled.quoted,
        )
    except (LookupError, actions.ConversationNotFound) as exc:
        raise ApiProblem(404, NOT_FOUND, kind="not-found") from exc
    except actions.ReplyRefused as exc:
        raise ApiProblem(422, str(exc), kind="refused") from exc
    except (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed, TimeoutError) as exc:
        raise ApiProblem(
            422, "Mercado Libre did not give the values of the text's variables; try again.", kind="refused"
        ) from exc
    if recorded is not None:  # the inbox's audit entries, with the key as the actor
        action, detail = (
            ("question.answered", {"question_id": in_reply_to}) if in_reply_to else ("message.sent", {})
        )
        await trail.note(request, key, action, f"conversation:{conversation_id}", detail)
    return await _accepted(conversation_id, [recorded] if recorded is not None else [])


async def _accepted(conversation_id: int, recorded: list[Outgoing]) -> schemas.Accepted:
    for entry in recorded:
        await schedule_send(entry)
    return schemas.Accepted(
        conversation_id=conversation_id,
        sends=[
            schemas.Send(
                id=e.id,
                status=e.status,
                attempts=e.attempts,
                failure=e.failure,
                error=e.last_error,
                retry_at=None,
            )
            for e in recorded
        ],
    )
