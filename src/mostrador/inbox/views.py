"""Read models for the inbox, channel-agnostic: each thread is shown as its channel's `Presentation`
says — one public answer per buyer question ("answers"), or a chat both ways ("chat") — with the
state its channel keeps beside it (a pack's status, a claim's facts), and each outgoing text with
where its send stands (pending, retrying after an outage, failed and why)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from mostrador import i18n
from mostrador.channels.base import ActionOffer, Channel, Presentation, Urgent
from mostrador.channels.registry import CHANNELS, channel_named
from mostrador.context import AppContext
from mostrador.conversations import calendar
from mostrador.conversations import service as conv_service
from mostrador.inbox import words
from mostrador.outbox.failures import handoff_label
from mostrador.store import accounts as accounts_store
from mostrador.store import conversations as conversations_store
from mostrador.store import learning as learning_store
from mostrador.store import outbox as outbox_store
from mostrador.store import presence as presence_store
from mostrador.store.conversations import ThreadFilter
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation, Message, OutboxEntry, utcnow
from mostrador.store.waiting import ACTION_PREFIX


@dataclass(frozen=True)
class SendState:
    """Where the send of an outgoing text stands."""

    entry_id: int
    drive: int
    status: str  # pending | sent | failed | superseded
    attempts: int
    deferrals: int  # times Mercado Libre could not take it since it was last written or retried
    failure: str | None  # why it failed (a code; `error` says it in words)
    error: str | None
    retry_at: datetime | None  # when the next try goes out, while deferred by an outage

    @property
    def version(self) -> str:
        """What an answer form remembers of the answer it shows (inbox.actions.answer_version)."""
        return f"{self.entry_id}.{self.drive}"

    @property
    def retrying(self) -> bool:
        """Pending because Mercado Libre could not take it yet; it goes out on its own."""
        return self.status == "pending" and self.deferrals > 0

    @property
    def retriable(self) -> bool:
        return self.status == "failed" or self.retrying


@dataclass
class QuestionView:
    question_id: str
    text: str
    asked_at: datetime
    status: str  # question status at Mercado Libre
    answer: str | None = None
    answer_status: str | None = None  # draft | pending_send | sent | failed | superseded
    answered_by: str | None = None  # bot | agent | seller
    answered_at: datetime | None = None
    intents: list[str] = field(default_factory=list)
    handoff_reason: str | None = None  # the bot's reason, in words
    send: SendState | None = None
    parts: list[tuple[str, str]] = field(default_factory=list)  # (intent in words, the text it produced)
    bot_scores: dict[str, float] = field(default_factory=dict)
    taught: list[str] | None = None  # the intents a person confirmed (the bot learns them)

    @property
    def intent_words(self) -> list[str]:
        return [words.intent_words(i) for i in self.intents]


@dataclass
class MessageView:
    """One message of a chat thread, as the agent sees it."""

    id: int
    direction: str  # in | out
    author: str  # buyer | mediator | seller | agent | bot
    text: str
    at: datetime
    status: str  # received | pending_send | sent | failed | superseded
    external_status: str | None  # Mercado Libre's: available | moderated | rejected …
    attachments: list[dict[str, Any]] = field(default_factory=list)
    moderation: dict[str, Any] | None = None
    receiver_role: str | None = None
    send: SendState | None = None
    external_id: str = ""

    @property
    def moderated(self) -> bool:
        return self.external_status in ("moderated", "rejected") or (
            (self.moderation or {}).get("status") in ("rejected", "pending")
        )

    @property
    def error(self) -> str | None:
        return self.send.error if self.send is not None and self.send.status == "failed" else None


@dataclass
class ThreadView:
    id: int
    channel: str
    presentation: Presentation
    account: str
    site_id: str
    buyer: str
    subject: str
    item_id: str | None
    status: str
    owner: str
    handoff_reason: str | None
    handoff_label: str | None
    last_message_at: datetime
    questions: list[QuestionView]
    messages: list[MessageView] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)  # what the channel keeps beside the thread
    due_date: datetime | None = None
    reply_refusal: str | None = None  # why no reply may be written now (plain words)
    reply_limit: int = 0
    actions: list[ActionOffer] = field(default_factory=list)  # what a person may do besides writing
    related_id: int | None = None  # a conversation this one is about (a claim's purchase chat)
    activity: list[MessageView] = field(default_factory=list)  # actions people took (answers layout)
    waiting_since: datetime | None = None  # the oldest buyer text still waiting
    reply_due: datetime | None = None  # when the channel's reply window runs out (business hours)
    overdue: bool = False
    account_id: int = 0
    assignee_id: int | None = None  # the agent the conversation is assigned to (conversations.ownership)
    assignee: str | None = None
    taken_by_id: int | None = None  # the person who took it over from the bot: the bots are silent
    taken_by: str | None = None

    @property
    def layout(self) -> str:
        return self.presentation.layout

    @property
    def waiting(self) -> int:
        """How many buyer texts wait for an answer (a chat: 1 when the buyer wrote last)."""
        if self.layout == "chat":
            return int(bool(self.messages) and self.messages[-1].direction == "in")
        done = ("sent", "pending_send", "superseded")  # superseded: answered in Mercado Libre's own UI
        return sum(1 for q in self.questions if q.answer_status not in done)

    @property
    def can_reply(self) -> bool:
        return self.reply_refusal is None


def _send_states(entries: list[OutboxEntry]) -> dict[int, SendState]:
    return {
        e.message_id: SendState(
            entry_id=e.id,
            drive=e.drive,
            status=e.status,
            attempts=e.attempts,
            deferrals=e.deferrals,
            failure=e.failure,
            # Our own fixed reasons (a send not needed: "ya se respondió…") are stored in Spanish and
            # shown in the reader's language; Mercado Libre's texts match no entry and stay as they are.
            error=i18n.gettext(e.last_error) if e.last_error else e.last_error,
            retry_at=e.next_attempt_at if e.status == "pending" and e.deferrals > 0 else None,
        )
        for e in entries
        if e.message_id is not None
    }


def _questions(conv: Conversation, sends: dict[int, SendState]) -> list[QuestionView]:
    inbound = [m for m in conv.messages if m.direction == "in" and not conv_service.is_state(m)]
    answers: dict[str, Message] = {
        m.external_id.removeprefix("answer:"): m for m in conv.messages if m.direction == "out"
    }
    out = []
    for m in sorted(inbound, key=lambda m: (m.created_at, m.id)):
        a = answers.get(m.external_id)
        meta = m.meta or {}
        out.append(
            QuestionView(
                question_id=m.external_id,
                text=m.text,
                asked_at=m.created_at,
                status=m.external_status or "",
                answer=a.text if a else None,
                answer_status=a.status if a else None,
                answered_by=a.author if a else None,
                answered_at=a.sent_at if a else None,
                intents=list(meta.get("intents") or []),
                handoff_reason=words.reason_words(meta.get("reason")),
                send=sends.get(a.id) if a else None,
                parts=[
                    (words.intent_words(str(p[0])), str(p[1]))
                    for p in meta.get("parts") or []
                    if isinstance(p, list | tuple) and len(p) == 2
                ],
            )
        )
    return out


def _messages(conv: Conversation, sends: dict[int, SendState]) -> list[MessageView]:
    out = []
    for m in sorted(conv.messages, key=lambda m: (m.created_at, m.id)):
        if conv_service.is_state(m):
            continue
        meta = m.meta or {}
        out.append(
            MessageView(
                id=m.id,
                direction=m.direction,
                author=m.author,
                text=m.text,
                at=m.created_at,
                status=m.status,
                external_status=m.external_status,
                attachments=list(meta.get("attachments") or []),
                moderation=meta.get("moderation"),
                receiver_role=meta.get("receiver_role"),
                send=sends.get(m.id),
                external_id=m.external_id,
            )
        )
    return out


def _actions_taken(conv: Conversation, sends: dict[int, SendState]) -> list[MessageView]:
    return [m for m in _messages(conv, sends) if m.external_id.startswith(ACTION_PREFIX)]


# Every intent, in the agent's words, for the form that teaches the bot (the labelling rules of
# intents.md are checked when it is posted).
INTENT_CHOICES: list[tuple[str, str]] = list(words.INTENTS.items())


def intent_choices() -> list[tuple[str, str]]:
    """INTENT_CHOICES in the reader's language."""
    return [(key, i18n.gettext(label)) for key, label in INTENT_CHOICES]


