"""The `/_sandbox` control API: set up apps and users, steer time, faults and moderation, read logs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from mostrador.sandbox.bodies import ControlBody, JsonBody
from mostrador.sandbox.caller import sandbox_state
from mostrador.sandbox.errors import BadRequest, NotFound
from mostrador.sandbox.faults import FaultInjector, FaultSettings
from mostrador.sandbox.items import item_view
from mostrador.sandbox.notifications import Notifier
from mostrador.sandbox.oauth import app_view, internal_token, register_app, revoke_user_tokens, rotate_secret
from mostrador.sandbox.questions import set_status
from mostrador.sandbox.ratelimit import RateLimiter
from mostrador.sandbox.sites import site
from mostrador.sandbox.state import Role, SandboxState, User
from mostrador.sandbox.users import private_view

router = APIRouter(prefix="/_sandbox")


class NewApp(ControlBody):
    name: str
    callback_url: str | None = None
    redirect_uri: str
    topics: list[str] = Field(default_factory=list)
    pkce: bool = False


class NewUser(ControlBody):
    nickname: str | None = None
    site_id: str = "MLA"
    role: Role = "seller"
    password: str | None = None


# Far enough for any test (a century), near enough that dates stay printable (datetime ends at 9999).
MAX_ADVANCE_S = 100 * 365 * 24 * 3600
MAX_SPEED = 1_000_000


class ClockChange(ControlBody):
    advance_s: float | None = Field(None, ge=0, le=MAX_ADVANCE_S)
    speed: float | None = Field(None, ge=0, le=MAX_SPEED)


class QuestionStatusChange(ControlBody):
    status: str
    answer_status: str | None = None


class PasswordChange(ControlBody):
    password: str | None = None


def create_user(state: SandboxState, new: NewUser) -> User:
    site(new.site_id)
    nickname = (new.nickname or f"TEST{new.role.upper()}{len(state.users) + 1}").strip()
    if any(u.nickname.lower() == nickname.lower() for u in state.users.values()):
        raise BadRequest(f"nickname {nickname} is taken", error="nickname_taken")
    user_id = state.ids.user_id()
    user = User(
        id=user_id,
        nickname=nickname,
        site_id=new.site_id,
        role=new.role,
        password=new.password or state.ids.password(),
        registration_ts=state.now(),
        email=f"test_user_{user_id}@testuser.com",
    )
    state.users[user.id] = user
    return user


def user_with_secrets(state: SandboxState, user: User) -> dict[str, Any]:
    body = private_view(state, user)
    body.update({"password": user.password, "role": user.role, "access_token": internal_token(state, user)})
    return body


NEW_APP_BODY = JsonBody(NewApp)
NEW_USER_BODY = JsonBody(NewUser)
PASSWORD_BODY = JsonBody(PasswordChange)
CLOCK_BODY = JsonBody(ClockChange)
FAULTS_BODY = JsonBody(FaultSettings)
QUESTION_STATUS_BODY = JsonBody(QuestionStatusChange)


@router.post("/apps", status_code=201, openapi_extra=NEW_APP_BODY.openapi)
async def new_app(new: Annotated[NewApp, Depends(NEW_APP_BODY)], request: Request) -> dict[str, Any]:
    app = register_app(
        sandbox_state(request),
        name=new.name,
        callback_url=new.callback_url,
        redirect_uri=new.redirect_uri,
        topics=new.topics,
        pkce=new.pkce,
    )
    return app_view(app)


@router.get("/apps")
async def list_apps(request: Request) -> list[dict[str, Any]]:
    return [app_view(app) for app in sandbox_state(request).apps.values() if not app.internal]


@router.post("/apps/{app_id}/rotate_secret")
async def rotate_app_secret(app_id: int, request: Request) -> dict[str, Any]:
    state = sandbox_state(request)
    app = state.apps.get(app_id)
    if app is None or app.internal:
        raise NotFound(f"Application not found: {app_id}")
    rotate_secret(state, app)
    return app_view(app)


@router.post("/users", status_code=201, openapi_extra=NEW_USER_BODY.openapi)
async def new_user(new: Annotated[NewUser, Depends(NEW_USER_BODY)], request: Request) -> dict[str, Any]:
    state = sandbox_state(request)
    return user_with_secrets(state, create_user(state, new))


@router.get("/users")
async def list_users(request: Request, role: Role | None = None) -> list[dict[str, Any]]:
    state = sandbox_state(request)
    return [user_with_secrets(state, u) for u in state.users.values() if role is None or u.role == role]


@router.post("/users/{user_id}/password_change", openapi_extra=PASSWORD_BODY.openapi)
async def password_change(
    user_id: int, change: Annotated[PasswordChange, Depends(PASSWORD_BODY)], request: Request
) -> dict[str, Any]:
    """§2.4: a new password kills the user's grants to third-party apps."""
    state = sandbox_state(request)
    user = state.user(user_id)
    user.password = change.password or state.ids.password()
    revoke_user_tokens(state, user.id)
    return {"id": user.id, "password": user.password}


