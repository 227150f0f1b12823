"""What a channel is: a whole plug-in, everything that depends on the kind of conversation.

A channel ingests the resources its notification topics point at, says how a reply may be written
(its limit, whether one is allowed now and why not, to whom), posts a recorded reply and finds one
that was already posted, sweeps for what a lost webhook hid, and tells the inbox how to show its
threads. The rest of the product — intake, workflows, the outbox, reconciliation, the inbox and the
web pages — reaches channels only through `channels.registry` and this protocol; no channel's name
appears outside `channels/`. Adding a channel is one module and one line in the registry
(docs/channels.md, "Adding a channel").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from mostrador.conversations.files import FileRules
from mostrador.conversations.outgoing import Posted, Settled
from mostrador.meli import errors as meli_errors

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mostrador.accounts.seller_api import SellerApi
    from mostrador.context import AppContext
    from mostrador.conversations.outgoing import Outgoing, ReplyPlan
    from mostrador.store.models import Conversation


__all__ = [
    "IN_FLIGHT_GRACE",
    "REFUSALS",
    "ActionOffer",
    "Channel",
    "FileRules",
    "Plan",
    "Pointer",
    "PostRefused",
    "Posted",
    "Presentation",
    "Settled",
    "ThreadRef",
    "Urgent",
]

# A notification received this recently is still on its way (queued or running): sweeps leave it be.
IN_FLIGHT_GRACE = timedelta(minutes=15)
# What Mercado Libre answers when it refuses a post for good, nothing posted (§5.4, §8.3, §8.6, §9.6):
# a channel turns these into `PostRefused`; anything transient is left to the pipeline.
REFUSALS = (
    meli_errors.BadRequest,
    meli_errors.Forbidden,
    meli_errors.NotFound,
    meli_errors.Conflict,
    meli_errors.Unprocessable,
    meli_errors.Unavailable,
)


@dataclass(frozen=True)
class Plan:
    """What ingest decided; JSON-serialisable because DBOS records it as a step result."""

    outcome: str  # recorded | handed_off | drafted | reply_pending | skipped | waiting
    reply_id: int | None = None  # the outbox entry to send now, when outcome is reply_pending
    drive: int | None = None
    detail: str = ""
    wait_s: float | None = None  # outcome waiting: ingest again after this long (a buyer's burst)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class PostRefused(Exception):
    """Mercado Libre refused the post for good (nothing was posted); `reason` is a short code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Pointer:
    """A resource a sweep found that Mostrador never recorded (or recorded in an older state): fed
    through intake exactly like a notification the webhook never brought."""

    topic: str
    resource: str  # the notification's `resource`, e.g. /questions/123
    resource_id: str


@dataclass(frozen=True)
class ActionOffer:
    """Something besides writing that a person may do in a thread now (a claim's refund, return …)."""

    name: str
    label: str  # what the button says (marked Spanish: the inbox translates it when shown)
    confirm: str  # what happens, said before it is confirmed
    mandatory: bool = False  # Mercado Libre requires it before `due_date`
    due_date: datetime | None = None
    fields: tuple[str, ...] = ()  # form fields it needs
    choices: dict[str, list[str]] = field(default_factory=dict)  # allowed values per field, when fixed


@dataclass(frozen=True)
class Urgent:
    """A thread that must be acted on soon (a claim's due date): it floats to the top of the inbox."""

    conversation_id: int
    due_date: datetime
    label: str


@dataclass(frozen=True)
class Presentation:
    """How the inbox shows the channel's threads. Its words are Spanish marked with `N_` (the source
    text); the inbox shows them in the reader's language (`inbox.views.in_words`)."""

    label: str  # the tab, e.g. "Preguntas"
    empty: str  # what an empty tab says
    layout: str  # "answers": one public answer per buyer question | "chat": free messages both ways
    state_key: str | None = None  # the thread's state record shown beside it (see conversations.service)
    facts_template: str | None = None  # a panel of the state's facts (web/templates/<name>)
    reply_label: str = "Respuesta"
    handoff_reasons: dict[str, str] = field(default_factory=dict)  # reason code → plain words
    bot_filter: bool = False  # whether "answered by the bot" is a useful filter here
    files: FileRules | None = None  # what files a reply may carry; None: text only
    # Variables a reply may name, filled when it is sent (`{price}` → the live price): name → what it is.
    template_variables: dict[str, str] = field(default_factory=dict)
    # Business seconds a buyer's text may wait for a reply before its thread is overdue (None: no clock;
    # claims have Mercado Libre's own due dates instead). Counted in the account's business hours.
    reply_window_s: float | None = None


