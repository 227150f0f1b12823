"""Access tokens for connected accounts: refreshed ahead of expiry, single-flight across processes.

Mercado Libre refresh tokens are single use and only the newest one works (§2.3): two concurrent
refreshes kill the account. So a refresh takes a lease on the account row (UPDATE … WHERE the lease
is free), and the new pair is written with a compare-and-swap on `token_version` alone: if our lease
expired while Mercado Libre was answering, the pair we hold is still the newest one and must be kept.
Everyone else waits for the version to move and reads the new token.

Callers use `accounts.seller_api.SellerApi`, which holds a token for the length of one step.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mostrador.context import AppContext
from mostrador.meli import errors as meli_errors
from mostrador.meli.models import TokenResponse
from mostrador.security.crypto import TokenDecryptError
from mostrador.store import accounts as accounts_store
from mostrador.store.db import transaction
from mostrador.store.models import Account

LEASE_SECONDS = 30
WAIT_FOR_PEER_S = 15.0


class AccountUnavailable(Exception):
    """The account cannot call Mercado Libre (revoked, disconnected or unknown)."""


class TokenRefreshFailed(Exception):
    """Refreshing the access token failed for a transient reason; the account keeps its tokens."""


@dataclass(frozen=True)
class AccessToken:
    """A decrypted access token, the token version it belongs to, and until when it may be used."""

    token: str
    version: int
    usable_until: datetime | None

    def usable(self, now: datetime) -> bool:
        return self.usable_until is not None and now < self.usable_until


def lease_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _now() -> datetime:
    return datetime.now(UTC)


async def current_token(ctx: AppContext, account_id: int) -> AccessToken:
    """A valid access token for the account, refreshing it first if it expires within the margin."""
    acc = await asyncio.to_thread(_load, ctx, account_id)
    if acc.status in ("revoked", "disconnected"):
        raise AccountUnavailable(f"account {acc.nickname} is {acc.status}")
    token = _decrypted(ctx, acc)
    if token.usable(_now()):
        return token
    return await refresh(ctx, account_id, seen_version=acc.token_version)


def token_if_usable(ctx: AppContext, acc: Account) -> AccessToken | None:
    """The account's stored access token when it can be used as it is (connected, not about to expire),
    so a caller that has just read the account needs no second read; None sends it to `current_token`."""
    if acc.status in ("revoked", "disconnected") or not acc.access_token_enc:
        return None
    try:
        token = _decrypted(ctx, acc)
    except TokenDecryptError:
        return None  # `current_token` raises it where the caller expects it
    return token if token.usable(_now()) else None


async def refresh(ctx: AppContext, account_id: int, seen_version: int) -> AccessToken:
    """Refresh once across all processes; return the newest access token."""
    owner = lease_owner()
    deadline = time.monotonic() + WAIT_FOR_PEER_S
    while True:
        if await asyncio.to_thread(_take_lease, ctx, account_id, seen_version, owner):
            return await _refresh_holding_lease(ctx, account_id, seen_version, owner)
        acc = await asyncio.to_thread(_load, ctx, account_id)
        if acc.token_version != seen_version:  # a peer refreshed: use its token
            return _peer_token(ctx, acc)
        if time.monotonic() > deadline:
            raise TokenRefreshFailed("another process holds the refresh lease")
        await asyncio.sleep(0.05)


async def _refresh_holding_lease(
    ctx: AppContext, account_id: int, seen_version: int, owner: str
) -> AccessToken:
    acc = await asyncio.to_thread(_load, ctx, account_id)
    if acc.token_version != seen_version:
        # The previous holder, whose lease had expired, stored a newer pair after we took the lease:
        # spending its refresh token now would throw away the pair Mercado Libre gives us (CAS fails).
        await asyncio.to_thread(_release, ctx, account_id, owner, acc.token_version, None, None)
        return _peer_token(ctx, acc)
    try:
        tokens = await ctx.meli.refresh_token(ctx.cipher.decrypt(acc.refresh_token_enc))
    except meli_errors.InvalidGrant as exc:
        ctx.metrics.token_refresh("rejected")
        verdict = await _confirm_revocation(ctx, acc, owner, str(exc))
        if verdict is not None:
            return verdict  # a peer refreshed: its token works
        raise AccountUnavailable(f"account {acc.nickname}: refresh token rejected") from exc
    except meli_errors.MeliError as exc:
        ctx.metrics.token_refresh("failed")
        await asyncio.to_thread(_release, ctx, account_id, owner, seen_version, "refresh_failing", str(exc))
        raise TokenRefreshFailed(str(exc)) from exc
    ctx.metrics.token_refresh("ok")
    if await asyncio.to_thread(_store_tokens, ctx, account_id, seen_version, tokens):
        expires = _now() + timedelta(seconds=int(tokens.expires_in))
        usable_until = expires - timedelta(seconds=ctx.settings.token_refresh_margin_s)
        return AccessToken(tokens.access_token, seen_version + 1, usable_until)
    # Another refresh of the same version was stored first (ours came back after a peer's): use that one.
    return _peer_token(ctx, await asyncio.to_thread(_load, ctx, account_id))


async def _confirm_revocation(ctx: AppContext, acc: Account, owner: str, detail: str) -> AccessToken | None:
    """`invalid_grant` can be a race we lost; re-check before telling the seller the grant is gone.

    Returns the peer's token when a peer refreshed meanwhile; None when the grant is gone (the account
    is marked revoked). Raises `TokenRefreshFailed` when it cannot tell now (Mercado Libre failing).
    """
    current = await asyncio.to_thread(_load, ctx, acc.id)
    if current.token_version != acc.token_version:
        return _peer_token(ctx, current)
    try:
        await ctx.meli.get_me(ctx.cipher.decrypt(current.access_token_enc))
    except meli_errors.Unauthorized:
        await asyncio.to_thread(_release, ctx, acc.id, owner, acc.token_version, "revoked", detail)
        return None
    except meli_errors.MeliError as exc:
        await asyncio.to_thread(_release, ctx, acc.id, owner, acc.token_version, "refresh_failing", detail)
        raise TokenRefreshFailed(f"refresh refused and Mercado Libre failing: {exc}") from exc
    # The access token still works: the refresh token is what was refused; keep working until it expires.
    await asyncio.to_thread(_release, ctx, acc.id, owner, acc.token_version, "refresh_failing", detail)
    raise TokenRefreshFailed(f"refresh refused ({detail}); the current token still works")


def _peer_token(ctx: AppContext, acc: Account) -> AccessToken:
    if acc.status in ("revoked", "disconnected"):
        raise AccountUnavailable(f"account {acc.nickname} is {acc.status}")
    return _decrypted(ctx, acc)


def _decrypted(ctx: AppContext, acc: Account) -> AccessToken:
    margin = timedelta(seconds=ctx.settings.token_refresh_margin_s)
    until = acc.token_expires_at - margin if acc.token_expires_at is not None else None
    return AccessToken(ctx.cipher.decrypt(acc.access_token_enc), acc.token_version, until)


# ---- synchronous database parts (run in threads) -----------------------------------------------
def _load(ctx: AppContext, account_id: int) -> Account:
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        if acc is None:
            raise AccountUnavailable(f"unknown account {account_id}")
        s.expunge(acc)
        return acc


def _take_lease(ctx: AppContext, account_id: int, seen_version: int, owner: str) -> bool:
    until = _now() + timedelta(seconds=LEASE_SECONDS)
    with transaction(ctx.sessions) as s:
        return accounts_store.take_refresh_lease(s, account_id, seen_version, owner, until)


def _store_tokens(ctx: AppContext, account_id: int, seen_version: int, t: TokenResponse) -> bool:
    values = {
        "access_token_enc": ctx.cipher.encrypt(t.access_token),
        "refresh_token_enc": ctx.cipher.encrypt(t.refresh_token or ""),
        "token_expires_at": _now() + timedelta(seconds=int(t.expires_in)),
    }
    with transaction(ctx.sessions) as s:
        return accounts_store.store_refreshed_tokens(s, account_id, seen_version, values)


def _release(
    ctx: AppContext, account_id: int, owner: str, version: int, status: str | None, detail: str | None
) -> None:
    """Give the lease back (and say how the account is), only if we still hold it on that version: a late
    loser must not clear a peer's live lease nor overwrite the state of a just-refreshed account."""
    with transaction(ctx.sessions) as s:
        accounts_store.release_refresh_lease(s, account_id, owner, version, status, detail)


def save_new_grant(
    ctx: AppContext, workspace_id: int, me_id: int, nickname: str, site_id: str, t: TokenResponse
) -> int:
    """Store (or reconnect) an account after the OAuth callback; returns the account id."""
    with transaction(ctx.sessions) as s:
        acc = accounts_store.account_by_meli_user(s, me_id)
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
