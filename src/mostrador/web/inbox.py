"""The agent inbox: one tab per channel of the registry (questions per buyer per item with the listing
beside them, post-sale chats per pack, claims), a page per thread, and the agent's replies."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Annotated, Any
from urllib.parse import quote

import dbos
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from mostrador import failpoints
from mostrador.accounts.seller_api import SellerApi
from mostrador.accounts.tokens import AccountUnavailable, TokenRefreshFailed
from mostrador.channels import order_events, seller_contact
from mostrador.channels.registry import CHANNELS, UnknownChannel, channel_named, default_channel
from mostrador.conversations.outgoing import Outgoing
from mostrador.inbox import actions, composing, learning, ownership, panel, views
from mostrador.inbox.views import ThreadFilter
from mostrador.meli import errors as meli_errors
from mostrador.store import accounts as accounts_store
from mostrador.store.db import transaction
from mostrador.users.roles import Role
from mostrador.web import trail
from mostrador.web.deps import CurrentUser, get_ctx, is_id, requires
from mostrador.web.deps import page as page_response
from mostrador.workflows import learning as learning_workflows
from mostrador.workflows import outbox
from mostrador.workflows.runtime import RuntimeNotStarted

log = logging.getLogger(__name__)
router = APIRouter()
NOT_FOUND = "Conversación no encontrada"


@router.get("/", dependencies=[Depends(requires(Role.VIEWER))])
async def home() -> RedirectResponse:
    return RedirectResponse("/inbox", status_code=303)


def _tabs() -> dict[str, str]:
    return {c.name: c.presentation.label for c in CHANNELS}


STATUSES = {"waiting": "Sin responder", "answered": "Respondidas", "closed": "Cerradas"}
ANSWERED_BY = {"bot": "el bot", "agent": "un agente", "seller": "el vendedor en Mercado Libre"}


@router.get("/inbox")
async def inbox(
    request: Request,
    agent: Annotated[CurrentUser, Depends(requires(Role.VIEWER))],
    owner: str | None = None,
    channel: str | None = None,
    account: str | None = None,
    item: str | None = None,
    status: str | None = None,
    answered_by: str | None = None,
    q: str | None = None,
    page: str | None = None,
    overdue: str | None = None,
    assigned: str | None = None,
) -> object:
    """A channel's threads: waiting ones first, filtered, searched and paged (unknown values are
    ignored, never an error: these come from links and the filter form)."""
    try:
        shown = channel_named(channel) if channel else default_channel()
    except UnknownChannel:
        shown = default_channel()
    search = (q or "").strip()[:100] or None
    filters = ThreadFilter(
        channel=shown.name,
        account_id=int(account) if account and is_id(account) else None,
        item_id=item.strip().upper()[:40] if item and item.strip() else None,
        status=status if status in STATUSES else None,
        owner=owner if owner in ("bot", "agent") else None,
        answered_by=answered_by if answered_by in ANSWERED_BY else None,
        search=search,
        assignee_id=agent.id
        if assigned == "mine"
        else int(assigned)
        if assigned and is_id(assigned)
        else None,
        unassigned=assigned == "none",
    )
    number = int(page) if page and page.isascii() and page.isdigit() and 0 < int(page) < 100_000 else 1
    overdue_only = overdue == "1" and shown.presentation.reply_window_s is not None
    found = await run_in_threadpool(
        views.inbox_page, get_ctx(request), agent.workspace_id, filters, number, overdue_only
    )
    template = "_threads.html" if request.headers.get("hx-request") else "inbox.html"
    query = {
        k: v
        for k, v in {
            "channel": shown.name,
            "owner": filters.owner,
            "account": filters.account_id,
            "item": filters.item_id,
            "status": filters.status,
            "answered_by": filters.answered_by,
            "q": search,
            "overdue": "1" if overdue_only else None,
            "assigned": assigned if filters.assignee_id is not None or filters.unassigned else None,
        }.items()
        if v
    }
    return page_response(
        request,
        template,
        agent=agent,
        threads=found.threads,
        listing_page=found,
        filters=filters,
        query=query,
        statuses=STATUSES,
        answered_by=ANSWERED_BY,
        owner=filters.owner,
        overdue=overdue_only,
        assigned=query.get("assigned"),
        people=await run_in_threadpool(ownership.assignable, get_ctx(request), agent.workspace_id),
        channel=shown.name,
        presentation=shown.presentation,
        channels=_tabs(),
    )


@router.get("/inbox/{conversation_id}")
async def conversation(
    request: Request, conversation_id: int, agent: Annotated[CurrentUser, Depends(requires(Role.VIEWER))]
) -> object:
    return await _conversation_page(request, agent, conversation_id)


async def _conversation_page(
    request: Request,
    agent: CurrentUser,
    conversation_id: int,
    error: str | None = None,
    draft: str = "",
    status_code: int = 200,
) -> object:
    ctx = get_ctx(request)
    found = await run_in_threadpool(views.thread, ctx, agent.workspace_id, conversation_id)
    if found is None:
        raise HTTPException(404, NOT_FOUND)
    thread, account = found
    # The guide's options and caps change with every send (and the buyer may have written): read them
    # again before offering them.
    starts = thread.state.get(seller_contact.SELLER_STARTS) and status_code == 200 and agent.can(Role.AGENT)
    if starts and await _refresh_guide(request, account.id, conversation_id):
        found = await run_in_threadpool(views.thread, ctx, agent.workspace_id, conversation_id)
        if found is None:
            raise HTTPException(404, NOT_FOUND)
        thread, account = found
    listing: dict[str, Any] | None = None
    buyer: panel.BuyerPanel | None = None
    if status_code == 200:
        # What Mercado Libre says now, read side by side: the page waits for the slowest, a few seconds
        # at most, not for their sum.
        listing, buyer, _ = await asyncio.gather(
            _listing(request, account.id, thread.item_id),
            _buyer(request, agent, conversation_id),
            _mark_read(request, agent, account.id, thread),
        )
    return page_response(
        request,
        "conversation.html",
        status_code=status_code,
        agent=agent,
        thread=thread,
        listing=listing,
        buyer=buyer,
        seller=(account.nickname, account.meli_user_id),
        error=error,
        draft=draft,
        reply_key=actions.new_reply_key(),
        account_id=account.id,
        guide_labels=seller_contact.OPTION_LABELS,
        channels=_tabs(),
        templates=await run_in_threadpool(composing.templates_for, ctx, agent.workspace_id, thread.channel),
        intent_choices=views.INTENT_CHOICES,
        variables=thread.presentation.template_variables,
        people=await run_in_threadpool(ownership.assignable, ctx, agent.workspace_id),
        present=await run_in_threadpool(
            ownership.others_present, ctx, agent.workspace_id, agent.id, conversation_id
        ),
        presence_ms=int(ctx.settings.presence_heartbeat_s * 1000),
    )


@router.post("/inbox/{conversation_id}/reply")
async def reply(
    request: Request,
    agent: Annotated[CurrentUser, Depends(requires(Role.AGENT))],
    conversation_id: int,
    text: str = Form(...),
    reply_key: str = Form(""),
    seen: str | None = Form(None),
) -> object:
    """An agent writes in a chat thread (a post-sale chat, a claim), with files where the channel takes
    them; the outbox posts it once. `seen`: the newest message the page showed — a colleague's message
    written since stops this one, saying so."""
    try:
        files = await _chosen_files(request)
    except actions.ReplyRefused as exc:
        return await _conversation_page(
            request, agent, conversation_id, error=str(exc), draft=text, status_code=422
        )
    return await _record_and_send(request, agent, conversation_id, text, None, reply_key, files, seen=seen)


MAX_FILES_READ = 25  # more parts than any channel takes is refused before reading them
MAX_FILE_READ = 25_000_001  # a byte over the largest file any channel takes: enough to refuse it


async def _chosen_files(request: Request) -> list[actions.NewFile]:
    """The files of the reply form, read in full (each channel's rules are checked when recording)."""
    parts = [p for p in (await request.form()).getlist("files") if isinstance(p, StarletteUpload)]
    chosen = [p for p in parts if p.filename]  # an empty file input sends one nameless, empty part
    if len(chosen) > MAX_FILES_READ:
        raise actions.ReplyRefused(f"Demasiados archivos: hasta {MAX_FILES_READ}.")
    return [
        actions.NewFile(p.filename or "", p.content_type or "", await p.read(MAX_FILE_READ)) for p in chosen
    ]


@router.get("/inbox/{conversation_id}/files/{filename}")
async def attachment(
    request: Request,
    agent: Annotated[CurrentUser, Depends(requires(Role.VIEWER))],
    conversation_id: int,
    filename: str,
) -> Response:
    """A file attached to a message of the thread, fetched from Mercado Libre with the seller's token.
    Images open in the browser; anything else downloads. Never run as a page of ours (`sandbox` CSP)."""
    ctx = get_ctx(request)
    found = await run_in_threadpool(views.attachment, ctx, agent.workspace_id, conversation_id, filename)
    if found is None:
        raise HTTPException(404, "Archivo no encontrado")
    try:
        api = await SellerApi.open(ctx, found.account_id)
        data = await channel_named(found.channel).download(api, found.thread_key, filename)
    except (AccountUnavailable, TokenRefreshFailed) as exc:
        raise HTTPException(409, "La cuenta está desconectada: reconectala para ver sus archivos.") from exc
    except (meli_errors.MeliError, LookupError, ValueError) as exc:
        log.warning("attachment %s of conversation %s: %s", filename, conversation_id, exc)
        raise HTTPException(502, "Mercado Libre no entregó el archivo; probá de nuevo en un rato.") from exc
    kind = (
        found.type if found.type in SHOWN_INLINE or found.type in DOWNLOADED else "application/octet-stream"
    )
    disposition = "inline" if kind in SHOWN_INLINE else "attachment"
    return Response(
        data,
        media_type=kind,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(found.name, safe='')}",
            "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
        },
    )