def in_words(shown: Presentation) -> Presentation:
    """A channel's presentation with its words (marked constants) in the reader's language."""
    return replace(
        shown,
        label=i18n.gettext(shown.label),
        empty=i18n.gettext(shown.empty),
        reply_label=i18n.gettext(shown.reply_label),
        handoff_reasons={k: i18n.gettext(v) for k, v in shown.handoff_reasons.items()},
        template_variables={k: i18n.gettext(v) for k, v in shown.template_variables.items()},
    )


def _offer_in_words(offer: ActionOffer) -> ActionOffer:
    return replace(offer, label=i18n.gettext(offer.label), confirm=i18n.gettext(offer.confirm))


@dataclass(frozen=True)
class AccountShown:
    nickname: str
    site_id: str
    hours: calendar.Hours  # its business hours: the reply clocks run in them


def _shown(account: Account) -> AccountShown:
    return AccountShown(
        account.nickname, account.site_id, calendar.business_hours(account.bot_config, account.site_id)
    )


UNKNOWN_ACCOUNT = AccountShown("?", "MLA", calendar.business_hours(None, "MLA"))


def reply_due(conv: Conversation, hours: calendar.Hours) -> datetime | None:
    """When the thread's oldest waiting text runs out of its channel's reply window (None: no clock)."""
    window = channel_named(conv.channel).presentation.reply_window_s
    if window is None or conv.waiting_since is None or conv.status == "closed":
        return None
    return calendar.add_business_time(conv.waiting_since, window, hours)


