"""Questions and answers (§5): asking, answering, statuses, blacklist and the two v4 shapes."""

from __future__ import annotations

from typing import Any

from mostrador.sandbox import searches
from mostrador.sandbox.clock import iso_marketplace, iso_utc_nanos
from mostrador.sandbox.errors import BadRequest, Forbidden, NotFound
from mostrador.sandbox.state import Answer, Question, SandboxState, User

# §5.4: questions and answers are capped at 2,000 characters.
MAX_TEXT = 2000
QUESTION_STATUSES = (
    "ANSWERED",
    "BANNED",
    "CLOSED_UNANSWERED",
    "DELETED",
    "DISABLED",
    "UNANSWERED",
    "UNDER_REVIEW",
)
ANSWER_STATUSES = ("ACTIVE", "DISABLED", "BANNED")


def ask(state: SandboxState, buyer: User, item_id: str, text: str, app_id: int) -> Question:
    """`POST /questions` (§5.4, buyer side)."""
    text = text.strip()
    if not text:
        raise BadRequest("The question text is required", error="invalid_question")
    if len(text) > MAX_TEXT:
        raise BadRequest(f"The question text exceeds {MAX_TEXT} characters", error="invalid_question")
    item = state.item(item_id)
    if item.seller_id == buyer.id:
        raise Forbidden("The owner of the item cannot ask questions about it", error="forbidden")
    if item.status != "active":
        raise BadRequest(f"Item {item_id} is not active", error="item_not_active")
    # §5.6: a blacklisted buyer cannot ask this seller.
    if buyer.id in state.blacklist.get(item.seller_id, {}):
        raise Forbidden("The user is blocked by the seller and cannot ask", error="blocked_user")
    now = state.now()
    question = Question(
        id=state.ids.question_id(),
        item_id=item.id,
        seller_id=item.seller_id,
        buyer_id=buyer.id,
        text=text,
        status="UNANSWERED",
        created_ts=now,
        updated_ts=now,
        app_id=app_id,
    )
    state.questions[question.id] = question
    return question


def answer(state: SandboxState, seller: User, question_id: object, text: object) -> Question:
    """`POST /answers` (§5.4): only the item's seller, once, on an answerable question."""
    if not isinstance(question_id, int) or isinstance(question_id, bool):
        raise BadRequest("question_id must be a number", error="invalid_question")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("The answer text is required", error="invalid_answer")
    if len(text) > MAX_TEXT:
        raise BadRequest(f"The answer text exceeds {MAX_TEXT} characters", error="invalid_answer")
    question = state.questions.get(question_id)
    if question is None:
        raise NotFound("question not found", error="invalid_question")
    if question.seller_id != seller.id:
        raise Forbidden("The question does not belong to the caller", error="forbidden")
    if question.status == "ANSWERED":
        raise BadRequest("The question is already answered", error="invalid_question")
    if question.status != "UNANSWERED":
        raise BadRequest(f"Question in status {question.status} cannot be answered", error="invalid_question")
    if question.buyer_id in state.blacklist.get(seller.id, {}):
        raise BadRequest("The asker is blocked by the seller", error="invalid_question")
    now = state.now()
    question.answer = Answer(text=text, status="ACTIVE", created_ts=now)
    question.status = "ANSWERED"
    question.updated_ts = now
    item = state.items.get(question.item_id)
    state.answers_log.append(
        {
            "question_id": question.id,
            "item_id": question.item_id,
            "seller_id": seller.id,
            "text": text,
            "question_created_at": iso_marketplace(question.created_ts),
            "answered_at": iso_marketplace(now),
            "answered_ts": now,
            "site_id": item.site_id if item else None,
        }
    )
    return question


def set_status(state: SandboxState, question: Question, status: str, answer_status: str | None) -> None:
    """Control action: moderation and lifecycle outcomes the API cannot trigger by itself (§5.3)."""
    if status not in QUESTION_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(QUESTION_STATUSES)}", error="invalid_status")
    if answer_status is not None:
        if answer_status not in ANSWER_STATUSES or question.answer is None:
            raise BadRequest(
                "answer_status needs an answered question and one of ACTIVE, DISABLED, BANNED",
                error="invalid_status",
            )
        question.answer.status = answer_status
    question.status = status
    question.updated_ts = state.now()


def close_item_questions(state: SandboxState, item_id: str) -> list[Question]:
    """§5.3: closing an item turns its unanswered questions into CLOSED_UNANSWERED."""
    changed = []
    for question in state.questions.values():
        if question.item_id == item_id and question.status == "UNANSWERED":
            question.status = "CLOSED_UNANSWERED"
            question.updated_ts = state.now()
            changed.append(question)
    return changed


def _visible_text(question: Question) -> str:
    # §5: with v4, banned text comes back empty.
    return "" if question.status == "BANNED" else question.text


def _answer_view(question: Question) -> dict[str, Any] | None:
    if question.answer is None:
        return None
    text = "" if question.answer.status == "BANNED" else question.answer.text
    return {
        "text": text,
        "status": question.answer.status,
        "date_created": iso_marketplace(question.answer.created_ts),
    }


def by_id_v4(question: Question) -> dict[str, Any]:
    """§5.2: `buyer_id` and nanosecond UTC timestamps."""
    return {
        "id": question.id,
        "seller_id": question.seller_id,
        "buyer_id": question.buyer_id,
        "item_id": question.item_id,
        "deleted_from_listing": question.deleted_from_listing,
        "suspected_spam": False,
        "status": question.status,
        "hold": question.hold,
        "text": _visible_text(question),
        "app_id": question.app_id,
        "date_created": iso_utc_nanos(question.created_ts),
        "last_updated": iso_utc_nanos(question.updated_ts),
        "answer": _answer_view(question),
    }


