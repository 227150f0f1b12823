"""The emulator's in-memory world: plain records plus one container created per app (and per reset)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mostrador.sandbox.clock import SandboxClock
from mostrador.sandbox.config import SandboxConfig
from mostrador.sandbox.errors import NotFound
from mostrador.sandbox.ids import IdFactory
from mostrador.sandbox.records import (
    Attachment,
    Claim,
    Conversation,
    Message,
    Order,
    Pack,
    Scroll,
    Shipment,
)

Role = Literal["seller", "buyer"]


@dataclass
class App:
    id: int
    name: str
    secret: str
    callback_url: str | None
    redirect_uri: str
    topics: list[str]
    pkce: bool = False
    internal: bool = False
    created_ts: float = 0.0
    last_call_ts: float = 0.0
    switched_off_topics: set[str] = field(default_factory=set)
    missed_in_a_row: dict[str, int] = field(default_factory=dict)


@dataclass
class User:
    id: int
    nickname: str
    site_id: str
    role: Role
    password: str
    registration_ts: float
    email: str
    first_name: str = "Test"
    last_name: str = "Test"


@dataclass
class Grant:
    """One user's authorization of one app (§2.4: revocation kills every token of the grant)."""

    user_id: int
    app_id: int
    created_ts: float
    scopes: list[str] = field(default_factory=lambda: ["offline_access", "read", "write"])
    refresh_token: str | None = None
    refresh_expires_ts: float = 0.0
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    app_id: int
    user_id: int
    expires_ts: float
    revoked: bool = False


@dataclass
class AuthorizationCode:
    code: str
    app_id: int
    user_id: int
    redirect_uri: str
    expires_ts: float
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    used: bool = False


@dataclass
class Item:
    id: str
    seller_id: int
    site_id: str
    title: str
    price: float
    currency_id: str
    available_quantity: int
    status: str
    created_ts: float
    updated_ts: float
    body: dict[str, Any]
    variations: list[dict[str, Any]] = field(default_factory=list)
    initial_quantity: int = 0
    sold_quantity: int = 0
    description: str = ""


@dataclass
class Answer:
    text: str
    status: str
    created_ts: float


@dataclass
class Question:
    id: int
    item_id: str
    seller_id: int
    buyer_id: int
    text: str
    status: str
    created_ts: float
    updated_ts: float
    app_id: int
    answer: Answer | None = None
    hold: bool = False
    deleted_from_listing: bool = False


@dataclass
class SandboxState:
    """Everything one sandbox instance knows; `POST /_sandbox/reset` swaps in a fresh one."""

    config: SandboxConfig
    clock: SandboxClock
    ids: IdFactory
    internal_app: App
    apps: dict[int, App] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    grants: dict[tuple[int, int], Grant] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    refresh_tokens: dict[str, tuple[int, int]] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    questions: dict[int, Question] = field(default_factory=dict)
    blacklist: dict[int, dict[int, float]] = field(default_factory=dict)
    answers_log: list[dict[str, Any]] = field(default_factory=list)
    messages_log: list[dict[str, Any]] = field(default_factory=list)
    claim_messages_log: list[dict[str, Any]] = field(default_factory=list)
    orders: dict[int, Order] = field(default_factory=dict)
    packs: dict[int, Pack] = field(default_factory=dict)
    shipments: dict[int, Shipment] = field(default_factory=dict)
    conversations: dict[int, Conversation] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    attachments: dict[str, Attachment] = field(default_factory=dict)
    claims: dict[int, Claim] = field(default_factory=dict)
    scrolls: dict[str, Scroll] = field(default_factory=dict)

    @classmethod
    def fresh(cls, config: SandboxConfig, clock: SandboxClock | None = None) -> SandboxState:
        ids = IdFactory(config.seed)
        clock = clock or SandboxClock(speed=config.clock_speed)
        internal = App(
            id=ids.app_id(),
            name="sandbox",
            secret=ids.secret(),
            callback_url=None,
            redirect_uri=config.public_url,
            topics=[],
            internal=True,
            created_ts=clock.timestamp(),
        )
        state = cls(config=config, clock=clock, ids=ids, internal_app=internal)
        state.apps[internal.id] = internal
        return state

    def now(self) -> float:
        return self.clock.timestamp()

    def user(self, user_id: int) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise NotFound(f"User not found: {user_id}")
        return user

    def item(self, item_id: str) -> Item:
        item = self.items.get(item_id)
        if item is None:
            raise NotFound(f"Item with id {item_id} not found", error="not_found")
        return item

    def question(self, question_id: int) -> Question:
        question = self.questions.get(question_id)
        if question is None:
            raise NotFound("question not found", error="not_found")
        return question
