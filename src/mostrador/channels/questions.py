"""Pre-sale questions: one conversation per buyer per item, one public answer per question (§5).

Ingest re-fetches the question and the live item with the seller's own token (the notification is
only a pointer), records both, lets the bot decide, and records the answer in the outbox before
anything is sent. Posting is `POST /answers` (2,000 characters, no contact data, §5.4); Mercado Libre
allows one answer, so after an attempt whose outcome is unknown the question itself says whether it
is already answered, and with which text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from mostrador.accounts import bot_learning
from mostrador.accounts.seller_api import SellerApi
from mostrador.channels import question_actions
from mostrador.channels.base import (
    IN_FLIGHT_GRACE,
    REFUSALS,
    ActionOffer,
    Plan,
    Pointer,
    Posted,
    PostRefused,
    Presentation,
    Settled,
    ThreadRef,
    Urgent,
)
from mostrador.channels.variables import LISTING_VARIABLES, listing_values
from mostrador.context import AppContext
from mostrador.conversations import outgoing, ownership
from mostrador.conversations import service as conv
from mostrador.conversations.outgoing import Outgoing, ReplyPlan, ReplyRefused
from mostrador.i18n import N_, gettext
from mostrador.meli import errors as meli_errors
from mostrador.meli.models import Item, Question
from mostrador.store import conversations as conversations_store
from mostrador.store import notifications as notifications_store
from mostrador.store import outbox as outbox_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, OutboxStatus, utcnow

NAME = "questions"
TOPIC = "questions"
ANSWER_LIMIT = 2000  # §5.4
SEARCH_PAGE = 50
SEARCH_REACH = 1000  # the search cannot page past 1,000 results (§5.1)
ECHO_WINDOW = timedelta(seconds=30)  # Mercado Libre notifies within seconds of a change (§4)
# Why a send was not needed (stored with it, in Spanish; the inbox shows it translated).
ANSWERED_ELSEWHERE = N_("ya se respondió en Mercado Libre con otro texto")
CLOSED_STATES = {
    "DELETED": N_("la pregunta fue eliminada"),
    "BANNED": N_("Mercado Libre dio de baja la pregunta"),
    "CLOSED_UNANSWERED": N_("la publicación se cerró sin respuesta"),
    "UNDER_REVIEW": N_("la pregunta está en revisión de Mercado Libre"),
    "DISABLED": N_("la pregunta está deshabilitada"),
}


class QuestionsChannel:
    name = NAME
    topics: tuple[str, ...] = (TOPIC,)
    reply_limit = ANSWER_LIMIT
    ordered_replies = False
    presentation = Presentation(
        label=N_("Preguntas"),
        empty=N_("Todavía no hay preguntas. Cuando un comprador pregunte en una publicación, aparece acá."),
        layout="answers",
        reply_label=N_("Respuesta pública"),
        handoff_reasons={"draft_awaiting_approval": N_("borrador del bot para aprobar")},
        bot_filter=True,
        state_key=question_actions.STATE_KEY,  # whether the buyer is blocked from asking
        template_variables=LISTING_VARIABLES,
        reply_window_s=3600,  # our target: an unanswered question is a lost sale
    )

    def workflow_key(self, topic: str, resource_id: str) -> str:
        return f"question:{resource_id}"

    def partition_key(self, account_id: int, resource_id: str) -> str:
        return f"question:{resource_id}"

    def send_partition(self, reply: Outgoing) -> str:
        return f"question:{reply.target_id}"

    def due_date(self, state: dict[str, Any]) -> datetime | None:
        return None

    def own_echo(self, s: Session, account_id: int, resource_id: str, received_at: datetime) -> bool:
        """Posting an answer makes Mercado Libre notify the question again. That notification teaches
        nothing when our answer to it is being posted (its first attempt holds its lease, never put off
        by an outage: the pipeline settles it, and looks at the question itself if the outcome is
        unknown) or was posted at most `ECHO_WINDOW` before (the question is answered, with our text:
        one answer per question, §5.3). Anything later (deleted, banned), or during an outage's
        back-off, is ingested as usual."""
        entry = outbox_store.entry_for_target(s, account_id, NAME, resource_id)
        if entry is None or entry.attempts < 1:
            return False
        if entry.status == OutboxStatus.SENT:
            return entry.sent_at is not None and received_at <= entry.sent_at + ECHO_WINDOW
        return (
            entry.status == OutboxStatus.PENDING
            and entry.deferrals == 0
            and entry.next_attempt_at is not None
            and received_at < entry.next_attempt_at
        )

    # ---- ingest -------------------------------------------------------------------------------------
    async def ingest(self, ctx: AppContext, api: SellerApi, topic: str, resource_id: str) -> Plan:
        try:
            question = await api.call(api.meli.get_question, int(resource_id))
        except meli_errors.NotFound:
            return Plan("skipped", detail="question not found (deleted or banned)")
        if question.seller_id != api.seller_id or not question.item_id:
            return Plan("skipped", detail="question is not addressed to this account")
        item: Item | None = None
        if question.is_unanswered or not await asyncio.to_thread(
            _thread_exists, ctx, api.account_id, question
        ):
            # The live listing grounds the bot; an answered question in a known thread needs no item read
            # (one call fewer per answer notification, which matters inside Mercado Libre's budgets).
            item = await api.call(api.meli.get_item, question.item_id)
        decision = None
        lease_until = utcnow() + timedelta(seconds=ctx.settings.outbox_lease_s)
        if question.is_unanswered and item is not None:
            earlier: list[str] = []
            greeted = False
            window = _burst_window(api.account.bot_config)
            if window:
                earlier, greeted, wait_s = await asyncio.to_thread(
                    _burst, ctx, api.account_id, question, window, datetime.now(UTC)
                )
                if wait_s > 0:  # the buyer may still be typing: record the question, decide later
                    return await asyncio.to_thread(
                        _record, ctx, api.account_id, question, item, None, lease_until, wait_s
                    )
            item_json = item.model_dump(mode="json", by_alias=True)
            # In a thread: a first use may train the intent model, which must not block the event loop.
            decision = await asyncio.to_thread(
                _decide,
                ctx,
                api.account_id,
                api.account.bot_config,
                question.text,
                item_json,
                datetime.now(UTC),
                earlier,
                greeted,
            )
        return await asyncio.to_thread(_record, ctx, api.account_id, question, item, decision, lease_until)

    # ---- replies ------------------------------------------------------------------------------------
    def reply_refusal(self, state: dict[str, Any]) -> str | None:
        return None  # each question decides on its own (plan_reply)

    def plan_reply(
        self, s: Session, thread: Conversation, text: str, in_reply_to: str | None, reply_key: str
    ) -> ReplyPlan:
        asked = conversations_store.message_by_external_id(s, thread.id, "in", in_reply_to or "")
        if asked is None:
            raise ReplyRefused(gettext("Esa pregunta no pertenece a esta conversación."))
        closed = CLOSED_STATES.get(asked.external_status or "")
        if closed:
            raise ReplyRefused(gettext("No se puede responder: %(why)s.") % {"why": gettext(closed)})
        # One answer per question: a new text replaces a failed one, or one not sent yet.
        return ReplyPlan(
            target_id=asked.external_id, external_id=answer_id(asked.external_id), params={}, replaces=True
        )

    async def post(self, api: SellerApi, reply: Outgoing) -> Posted:
        if reply.params.get("action"):
            return await question_actions.post(api, reply)
        try:
            # A 401 is refused before anything happens, so retrying it after a refresh is safe.
            await api.call(api.meli.post_answer, int(reply.target_id), reply.text)
        except REFUSALS as exc:
            raise PostRefused("rejected", str(exc)) from exc
        return Posted()

    async def find_posted(self, api: SellerApi, reply: Outgoing) -> Posted | Settled | None:
        if reply.params.get("action"):
            return await question_actions.find_done(api, reply)
        try:
            current = await api.call(api.meli.get_question, int(reply.target_id))
        except meli_errors.NotFound:
            return Settled(CLOSED_STATES["DELETED"])
        return remote_outcome(current, reply.text)

    async def download(self, api: SellerApi, thread_key: str, filename: str) -> bytes:
        raise LookupError("questions carry no files")

    async def mark_read(self, api: SellerApi, thread_key: str) -> bool:
        return False  # Mercado Libre keeps no read mark here

    async def template_values(self, api: SellerApi, thread: ThreadRef) -> dict[str, str | None]:
        return await listing_values(api, thread)

    def actions(self, state: dict[str, Any]) -> list[ActionOffer]:
        return question_actions.offers(state)

    def urgent(self, s: Session, workspace_id: int, before: datetime) -> list[Urgent]:
        return []

    def plan_action(
        self, s: Session, thread: Conversation, name: str, form: dict[str, str]
    ) -> tuple[ReplyPlan, str]:
        state = conv.state_of(thread, question_actions.STATE_KEY)
        return question_actions.plan(s, thread, state, name, form)

    # ---- safety net -----------------------------------------------------------------------------------
    async def sweep(self, ctx: AppContext, api: SellerApi) -> list[Pointer]:
        """UNANSWERED questions at Mercado Libre that Mostrador never recorded nor has on its way."""
        found: list[Pointer] = []
        for offset in range(0, SEARCH_REACH, SEARCH_PAGE):
            page = await api.call(
                api.meli.search_questions,
                seller_id=api.seller_id,
                status="UNANSWERED",
                offset=offset,
                limit=SEARCH_PAGE,
                sort_fields="date_created",
                sort_types="ASC",
            )
            ids = [str(q.id) for q in page.questions]
            unseen = await asyncio.to_thread(_unseen, ctx, api.account_id, ids)
            found.extend(Pointer(TOPIC, f"/questions/{qid}", qid) for qid in unseen)
            if len(page.questions) < SEARCH_PAGE:
                break
        return found


def answer_id(question_id: str) -> str:
    """The external id of a question's answer in the conversation (one per question)."""
    return f"answer:{question_id}"