def overdue_cutoffs(
    accounts: dict[int, AccountShown], channel: str, now: datetime
) -> tuple[tuple[tuple[int, ...], datetime], ...]:
    """(account ids, cutoff) groups: a thread of the channel waiting since before its account's cutoff
    is overdue now. Accounts with the same business hours share one group."""
    window = channel_named(channel).presentation.reply_window_s
    if window is None:
        return ()
    by_hours: dict[calendar.Hours, list[int]] = {}
    for account_id, shown in accounts.items():
        by_hours.setdefault(shown.hours, []).append(account_id)
    return tuple(
        (tuple(ids), calendar.subtract_business_time(now, window, hours)) for hours, ids in by_hours.items()
    )


def _view(
    conv: Conversation,
    accounts: dict[int, AccountShown],
    sends: dict[int, SendState],
    now: datetime | None = None,
    people: dict[int, str] | None = None,
    translated: dict[str, Presentation] | None = None,
) -> ThreadView:
    account = accounts.get(conv.account_id, UNKNOWN_ACCOUNT)
    nickname, site_id = account.nickname, account.site_id
    channel: Channel = channel_named(conv.channel)
    shown = translated.get(conv.channel) if translated is not None else None
    if shown is None:
        shown = in_words(channel.presentation)
        if translated is not None:
            translated[conv.channel] = shown
    chat = shown.layout == "chat"
    state = conv_service.state_of(conv, shown.state_key) if shown.state_key else {}
    due = reply_due(conv, account.hours)
    return ThreadView(
        id=conv.id,
        channel=conv.channel,
        presentation=shown,
        account=nickname,
        site_id=site_id,
        buyer=conv.contact.display_name if conv.contact else "",
        subject=conv.subject,
        item_id=conv.item_id,
        status=conv.status,
        owner=conv.owner,
        handoff_reason=conv.handoff_reason,
        handoff_label=_handoff_words(conv.handoff_reason, shown),
        last_message_at=conv.last_message_at,
        questions=[] if chat else _questions(conv, sends),
        messages=_messages(conv, sends) if chat else [],
        # An action's record is our own fixed sentence ("Acción: pregunta eliminada."): shown translated.
        activity=[]
        if chat
        else [
            replace(m, text=i18n.gettext(m.text))
            for m in _messages(conv, sends)
            if m.external_id.startswith(ACTION_PREFIX)
        ],
        state=state,
        due_date=channel.due_date(state),
        reply_refusal=channel.reply_refusal(state),  # the channels word it in the reader's language
        reply_limit=channel.reply_limit,
        actions=[_offer_in_words(a) for a in channel.actions(state)],
        waiting_since=conv.waiting_since if conv.status != "closed" else None,
        reply_due=due,
        overdue=due is not None and due < (now or utcnow()),
        account_id=conv.account_id,
        # An id that names nobody (a user removed since) reads as no one.
        assignee_id=conv.assignee_id if conv.assignee_id in (people or {}) else None,
        assignee=(people or {}).get(conv.assignee_id) if conv.assignee_id else None,
        taken_by_id=conv.taken_by_id,
        taken_by=(people or {}).get(conv.taken_by_id, i18n.gettext("otra persona"))
        if conv.taken_by_id
        else None,
    )


