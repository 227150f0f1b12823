"""The agent inbox: questions (per buyer per item, with the listing beside them), post-sale chats
(per pack) and claims, one tab each."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from mostrador.accounts.tokens import AccountUnavailable, TokenRefreshFailed, access_token
from mostrador.context import AppContext
from mostrador.inbox import actions, views
from mostrador.meli import errors as meli_errors
from mostrador.users.roles import Role
from mostrador.web.deps import CurrentUser, get_ctx, page, requires

router = APIRouter()


@router.get("/", dependencies=[Depends(requires(Role.VIEWER))])
async def home() -> RedirectResponse:
    return RedirectResponse("/inbox", status_code=303)


CHANNEL_LABELS = {"questions": "Preguntas", "messages": "Mensajes", "claims": "Reclamos"}


@router.get("/inbox")
async def inbox(
    request: Request,
    agent: Annotated[CurrentUser, Depends(requires(Role.VIEWER))],
    owner: str | None = None,
    channel: str = "questions",
) -> object:
    owner = owner if owner in ("bot", "agent") else None
    channel = channel if channel in CHANNEL_LABELS else "questions"
    threads = await run_in_threadpool(
        views.inbox_threads, get_ctx(request), agent.workspace_id, owner, 100, channel
    )
    template = "_threads.html" if request.headers.get("hx-request") else "inbox.html"
    return page(
        request,
        template,
        agent=agent,
        threads=threads,
        owner=owner,
        channel=channel,
        channels=CHANNEL_LABELS,
    )


@router.get("/inbox/{conversation_id}")
async def conversation(
    request: Request, conversation_id: int, agent: Annotated[CurrentUser, Depends(requires(Role.VIEWER))]
) -> object:
    ctx = get_ctx(request)
    found = await run_in_threadpool(views.thread, ctx, agent.workspace_id, conversation_id)
    if found is None:
        raise HTTPException(404, "Conversación no encontrada")
    thread, account = found
    listing = await _listing(ctx, account.id, thread.item_id)
    return _conversation_page(request, agent, thread, listing)


def _conversation_page(
    request: Request,
    agent: CurrentUser,
    thread: views.ThreadView,
    listing: dict[str, Any] | None,
    error: str | None = None,
    draft: str = "",
    status_code: int = 200,
) -> object:
    return page(
        request,
        "conversation.html",
        status_code=status_code,
        agent=agent,
        thread=thread,
        listing=listing,
        error=error,
        draft=draft,
        reply_key=actions.new_reply_key(),
        channels=CHANNEL_LABELS,
        reply_limit=actions.POST_SALE_LIMIT,
    )


@router.post("/inbox/{conversation_id}/reply")
async def reply(
    request: Request,
    agent: Annotated[CurrentUser, Depends(requires(Role.AGENT))],
    conversation_id: int,
    text: str = Form(...),
    reply_key: str = Form(""),
) -> object:
    """An agent writes in a post-sale chat or a claim; the send workflow posts it once."""
    ctx = get_ctx(request)
    try:
        recorded = await run_in_threadpool(
            actions.record_agent_reply, ctx, agent.workspace_id, agent.id, conversation_id, text, reply_key
        )
    except actions.ReplyRejected as exc:
        found = await run_in_threadpool(views.thread, ctx, agent.workspace_id, conversation_id)
        if found is None:
            raise HTTPException(404, "Conversación no encontrada") from exc
        return _conversation_page(request, agent, found[0], None, error=str(exc), draft=text, status_code=422)
    await actions.send_reply_now(recorded)
    return RedirectResponse(f"/inbox/{conversation_id}", status_code=303)


@router.post("/inbox/{conversation_id}/answer")
async def answer(
    request: Request,
    agent: Annotated[CurrentUser, Depends(requires(Role.AGENT))],
    conversation_id: int,
    question_id: str = Form(...),
    text: str = Form(...),
) -> object:
    ctx = get_ctx(request)
    try:
        reply_id, message_id = await run_in_threadpool(
            actions.record_agent_answer, ctx, agent.workspace_id, agent.id, conversation_id, question_id, text
        )
    except actions.ReplyRejected as exc:
        found = await run_in_threadpool(views.thread, ctx, agent.workspace_id, conversation_id)
        if found is None:
            raise HTTPException(404, "Conversación no encontrada") from exc
        return _conversation_page(request, agent, found[0], None, error=str(exc), status_code=422)
    await actions.send_now(reply_id, question_id, message_id)
    return RedirectResponse(f"/inbox/{conversation_id}", status_code=303)


async def _listing(ctx: AppContext, account_id: int, item_id: str | None) -> dict[str, Any] | None:
    """The live listing for the side panel; the inbox still works when Mercado Libre does not answer."""
    if not item_id:
        return None
    try:
        token = await access_token(ctx, account_id)
        item = await ctx.meli.get_item(item_id, token)
    except (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed) as exc:
        return {"unavailable": True, "id": item_id, "reason": type(exc).__name__}
    return item.model_dump(mode="json", by_alias=True)