def remote_outcome(question: Question, text: str) -> Posted | Settled | None:
    """What the question at Mercado Libre says about an answer with `text`."""
    if question.is_unanswered:
        return None
    remote = question.answer.text if question.answer is not None else None
    if remote is None:
        return Settled(CLOSED_STATES.get(question.status or "", f"la pregunta está {question.status}"))
    if outgoing.same_text(remote, text):
        return Posted(remote_status=question.answer.status if question.answer else None)
    return Settled(ANSWERED_ELSEWHERE, shown=remote)


# ---- synchronous parts -------------------------------------------------------------------------
def _decide(
    ctx: AppContext,
    account_id: int,
    config: Any,
    text: str,
    item: dict[str, Any],
    now: datetime,
    earlier: Sequence[str] = (),
    greeted: bool = False,
) -> Any:
    # The account's own model: its seller phrases and the examples its agents confirmed.
    return bot_learning.bot_for(ctx, account_id, config).decide(
        text, item=item, now=now, earlier=earlier, greeted=greeted
    )


BURST_PATIENCE = 4  # a burst is waited for at most this many windows after its first question


def _burst_window(config: dict[str, Any] | None) -> float:
    value = (config or {}).get("burst_window_s") or 0
    return float(value) if isinstance(value, int | float) and 0 < value <= 300 else 0.0