SHOWN_INLINE = frozenset({"image/jpeg", "image/png"})
DOWNLOADED = frozenset({"application/pdf", "text/plain"})


@router.post("/inbox/{conversation_id}/answer")
async def answer(
    request: Request,
    agent: Annotated[CurrentUser, Depends(requires(Role.AGENT))],
    conversation_id: int,
    question_id: str = Form(...),
    text: str = Form(...),
    seen: str | None = Form(None),
) -> object:
    """An agent answers a question, or approves or edits the bot's draft; one public answer each. `seen`
    is the answer the page showed: someone else's answer since then stops this one, saying so."""
    return await _record_and_send(request, agent, conversation_id, text, question_id, "", seen=seen)


@router.post("/inbox/{conversation_id}/assign")
async def assign(
    request: Request,
    agent: Annotated[CurrentUser, Depends(requires(Role.AGENT))],
    conversation_id: int,
    assignee: str = Form(""),
) -> object:
    """Assign the conversation to an agent of the workspace ("": to nobody)."""
    chosen = int(assignee) if is_id(assignee) else None
    if assignee and chosen is None:
        raise HTTPException(422, "Elegí a una persona del equipo.")
    try:
        await run_in_threadpool(
            ownership.assign, get_ctx(request), agent.workspace_id, agent.id, conversation_id, chosen
        )
    except ownership.ConversationNotFound as exc:
        raise HTTPException(404, NOT_FOUND) from exc
    except ownership.NotAssignable:
        return await _conversation_page(
            request,
            agent,
            conversation_id,
            error="Solo se asigna a personas del equipo que responden (agentes o más).",
            status_code=422,
        )
    return RedirectResponse(f"/inbox/{conversation_id}", status_code=303)


