"""Managing a workspace's webhook endpoints: the service the admin pages call (and the REST API can).

Every function takes the workspace explicitly and treats another workspace's endpoint as absent
(`EndpointNotFound`), so a caller cannot reach across workspaces by id. A secret is returned only by
`create` and `rotate_secret`, once; it is stored encrypted with the OAuth tokens' cipher because every
attempt needs it in clear to sign.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mostrador.channels.webhook_events import EVENT_TYPES, TEST_EVENT, Fact
from mostrador.context import AppContext
from mostrador.i18n import gettext as _
from mostrador.store import webhooks as store
from mostrador.store.db import transaction
from mostrador.store.models import WebhookDelivery, WebhookEndpoint, WebhookMessage, utcnow
from mostrador.webhooks import addresses, signing
from mostrador.webhooks.derive import record_fact

DESCRIPTION_MAX = 200
LOG_LIMIT = 50


class EndpointNotFound(LookupError):
    """No endpoint with that id in this workspace."""


class EndpointRefused(ValueError):
    """The endpoint's settings cannot be saved; the message says why, for the person who typed them."""


class AddressNotAllowed(EndpointRefused):
    """The URL's host is a private or loopback address, and the operator does not allow those."""


class CreateKeyReused(EndpointRefused):
    """The create's key already made an endpoint with other settings."""


class EndpointDisabled(EndpointRefused):
    """The endpoint is disabled: it takes no test event until it is enabled again."""


@dataclass(frozen=True)
class EndpointView:
    id: int
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    created_at: datetime


@dataclass(frozen=True)
class AttemptView:
    number: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class DeliveryView:
    id: int
    msg_id: str
    event_type: str
    status: str  # pending | succeeded | failed
    failure: str | None
    attempts: list[AttemptView]
    next_attempt_at: datetime | None
    created_at: datetime
    body: str
    recovered_at: datetime | None = None  # when a person last sent it again after it failed


def _view(e: WebhookEndpoint) -> EndpointView:
    return EndpointView(e.id, e.url, e.description, list(e.event_types), e.enabled, e.created_at)


def _checked(
    ctx: AppContext, url: str, description: str, event_types: Collection[str]
) -> tuple[str, str, list[str]]:
    if "\x00" in url or "\x00" in description:  # PostgreSQL's text cannot hold it: a clear refusal
        raise EndpointRefused(_("La URL y la descripción no pueden llevar un byte nulo."))
    try:
        target = addresses.parse(url)
        addresses.check_literal(target, ctx.settings.webhooks_allow_private_addresses)
    except addresses.PrivateAddress as exc:
        raise AddressNotAllowed(str(exc)) from exc
    except addresses.AddressRefused as exc:
        raise EndpointRefused(str(exc)) from exc
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise EndpointRefused(_("Tipos de evento desconocidos: %(types)s.") % {"types": ", ".join(unknown)})
    if not event_types:
        raise EndpointRefused(_("Elegí al menos un tipo de evento."))
    description = description.strip()
    if len(description) > DESCRIPTION_MAX:
        raise EndpointRefused(_("La descripción admite hasta %(max)d caracteres.") % {"max": DESCRIPTION_MAX})
    return target.url, description, [t for t in EVENT_TYPES if t in set(event_types)]


def create(
    ctx: AppContext, workspace_id: int, url: str, description: str, event_types: Collection[str]
) -> tuple[EndpointView, str]:
    """A new enabled endpoint and its signing secret (the only time the secret is shown)."""
    url, description, types = _checked(ctx, url, description, event_types)
    return _insert(ctx, workspace_id, url, description, types, None)


def create_once(
    ctx: AppContext,
    workspace_id: int,
    create_key: str,
    url: str,
    description: str,
    event_types: Collection[str],
) -> tuple[EndpointView, str, bool]:
    """`create` for a caller that may send the same request twice (the REST API's Idempotency-Key):
    the endpoint this key made before, with its current secret, or a new one; and whether it is new.
    The same key with other settings is `CreateKeyReused`."""
    url, description, types = _checked(ctx, url, description, event_types)
    with transaction(ctx.sessions) as s:
        found = store.endpoint_by_create_key(s, workspace_id, create_key)
        if found is not None:
            return (*_made_before(ctx, found, url, description, types), False)
    try:
        return (*_insert(ctx, workspace_id, url, description, types, create_key), True)
    except IntegrityError:  # the same request, sent at once: the other one made it
        with transaction(ctx.sessions) as s:
            found = store.endpoint_by_create_key(s, workspace_id, create_key)
            if found is None:
                raise
            return (*_made_before(ctx, found, url, description, types), False)