def _burst(
    ctx: AppContext, account_id: int, question: Question, window: float, now: datetime
) -> tuple[list[str], bool, float]:
    """The buyer's questions on the item just before this one, each within `window` of the next (oldest
    first); whether the bot's answer to one of them greeted the buyer already (a question a person got
    did not); and how long to wait before answering: until `window` after the burst's latest question,
    but no longer than `BURST_PATIENCE` windows after its first."""
    asked = question.date_created or now
    key = _thread_key(question)
    with transaction(ctx.sessions) as s:
        thread = conversations_store.conversation_by_key(s, account_id, key.channel, key.external_key)
        times = (
            sorted(
                (m.created_at, m.external_id, m.text, bool((m.meta or {}).get("reason")))
                for m in conversations_store.messages_of(s, thread.id)
                if m.direction == "in" and m.author == "buyer"
            )
            if thread is not None
            else []
        )
    before = [t for t in times if t[0] < asked and t[1] != str(question.id)]
    earlier: list[str] = []
    handed_off: list[bool] = []
    edge = asked
    for at, _, text, to_person in reversed(before):
        if edge - at > timedelta(seconds=window):
            break
        earlier.insert(0, text)
        handed_off.append(to_person)
        edge = at
    first = edge
    latest = asked
    for at, external_id, _, _ in times:
        if at > latest and at - latest <= timedelta(seconds=window) and external_id != str(question.id):
            latest = at
    wake = min(latest + timedelta(seconds=window), first + timedelta(seconds=window * BURST_PATIENCE))
    wait = (wake - now).total_seconds()
    # The burst's questions are decided side by side when it ends: an earlier one not (yet) handed to a
    # person is, or is about to be, the bot's greeted answer. Only when a person got every earlier one
    # does this answer greet.
    greeted = bool(handed_off) and not all(handed_off)
    return earlier, greeted, wait if wait > 0.5 else 0.0