@router.post("/inbox/{conversation_id}/takeover")
async def take_over(
    request: Request, agent: Annotated[CurrentUser, Depends(requires(Role.AGENT))], conversation_id: int
) -> object:
    """The agent takes the conversation from the bot: no bot answers, drafts or first responses in it."""
    return await _change_owner(request, agent, conversation_id, ownership.take_over)


@router.post("/inbox/{conversation_id}/handback")
async def hand_back(
    request: Request, agent: Annotated[CurrentUser, Depends(requires(Role.AGENT))], conversation_id: int
) -> object:
    """Give the conversation back to the bot: it answers the buyer's new texts again."""
    return await _change_owner(request, agent, conversation_id, ownership.hand_back)


async def _change_owner(request: Request, agent: CurrentUser, conversation_id: int, change: Any) -> object:
    try:
        await run_in_threadpool(change, get_ctx(request), agent.workspace_id, agent.id, conversation_id)
    except ownership.ConversationNotFound as exc:
        raise HTTPException(404, NOT_FOUND) from exc
    return RedirectResponse(f"/inbox/{conversation_id}", status_code=303)


PRESENCE_STATES = ("viewing", "typing", "gone")


@router.post("/inbox/{conversation_id}/presence")
async def presence(
    request: Request,
    agent: Annotated[CurrentUser, Depends(requires(Role.VIEWER))],
    conversation_id: int,
    state: str = Form("viewing"),
) -> object:
    """The page's heartbeat: the person is viewing, typing, or leaving (`gone`); answers with who else is
    on the conversation now (a fragment of the page). Viewers are shown viewing, never typing."""
    if state not in PRESENCE_STATES:
        raise HTTPException(422, "Estado de presencia desconocido.")
    if state == "typing" and not agent.can(Role.AGENT):
        state = "viewing"
    try:
        present = await run_in_threadpool(
            ownership.heartbeat, get_ctx(request), agent.workspace_id, agent.id, conversation_id, state
        )
    except ownership.ConversationNotFound as exc:
        raise HTTPException(404, NOT_FOUND) from exc
    return page_response(
        request, "_presence.html", agent=agent, present=present, conversation_id=conversation_id
    )