def in_search(question: Question) -> dict[str, Any]:
    """§5.1: search results use `from.id` and -04:00 millisecond timestamps."""
    return {
        "date_created": iso_marketplace(question.created_ts),
        "item_id": question.item_id,
        "seller_id": question.seller_id,
        "status": question.status,
        "text": _visible_text(question),
        "id": question.id,
        "deleted_from_listing": question.deleted_from_listing,
        "hold": question.hold,
        "suspected_spam": False,
        "answer": _answer_view(question),
        "from": {"id": question.buyer_id},
    }


def legacy_view(state: SandboxState, question: Question) -> dict[str, Any]:
    """Without `api_version=4`: the older shape with `from{id, answered_questions}` (see differences doc)."""
    answered = sum(
        1 for q in state.questions.values() if q.buyer_id == question.buyer_id and q.status == "ANSWERED"
    )
    body = in_search(question)
    body.pop("suspected_spam")
    body["from"] = {"id": question.buyer_id, "answered_questions": answered}
    return body


_SORTABLE = {
    "item_id": lambda q: q.item_id,
    "seller_id": lambda q: q.seller_id,
    "from_id": lambda q: q.buyer_id,
    "date_created": lambda q: q.created_ts,
}


SEARCH_DOCUMENTED = {
    "item": "§5.1: questions on one item",
    "item_id": "§5.1: same as item",
    "seller_id": "§5.1: questions received by a seller",
    "seller": "available_filters: same as seller_id",
    "from": "§5.1: the asker's user id",
    "status": f"§5.1: one of {', '.join(QUESTION_STATUSES)}",
    "sort_fields": "§5.1: comma list of item_id, seller_id, from_id, date_created",
    "sort_types": "§5.1: ASC or DESC",
    "api_version": "§5.1: 4",
    "offset": "§5.1: cannot reach past 1000 results",
    "limit": "§5.1: default 50",
    "search_type": "§5.1: scan, to read past 1000 results with scroll_id",
    "scroll_id": "§5.1: the cursor of a scan; send the same one until it comes back null",
}
# Filters the search lists in `available_filters` whose meaning the reference does not give (§5.1).
UNEMULATED_FILTERS = {
    "totalDivisions": "result divisions are not emulated",
    "division": "result divisions are not emulated",
}


def search(state: SandboxState, params: dict[str, str], caller_id: int) -> dict[str, Any]:
    """`GET /questions/search` with its filters, sorts, paging and scan (§5.1).

    Filters: `item` (or `item_id`), `seller_id` (or `seller`, as `available_filters` names it), `from`,
    `status`; sorts `sort_fields` + `sort_types`; `offset` + `limit` below 1000, past that
    `search_type=scan` + `scroll_id`.
    """
    item = params.get("item") or params.get("item_id")
    seller = params.get("seller_id") or params.get("seller")
    asker = params.get("from")
    status = params.get("status")
    if not item and not seller:
        raise BadRequest("item or seller_id is required", error="bad_request")
    searches.refuse_unemulated(params, UNEMULATED_FILTERS)
    if status is not None and status not in QUESTION_STATUSES:
        raise BadRequest(f"invalid status {status}", error="bad_request")
    limit = searches.integer(params, "limit", 50)
    scanning = params.get("search_type") == "scan"
    if params.get("search_type") not in (None, "", "scan"):
        raise BadRequest("search_type can only be scan", error="bad_request")
    offset = 0 if scanning else searches.integer(params, "offset", 0)
    if offset >= 1000:
        raise BadRequest("offset cannot reach past 1000 results; use search_type=scan", error="bad_request")
    found = [
        q
        for q in state.questions.values()
        if (not item or q.item_id == item)
        and (not seller or str(q.seller_id) == seller)
        and (not asker or str(q.buyer_id) == asker)
        and (not status or q.status == status)
    ]
    fields = [f for f in (params.get("sort_fields") or "date_created").split(",") if f]
    if any(f not in _SORTABLE for f in fields):
        raise BadRequest(f"sort_fields must be among {', '.join(_SORTABLE)}", error="bad_request")
    sort_types = (params.get("sort_types") or "DESC").upper()
    if sort_types not in ("ASC", "DESC"):
        raise BadRequest("sort_types must be ASC or DESC", error="bad_request")
    found.sort(key=lambda q: tuple(_SORTABLE[f](q) for f in fields), reverse=sort_types == "DESC")
    filters: dict[str, Any] = {
        "limit": limit,
        "offset": offset,
        "api_version": params.get("api_version", "4"),
        "is_admin": False,
        "sorts": [],
        "caller": caller_id,
    }
    for key in ("item", "seller_id", "from", "status"):
        if params.get(key):
            filters[key] = params[key]
    if params.get("item_id") and not params.get("item"):
        filters["item"] = params["item_id"]
    body: dict[str, Any] = {"total": len(found), "limit": limit}
    if scanning:
        by_id = {str(q.id): q for q in found}
        page = searches.scan(state, f"questions:{caller_id}", params, lambda: list(by_id), limit)
        body["questions"] = [in_search(state.questions[int(i)]) for i in page.ids]
        body["scroll_id"] = page.scroll_id
    else:
        body["questions"] = [in_search(q) for q in found[offset : offset + limit]]
    body.update(
        filters=filters,
        available_filters=[
            {"id": "from", "name": "From user id", "type": "number"},
            {"id": "seller", "name": "Seller id", "type": "number"},
            {"id": "totalDivisions", "name": "total divisions", "type": "number"},
            {"id": "division", "name": "Division", "type": "number"},
            {"id": "status", "name": "Status", "type": "text", "values": list(QUESTION_STATUSES)},
        ],
        available_sorts=["item_id", "from_id", "date_created", "seller_id"],
    )
    return body