def _insert(
    ctx: AppContext, workspace_id: int, url: str, description: str, types: list[str], create_key: str | None
) -> tuple[EndpointView, str]:
    secret = signing.new_secret()
    with transaction(ctx.sessions) as s:
        endpoint = store.add_endpoint(
            s,
            {
                "workspace_id": workspace_id,
                "url": url,
                "description": description,
                "event_types": types,
                "secret_enc": ctx.cipher.encrypt(secret),
                "enabled": True,
                "create_key": create_key,
            },
        )
        return _view(endpoint), secret


def _made_before(
    ctx: AppContext, found: WebhookEndpoint, url: str, description: str, types: list[str]
) -> tuple[EndpointView, str]:
    if (found.url, found.description, list(found.event_types)) != (url, description, types):
        raise CreateKeyReused(
            "Esta Idempotency-Key ya creó un endpoint con otros datos (o se cambió después)."
        )
    return _view(found), ctx.cipher.decrypt(found.secret_enc)


def update(
    ctx: AppContext,
    workspace_id: int,
    endpoint_id: int,
    url: str | None = None,
    description: str | None = None,
    event_types: Collection[str] | None = None,
    enabled: bool | None = None,
) -> EndpointView:
    """Change an endpoint (None keeps a value as it is: the REST API's partial changes); events already
    owed keep going to it (unless it is disabled)."""
    with transaction(ctx.sessions) as s:
        endpoint = _owned(s, workspace_id, endpoint_id)
        url, description, types = _checked(
            ctx,
            endpoint.url if url is None else url,
            endpoint.description if description is None else description,
            endpoint.event_types if event_types is None else event_types,
        )
        endpoint.url, endpoint.description, endpoint.event_types = url, description, types
        if enabled is not None:
            endpoint.enabled = enabled
        return _view(endpoint)


def rotate_secret(ctx: AppContext, workspace_id: int, endpoint_id: int) -> str:
    """A new secret for the endpoint (returned once); the next attempts sign with it."""
    secret = signing.new_secret()
    with transaction(ctx.sessions) as s:
        _owned(s, workspace_id, endpoint_id).secret_enc = ctx.cipher.encrypt(secret)
    return secret


def delete(ctx: AppContext, workspace_id: int, endpoint_id: int) -> None:
    """Remove the endpoint with its delivery log; its pending deliveries are dropped."""
    with transaction(ctx.sessions) as s:
        _owned(s, workspace_id, endpoint_id)
        store.delete_endpoint(s, endpoint_id)


def list_endpoints(ctx: AppContext, workspace_id: int) -> list[EndpointView]:
    with transaction(ctx.sessions) as s:
        return [_view(e) for e in store.endpoints_of(s, workspace_id)]


def get(ctx: AppContext, workspace_id: int, endpoint_id: int) -> EndpointView:
    with transaction(ctx.sessions) as s:
        return _view(_owned(s, workspace_id, endpoint_id))


def deliveries(
    ctx: AppContext, workspace_id: int, endpoint_id: int, limit: int = LOG_LIMIT
) -> list[DeliveryView]:
    """The endpoint's newest deliveries, each with its attempts (the delivery log)."""
    with transaction(ctx.sessions) as s:
        _owned(s, workspace_id, endpoint_id)
        return _delivery_views(s, store.deliveries_of(s, endpoint_id, limit))


def delivery_page(
    ctx: AppContext,
    workspace_id: int,
    endpoint_id: int,
    after: int,
    limit: int,
    status: str | None = None,
    event_type: str | None = None,
) -> list[DeliveryView]:
    """The delivery log in id order from after `after` (the REST API's cursor pages), optionally only
    one state or one event type."""
    with transaction(ctx.sessions) as s:
        _owned(s, workspace_id, endpoint_id)
        rows = store.deliveries_after(s, endpoint_id, after, limit, status=status, event_type=event_type)
        return _delivery_views(s, rows)