@router.get("/inbox/{conversation_id}/presence")
async def presence_now(
    request: Request, agent: Annotated[CurrentUser, Depends(requires(Role.VIEWER))], conversation_id: int
) -> object:
    """Who else is on the conversation now (the fragment live pages re-read on a presence event)."""
    try:
        present = await run_in_threadpool(
            ownership.others_present, get_ctx(request), agent.workspace_id, agent.id, conversation_id
        )
    except ownership.ConversationNotFound as exc:
        raise HTTPException(404, NOT_FOUND) from exc
    return page_response(
        request, "_presence.html", agent=agent, present=present, conversation_id=conversation_id
    )


@router.post("/inbox/{conversation_id}/actions")
async def act(
    request: Request,
    agent: Annotated[CurrentUser, Depends(requires(Role.AGENT))],
    conversation_id: int,
    action: str = Form(...),
    confirmed: str = Form(""),
) -> object:
    """A person's action in a thread (a claim's refund, return, dispute …), after its confirmation."""
    ctx = get_ctx(request)
    if confirmed != "yes":
        return await _conversation_page(
            request, agent, conversation_id, error="Confirmá la acción para hacerla.", status_code=422
        )
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        recorded = await run_in_threadpool(
            actions.act, ctx, agent.workspace_id, agent.id, conversation_id, action, form
        )
    except actions.ConversationNotFound as exc:
        raise HTTPException(404, NOT_FOUND) from exc
    except actions.ReplyRefused as exc:
        return await _conversation_page(request, agent, conversation_id, error=str(exc), status_code=422)
    if recorded is not None:
        await _schedule(recorded)
        await trail.note(
            request, agent, "conversation.action", f"conversation:{conversation_id}", {"action": action}
        )
    return RedirectResponse(f"/inbox/{conversation_id}", status_code=303)


@router.post("/inbox/sales/{account_id}/orders/{order_id}/contact")
async def contact_buyer(
    request: Request,
    agent: Annotated[CurrentUser, Depends(requires(Role.AGENT))],
    account_id: int,
    order_id: int,
) -> object:
    """Open (recording it first) the post-sale conversation of one of the account's sales, to write to
    the buyer: through the action guide when Mercado Libre asks the seller to start that way (§8.7)."""
    ctx = get_ctx(request)
    if not await run_in_threadpool(_account_in_workspace, ctx, agent.workspace_id, account_id):
        raise HTTPException(404, "Cuenta no encontrada")
    try:
        api = await SellerApi.open(ctx, account_id)
        conversation_id = await order_events.open_sale(ctx, api, str(order_id))
    except order_events.SaleNotFound as exc:
        raise HTTPException(404, "Venta no encontrada") from exc
    except (meli_errors.Forbidden, meli_errors.NotFound) as exc:
        # The sale exists but its conversation is not shown to this application (post-sale permission).
        raise HTTPException(422, "Mercado Libre no muestra la conversación de esta venta.") from exc
    except (AccountUnavailable, TokenRefreshFailed) as exc:
        raise HTTPException(
            409, "La cuenta está desconectada: reconectala para escribir a sus compradores."
        ) from exc
    except meli_errors.MeliError as exc:
        log.info("opening the conversation of order %s failed: %s", order_id, type(exc).__name__)
        raise HTTPException(503, "Mercado Libre no respondió; probá de nuevo en un momento.") from exc
    return RedirectResponse(f"/inbox/{conversation_id}", status_code=303)


