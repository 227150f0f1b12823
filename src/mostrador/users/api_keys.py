"""API keys: per-workspace credentials for the REST API, shown once, stored hashed, revocable.

A key reads `mst_<12 hex>.<43 url-safe characters>`: the part before the dot is its public prefix
(shown in lists, used to find the row), the rest a 256-bit secret. The row keeps only the SHA-256 of
the whole key, compared in constant time. Scope `read` may only read; `read-write` may also answer,
send and act, through the same services and outbox as the inbox.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session, sessionmaker

from mostrador.store import api_keys as keys_store
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import ApiKey, utcnow
from mostrador.users.errors import UnknownWorkspace, UsersError

PREFIX_START = "mst_"
NAME_MAX = 80
USE_NOTED_EVERY = timedelta(minutes=1)


class Scope(StrEnum):
    READ = "read"
    READ_WRITE = "read-write"

    @property
    def may_write(self) -> bool:
        return self is Scope.READ_WRITE


class UnknownScope(UsersError):
    """Scopes are `read` and `read-write`."""


class InvalidKeyName(UsersError):
    """A key needs a name of 1 to 80 characters (what it is for: "ERP", "BI export" …)."""


class UnknownKey(UsersError):
    """No live key with that id in this workspace."""


def parse_scope(value: str) -> Scope:
    try:
        return Scope(value.strip().lower())
    except ValueError:
        raise UnknownScope(f"unknown scope {value!r}; one of: read, read-write") from None


@dataclass(frozen=True)
class KeyInfo:
    """A key as lists show it: never its secret."""

    id: int
    name: str
    prefix: str
    scope: Scope
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def live(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class NewKey:
    """A key just made: `secret` is the whole key, shown to its maker once and never stored."""

    info: KeyInfo
    secret: str


@dataclass(frozen=True)
class KeyHolder:
    """Who calls the API with a valid key."""

    key_id: int
    workspace_id: int
    scope: Scope
    actor: str = ""  # how the audit log names who acted: the key's name and prefix


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        scope=Scope(row.scope),
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def create_key(
    s: Session, workspace_id: int, name: str, scope: Scope, created_by: int | None = None
) -> NewKey:
    """Make a key in the caller's transaction; the returned secret is the only copy there will be."""
    name = " ".join(name.split())
    if not 0 < len(name) <= NAME_MAX:
        raise InvalidKeyName(InvalidKeyName.__doc__)
    prefix = PREFIX_START + secrets.token_hex(6)
    secret = f"{prefix}.{secrets.token_urlsafe(32)}"
    row = keys_store.add_key(s, workspace_id, name, prefix, _digest(secret), scope.value, created_by)
    return NewKey(_info(row), secret)


def create_key_in(sessions: sessionmaker[Session], workspace: str, name: str, scope: Scope) -> NewKey:
    """The command line's: a key of the workspace named `workspace` (which must exist)."""
    with transaction(sessions) as s:
        ws = people_store.workspace_by_name(s, workspace)
        if ws is None:
            raise UnknownWorkspace(f"no workspace named {workspace!r}")
        return create_key(s, ws.id, name, scope)


def keys_of(s: Session, workspace_id: int) -> list[KeyInfo]:
    return [_info(row) for row in keys_store.keys_of(s, workspace_id)]


def keys_in(sessions: sessionmaker[Session], workspace: str) -> list[KeyInfo]:
    with transaction(sessions) as s:
        ws = people_store.workspace_by_name(s, workspace)
        if ws is None:
            raise UnknownWorkspace(f"no workspace named {workspace!r}")
        return keys_of(s, ws.id)


def revoke(s: Session, workspace_id: int, key_id: int) -> None:
    """Revoke a live key of the workspace at once: its next request is refused (401)."""
    if not keys_store.revoke_key(s, workspace_id, key_id, utcnow()):
        raise UnknownKey(f"no live key {key_id} in this workspace")


def revoke_in(sessions: sessionmaker[Session], workspace: str, key_id: int) -> None:
    with transaction(sessions) as s:
        ws = people_store.workspace_by_name(s, workspace)
        if ws is None:
            raise UnknownWorkspace(f"no workspace named {workspace!r}")
        revoke(s, ws.id, key_id)


def authenticate(sessions: sessionmaker[Session], raw: str) -> KeyHolder | None:
    """The holder of a presented key, or None when it is malformed, unknown, wrong or revoked."""
    prefix, dot, _ = raw.partition(".")
    if not dot or not prefix.startswith(PREFIX_START) or len(raw) > 200:
        return None
    now = utcnow()
    with transaction(sessions) as s:
        row = keys_store.key_by_prefix(s, prefix)
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.secret_hash, _digest(raw)):
            return None
        if row.last_used_at is None or row.last_used_at < now - USE_NOTED_EVERY:
            keys_store.note_use(s, row.id, now, now - USE_NOTED_EVERY)
        return KeyHolder(row.id, row.workspace_id, Scope(row.scope), f"clave API {row.name} ({row.prefix})")
