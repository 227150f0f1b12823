"""The REST API's webhook endpoints (`/api/v1/webhook-endpoints`): the Webhooks pages' management, for
integrations — list, create (the secret shown once), read, change, delete, rotate the secret, the
delivery log, and "send test event".

Thin: each route calls one function of `webhooks.endpoints`, the service the pages call, so the same
checks apply (private and loopback addresses refused unless the operator allows them, known event types,
one workspace's endpoints only) and the same audit entries are written — with the API key as the actor.
Keys are made only by a workspace's admins (or the operator's command line), so a key acts with an
admin's reach within its scope: `read` lists and reads, `read-write` also changes (docs/webhooks.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from mostrador.channels.webhook_events import EVENT_TYPES, TEST_EVENT
from mostrador.web.api import paging, trail
from mostrador.web.api.access import Reader, Writer
from mostrador.web.api.problems import NOT_FOUND, PREFIX, READS, WRITES, ApiProblem
from mostrador.web.api.schemas import Page
from mostrador.web.deps import get_ctx
from mostrador.webhooks import endpoints
from mostrador.webhooks.addresses import MAX_URL
from mostrador.workflows import webhooks as webhook_workflows

if TYPE_CHECKING:
    EventType = str
    LoggedType = str
else:  # the event types the service knows, as an enum in the document
    EventType = Literal[tuple(EVENT_TYPES)]
    LoggedType = Literal[(*EVENT_TYPES, TEST_EVENT)]

# The shape of a URL the service takes, so that no URL the document allows is refused for its shape:
# http(s), a host name (its last label starting with a letter), an IPv4 address or a bracketed IPv6
# address (RFC 3986's grammar, no zone), an optional port, no user:password, no spaces or NUL bytes.
# Whether the address may be reached is the service's call (422 `address-not-allowed`: it depends on the
# operator's setting, not on the URL alone).
_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = f"{_OCTET}(\\.{_OCTET}){{3}}"
_H16 = "[0-9A-Fa-f]{1,4}"
_LS32 = f"({_H16}:{_H16}|{_IPV4})"
_IPV6 = "|".join(
    (
        f"({_H16}:){{6}}{_LS32}",
        f"::({_H16}:){{5}}{_LS32}",
        f"({_H16})?::({_H16}:){{4}}{_LS32}",
        f"(({_H16}:){{0,1}}{_H16})?::({_H16}:){{3}}{_LS32}",
        f"(({_H16}:){{0,2}}{_H16})?::({_H16}:){{2}}{_LS32}",
        f"(({_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}",
        f"(({_H16}:){{0,4}}{_H16})?::{_LS32}",
        f"(({_H16}:){{0,5}}{_H16})?::{_H16}",
        f"(({_H16}:){{0,6}}{_H16})?::",
    )
)
_PORT = "(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
URL_PATTERN = (
    f"^https?://(({_LABEL}\\.)*[A-Za-z]([A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?|{_IPV4}|\\[({_IPV6})\\])"
    f"(:{_PORT})?([/?#][^\\s\\x00]*)?$"
)
NO_NUL = "^[^\\x00]*$"
URL_WORDS = (
    "`https://…` (or `http://…`): a host name, an IPv4 address or an IPv6 address in brackets, no"
    " `user:password@`."
)

# What each refusal of the webhooks service is in this API, most specific first.
_REFUSALS: tuple[tuple[type[endpoints.EndpointRefused], int, str], ...] = (
    (endpoints.CreateKeyReused, 409, "idempotency-key-reused"),
    (endpoints.EndpointDisabled, 409, "endpoint-disabled"),
    (endpoints.AddressNotAllowed, 422, "address-not-allowed"),
)


@contextmanager
def service_problems(refused: str = "endpoint-refused") -> Iterator[None]:
    """The service's typed errors as problem documents: an unknown endpoint (or another workspace's) is
    404, a refusal its status and kind above, any other refusal 422 of kind `refused`."""
    try:
        yield
    except endpoints.EndpointNotFound as exc:
        raise ApiProblem(404, NOT_FOUND, kind="not-found") from exc
    except endpoints.EndpointRefused as exc:
        status, kind = next(((st, k) for t, st, k in _REFUSALS if isinstance(exc, t)), (422, refused))
        raise ApiProblem(status, str(exc), kind=kind) from exc


router = APIRouter(prefix=f"{PREFIX}/webhook-endpoints", tags=["webhooks"])
EndpointId = Annotated[int, Path(ge=1, le=paging.MAX_ID)]
DeliveryId = Annotated[int, Path(ge=1, le=paging.MAX_ID)]
DeliveryStatus = Literal["pending", "succeeded", "failed"]


# ---- documents ------------------------------------------------------------------------------------------
class WebhookEndpoint(BaseModel):
    """Where the workspace's events are sent (its signing secret is never shown again after creation)."""

    id: int
    url: str
    description: str
    event_types: list[str] = Field(description="The event types it receives (docs/webhooks.md).")
    enabled: bool = Field(description="A disabled endpoint gets no new events.")
    created_at: datetime

    @classmethod
    def of(cls, e: endpoints.EndpointView) -> WebhookEndpoint:
        return cls.model_validate(e, from_attributes=True)  # the view's fields have these names


