"""HTTP routes for questions and answers (§5)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import ConfigDict

from mostrador.sandbox import searches
from mostrador.sandbox.bodies import JsonBody, StrictBody
from mostrador.sandbox.caller import CallerDep, OptionalCallerDep, sandbox_state
from mostrador.sandbox.clock import MARKETPLACE_TZ
from mostrador.sandbox.errors import Forbidden, NotFound
from mostrador.sandbox.notifications import Notifier
from mostrador.sandbox.questions import (
    SEARCH_DOCUMENTED,
    answer,
    ask,
    by_id_v4,
    in_search,
    legacy_view,
    search,
)
from mostrador.sandbox.state import Question

router = APIRouter()


class NewQuestion(StrictBody):
    """§5.4 (buyer side): `{"text": "...", "item_id": "MLA123456"}`."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"item_id": "MLA1400123456", "text": "¿Tenés stock en negro?"}]}
    )
    item_id: str
    text: str


class NewAnswer(StrictBody):
    """§5.4: only `question_id` and `text` are valid attributes."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question_id": 3957150025, "text": "Sí, hay stock."}]},
    )
    question_id: int
    text: str


class BlockedUser(StrictBody):
    """§5.6: `{"user_id": 123456}`."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"user_id": 123456}]})
    user_id: int


QUESTION_BODY = JsonBody(
    NewQuestion, error="invalid_post_body", message="Invalid JSON. Valid attributes are: item_id, text"
)
# §5.4: `invalid_post_body` "Invalid JSON. Valid attributes are: {0}"; a question_id that is not an
# integer is `invalid_question`.
ANSWER_BODY = JsonBody(
    NewAnswer,
    error="invalid_post_body",
    message="Invalid JSON. Valid attributes are: question_id, text",
    field_errors={"question_id": ("invalid_question", "question_id must be a number")},
)
BLACKLIST_BODY = JsonBody(BlockedUser, message="user_id must be a number")


def _notify(request: Request, question: Question) -> None:
    notifier: Notifier = request.app.state.notifier
    notifier.publish("questions", f"/questions/{question.id}", question.seller_id)


@router.post("/questions", status_code=201, openapi_extra=QUESTION_BODY.openapi)
async def post_question(
    request: Request, caller: CallerDep, body: Annotated[NewQuestion, Depends(QUESTION_BODY)]
) -> dict[str, Any]:
    question = ask(sandbox_state(request), caller.user, body.item_id, body.text, caller.app.id)
    _notify(request, question)
    return in_search(question)


@router.post("/answers", openapi_extra=ANSWER_BODY.openapi)
async def post_answer(
    request: Request, caller: CallerDep, body: Annotated[NewAnswer, Depends(ANSWER_BODY)]
) -> dict[str, Any]:
    question = answer(sandbox_state(request), caller.user, body.question_id, body.text)
    _notify(request, question)
    return in_search(question)


@router.get("/questions/search", openapi_extra=searches.documented(SEARCH_DOCUMENTED))
async def questions_search(request: Request, caller: CallerDep) -> dict[str, Any]:
    return search(sandbox_state(request), dict(request.query_params), caller.user.id)


@router.get("/my/received_questions/search")
async def my_received(request: Request, caller: CallerDep) -> dict[str, Any]:
    """Legacy resource (§5.1): the caller's received questions, same shape as the search."""
    params = dict(request.query_params)
    params["seller_id"] = str(caller.user.id)
    result = search(sandbox_state(request), params, caller.user.id)
    return {"total": result["total"], "limit": result["limit"], "questions": result["questions"]}


@router.get("/questions/{question_id}")
async def question_by_id(
    question_id: int, request: Request, caller: OptionalCallerDep, api_version: str | None = None
) -> dict[str, Any]:
    state = sandbox_state(request)
    question = state.question(question_id)
    # §5.2: DELETED or BANNED questions are "not found" for anyone but the seller.
    hidden = question.status in ("DELETED", "BANNED")
    if hidden and (caller is None or caller.user.id != question.seller_id):
        raise NotFound("question not found")
    return by_id_v4(question) if api_version == "4" else legacy_view(state, question)