@dataclass(frozen=True)
class ThreadRef:
    """What a channel needs to know about a thread to fill its variables."""

    key: str  # the conversation's external key (a pack id, a claim id, `<item>:<buyer>`)
    item_id: str | None
    buyer: str  # the buyer's name as shown
    state: dict[str, Any]


class Channel(Protocol):
    name: str  # the conversations' channel, e.g. "questions"
    topics: tuple[str, ...]  # the notification topics it handles (§4.2); the first is the one to enable
    reply_limit: int  # characters per reply (§5.4: 2,000 for answers; §8.3: 350 for messages)
    ordered_replies: bool  # chat replies go out in the order written (an earlier pending one first)
    presentation: Presentation

    # ---- work on notified resources --------------------------------------------------------------
    def workflow_key(self, topic: str, resource_id: str) -> str:
        """Idempotency key of the work for one resource, e.g. `question:123`."""
        ...

    def partition_key(self, account_id: int, resource_id: str) -> str:
        """Work with the same key never overlaps (per-conversation order)."""
        ...

    async def ingest(self, ctx: AppContext, api: SellerApi, topic: str, resource_id: str) -> Plan:
        """Fetch the resource with the seller's token, record it, decide; never posts."""
        ...

    async def sweep(self, ctx: AppContext, api: SellerApi) -> list[Pointer]:
        """What Mercado Libre shows that Mostrador never recorded (a lost webhook, a topic switched off)."""
        ...

    def own_echo(self, s: Session, account_id: int, resource_id: str, received_at: datetime) -> bool:
        """Whether a notification received at `received_at` only echoes a reply this app is posting or
        has just posted to the resource, so it needs no workflow (the dispatcher settles it at once)."""
        ...

    # ---- replies --------------------------------------------------------------------------------------
    def reply_refusal(self, state: dict[str, Any]) -> str | None:
        """Why no reply may be written in a thread in this state right now (plain words), or None."""
        ...

    def plan_reply(
        self, s: Session, thread: Conversation, text: str, in_reply_to: str | None, reply_key: str
    ) -> ReplyPlan:
        """Where a reply goes and what posting it needs; raises `ReplyRefused` with the reason."""
        ...

    def send_partition(self, reply: Outgoing) -> str:
        """The queue partition of sends in a conversation (the same as its ingests where possible)."""
        ...

    async def post(self, api: SellerApi, reply: Outgoing) -> Posted:
        """Post the reply once; raise `PostRefused` when Mercado Libre refuses it for good."""
        ...

    async def find_posted(self, api: SellerApi, reply: Outgoing) -> Posted | Settled | None:
        """After an attempt whose outcome is unknown: is the reply (or another one) already there?"""
        ...

    async def download(self, api: SellerApi, thread_key: str, filename: str) -> bytes:
        """The bytes of a file attached to a message of the thread (`filename`: Mercado Libre's name);
        `LookupError` for a channel without files."""
        ...

    async def mark_read(self, api: SellerApi, thread_key: str) -> bool:
        """A person opened the thread: tell Mercado Libre its messages were read, where the channel
        keeps such a mark (post-sale §8.1). Background reads never do. True when one was set."""
        ...

    async def template_values(self, api: SellerApi, thread: ThreadRef) -> dict[str, str | None]:
        """The values of `presentation.template_variables` for this thread now (None: not known)."""
        ...

    def actions(self, state: dict[str, Any]) -> list[ActionOffer]:
        """What a person may do in a thread in this state besides writing (none for most channels)."""
        ...

    def plan_action(
        self, s: Session, thread: Conversation, name: str, form: dict[str, str]
    ) -> tuple[ReplyPlan, str]:
        """Where an action goes and the words it leaves in the thread; raises `ReplyRefused`."""
        ...

    def urgent(self, s: Session, workspace_id: int, before: datetime) -> list[Urgent]:
        """The workspace's threads whose due date comes before `before`, soonest first."""
        ...

    # ---- the inbox --------------------------------------------------------------------------------------
    def due_date(self, state: dict[str, Any]) -> datetime | None:
        """When the seller must act in a thread in this state, if ever."""
        ...
