"""HTTP status and body variants map to the error tree in one place (§2.5, §9.10, §10)."""

from __future__ import annotations

import httpx
import pytest

from mostrador.meli import errors


def response(status: int, body: object = None, *, text: str | None = None, **headers: str) -> httpx.Response:
    if text is not None:
        return httpx.Response(status, text=text, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, errors.BadRequest),
        (401, errors.Unauthorized),
        (403, errors.Forbidden),
        (404, errors.NotFound),
        (409, errors.Conflict),
        (422, errors.Unprocessable),
        (429, errors.RateLimited),
        (451, errors.Unavailable),
        (500, errors.ServerError),
        (502, errors.ServerError),
        (503, errors.ServerError),
        (504, errors.ServerError),
        (418, errors.MeliError),
    ],
)
def test_status_line_picks_the_class(status: int, expected: type[errors.MeliError]) -> None:
    error = errors.error_from_response(response(status, {"message": "m", "error": "e", "status": status}))
    assert type(error) is expected
    assert error.status == status and error.message == "m" and error.error == "e"


def test_status_comes_from_the_http_line_not_the_body() -> None:
    # §2.5: a 401 body says "error": "not_found"; a body may even claim another status.
    body = {"message": "invalid_token", "error": "not_found", "status": 404, "cause": []}
    error = errors.error_from_response(response(401, body))
    assert isinstance(error, errors.Unauthorized)
    assert error.status == 401 and error.error == "not_found" and error.cause == []


def test_invalid_grant_is_its_own_bad_request() -> None:
    body = {
        "error_description": "Error validating grant.",
        "error": "invalid_grant",
        "status": 400,
        "cause": [],
    }
    error = errors.error_from_response(response(400, body))
    assert isinstance(error, errors.InvalidGrant) and isinstance(error, errors.BadRequest)
    assert error.message == "Error validating grant."
    other = errors.error_from_response(response(400, {"error": "invalid_client", "status": 400}))
    assert type(other) is errors.BadRequest and other.message == "invalid_client"


def test_forbidden_page_variant_with_code() -> None:
    error = errors.error_from_response(
        response(403, {"status": 403, "error": "Invalid scopes", "code": "FORBIDDEN"})
    )
    assert isinstance(error, errors.Forbidden) and error.message == "Invalid scopes"


def test_action_guide_variant_with_status_code_and_string_cause() -> None:
    body = {
        "cause": "blocked_by_excepted_case",
        "error": "bad_request",
        "message": "use messaging",
        "status_code": 400,
    }
    error = errors.error_from_response(response(400, body))
    assert isinstance(error, errors.BadRequest)
    assert error.cause == "blocked_by_excepted_case" and error.body == body


def test_send_message_variant_uses_code_as_error() -> None:
    body = {"status_code": 403, "code": "forbidden", "message": "blocked_conversation_send_message_forbidden"}
    error = errors.error_from_response(response(403, body))
    assert error.error == "forbidden" and error.message == "blocked_conversation_send_message_forbidden"


def test_non_json_body_keeps_text_and_falls_back_to_default_message() -> None:
    error = errors.error_from_response(response(502, text="<html>Bad Gateway</html>"))
    assert isinstance(error, errors.ServerError) and error.message == "<html>Bad Gateway</html>"
    empty = errors.error_from_response(httpx.Response(503))
    assert empty.message == "Mercado Libre failed to handle the request."


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "2.5"}, 2.5),
        ({"Retry-After": "Wed, 21 Oct 2026"}, 3.0),
        ({}, 3.0),
    ],
)
def test_rate_limited_retry_after_from_header_else_default(headers: dict[str, str], expected: float) -> None:
    body = {"message": "Too Many Requests", "error": "too_many_requests", "status": 429, "cause": []}
    error = errors.error_from_response(response(429, body, **headers), default_retry_after=3.0)
    assert isinstance(error, errors.RateLimited) and error.retry_after == expected


def test_default_messages_are_the_docstrings() -> None:
    assert str(errors.NotFound()) == "The resource does not exist."
    assert "status=404" in str(errors.NotFound(status=404))
    assert errors.CircuitOpen(retry_after=3).request_sent is False


def test_multiget_element_errors_use_the_same_mapping() -> None:
    error = errors.error_for_status(403, {"message": "not yours", "error": "forbidden"})
    assert isinstance(error, errors.Forbidden) and error.message == "not yours"