class CreatedWebhookEndpoint(WebhookEndpoint):
    secret: str = Field(description="The signing secret (`whsec_…`): shown this once, keep it.")


class WebhookSecret(BaseModel):
    secret: str = Field(description="The new signing secret (`whsec_…`): shown this once, keep it.")


class NewWebhookEndpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=MAX_URL, pattern=URL_PATTERN, description=URL_WORDS)
    description: str = Field(default="", max_length=endpoints.DESCRIPTION_MAX, pattern=NO_NUL)
    event_types: list[EventType] = Field(min_length=1, max_length=50)


class WebhookEndpointChange(BaseModel):
    """What to change; a field left out (or null) stays as it is."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(
        default=None, min_length=1, max_length=MAX_URL, pattern=URL_PATTERN, description=URL_WORDS
    )
    description: str | None = Field(default=None, max_length=endpoints.DESCRIPTION_MAX, pattern=NO_NUL)
    event_types: list[EventType] | None = Field(default=None, min_length=1, max_length=50)
    enabled: bool | None = None


class WebhookRecovery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: AwareDatetime = Field(
        description="Send again the deliveries that failed among those made from this moment on (with "
        "its time zone; not in the future)."
    )


class WebhookRecovered(BaseModel):
    recovered: int = Field(description="How many failed deliveries are pending again.")


class WebhookAttempt(BaseModel):
    number: int
    at: datetime
    status_code: int | None = Field(description="The receiver's HTTP status; null when none came.")
    error: str | None = Field(description="Why the attempt failed, in words.")
    duration_ms: int


class WebhookDelivery(BaseModel):
    """One event owed to the endpoint, with every attempt made."""

    id: int
    webhook_id: str = Field(description="The `webhook-id` header: one per event, the same on each retry.")
    event_type: str
    status: str = Field(description="pending | succeeded | failed")
    failure: str | None = Field(description="Why it failed: gave_up | address_refused | endpoint_disabled")
    attempts: list[WebhookAttempt]
    next_attempt_at: datetime | None
    created_at: datetime
    body: str = Field(description="The JSON sent, exactly as signed.")
    recovered_at: datetime | None = Field(
        default=None, description="When it was last sent again after it failed (`…/recover`); null if never."
    )

    @classmethod
    def of(cls, d: endpoints.DeliveryView) -> WebhookDelivery:
        """The view's fields have these names (its attempts too), but for the header's name."""
        fields = {name: getattr(d, name) for name in cls.model_fields if name != "webhook_id"}
        return cls.model_validate({**fields, "webhook_id": d.msg_id}, from_attributes=True)


# ---- reads ------------------------------------------------------------------------------------------------
@router.get("", responses=READS)
async def list_webhook_endpoints(
    request: Request, key: Reader, limit: paging.Limit = paging.DEFAULT_LIMIT, cursor: paging.Cursor = None
) -> Page[WebhookEndpoint]:
    """The workspace's webhook endpoints, in id order."""
    after = paging.decode(cursor)
    rows = await run_in_threadpool(endpoints.list_endpoints, get_ctx(request), key.workspace_id)
    page = [e for e in rows if e.id > after][:limit]
    more = page[-1].id if len(page) == limit else None
    return Page(data=[WebhookEndpoint.of(e) for e in page], next_cursor=paging.encode(more))


