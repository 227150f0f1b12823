"""SQLAlchemy models, one module per kind of record; one schema for SQLite and PostgreSQL.

Mercado Libre ids are stored as strings where they are not purely numeric (items, messages) and as
BIGINT where they are (users exceed int32, §1 of the API reference).
"""

import mostrador.store.models.dashboards  # noqa: F401 - the dashboards' tables (imported from there)
from mostrador.store.models.accounts import Account, OAuthState
from mostrador.store.models.api_keys import ApiKey
from mostrador.store.models.audit import AuditEntry
from mostrador.store.models.base import Base, UTCDateTime, utcnow
from mostrador.store.models.claims import ClaimRecord
from mostrador.store.models.conversations import Contact, ContactIdentity, Conversation, Message, Presence
from mostrador.store.models.intake import Counter, Notification
from mostrador.store.models.learning import BotExample, BotLearning
from mostrador.store.models.limits import ApiBudget
from mostrador.store.models.operations import Event, SyncRun
from mostrador.store.models.outbox import OutboxEntry, OutboxStatus, OutgoingFile
from mostrador.store.models.people import (
    Invitation,
    LoginFailure,
    PasswordReset,
    User,
    UserSession,
    Workspace,
)
from mostrador.store.models.templates import ReplyTemplate
from mostrador.store.models.webhooks import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookFeed,
    WebhookMessage,
)

__all__ = [
    "Account",
    "ApiBudget",
    "ApiKey",
    "AuditEntry",
    "Base",
    "BotExample",
    "BotLearning",
    "ClaimRecord",
    "Contact",
    "ContactIdentity",
    "Conversation",
    "Counter",
    "Event",
    "Invitation",
    "LoginFailure",
    "Message",
    "Notification",
    "OAuthState",
    "OutboxEntry",
    "OutboxStatus",
    "OutgoingFile",
    "PasswordReset",
    "Presence",
    "ReplyTemplate",
    "SyncRun",
    "UTCDateTime",
    "User",
    "UserSession",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookFeed",
    "WebhookMessage",
    "Workspace",
    "utcnow",
]
