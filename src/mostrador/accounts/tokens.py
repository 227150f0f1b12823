"""Access tokens for connected accounts: refreshed ahead of expiry, single-flight across processes.

Mercado Libre refresh tokens are single use and only the newest one works (§2.3): two concurrent
refreshes kill the account. So a refresh takes a lease on the account row (UPDATE … WHERE the lease
is free), and the new pair is written with a compare-and-swap on `token_version`. Everyone else waits
for the version to move and reads the new token.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import or_, select, update

from mostrador.context import AppContext
from mostrador.meli import errors as meli_errors
from mostrador.meli.models import TokenResponse
from mostrador.store.db import transaction
from mostrador.store.models import Account

LEASE_SECONDS = 30
T = TypeVar("T")
WAIT_FOR_PEER_S = 15.0


class AccountUnavailable(Exception):
    """The account cannot call Mercado Libre (revoked, disconnected or unknown)."""


class TokenRefreshFailed(Exception):
    """Refreshing the access token failed for a transient reason; the account keeps its tokens."""


def lease_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _now() -> datetime:
    return datetime.now(UTC)


async def access_token(ctx: AppContext, account_id: int) -> str:
    """A valid access token for the account, refreshing it first if it expires within the margin."""
    token, _version = await _usable_token(ctx, account_id)
    return token


async def _usable_token(ctx: AppContext, account_id: int) -> tuple[str, int]:
    acc = await asyncio.to_thread(_load, ctx, account_id)
    if acc.status in ("revoked", "disconnected"):
        raise AccountUnavailable(f"account {acc.nickname} is {acc.status}")
    margin = timedelta(seconds=ctx.settings.token_refresh_margin_s)
    if acc.token_expires_at and acc.token_expires_at - margin > _now():
        return ctx.cipher.decrypt(acc.access_token_enc), acc.token_version
    token = await refresh(ctx, account_id, seen_version=acc.token_version)
    current = await asyncio.to_thread(_load, ctx, account_id)  # rare: only after a refresh
    return token, current.token_version


async def call_with_token(ctx: AppContext, account_id: int, call: Callable[[str], Awaitable[T]]) -> T:
    """Run `call(token)`; on a 401 refresh once and retry (a password change or revocation shows as 401).

    If the refresh is refused too, the account is marked revoked and `AccountUnavailable` is raised.
    """
    token, version = await _usable_token(ctx, account_id)
    try:
        return await call(token)
    except meli_errors.Unauthorized:
        fresh = await refresh(ctx, account_id, seen_version=version)
        return await call(fresh)


async def refresh(ctx: AppContext, account_id: int, seen_version: int) -> str:
    """Refresh once across all processes; return the newest access token."""
    owner = lease_owner()
    deadline = time.monotonic() + WAIT_FOR_PEER_S
    while True:
        if await asyncio.to_thread(_take_lease, ctx, account_id, seen_version, owner):
            return await _refresh_holding_lease(ctx, account_id, seen_version, owner)
        acc = await asyncio.to_thread(_load, ctx, account_id)
        if acc.token_version != seen_version:  # a peer refreshed: use its token
            if acc.status == "revoked":
                raise AccountUnavailable(f"account {acc.nickname} is revoked")
            return ctx.cipher.decrypt(acc.access_token_enc)
        if time.monotonic() > deadline:
            raise TokenRefreshFailed("another process holds the refresh lease")
        await asyncio.sleep(0.05)


async def _refresh_holding_lease(ctx: AppContext, account_id: int, seen_version: int, owner: str) -> str:
    acc = await asyncio.to_thread(_load, ctx, account_id)
    try:
        tokens = await ctx.meli.refresh_token(ctx.cipher.decrypt(acc.refresh_token_enc))
    except meli_errors.InvalidGrant as exc:
        await _confirm_revocation(ctx, acc, str(exc))
        raise AccountUnavailable(f"account {acc.nickname}: refresh token rejected") from exc
    except meli_errors.MeliError as exc:
        await asyncio.to_thread(_release_with_status, ctx, account_id, owner, "refresh_failing", str(exc))
        raise TokenRefreshFailed(str(exc)) from exc
    stored = await asyncio.to_thread(_store_tokens, ctx, account_id, seen_version, owner, tokens)
    if not stored:  # lost the lease (expired mid-call): the pair we hold is the newest one anyway
        raise TokenRefreshFailed("refresh lease expired before the new tokens were stored")
    return tokens.access_token


async def _confirm_revocation(ctx: AppContext, acc: Account, detail: str) -> None:
    """`invalid_grant` can be a race we lost; re-check before telling the seller the grant is gone."""
    current = await asyncio.to_thread(_load, ctx, acc.id)
    if current.token_version != acc.token_version:
        return
    try:
        await ctx.meli.get_me(ctx.cipher.decrypt(current.access_token_enc))
    except meli_errors.Unauthorized:
        await asyncio.to_thread(_release_with_status, ctx, acc.id, lease_owner(), "revoked", detail)
        return
    except meli_errors.MeliError:
        pass
    await asyncio.to_thread(_release_with_status, ctx, acc.id, lease_owner(), "refresh_failing", detail)


# ---- synchronous database parts (run in threads) -----------------------------------------------
def _load(ctx: AppContext, account_id: int) -> Account:
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        if acc is None:
            raise AccountUnavailable(f"unknown account {account_id}")
        s.expunge(acc)
        return acc


def _take_lease(ctx: AppContext, account_id: int, seen_version: int, owner: str) -> bool:
    now = _now()
    with transaction(ctx.sessions) as s:
        result = s.execute(
            update(Account)
            .where(
                Account.id == account_id,
                Account.token_version == seen_version,
                or_(Account.refresh_lease_until.is_(None), Account.refresh_lease_until < now),
            )
            .values(refresh_lease_owner=owner, refresh_lease_until=now + timedelta(seconds=LEASE_SECONDS))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _store_tokens(ctx: AppContext, account_id: int, seen_version: int, owner: str, t: TokenResponse) -> bool:
    with transaction(ctx.sessions) as s:
        result = s.execute(
            update(Account)
            .where(
                Account.id == account_id,
                Account.token_version == seen_version,
                Account.refresh_lease_owner == owner,
            )
            .values(
                access_token_enc=ctx.cipher.encrypt(t.access_token),
                refresh_token_enc=ctx.cipher.encrypt(t.refresh_token or ""),
                token_expires_at=_now() + timedelta(seconds=int(t.expires_in)),
                token_version=Account.token_version + 1,
                refresh_lease_owner=None,
                refresh_lease_until=None,
                status="active",
                status_detail=None,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _release_with_status(ctx: AppContext, account_id: int, owner: str, status: str, detail: str) -> None:
    with transaction(ctx.sessions) as s:
        s.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(
                refresh_lease_owner=None, refresh_lease_until=None, status=status, status_detail=detail[:500]
            )
        )


def save_new_grant(
    ctx: AppContext, workspace_id: int, me_id: int, nickname: str, site_id: str, t: TokenResponse
) -> int:
    """Store (or reconnect) an account after the OAuth callback; returns the account id."""
    with transaction(ctx.sessions) as s:
        acc = s.scalars(select(Account).where(Account.meli_user_id == me_id)).first()
        if acc is not None and acc.workspace_id != workspace_id:
            raise AccountUnavailable("this Mercado Libre account is connected to another workspace")
        if acc is None:
            acc = Account(workspace_id=workspace_id, meli_user_id=me_id, nickname=nickname, site_id=site_id)
            s.add(acc)
        acc.nickname, acc.site_id = nickname, site_id
        acc.access_token_enc = ctx.cipher.encrypt(t.access_token)
        acc.refresh_token_enc = ctx.cipher.encrypt(t.refresh_token or "")
        acc.token_expires_at = _now() + timedelta(seconds=int(t.expires_in))
        acc.token_version = (acc.token_version or 0) + 1
        acc.status, acc.status_detail = "active", None
        acc.refresh_lease_owner = acc.refresh_lease_until = None
        s.flush()
        return acc.id