def _account_in_workspace(ctx: Any, workspace_id: int, account_id: int) -> bool:
    with transaction(ctx.sessions) as s:
        return any(a.id == account_id for a in accounts_store.accounts_of(s, workspace_id))


async def _refresh_guide(request: Request, account_id: int, conversation_id: int) -> bool:
    """Read a conversation the seller must start again (bounded: a failure shows what was read last)."""
    ctx = get_ctx(request)
    key = await run_in_threadpool(views.thread_key, ctx, conversation_id)
    if key is None:
        return False
    try:
        api = await asyncio.wait_for(SellerApi.open(ctx, account_id), LISTING_WAIT_S)
        await asyncio.wait_for(order_events.refresh(ctx, api, key), LISTING_WAIT_S * 2)
    except (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed, TimeoutError) as exc:
        log.info(
            "reading the action guide of conversation %s failed: %s", conversation_id, type(exc).__name__
        )
        return False
    return True


@router.post("/inbox/{conversation_id}/sends/{entry_id}/retry")
async def retry(
    request: Request,
    agent: Annotated[CurrentUser, Depends(requires(Role.AGENT))],
    conversation_id: int,
    entry_id: int,
) -> object:
    """Send again now: a reply that failed, or one waiting for Mercado Libre after an outage."""
    ctx = get_ctx(request)
    try:
        again = await run_in_threadpool(actions.retry, ctx, agent.workspace_id, conversation_id, entry_id)
    except actions.ConversationNotFound as exc:
        raise HTTPException(404, NOT_FOUND) from exc
    except actions.ReplyRefused as exc:
        return await _conversation_page(request, agent, conversation_id, error=str(exc), status_code=409)
    await _schedule(again)
    await trail.note(
        request, agent, "send.retried", f"conversation:{conversation_id}", {"entry_id": entry_id}
    )
    return RedirectResponse(f"/inbox/{conversation_id}", status_code=303)


async def _record_and_send(
    request: Request,
    agent: CurrentUser,
    conversation_id: int,
    text: str,
    in_reply_to: str | None,
    reply_key: str,
    files: list[actions.NewFile] | None = None,
    seen: str | None = None,
) -> object:
    ctx = get_ctx(request)
    try:
        filled = await _filled(request, agent, conversation_id, text)
        recorded = await run_in_threadpool(
            actions.reply,
            ctx,
            agent.workspace_id,
            agent.id,
            conversation_id,
            filled.text,
            in_reply_to=in_reply_to,
            reply_key=reply_key,
            files=files or (),
            allow=filled.quoted,
            seen=seen,
        )
    except actions.ConversationNotFound as exc:
        raise HTTPException(404, NOT_FOUND) from exc
    except actions.AnsweredMeanwhile as exc:
        return await _conversation_page(
            request, agent, conversation_id, error=str(exc), draft=text, status_code=409
        )
    except actions.ReplyRefused as exc:
        return await _conversation_page(
            request, agent, conversation_id, error=str(exc), draft=text, status_code=422
        )
    if recorded is not None:
        failpoints.reached(ctx.settings, "reply_recorded")
        await _schedule(recorded)
        action, detail = (
            ("question.answered", {"question_id": in_reply_to}) if in_reply_to else ("message.sent", {})
        )
        await trail.note(request, agent, action, f"conversation:{conversation_id}", detail)
    return RedirectResponse(f"/inbox/{conversation_id}", status_code=303)


class VariablesUnavailable(actions.ReplyRefused):
    """Mercado Libre did not give the listing or order the reply's variables come from."""


async def _filled(request: Request, agent: CurrentUser, conversation_id: int, text: str) -> composing.Filled:
    """The reply with its variables filled from the live listing or order (`{price}` → today's price)."""
    try:
        return await composing.fill_variables(get_ctx(request), agent.workspace_id, conversation_id, text)
    except LookupError as exc:
        raise actions.ConversationNotFound(str(exc)) from exc
    except (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed, TimeoutError) as exc:
        raise VariablesUnavailable(
            "Mercado Libre no dio los datos para las variables del texto; probá de nuevo o escribilos a mano."
        ) from exc