def _handoff_words(reason: str | None, shown: Presentation) -> str | None:
    """The channel's words for its reasons, a send failure's, or the bot's — never the code itself."""
    label = handoff_label(reason, shown.handoff_reasons)  # `shown`: already in the reader's language
    return words.reason_words(reason) if label == reason else label


URGENT_WITHIN = timedelta(hours=24)  # a due date this close puts the thread at the top of the inbox


PAGE_SIZE = 50


@dataclass
class InboxPage:
    """One page of a channel's threads, with what the filters and the pager need."""

    threads: list[ThreadView]
    total: int  # threads matching the filters, in all
    page: int
    pages: int
    waiting: dict[str, tuple[int, int]]  # per channel: (threads waiting, of which overdue)
    items: list[tuple[str, str]]  # (item id, title) to filter by
    accounts: list[tuple[int, str]]  # (account id, nickname) to filter by


def inbox_page(
    ctx: AppContext,
    workspace_id: int,
    f: ThreadFilter,
    page: int = 1,
    overdue_only: bool = False,
    now: datetime | None = None,
) -> InboxPage:
    """The workspace's threads matching `f`, waiting ones first (the longest waiting first); on the
    first page of an unfiltered list, threads due within a day (a claim's deadline) above them all.
    `overdue_only`: threads whose reply window ran out (in their account's business hours)."""
    page = max(1, page)
    now = now or utcnow()
    with transaction(ctx.sessions) as s:
        accounts = {a.id: _shown(a) for a in accounts_store.accounts_of(s, workspace_id)}
        if overdue_only and f.channel:
            f = replace(f, overdue=overdue_cutoffs(accounts, f.channel, now))
        urgent_ids: list[int] = []
        if page == 1 and f.status in (None, "waiting") and not f.search and f.channel and f.overdue is None:
            due = channel_named(f.channel).urgent(s, workspace_id, now + URGENT_WITHIN)
            urgent_ids = [u.conversation_id for u in due]
        paged = replace(f, exclude_ids=tuple(urgent_ids)) if urgent_ids else f
        convs, total = conversations_store.threads_page(
            s, workspace_id, paged, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
        on_top = list(conversations_store.threads_by_id(s, workspace_id, urgent_ids))
        shown = [*on_top, *convs]
        sends = _send_states(list(outbox_store.entries_of(s, [c.id for c in shown])))
        people = {i: name for i, name, _ in presence_store.workspace_people(s, workspace_id)}
        translated: dict[str, Presentation] = {}
        views = [_view(c, accounts, sends, now, people, translated) for c in shown]
        cutoffs = {c.name: overdue_cutoffs(accounts, c.name, now) for c in CHANNELS}
        waiting = conversations_store.waiting_counts(s, workspace_id, cutoffs)
        items = conversations_store.items_of(s, workspace_id, f.channel)
    on_top_views = sorted(views[: len(on_top)], key=lambda v: v.due_date or utcnow())
    total += len(on_top)
    return InboxPage(
        threads=on_top_views + views[len(on_top) :],
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        waiting=waiting,
        items=items,
        accounts=sorted(((i, a.nickname) for i, a in accounts.items()), key=lambda a: a[1]),
    )


def inbox_threads(
    ctx: AppContext, workspace_id: int, channel: str | None, owner: str | None = None
) -> list[ThreadView]:
    """The first page of the workspace's threads of one channel (None: every channel)."""
    return inbox_page(ctx, workspace_id, ThreadFilter(channel=channel, owner=owner)).threads


def thread_key(ctx: AppContext, conversation_id: int) -> str | None:
    """The conversation's key at Mercado Libre (a pack id, a claim id, `<item>:<buyer>`)."""
    with transaction(ctx.sessions) as s:
        conv = s.get(Conversation, conversation_id)
        return conv.external_key if conv is not None else None


def thread(ctx: AppContext, workspace_id: int, conversation_id: int) -> tuple[ThreadView, Account] | None:
    with transaction(ctx.sessions) as s:
        conv = conversations_store.conversation_in_workspace(s, workspace_id, conversation_id)
        if conv is None:
            return None
        account = s.get(Account, conv.account_id)
        assert account is not None
        sends = _send_states(list(outbox_store.entries_of(s, [conv.id])))
        people = {i: name for i, name, _ in presence_store.workspace_people(s, workspace_id)}
        view = _view(conv, {account.id: _shown(account)}, sends, people=people)
        taught = learning_store.taught_in(s, conv.id)
        for q in view.questions:
            q.taught = taught.get(q.question_id)
        related = view.state.get("related") if isinstance(view.state.get("related"), dict) else None
        if related and related.get("channel") and related.get("key"):
            other = conversations_store.conversation_by_key(
                s, conv.account_id, str(related["channel"]), str(related["key"])
            )
            view.related_id = other.id if other is not None else None
        s.expunge(account)
        return view, account


def urgent(ctx: AppContext, workspace_id: int, within: timedelta = URGENT_WITHIN) -> list[Urgent]:
    """Every channel's threads of the workspace due within `within` (or overdue), soonest first."""
    before = utcnow() + within
    with transaction(ctx.sessions) as s:
        found = [u for channel in CHANNELS for u in channel.urgent(s, workspace_id, before)]
    return sorted(found, key=lambda u: u.due_date)


@dataclass(frozen=True)
class AttachmentRef:
    """A file listed on a message of a thread, and where to fetch it from Mercado Libre."""

    account_id: int
    channel: str
    thread_key: str
    filename: str  # Mercado Libre's name for it
    name: str  # what the person who attached it called it
    type: str | None


def attachment(
    ctx: AppContext, workspace_id: int, conversation_id: int, filename: str
) -> AttachmentRef | None:
    """A file of the workspace's thread, only if one of its messages lists it: the inbox never fetches
    a name it was handed, only the files Mercado Libre showed in that conversation."""
    with transaction(ctx.sessions) as s:
        conv = conversations_store.conversation_in_workspace(s, workspace_id, conversation_id)
        if conv is None:
            return None
        for m in conv.messages:
            for a in (m.meta or {}).get("attachments") or []:
                if isinstance(a, dict) and a.get("filename") == filename:
                    return AttachmentRef(
                        conv.account_id,
                        conv.channel,
                        conv.external_key,
                        filename,
                        str(a.get("name") or filename),
                        a.get("type"),
                    )
    return None
