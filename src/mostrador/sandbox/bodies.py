"""Request bodies: every JSON body the emulated API reads goes through one parser and one error path.

§1: POST/PUT bodies are JSON. A body that is empty, not UTF-8, not JSON, not a JSON object, or whose
fields have the wrong JSON types is answered with a 400 in the §10 envelope before any handler looks
at it, so no route can fail on a body with a bare 500. The Content-Type header is not consulted
(clients that send JSON as `text/plain`, or with no header, are served; see sandbox-differences.md).
Types are checked by a pydantic model in strict mode: a number is not a string, `true` is not `1`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request

from mostrador.sandbox.errors import BadRequest, SandboxError

ModelT = TypeVar("ModelT", bound=BaseModel)


class StrictBody(BaseModel):
    """Base of the API's body models: JSON types checked strictly, unknown keys kept for the handler
    (the items API, for one, refuses them by name)."""

    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=True)


class ControlBody(BaseModel):
    """Base of the `/_sandbox` control bodies: JSON types checked strictly, unknown keys ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a body: where (`references`), what, and a machine-readable code."""

    references: str
    message: str
    code: str = "invalid_parameter"

    def cause(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "references": [self.references]}


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} does not fit a number")
    return number


def parse_json(raw: bytes) -> Any:
    """Strict RFC 8259: UTF-8 only, no NaN/Infinity, no number that overflows to infinity."""
    text = raw.decode("utf-8")
    return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)


def _problems(exc: ValidationError) -> list[Problem]:
    return [
        Problem(".".join(str(part) for part in error["loc"]) or "body", str(error["msg"]))
        for error in exc.errors()
    ]


def _inline_refs(schema: Any, definitions: Mapping[str, Any]) -> Any:
    """OpenAPI gets the body schema with nested models inlined (pydantic puts them under `$defs`)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline_refs(definitions[ref.removeprefix("#/$defs/")], definitions)
        return {key: _inline_refs(value, definitions) for key, value in schema.items() if key != "$defs"}
    if isinstance(schema, list):
        return [_inline_refs(value, definitions) for value in schema]
    return schema


@dataclass(frozen=True, eq=False)  # hashed by identity: FastAPI caches dependencies by their callable
class JsonBody(Generic[ModelT]):
    """A route's JSON body: its model, how a bad one is refused, and its OpenAPI description.

    `error`/`message` are the route's documented refusal (e.g. §5.4 `invalid_post_body`);
    `field_errors` overrides them when a given top-level field is the culprit (§5.4: a non-integer
    `question_id` is `invalid_question`); `render` builds the whole error (the items API's causes).
    """

    model: type[ModelT]
    error: str = "bad_request"
    message: str = "Invalid request body"
    field_errors: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    render: Callable[[list[Problem]], SandboxError] | None = None

    @property
    def openapi(self) -> dict[str, Any]:
        """`openapi_extra` for the route, so /_sandbox/docs (and the route-table tests) see the body."""
        schema = self.model.model_json_schema()
        inlined = _inline_refs(schema, schema.get("$defs", {}))
        return {"requestBody": {"required": True, "content": {"application/json": {"schema": inlined}}}}

    def refuse(self, problems: list[Problem]) -> SandboxError:
        if self.render is not None:
            return self.render(problems)
        for problem in problems:
            top = problem.references.split(".", 1)[0]
            if top in self.field_errors:
                error, message = self.field_errors[top]
                return BadRequest(message, error=error, cause=[p.cause() for p in problems])
        return BadRequest(self.message, error=self.error, cause=[p.cause() for p in problems])

    def parse(self, raw: bytes) -> ModelT:
        """Bytes to a validated model, or the route's 400."""
        if not raw.strip():
            raise self.refuse([Problem("body", "a JSON object is required", "missing_body")])
        try:
            document = parse_json(raw)
        except (ValueError, RecursionError) as exc:
            # UnicodeDecodeError and JSONDecodeError are ValueErrors; deep nesting is a RecursionError.
            raise self.refuse([Problem("body", f"body is not valid JSON: {exc}", "invalid_json")]) from None
        if not isinstance(document, dict):
            kind = type(document).__name__ if document is not None else "null"
            raise self.refuse([Problem("body", f"body must be a JSON object, not {kind}", "invalid_body")])
        try:
            return self.model.model_validate(document)
        except ValidationError as exc:
            raise self.refuse(_problems(exc)) from None

    async def read(self, request: Request) -> ModelT:
        return self.parse(await request.body())

    async def __call__(self, request: Request) -> ModelT:
        """As a FastAPI dependency: `body: Annotated[Model, Depends(BODY)]`."""
        return await self.read(request)


def fields(body: BaseModel) -> dict[str, Any]:
    """The keys the client sent with a value (unknown ones included; `null` counts as absent), as dicts."""
    return body.model_dump(exclude_unset=True, exclude_none=True, by_alias=True)