def delivery(ctx: AppContext, workspace_id: int, endpoint_id: int, delivery_id: int) -> DeliveryView:
    """One delivery of the endpoint with its attempts (`EndpointNotFound` if it is not the endpoint's)."""
    with transaction(ctx.sessions) as s:
        _owned(s, workspace_id, endpoint_id)
        rows = store.deliveries_after(s, endpoint_id, delivery_id - 1, 1)
        if not rows or rows[0][0].id != delivery_id:
            raise EndpointNotFound("No delivery with that id for this endpoint.")
        return _delivery_views(s, rows)[0]


def _delivery_views(s: Session, rows: list[tuple[WebhookDelivery, WebhookMessage]]) -> list[DeliveryView]:
    tries = store.attempts_of(s, [d.id for d, _m in rows])
    return [
        DeliveryView(
            d.id,
            m.msg_id,
            m.event_type,
            d.status,
            d.failure,
            [AttemptView(a.number, a.at, a.status_code, a.error, a.duration_ms) for a in tries.get(d.id, [])],
            d.next_attempt_at,
            d.created_at,
            m.body,
            d.recovered_at,
        )
        for d, m in rows
    ]


def send_test(ctx: AppContext, workspace_id: int, endpoint_id: int) -> int:
    """Owe the endpoint (only it) a `webhook.test` event, even when disabled types or state would not;
    returns the delivery's id, for the caller to start its workflow."""
    now = utcnow()
    with transaction(ctx.sessions) as s:
        endpoint = _enabled(
            s, workspace_id, endpoint_id, _("El endpoint está desactivado: activalo para probarlo.")
        )
        key = f"{TEST_EVENT}:{signing.new_message_id()}"
        data = {"endpoint_id": endpoint.id, "message": "Evento de prueba de Mostrador"}
        fact = Fact(TEST_EVENT, key, f"endpoint:{endpoint.id}", data)
        message_id = record_fact(s, workspace_id, fact, [(endpoint.id, [TEST_EVENT])], now)
        assert message_id is not None
        found = store.deliveries_of(s, endpoint.id, 1)
        return found[0][0].id


def recover(ctx: AppContext, workspace_id: int, endpoint_id: int, since: datetime) -> int:
    """Send again every delivery of the endpoint that failed (its retries spent during an outage, the
    endpoint disabled, its address refused) made since `since`; returns how many. Each keeps its
    `webhook-id`, so a receiver that did get one after all can tell; succeeded deliveries are never
    sent again. The feed schedule starts them within seconds, each under a new workflow run."""
    now = utcnow()
    if since.tzinfo is None:
        raise EndpointRefused(_("Indicá la fecha con su zona horaria."))
    if since > now:
        raise EndpointRefused(_("La fecha desde la que reenviar no puede ser futura."))
    with transaction(ctx.sessions) as s:
        disabled = _("El endpoint está desactivado: activalo para reenviarle los fallidos.")
        return store.reopen_failed(s, _enabled(s, workspace_id, endpoint_id, disabled).id, since, now)


def _enabled(s: Session, workspace_id: int, endpoint_id: int, disabled: str) -> WebhookEndpoint:
    """The workspace's endpoint, held against a delete (`FOR KEY SHARE`) while deliveries to it are
    written; `EndpointDisabled(disabled)` if it is switched off."""
    endpoint = store.endpoint_of(s, workspace_id, endpoint_id, key_share=True)
    if endpoint is None:
        raise EndpointNotFound(EndpointNotFound.__doc__)
    if not endpoint.enabled:
        raise EndpointDisabled(disabled)
    return endpoint


def reencrypt_secrets(ctx: AppContext) -> int:
    """Re-encrypt every endpoint's secret under the current (first) token key, after a new key was
    prepended (`mostrador accounts rotate-keys`); returns how many."""
    done = 0
    with transaction(ctx.sessions) as s:
        for endpoint in store.all_endpoints(s):
            endpoint.secret_enc = ctx.cipher.rotate(endpoint.secret_enc)
            done += 1
    return done


def _owned(s: Session, workspace_id: int, endpoint_id: int) -> WebhookEndpoint:
    endpoint = store.endpoint_of(s, workspace_id, endpoint_id)
    if endpoint is None:
        raise EndpointNotFound(EndpointNotFound.__doc__)
    return endpoint
