"""Token refresh against the sandbox: single-flight across processes, revocation detected and shown."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from mostrador.accounts import tokens
from mostrador.accounts.tokens import AccountUnavailable, current_token
from mostrador.context import AppContext, build_context
from mostrador.settings import Settings
from mostrador.store.db import transaction
from mostrador.store.models import Account

from .sandbox_grant import Connected


def expire_token(ctx: AppContext, account_id: int) -> None:
    with transaction(ctx.sessions) as s:
        s.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(token_expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )


def token_now(settings: Settings, account_id: int) -> str:
    """`current_token` in its own event loop and client, as one process would call it."""

    async def run() -> str:
        ctx = build_context(settings)
        try:
            return (await current_token(ctx, account_id)).token
        finally:
            await ctx.aclose()

    return asyncio.run(run())


def _refresh_in_child(settings: Settings, account_id: int, barrier: Any, out: Any) -> None:
    barrier.wait()
    try:
        out.put(("ok", token_now(settings, account_id)))
    except Exception as exc:  # reported to the parent, which fails the test with it
        out.put(("error", repr(exc)))


def test_concurrent_refreshes_from_several_processes_keep_the_account(connected: Connected) -> None:
    ctx, account_id = connected.ctx, connected.account_id
    expire_token(ctx, account_id)
    with transaction(ctx.sessions) as s:
        before = s.get(Account, account_id).token_version  # type: ignore[union-attr]
    spawn = mp.get_context("spawn")
    barrier, out = spawn.Barrier(4), spawn.Queue()
    procs = [
        spawn.Process(target=_refresh_in_child, args=(ctx.settings, account_id, barrier, out))
        for _ in range(4)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert all(kind == "ok" for kind, _ in results), results
    assert len({token for _, token in results}) == 1, "every process must end with the same new token"
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        assert acc is not None
        assert acc.status == "active"
        assert acc.token_version == before + 1, "exactly one refresh happened"
    # The stored refresh token is the newest one: refreshing again still works.
    expire_token(ctx, account_id)
    assert token_now(ctx.settings, account_id) != results[0][1]


def test_revoked_grant_is_detected_and_marked(connected: Connected) -> None:
    ctx, sandbox, seller, account_id = (
        connected.ctx,
        connected.sandbox,
        connected.seller,
        connected.account_id,
    )
    with httpx.Client(base_url=sandbox.url) as c:
        r = c.delete(
            f"/users/{seller['id']}/applications/{ctx.settings.meli_client_id}",
            headers={"Authorization": f"Bearer {seller['access_token']}"},
        )
        assert r.status_code == 200, r.text
    expire_token(ctx, account_id)
    with pytest.raises(AccountUnavailable):
        token_now(ctx.settings, account_id)
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        assert acc is not None and acc.status == "revoked"


def test_a_refresh_whose_lease_was_lost_still_stores_the_newest_pair(connected: Connected) -> None:
    """Refresh tokens are single use: the pair Mercado Libre just gave us is the only one that works, so
    it is kept even if our lease ran out (and a peer took it) while Mercado Libre was answering."""
    ctx, account_id = connected.ctx, connected.account_id
    expire_token(ctx, account_id)
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        assert acc is not None
        seen = acc.token_version
        # Our lease expired mid-call and a peer took it, but has not refreshed (yet).
        acc.refresh_lease_owner = "peer-host:4242"
        acc.refresh_lease_until = datetime.now(UTC) + timedelta(seconds=30)

    async def refresh_after_losing_the_lease() -> str:
        local = build_context(ctx.settings)
        try:
            return (await tokens._refresh_holding_lease(local, account_id, seen, tokens.lease_owner())).token
        finally:
            await local.aclose()

    fresh = asyncio.run(refresh_after_losing_the_lease())
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        assert acc is not None
        assert acc.token_version == seen + 1 and acc.status == "active"
        assert ctx.cipher.decrypt(acc.access_token_enc) == fresh
    # The stored refresh token is the one Mercado Libre issued last: the next refresh works.
    expire_token(ctx, account_id)
    assert token_now(ctx.settings, account_id) != fresh


def test_a_lease_taken_after_a_slow_peer_stored_its_pair_does_not_spend_the_new_refresh_token(
    connected: Connected,
) -> None:
    """A peer whose lease expired stores version v+1 just after we took the lease for version v: we must
    use its token instead of spending its refresh token (our pair would then be thrown away by the
    compare-and-swap, and the grant would be dead)."""
    ctx, account_id = connected.ctx, connected.account_id
    expire_token(ctx, account_id)
    with transaction(ctx.sessions) as s:
        seen = s.get(Account, account_id).token_version  # type: ignore[union-attr]
    peer_token = token_now(ctx.settings, account_id)  # the slow peer's refresh lands: version seen + 1
    with transaction(ctx.sessions) as s:  # and we had taken the lease for `seen` just before
        acc = s.get(Account, account_id)
        assert acc is not None and acc.token_version == seen + 1
        acc.refresh_lease_owner = tokens.lease_owner()
        acc.refresh_lease_until = datetime.now(UTC) + timedelta(seconds=30)

    async def refresh_holding_a_stale_lease() -> str:
        local = build_context(ctx.settings)
        try:
            return (await tokens._refresh_holding_lease(local, account_id, seen, tokens.lease_owner())).token
        finally:
            await local.aclose()

    assert asyncio.run(refresh_holding_a_stale_lease()) == peer_token
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        assert acc is not None
        assert (acc.token_version, acc.status, acc.refresh_lease_owner) == (seen + 1, "active", None)
    expire_token(ctx, account_id)
    assert token_now(ctx.settings, account_id) != peer_token  # the grant still refreshes
