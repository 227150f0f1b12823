"""Every error of the REST API in one shape: RFC 9457 problem details (`application/problem+json`).

`ApiProblem` carries its status, so an expected refusal is never a 500; `install` also turns FastAPI's
own errors under `/api/v1` (no such route, wrong method, a body or query that does not validate) into
problems, and leaves every other path's errors as they were (pages keep their HTML).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

PREFIX = "/api/v1"
MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    """One field that did not validate: where (`loc`, as FastAPI names it) and why."""

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="A URI naming the kind of problem; `about:blank` when the status says all.")
    title: str = Field(description="The kind of problem, in short.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(default=None, description="What went wrong in this request, in words.")
    instance: str | None = Field(default=None, description="The request's path.")
    errors: list[FieldError] | None = Field(default=None, description="Fields that did not validate (422).")


class ApiProblem(Exception):
    """A refusal the API answers with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.headers = headers or {}
        self.errors = errors


def problem_response(
    request: Request,
    status: int,
    detail: str | None,
    *,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:mostrador:problem:{kind}" if kind else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def _is_api(request: Request) -> bool:
    path = request.url.path
    return path == PREFIX or path.startswith(PREFIX + "/")


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]


def install(app: FastAPI) -> None:
    """Register the handlers: problems under /api/v1, FastAPI's defaults elsewhere."""

    @app.exception_handler(ApiProblem)
    async def _problem(request: Request, exc: ApiProblem) -> Response:
        return problem_response(
            request, exc.status, exc.detail, kind=exc.kind, headers=exc.headers, errors=exc.errors
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if not _is_api(request):
            return await request_validation_exception_handler(request, exc)
        errors = _field_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            return problem_response(request, 400, "The body is not valid JSON.", kind="malformed-body")
        return problem_response(
            request,
            422,
            "Some fields are missing or invalid: see `errors`.",
            kind="invalid-fields",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not _is_api(request):
            return await http_exception_handler(request, exc)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return problem_response(request, exc.status_code, detail, headers=dict(exc.headers or {}))


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` entries of a route's problems."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


READS = responses(400, 401, 404, 422, 429)
WRITES = responses(400, 401, 403, 404, 409, 413, 422, 429)
NOT_FOUND = "Not found in this workspace."