@router.get("/items")
async def list_items(
    request: Request, seller_id: int | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    state = sandbox_state(request)
    return [
        item_view(i, owner=True) | {"description": {"plain_text": i.description}}
        for i in state.items.values()
        if (seller_id is None or i.seller_id == seller_id) and (status is None or i.status == status)
    ]


def _since(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest("since must be an ISO-8601 date with offset", error="invalid_parameter") from exc


@router.get("/log")
async def read_log(
    request: Request,
    kind: Literal["answers", "messages", "claim_messages"] = "answers",
    since: str | None = None,
) -> list[dict[str, Any]]:
    state = sandbox_state(request)
    entries = {
        "answers": state.answers_log,
        "messages": state.messages_log,
        "claim_messages": state.claim_messages_log,
    }[kind]
    after = _since(since)
    if after is None:
        return list(entries)
    if after.tzinfo is None:
        raise BadRequest("since must carry an offset", error="invalid_parameter")
    stamp_key = {"answers": "answered_at"}.get(kind, "date_created")
    return [e for e in entries if datetime.fromisoformat(str(e[stamp_key]).replace("Z", "+00:00")) > after]


@router.get("/clock")
async def read_clock(request: Request) -> dict[str, Any]:
    clock = sandbox_state(request).clock
    return {"now": clock.now().isoformat(), "timestamp": clock.timestamp(), "speed": clock.speed}


@router.post("/clock", openapi_extra=CLOCK_BODY.openapi)
async def change_clock(
    change: Annotated[ClockChange, Depends(CLOCK_BODY)], request: Request
) -> dict[str, Any]:
    clock = sandbox_state(request).clock
    if change.speed is not None:
        clock.set_speed(change.speed)
    if change.advance_s:
        clock.advance(change.advance_s)
    _notifier(request).tick()
    _notifier(request).wake()
    return await read_clock(request)


def _notifier(request: Request) -> Notifier:
    notifier: Notifier = request.app.state.notifier
    return notifier


@router.post("/reset")
async def reset(request: Request) -> dict[str, Any]:
    """Forget everything: a fresh world from the same config and seed."""
    old = sandbox_state(request)
    request.app.state.sandbox = SandboxState.fresh(old.config)
    request.app.state.faults = FaultInjector(old.config.seed)
    request.app.state.rate_limiter = RateLimiter(old.config.rate_limits)
    request.app.state.action_guide_locks = set()
    _notifier(request).reset()
    return {"status": "reset"}


@router.get("/rate_limits")
async def rate_limits(request: Request) -> list[dict[str, Any]]:
    """Per app and budget bucket: calls admitted, calls refused with 429 by the budget (injected
    faults are not counted), the busiest minute and how many minutes saw calls."""
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter.scores()


@router.get("/faults")
async def read_faults(request: Request) -> dict[str, Any]:
    faults: FaultInjector = request.app.state.faults
    return faults.settings.model_dump()


@router.put("/faults", openapi_extra=FAULTS_BODY.openapi)
async def change_faults(
    settings: Annotated[FaultSettings, Depends(FAULTS_BODY)], request: Request
) -> dict[str, Any]:
    faults: FaultInjector = request.app.state.faults
    faults.update(settings)
    return faults.settings.model_dump()


@router.get("/notifications")
async def deliveries(
    request: Request, topic: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """Every notification the sandbox produced, with its attempts: handy to assert on delivery."""
    return [
        d.view()
        for d in _notifier(request).deliveries
        if (topic is None or d.topic == topic) and (status is None or d.status == status)
    ]


@router.post("/questions/{question_id}/status", openapi_extra=QUESTION_STATUS_BODY.openapi)
async def question_status(
    question_id: int, change: Annotated[QuestionStatusChange, Depends(QUESTION_STATUS_BODY)], request: Request
) -> dict[str, Any]:
    state = sandbox_state(request)
    question = state.question(question_id)
    set_status(state, question, change.status, change.answer_status)
    _notifier(request).publish("questions", f"/questions/{question.id}", question.seller_id)
    return {
        "id": question.id,
        "status": question.status,
        "answer_status": question.answer.status if question.answer else None,
    }