@router.post("/inbox/{conversation_id}/check")
async def check(
    request: Request,
    agent: Annotated[CurrentUser, Depends(requires(Role.AGENT))],
    conversation_id: int,
    text: str = Form(""),
) -> object:
    """What the guard says about the text being written (the composer asks as the agent types)."""
    found = await run_in_threadpool(views.thread, get_ctx(request), agent.workspace_id, conversation_id)
    if found is None:
        raise HTTPException(404, NOT_FOUND)
    thread, _ = found
    result = composing.check(text, thread.channel, thread.reply_limit)
    return page_response(request, "_check.html", agent=agent, check=result)


@router.post("/inbox/{conversation_id}/intents")
async def confirm_intents(
    request: Request,
    agent: Annotated[CurrentUser, Depends(requires(Role.AGENT))],
    conversation_id: int,
    question_id: str = Form(""),
    intents: list[str] = Form([]),
) -> object:
    """An agent says what a question asks (the boxes ticked): the account's bot learns it as an example
    and retrains in the background. The same answer again changes nothing."""
    try:
        confirmed = await run_in_threadpool(
            learning.confirm_intents,
            get_ctx(request),
            agent.workspace_id,
            agent.id,
            conversation_id,
            question_id,
            intents,
        )
    except learning.ConversationNotFound as exc:
        raise HTTPException(404, NOT_FOUND) from exc
    except learning.QuestionNotFound:
        error = "Solo se le enseña al bot con preguntas que él leyó."
        return await _conversation_page(request, agent, conversation_id, error=error, status_code=422)
    except learning.InvalidExample as exc:
        said = str(exc)
        error = (
            "Elegí al menos un tema."
            if said.startswith("choose")
            else "«Saludo» y «otro tema» van solos, sin otros temas."
            if said.startswith("greeting")
            else "Ese tema no existe."
        )
        return await _conversation_page(request, agent, conversation_id, error=error, status_code=422)
    if confirmed.changed:
        await learning_workflows.schedule_quietly(confirmed.account_id, confirmed.revision)
    return RedirectResponse(f"/inbox/{conversation_id}#q-{question_id}", status_code=303)


@router.post("/inbox/{conversation_id}/answer-all")
async def answer_all(
    request: Request,
    agent: Annotated[CurrentUser, Depends(requires(Role.AGENT))],
    conversation_id: int,
    text: str = Form(...),
) -> object:
    """One text for every question of the thread still waiting: still one public answer each."""
    ctx = get_ctx(request)
    try:
        filled = await _filled(request, agent, conversation_id, text)
        recorded = await run_in_threadpool(
            actions.answer_all, ctx, agent.workspace_id, agent.id, conversation_id, filled.text, filled.quoted
        )
    except actions.ConversationNotFound as exc:
        raise HTTPException(404, NOT_FOUND) from exc
    except actions.ReplyRefused as exc:
        return await _conversation_page(request, agent, conversation_id, error=str(exc), status_code=422)
    for entry in recorded:
        await _schedule(entry)
    if recorded:
        await trail.note(
            request, agent, "question.answered", f"conversation:{conversation_id}", {"count": len(recorded)}
        )
    return RedirectResponse(f"/inbox/{conversation_id}", status_code=303)


async def _schedule(reply: Outgoing) -> None:
    """Enqueue the send right away. The reply is already recorded: if this fails (or the process dies
    first), its lease runs out and the outbox re-drive sends it."""
    try:
        await outbox.schedule(reply)
    except (dbos.error.DBOSException, SQLAlchemyError, RuntimeNotStarted):
        # The queue's database is busy or down, or no DBOS runs here: the reply is recorded either way.
        log.warning("scheduling reply %s failed; the outbox re-drive will send it", reply.id, exc_info=True)


async def _read_item(ctx: Any, account_id: int, item_id: str) -> Any:
    api = await SellerApi.open(ctx, account_id)
    return await api.call(api.meli.get_item, item_id)