@router.delete("/questions/{question_id}", response_model=None)
async def delete_question(question_id: int, request: Request, caller: CallerDep) -> JSONResponse:
    """§5.5: the seller deletes a question; the SDK sample body is `["Question deleted."]`."""
    state = sandbox_state(request)
    question = state.question(question_id)
    if question.seller_id != caller.user.id:
        raise Forbidden("The question does not belong to the caller")
    if question.status == "DELETED":
        raise NotFound("question not found")
    question.status = "DELETED"
    question.deleted_from_listing = True
    question.updated_ts = state.now()
    _notify(request, question)
    return JSONResponse(["Question deleted."])


@router.post("/users/{seller_id}/questions_blacklist", openapi_extra=BLACKLIST_BODY.openapi)
async def block_asker(
    seller_id: int, request: Request, caller: CallerDep, body: Annotated[BlockedUser, Depends(BLACKLIST_BODY)]
) -> dict[str, Any]:
    caller.must_be(seller_id)
    user_id = body.user_id
    state = sandbox_state(request)
    state.user(user_id)
    state.blacklist.setdefault(seller_id, {})[user_id] = state.now()
    return {"user_id": user_id, "blocked": True}


@router.get("/users/{seller_id}/questions_blacklist")
async def list_blocked(seller_id: int, request: Request, caller: CallerDep) -> JSONResponse:
    """Legacy SDKs read `[{"user": {"id": …}}]` (§5.6)."""
    caller.must_be(seller_id)
    blocked = sandbox_state(request).blacklist.get(seller_id, {})
    return JSONResponse([{"user": {"id": user_id}} for user_id in blocked])


@router.delete("/users/{seller_id}/questions_blacklist/{user_id}")
async def unblock_asker(seller_id: int, user_id: int, request: Request, caller: CallerDep) -> dict[str, Any]:
    caller.must_be(seller_id)
    blocked = sandbox_state(request).blacklist.get(seller_id, {})
    if blocked.pop(user_id, None) is None:
        raise NotFound(f"User {user_id} is not blocked")
    return {"user_id": user_id, "blocked": False}


def _band(ts: float) -> str:
    local = datetime.fromtimestamp(ts, MARKETPLACE_TZ)
    if local.weekday() >= 5:
        return "weekend"
    if 9 <= local.hour < 18:
        return "weekdays_working_hours"
    if local.hour >= 18:
        return "weekdays_extra_hours"
    return "night"


@router.get("/users/{user_id}/questions/response_time")
async def response_time(user_id: int, request: Request, caller: CallerDep) -> dict[str, Any]:
    """§5.7: minutes over 14 days; unanswered count as answered now, capped at one week; 404 with none."""
    state = sandbox_state(request)
    now = state.now()
    seen: set[tuple[int, str]] = set()
    delays: dict[str, list[float]] = {}
    for question in sorted(state.questions.values(), key=lambda q: q.created_ts):
        if question.seller_id != user_id or now - question.created_ts > 14 * 86400:
            continue
        if (question.buyer_id, question.item_id) in seen:
            continue
        seen.add((question.buyer_id, question.item_id))
        end = question.answer.created_ts if question.answer else now
        minutes = min(end - question.created_ts, 7 * 86400) / 60
        delays.setdefault(_band(question.created_ts), []).append(minutes)
    if not delays:
        raise NotFound(f"Response time not found for user id: {user_id}")

    def band(name: str) -> dict[str, Any]:
        values = delays.get(name, [])
        value = round(sum(values) / len(values)) if values else 0
        return {"response_time": value, "sales_percent_increase": 10 if value > 60 else None}

    everything = [m for values in delays.values() for m in values]
    return {
        "user_id": user_id,
        "total": {"response_time": round(sum(everything) / len(everything))},
        "weekend": band("weekend"),
        "weekdays_working_hours": band("weekdays_working_hours"),
        "weekdays_extra_hours": band("weekdays_extra_hours"),
    }