@router.get("/{endpoint_id}", responses=READS)
async def get_webhook_endpoint(request: Request, key: Reader, endpoint_id: EndpointId) -> WebhookEndpoint:
    """One endpoint (without its secret)."""
    with service_problems():
        found = await run_in_threadpool(endpoints.get, get_ctx(request), key.workspace_id, endpoint_id)
    return WebhookEndpoint.of(found)


@router.get("/{endpoint_id}/deliveries", responses=READS)
async def list_webhook_deliveries(
    request: Request,
    key: Reader,
    endpoint_id: EndpointId,
    status: DeliveryStatus | None = None,
    event_type: Annotated[LoggedType | None, Query(description="Only this event type's.")] = None,
    limit: paging.Limit = paging.DEFAULT_LIMIT,
    cursor: paging.Cursor = None,
) -> Page[WebhookDelivery]:
    """The endpoint's delivery log in id order (oldest first; new deliveries come on later pages), each
    delivery with its attempts."""
    with service_problems():
        rows = await run_in_threadpool(
            endpoints.delivery_page,
            get_ctx(request),
            key.workspace_id,
            endpoint_id,
            paging.decode(cursor),
            limit,
            status,
            event_type,
        )
    more = rows[-1].id if len(rows) == limit else None
    return Page(data=[WebhookDelivery.of(d) for d in rows], next_cursor=paging.encode(more))


@router.get("/{endpoint_id}/deliveries/{delivery_id}", responses=READS)
async def get_webhook_delivery(
    request: Request, key: Reader, endpoint_id: EndpointId, delivery_id: DeliveryId
) -> WebhookDelivery:
    """One delivery with its attempts (follow a test event here)."""
    with service_problems():
        found = await run_in_threadpool(
            endpoints.delivery, get_ctx(request), key.workspace_id, endpoint_id, delivery_id
        )
    return WebhookDelivery.of(found)


# ---- writes -----------------------------------------------------------------------------------------------
@router.post("", status_code=201, responses=WRITES)
async def create_webhook_endpoint(
    request: Request,
    key: Writer,
    body: NewWebhookEndpoint,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=200,
            pattern=NO_NUL,
            description="The same key again (with this API key) answers with the endpoint it made, "
            "secret included, instead of making another.",
        ),
    ] = None,
) -> CreatedWebhookEndpoint:
    """Make an enabled endpoint. Its signing secret is in this answer only (and in the answer to a
    repeat of this request with the same `Idempotency-Key`). A URL whose host is a private or loopback
    address is refused (422) unless the operator allows them."""
    ctx = get_ctx(request)
    fresh = True
    with service_problems():
        if idempotency_key:
            create_key = hashlib.sha256(f"{key.key_id}:{idempotency_key}".encode()).hexdigest()
            made, secret, fresh = await run_in_threadpool(
                endpoints.create_once,
                ctx,
                key.workspace_id,
                create_key,
                body.url,
                body.description,
                body.event_types,
            )
        else:
            made, secret = await run_in_threadpool(
                endpoints.create, ctx, key.workspace_id, body.url, body.description, body.event_types
            )
    if fresh:
        await trail.note(request, key, "webhook.created", f"webhook:{made.id}", {"url": made.url})
    else:
        response.headers["Idempotent-Replayed"] = "true"
    return CreatedWebhookEndpoint(**WebhookEndpoint.of(made).model_dump(), secret=secret)