def _thread_key(question: Question) -> conv.ThreadKey:
    return conv.ThreadKey(NAME, f"{question.item_id}:{question.asker_id or 'unknown'}")


def _thread_exists(ctx: AppContext, account_id: int, question: Question) -> bool:
    with transaction(ctx.sessions) as s:
        key = _thread_key(question)
        return conversations_store.conversation_exists(s, account_id, key.channel, key.external_key)


def _unseen(ctx: AppContext, account_id: int, question_ids: list[str]) -> list[str]:
    if not question_ids:
        return []
    with transaction(ctx.sessions) as s:
        seen = conversations_store.recorded_external_ids(s, account_id, NAME, "in", question_ids)
        # A notification already on its way (a workflow queued or running) is not "unseen": counting it
        # would re-queue work that is merely waiting, and a backlog would feed itself.
        notified = notifications_store.latest_notifications(
            s, (TOPIC,), question_ids, utcnow() - IN_FLIGHT_GRACE
        )
    return [qid for qid in question_ids if qid not in seen and qid not in notified]


def _record(
    ctx: AppContext,
    account_id: int,
    question: Question,
    item: Item | None,
    decision: Any | None,
    lease_until: datetime,
    wait_s: float | None = None,
) -> Plan:
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        assert account is not None
        buyer = str(question.asker_id or "unknown")
        thread = conv.open_thread(
            s,
            account,
            _thread_key(question),
            buyer,
            conv.unnamed_buyer(buyer),
            subject=item.title or "" if item is not None else "",
            item_id=question.item_id,
        )
        # The thread's row first, before anything else is written: two questions of one buyer on one item
        # are ingested side by side, and a lock taken later, after other writes, can deadlock them.
        conversations_store.lock_ownership(s, thread)
        asked_at = question.date_created or utcnow()
        inbound = conv.record_inbound(
            s, thread, str(question.id), question.text, asked_at, external_status=question.status
        )
        if not question.is_unanswered:
            _record_remote_answer(s, thread, question)
            return Plan("recorded", detail=f"question is {question.status}")
        existing = outbox_store.entry_for_target(s, account_id, NAME, str(question.id))
        if existing is not None:
            return Plan("recorded", reply_id=existing.id, detail=f"answer already {existing.status}")
        if wait_s is not None:
            return Plan("waiting", detail=f"a burst: answering in {wait_s:.0f} s", wait_s=wait_s)
        assert decision is not None
        meta = {
            "intents": decision.intents,
            "parts": [list(part) for part in decision.parts],  # (intent, the text it produced)
            "scores": decision.scores,
            "lang": decision.lang,
            "reason": decision.reason,
            "reason_detail": getattr(decision, "reason_detail", None),
            "facts": decision.facts,
        }
        inbound.meta = meta
        if not ownership.bot_may_speak(s, thread):
            # A person took the conversation over: the question waits for them, the bot says nothing.
            return Plan("recorded", detail="taken over by a person: the bot stays silent")
        if decision.action != "answer":
            conv.hand_off(s, thread, decision.reason or "bot_handoff")
            return Plan("handed_off", detail=decision.reason or "")
        if decision.mode == "draft":
            conv.record_outbound(
                s, thread, answer_id(str(question.id)), decision.text, "bot", "draft", meta=meta
            )
            conv.hand_off(s, thread, "draft_awaiting_approval")
            return Plan("drafted")
        plan = ReplyPlan(target_id=str(question.id), external_id=answer_id(str(question.id)), params={})
        entry, _new = outgoing.record(s, thread, plan, decision.text, "bot", lease_until, meta=meta)
        return Plan("reply_pending", reply_id=entry.id, drive=entry.drive)


def _record_remote_answer(s: Session, thread: Conversation, question: Question) -> None:
    """The question was answered (by us earlier, or in Mercado Libre's own UI): show it."""
    if question.answer is None:
        return
    text = question.answer.text or ""
    entry = outbox_store.entry_for_target(s, thread.account_id, NAME, str(question.id))
    if entry is not None and outgoing.same_text(entry.text, text):
        outgoing.settle_remote(s, entry.id, Posted())  # our own answer, now known to be published
        return
    if entry is not None:
        outgoing.settle_remote(s, entry.id, Settled(ANSWERED_ELSEWHERE))
    conv.record_outbound(
        s, thread, answer_id(str(question.id)), text, "seller", "sent", sent_at=question.answer.date_created
    )
