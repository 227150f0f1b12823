"""Which workspace holds an object named in a URL: the check behind every id a route takes.

Routes still filter their own queries by workspace; this is the second lock, applied before any route
code runs, so a route that forgets to scope one query still answers 404 for another workspace's ids.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from mostrador.store.models import (
    Account,
    ApiKey,
    Conversation,
    Invitation,
    OutboxEntry,
    ReplyTemplate,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)

# path parameter -> the query of the workspace that holds the object with that id
SCOPED: dict[str, Callable[[int], Select[Any]]] = {
    "account_id": lambda i: select(Account.workspace_id).where(Account.id == i),
    "conversation_id": lambda i: select(Conversation.workspace_id).where(Conversation.id == i),
    "template_id": lambda i: select(ReplyTemplate.workspace_id).where(ReplyTemplate.id == i),
    "endpoint_id": lambda i: select(WebhookEndpoint.workspace_id).where(WebhookEndpoint.id == i),
    "delivery_id": lambda i: (
        select(WebhookEndpoint.workspace_id)
        .join(WebhookDelivery, WebhookDelivery.endpoint_id == WebhookEndpoint.id)
        .where(WebhookDelivery.id == i)
    ),
    "key_id": lambda i: select(ApiKey.workspace_id).where(ApiKey.id == i),
    "invitation_id": lambda i: select(Invitation.workspace_id).where(Invitation.id == i),
    "person_id": lambda i: select(User.workspace_id).where(User.id == i),
    "entry_id": lambda i: (
        select(Conversation.workspace_id)
        .join(OutboxEntry, OutboxEntry.conversation_id == Conversation.id)
        .where(OutboxEntry.id == i)
    ),
}


def workspace_holds(s: Session, workspace_id: int, param: str, object_id: int) -> bool:
    """True when the object `param` names belongs to the workspace; params not in SCOPED are not checked."""
    query = SCOPED.get(param)
    return query is None or s.scalar(query(object_id)) == workspace_id