@router.patch("/{endpoint_id}", responses=WRITES)
async def change_webhook_endpoint(
    request: Request, key: Writer, endpoint_id: EndpointId, body: WebhookEndpointChange
) -> WebhookEndpoint:
    """Change the URL, description, event types or whether it is enabled; events already owed keep
    going to it unless it is disabled."""
    with service_problems():
        changed = await run_in_threadpool(
            endpoints.update,
            get_ctx(request),
            key.workspace_id,
            endpoint_id,
            body.url,
            body.description,
            body.event_types,
            body.enabled,
        )
    fields = sorted(body.model_dump(exclude_none=True))
    await trail.note(
        request, key, "webhook.changed", f"webhook:{endpoint_id}", {"url": changed.url, "fields": fields}
    )
    return WebhookEndpoint.of(changed)


@router.delete("/{endpoint_id}", status_code=204, response_class=Response, responses=WRITES)
async def delete_webhook_endpoint(request: Request, key: Writer, endpoint_id: EndpointId) -> Response:
    """Remove the endpoint with its delivery log; deliveries still pending for it are dropped (an
    attempt under way when it is deleted is not recorded)."""
    with service_problems():
        await run_in_threadpool(endpoints.delete, get_ctx(request), key.workspace_id, endpoint_id)
    await trail.note(request, key, "webhook.deleted", f"webhook:{endpoint_id}")
    return Response(status_code=204)


@router.post("/{endpoint_id}/secret", responses=WRITES)
async def rotate_webhook_secret(request: Request, key: Writer, endpoint_id: EndpointId) -> WebhookSecret:
    """A new signing secret (in this answer only); the next attempts sign with it."""
    with service_problems():
        secret = await run_in_threadpool(
            endpoints.rotate_secret, get_ctx(request), key.workspace_id, endpoint_id
        )
    await trail.note(request, key, "webhook.changed", f"webhook:{endpoint_id}", {"secret": "rotated"})
    return WebhookSecret(secret=secret)


@router.post("/{endpoint_id}/test", status_code=202, responses=WRITES)
async def send_webhook_test(request: Request, key: Writer, endpoint_id: EndpointId) -> WebhookDelivery:
    """Owe this endpoint alone a `webhook.test` event and start its delivery; follow it in the log
    (`GET …/deliveries/{delivery_id}`). A disabled endpoint is 409."""
    ctx = get_ctx(request)
    with service_problems():
        delivery_id = await run_in_threadpool(endpoints.send_test, ctx, key.workspace_id, endpoint_id)
    await webhook_workflows.start_soon(delivery_id)
    with service_problems():  # deleted meanwhile: 404
        found = await run_in_threadpool(endpoints.delivery, ctx, key.workspace_id, endpoint_id, delivery_id)
    return WebhookDelivery.of(found)


@router.post("/{endpoint_id}/recover", status_code=202, responses=WRITES)
async def recover_failed_webhook_deliveries(
    request: Request, key: Writer, endpoint_id: EndpointId, body: WebhookRecovery
) -> WebhookRecovered:
    """Send again every delivery of this endpoint that failed (its retries spent during an outage of the
    receiver, the endpoint disabled at the time…) made since `since`: each is pending again with a
    fresh retry budget, keeping its `webhook-id`; succeeded ones are never sent again. A disabled
    endpoint is 409."""
    with service_problems(refused="invalid-since"):
        count = await run_in_threadpool(
            endpoints.recover, get_ctx(request), key.workspace_id, endpoint_id, body.since
        )
    await trail.note(
        request,
        key,
        "webhook.recovered",
        f"webhook:{endpoint_id}",
        {"since": body.since.isoformat(), "count": count},
    )
    return WebhookRecovered(recovered=count)