async def _buyer(request: Request, agent: CurrentUser, conversation_id: int) -> panel.BuyerPanel | None:
    """The buyer panel: our conversations with them, and their nickname and orders read live (cached
    like the listing, bounded by the same wait)."""
    ctx = get_ctx(request)
    found = await run_in_threadpool(panel.local_panel, ctx, agent.workspace_id, conversation_id)
    if found is None:
        return None
    shown, account = found
    if not shown.buyer_id:
        return shown
    cache: dict[tuple[int, str], tuple[float, panel.LiveBuyer]] = request.app.state.buyers
    now = time.monotonic()
    hit = cache.get((account.id, shown.buyer_id))
    if hit is not None and now - hit[0] < LISTING_TTL_S:
        live = hit[1]
    else:
        try:
            live = await asyncio.wait_for(
                panel.read_buyer(ctx, account.id, account.meli_user_id, shown.buyer_id, LISTING_WAIT_S),
                LISTING_WAIT_S,
            )
        except TimeoutError:
            live = panel.LiveBuyer(None, None)
        # What failed is asked again after a short pause; what worked, after the listing's minute.
        read_at = now if live.orders is not None else now - LISTING_TTL_S + FAILURE_TTL_S
        _remember(cache, (account.id, shown.buyer_id), read_at, live)
    return await run_in_threadpool(panel.complete, ctx, shown, account.id, live)


async def _mark_read(request: Request, agent: CurrentUser, account_id: int, thread: views.ThreadView) -> None:
    """An agent opened a thread with buyer messages waiting: Mercado Libre's read mark says so (post-sale
    §8.1; background reads never set it). Once per new buyer message, never for the page's own live
    refreshes (nobody may be looking), never for viewers; bounded, and a failure only loses the mark."""
    if not thread.waiting or not agent.can(Role.AGENT) or request.headers.get("x-mostrador-live"):
        return
    newest = max((m.id for m in thread.messages if m.direction == "in"), default=None)
    marked: dict[int, int] = request.app.state.read_marks
    if newest is None or marked.get(thread.id) == newest:
        return
    channel = channel_named(thread.channel)
    ctx = get_ctx(request)
    key = await run_in_threadpool(views.thread_key, ctx, thread.id)
    if key is None:
        return
    try:
        api = await asyncio.wait_for(SellerApi.open(ctx, account_id), LISTING_WAIT_S)
        if await asyncio.wait_for(channel.mark_read(api, key), LISTING_WAIT_S):
            if len(marked) > 10_000:
                marked.clear()
            marked[thread.id] = newest
    except (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed, TimeoutError) as exc:
        log.info("marking conversation %s read failed: %s", thread.id, type(exc).__name__)


LISTING_TTL_S = 60.0  # the side panel's listing: fresh enough to answer from, cheap on Mercado Libre's budget
LISTING_WAIT_S = 3.0  # a page never waits longer than this for Mercado Libre (or for a rate permit)
FAILURE_TTL_S = 15.0  # what Mercado Libre did not give is asked again after this long


async def _listing(request: Request, account_id: int, item_id: str | None) -> dict[str, Any] | None:
    """The live listing for the side panel, read at most once a minute per item (any number of people
    opening threads must not spend the application's shared request budget), and never waited for more
    than a few seconds; the inbox still works when Mercado Libre does not answer."""
    if not item_id:
        return None
    cache: dict[tuple[int, str], tuple[float, dict[str, Any]]] = request.app.state.listings
    now = time.monotonic()
    hit = cache.get((account_id, item_id))
    if hit is not None and now - hit[0] < LISTING_TTL_S:
        return hit[1]
    ctx = get_ctx(request)
    try:
        item = await asyncio.wait_for(_read_item(ctx, account_id, item_id), LISTING_WAIT_S)
    except (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed, TimeoutError) as exc:
        failed = {"unavailable": True, "id": item_id, "reason": type(exc).__name__}
        # Asked again after a short pause, not by every refresh of every open page during an outage.
        _remember(cache, (account_id, item_id), now - LISTING_TTL_S + FAILURE_TTL_S, failed)
        return failed
    listing = item.model_dump(mode="json", by_alias=True)
    _remember(cache, (account_id, item_id), now, listing)
    return listing


def _remember(cache: dict[Any, tuple[float, Any]], key: Any, read_at: float, value: Any) -> None:
    """Keep `value` as read at `read_at`; the cache is bounded: past 2,000 entries the oldest half goes."""
    if len(cache) > 2_000:
        for old in sorted(cache, key=lambda k: cache[k][0])[:1_000]:
            cache.pop(old, None)
    cache[key] = (read_at, value)
